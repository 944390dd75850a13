#include "runtime/cuda/CudaDriver.h"

#include <cstdlib>
#include <mutex>

#include "runtime/cuda/CudaDevice.h"
#include "runtime/cuda/DynamicLibrary.h"

namespace dlc::rt::cuda {

namespace {

struct Loaded {
  Driver driver;
  DynamicLibrary library;
  std::string why;  // non-empty: the driver cannot be used
};

Loaded load() {
  Loaded l;
  std::vector<std::string> candidates;
  if (const char* path = std::getenv("DLC_LIBCUDA"); path && *path) candidates.push_back(path);
  else candidates = {"libcuda.so.1", "libcuda.so"};
  std::string why;
  l.library = DynamicLibrary::open(candidates, why);
  if (!l.library.loaded()) {
    l.why = why;  // names the library and the loader's error
    return l;
  }
  l.driver.libraryPath = l.library.path();
#define DLC_LOOKUP(name)                                                                  \
  l.driver.name = reinterpret_cast<decltype(l.driver.name)>(l.library.symbol(DLC_CU_NAME(name))); \
  if (!l.driver.name) {                                                                   \
    l.why = "the CUDA driver " + l.library.path() + " has no " DLC_CU_NAME(name) " (driver too old for CUDA 13 binaries?)"; \
    return l;                                                                             \
  }
  DLC_CUDA_DRIVER_CALLS(DLC_LOOKUP)
#undef DLC_LOOKUP
  CUresult r = l.driver.cuInit(0);
  if (r != CUDA_SUCCESS) {
    const char* name = nullptr;
    const char* text = nullptr;
    l.driver.cuGetErrorName(r, &name);
    l.driver.cuGetErrorString(r, &text);
    l.why = "cuInit failed: " + std::string(name ? name : "CUresult " + std::to_string(r)) +
            " (" + (text ? text : "no description") + ")";
    return l;
  }
  int count = 0;
  r = l.driver.cuDeviceGetCount(&count);
  if (r != CUDA_SUCCESS) l.why = "cuDeviceGetCount failed: CUresult " + std::to_string(r);
  else if (count == 0) l.why = "the CUDA driver found no device";
  return l;
}

const Loaded& loaded() {
  static const Loaded* l = new Loaded(load());  // never destroyed (see DynamicLibrary)
  return *l;
}

}  // namespace

const Driver* loadDriver(std::string& why) {
  const Loaded& l = loaded();
  why = l.why;
  return l.why.empty() ? &l.driver : nullptr;
}

const Driver& driver() {
  std::string why;
  const Driver* d = loadDriver(why);
  if (!d) throw DeviceUnavailable(why);
  return *d;
}

std::string errorText(CUresult r) {
  const Loaded& l = loaded();
  const char* name = nullptr;
  const char* text = nullptr;
  if (l.driver.cuGetErrorName) l.driver.cuGetErrorName(r, &name);
  if (l.driver.cuGetErrorString) l.driver.cuGetErrorString(r, &text);
  std::string s = name ? name : "CUresult " + std::to_string(static_cast<int>(r));
  if (text) s += std::string(" (") + text + ")";
  return s;
}

void check(CUresult r, const char* call, const std::string& context) {
  if (r == CUDA_SUCCESS) return;
  std::string msg = (context.empty() ? "" : context + ": ") + call + " failed: " + errorText(r);
  if (r == CUDA_ERROR_OUT_OF_MEMORY) throw DeviceUnavailable(msg);
  throw DeviceError(msg);
}

}  // namespace dlc::rt::cuda
