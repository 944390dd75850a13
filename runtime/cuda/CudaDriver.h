// The CUDA driver API, loaded with dlopen from libcuda.so.1 (never linked:
// dlc binaries must start on machines without a driver). The toolkit's cuda.h
// gives the types and, through its macros, the versioned entry point of each
// call (cuMemAlloc is cuMemAlloc_v2): each is looked up by that exact name,
// so the ABI is the header's. Internal to runtime/cuda.
#pragma once

#include <cuda.h>

#include <string>

namespace dlc::rt::cuda {

// Every driver call the runtime makes. X(name) is expanded with the
// header's macro name; the member takes the versioned name with it.
#define DLC_CUDA_DRIVER_CALLS(X)                                                     \
  X(cuGetErrorName) X(cuGetErrorString) X(cuInit) X(cuDriverGetVersion)            \
  X(cuDeviceGetCount) X(cuDeviceGet) X(cuDeviceGetName) X(cuDeviceGetAttribute)     \
  X(cuDeviceTotalMem) X(cuDevicePrimaryCtxRetain) X(cuDevicePrimaryCtxRelease)      \
  X(cuCtxSetCurrent) X(cuStreamCreate) X(cuStreamDestroy) X(cuStreamSynchronize)    \
  X(cuMemAlloc) X(cuMemFree) X(cuMemGetInfo) X(cuMemcpyHtoDAsync)                   \
  X(cuMemcpyDtoHAsync) X(cuMemcpyDtoDAsync) X(cuMemsetD32Async)                     \
  X(cuModuleLoadDataEx) X(cuModuleUnload) X(cuModuleGetFunction)                    \
  X(cuFuncSetAttribute) X(cuLaunchKernel) X(cuStreamBeginCapture)                   \
  X(cuStreamEndCapture) X(cuGraphInstantiate) X(cuGraphLaunch)                      \
  X(cuGraphExecDestroy) X(cuGraphDestroy)                                          \
  X(cuEventCreate) X(cuEventRecord) X(cuEventSynchronize) X(cuEventElapsedTime)     \
  X(cuEventDestroy)

struct Driver {
#define DLC_DECLARE(name) decltype(&::name) name = nullptr;
  DLC_CUDA_DRIVER_CALLS(DLC_DECLARE)
#undef DLC_DECLARE
  std::string libraryPath;  // where libcuda was found
};

// The driver, loaded and cuInit'ed once per process; nullptr when it cannot
// be used, with the reason (library missing, a missing entry point, cuInit's
// error) in `why`. $DLC_LIBCUDA overrides the library (tests use it to
// simulate a machine without a driver).
const Driver* loadDriver(std::string& why);

// The driver, or DeviceError with the reason.
const Driver& driver();

// "CUDA_ERROR_OUT_OF_MEMORY (out of memory)".
std::string errorText(CUresult r);

// Throws DeviceError "[CONTEXT: ]CALL failed: NAME (STRING)" unless r is
// CUDA_SUCCESS (DeviceUnavailable for out of memory). `call` is the versioned
// entry point's name, `context` says what for (a step's source op).
void check(CUresult r, const char* call, const std::string& context = "");

}  // namespace dlc::rt::cuda

// The versioned name of a driver call, as a string ("cuMemAlloc_v2").
#define DLC_CU_NAME2(x) #x
#define DLC_CU_NAME(x) DLC_CU_NAME2(x)
// Calls driver().NAME(ARGS...) and checks the result, naming the call.
#define DLC_CU(context, name, ...) \
  ::dlc::rt::cuda::check(::dlc::rt::cuda::driver().name(__VA_ARGS__), DLC_CU_NAME(name), context)
