// The control interface of libdlc_fake_cuda.so, a fake CUDA driver for the
// tests of runtime/cuda on machines with no GPU (docs/cuda-runtime.md,
// "Testing without a GPU"). The library exports the driver entry points the
// runtime looks up (runtime/cuda/CudaDriver.h, by their versioned names) and
// these functions, which a test finds with dlsym on the same library that
// $DLC_LIBCUDA names.
//
// What it models: device memory is host memory (256-byte aligned, so an
// emulated kernel dereferences a CUdeviceptr directly) under a cap; one
// sm_90 device; the primary context and the current context per thread;
// streams that run every operation at once, in order; stream capture into a
// graph and its replay; events timed by the host's steady clock; modules
// whose kernels run as host code: a test registers, for a module image (PTX
// text or CUBIN), the host shared object compiled from the same source
// (test/cuda/HostModule.h), whose `<kernel>_emulate` trampolines
// cuLaunchKernel calls with the argument values and the grid, clamped
// (generated kernels are grid-stride loops). It checks what a real driver
// would refuse or fault on (launch geometry, a copy or a kernel pointer
// outside every live allocation, a call with no current context, a stream
// synchronised while it captures, ...): each such misuse fails the call and
// is counted, and the first is kept as text.
//
// What it does not model: concurrency (streams and the host never overlap),
// PTX itself (the kernels run as host C++), library calls (cuBLASLt and
// cuDNN need a real driver), more than one device, pinned memory.
//
// Environment (read when the library is loaded):
//   DLC_FAKE_CUDA_MEMORY_BYTES  device memory (default 1 GiB)
//   DLC_FAKE_CUDA_SM_COUNT      multiprocessors (default 132, an H100 SXM)
//   DLC_FAKE_CUDA_DEVICE_COUNT  devices cuDeviceGetCount reports (default 1)
//   DLC_FAKE_CUDA_MAX_BLOCKS    each grid dimension clamped to this (default 3)
//   DLC_FAKE_CUDA_FAIL          "NAME:N:CODE[,...]": the Nth call of entry point
//                               NAME (versioned: cuMemAlloc_v2) returns CUresult CODE
#pragma once

#include <cstdint>

extern "C" {

struct DlcFakeCudaCounts {
  int64_t allocations;      // live cuMemAlloc blocks
  int64_t allocatedBytes;   // their sizes, as asked for
  int64_t modules;          // loaded, not unloaded
  int64_t streams;          // created, not destroyed
  int64_t graphs;           // captured CUgraphs not destroyed
  int64_t graphExecs;       // instantiated, not destroyed
  int64_t events;           // created, not destroyed
  int64_t contextRetains;   // primary-context retains not released
  int64_t launchCalls;      // cuLaunchKernel calls (captured ones too)
  int64_t kernelRuns;       // kernels run (direct launches and graph replays)
  int64_t graphLaunches;    // cuGraphLaunch calls that ran
  int64_t copies;           // memcpy/memset operations run
  int64_t misuses;          // calls refused as a real driver would refuse or fault
};

// The counts now (the *Calls/*Runs/copies/misuses ones count since the
// library was loaded: compare two snapshots).
void dlcFakeCudaCounts(DlcFakeCudaCounts* out);

// The first misuse seen, as text ("" when none), and forgets it.
const char* dlcFakeCudaTakeMisuse();

// Makes the Nth call from now (1: the next) of entry point `name` (its
// versioned name, as the runtime's messages give it: "cuMemcpyHtoDAsync_v2")
// return `result` without doing anything. Several may be pending.
void dlcFakeCudaFailCall(const char* name, int64_t nth, int result);
void dlcFakeCudaClearFailures();

// Device memory from now on (what cuDeviceTotalMem and cuMemGetInfo report).
void dlcFakeCudaSetMemoryBytes(int64_t bytes);

// The host shared object that runs a module image: `image` is the PTX
// (NUL-terminated text) or the CUBIN (`imageBytes` long) the runtime will
// give cuModuleLoadDataEx; `hostObject` the path of the object built from
// the module's source; the kernels' names and parameter counts (the runtime
// passes each kernel its arguments and a status word). Returns 0, or -1
// when the image is not PTX or an ELF file that fits in imageBytes.
int dlcFakeCudaRegisterModule(const void* image, uint64_t imageBytes, const char* hostObject, int kernelCount,
                              const char* const* kernelNames, const int* paramCounts);

}  // extern "C"
