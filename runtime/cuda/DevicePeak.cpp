#include "runtime/cuda/DevicePeak.h"

#include <algorithm>
#include <sstream>
#include <vector>

#include "runtime/cuda/CudaDevice.h"
#include "runtime/cuda/CudaDriver.h"

namespace dlc::rt::cuda {
namespace {

// FP32 lanes (FMA units) per SM of a compute capability; 0 if unknown.
int fp32LanesPerSm(int major, int minor) {
  // CUDA C++ Programming Guide, "Arithmetic Instructions" throughput table:
  // 32-bit floating-point add/multiply/FMA results per clock per SM.
  if (major == 7) return 64;
  if (major == 8) return minor == 0 ? 64 : 128;
  if (major == 9 || major == 10 || major == 12) return 128;
  return 0;
}

// The context, stream, buffers and events of one measurement, released in
// reverse order whatever happens.
struct Session {
  CUdevice dev = 0;
  CUcontext ctx = nullptr;
  CUstream stream = nullptr;
  CUdeviceptr src = 0, dst = 0;
  CUevent begin = nullptr, end = nullptr;
  ~Session() {
    if (!ctx) return;
    const Driver& d = driver();  // loaded: ctx came from it
    d.cuCtxSetCurrent(ctx);
    if (stream) d.cuStreamSynchronize(stream);
    if (begin) d.cuEventDestroy(begin);
    if (end) d.cuEventDestroy(end);
    if (src) d.cuMemFree(src);
    if (dst) d.cuMemFree(dst);
    if (stream) d.cuStreamDestroy(stream);
    d.cuDevicePrimaryCtxRelease(dev);
  }
};

}  // namespace

DevicePeak measureDevicePeak(int ordinal, int64_t bytes) {
  const Driver& d = driver();
  DeviceInfo info = deviceInfo(ordinal);
  Session s;
  std::string what = "measuring the copy bandwidth";
  DLC_CU(what, cuDeviceGet, &s.dev, ordinal);
  DLC_CU(what, cuDevicePrimaryCtxRetain, &s.ctx, s.dev);
  DLC_CU(what, cuCtxSetCurrent, s.ctx);
  DLC_CU(what, cuStreamCreate, &s.stream, CU_STREAM_NON_BLOCKING);
  // A buffer well past the L2 (50 MB on H100): 1 GiB, less where it does not fit.
  while (bytes >= (int64_t(1) << 24)) {
    CUresult a = d.cuMemAlloc(&s.src, static_cast<size_t>(bytes));
    CUresult b = a == CUDA_SUCCESS ? d.cuMemAlloc(&s.dst, static_cast<size_t>(bytes)) : a;
    if (b == CUDA_SUCCESS) break;
    if (s.src) d.cuMemFree(s.src);
    s.src = 0;
    if (b != CUDA_ERROR_OUT_OF_MEMORY) check(b, DLC_CU_NAME(cuMemAlloc), what);
    bytes /= 2;
  }
  if (!s.dst) throw DeviceUnavailable(what + ": not even 16 MiB of device memory free");
  // Random-looking, nonzero contents: the copy must not meet zero pages.
  DLC_CU(what, cuMemsetD32Async, s.src, 0x3f9e3779u, static_cast<size_t>(bytes / 4), s.stream);
  DLC_CU(what, cuEventCreate, &s.begin, CU_EVENT_DEFAULT);
  DLC_CU(what, cuEventCreate, &s.end, CU_EVENT_DEFAULT);
  DLC_CU(what, cuMemcpyDtoDAsync, s.dst, s.src, static_cast<size_t>(bytes), s.stream);  // warm-up
  std::vector<double> ms;
  const int copies = 20;
  for (int i = 0; i < copies; ++i) {
    DLC_CU(what, cuEventRecord, s.begin, s.stream);
    DLC_CU(what, cuMemcpyDtoDAsync, s.dst, s.src, static_cast<size_t>(bytes), s.stream);
    DLC_CU(what, cuEventRecord, s.end, s.stream);
    DLC_CU(what, cuEventSynchronize, s.end);
    float t = 0;
    DLC_CU(what, cuEventElapsedTime, &t, s.begin, s.end);
    ms.push_back(t);
  }
  std::sort(ms.begin(), ms.end());
  double median = ms[ms.size() / 2];
  DevicePeak peak;
  peak.copyBytes = bytes;
  peak.copies = copies;
  peak.copyGBs = median > 0 ? 2.0 * static_cast<double>(bytes) / (median * 1e-3) / 1e9 : 0;

  int major = 0, minor = 0, clockKHz = 0;
  DLC_CU(what, cuDeviceGetAttribute, &major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, s.dev);
  DLC_CU(what, cuDeviceGetAttribute, &minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, s.dev);
  DLC_CU(what, cuDeviceGetAttribute, &clockKHz, CU_DEVICE_ATTRIBUTE_CLOCK_RATE, s.dev);
  int lanes = fp32LanesPerSm(major, minor);
  std::ostringstream src;
  if (lanes > 0 && clockKHz > 0) {
    peak.fp32Tflops = 2.0 * info.smCount * lanes * (clockKHz * 1e3) / 1e12;
    src << "FP32 CUDA-core peak computed, not measured: " << info.smCount << " SMs x " << lanes
        << " FP32 lanes x 2 x " << clockKHz / 1000 << " MHz (device attributes; lanes per SM from the CUDA "
        << "programming guide)";
  } else {
    src << "FP32 peak unknown for " << info.arch << " (clock " << clockKHz << " kHz)";
  }
  peak.fp32Source = src.str();
  return peak;
}

}  // namespace dlc::rt::cuda
