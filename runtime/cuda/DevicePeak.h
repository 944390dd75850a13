// The ceilings a kernel's achieved rate is compared with (`dlc bench
// --profile`): the device-to-device copy bandwidth, measured on the GPU, and
// the FP32 CUDA-core peak, computed from the device's attributes (there is no
// portable way to measure it without a tuned kernel; it is the datasheet's
// formula: SMs x FP32 lanes per SM x 2 FLOPs per FMA x the boost clock).
#pragma once

#include <cstdint>
#include <string>

namespace dlc::rt::cuda {

struct DevicePeak {
  double copyGBs = 0;     // (bytes read + bytes written) / time, median of the timed copies
  int64_t copyBytes = 0;  // the size of the buffer copied
  int copies = 0;         // how many copies were timed
  double fp32Tflops = 0;  // 0: unknown (an arch whose FP32 lanes per SM this table lacks)
  std::string fp32Source; // how fp32Tflops was found, for the report
};

// Copies a `bytes` buffer device to device (halving it while the allocation
// fails), once to warm up and then 20 times between CUDA events. Throws
// DeviceUnavailable (no device) or DeviceError.
DevicePeak measureDevicePeak(int ordinal = 0, int64_t bytes = int64_t(1) << 30);

}  // namespace dlc::rt::cuda
