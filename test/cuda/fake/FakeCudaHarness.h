// The tests' side of the fake CUDA driver (FakeCuda.h): points the runtime at
// libdlc_fake_cuda.so ($DLC_LIBCUDA) before it loads a driver, reaches the
// library's control functions, and prepares plans for it: planned for the
// fake's sm_90 device with library calls off (cuBLASLt and cuDNN need a real
// driver), compiled by NVRTC (PTX and CUBIN, as for a GPU), and the module's
// source built as a host shared object registered for both images.
#pragma once

#include <string>

#include "runtime/Program.h"
#include "runtime/cuda/CudaPlan.h"
#include "test/cuda/fake/FakeCuda.h"

namespace dlc::test {

class FakeCuda {
 public:
  // The process's fake driver: sets $DLC_LIBCUDA to the fake (unless it is
  // set already, to another variant) and loads it. Call before anything
  // asks the runtime for a driver. Throws std::runtime_error when it cannot.
  static FakeCuda& get();

  DlcFakeCudaCounts counts() const;
  // The first misuse since the last call ("" when none).
  std::string takeMisuse() const;
  void failCall(const std::string& versionedName, int64_t nth, int cuResult) const;
  void clearFailures() const;
  void setMemoryBytes(int64_t bytes) const;

  // Registers plan.source's host object for plan.ptx and plan.cubin.
  void registerPlan(const rt::CudaPlan& plan) const;

  // planCuda for the fake device (sm_90, its SM count) with useLibraries as
  // given, compileModule (NVRTC; cache in $DLC_FAKE_CUDA_WORK_DIR or the temp
  // dir), registerPlan. Throws on a codegen or NVRTC failure.
  rt::CudaPlan plan(const rt::Program& program, bool useLibraries = false) const;

  const std::string& libraryPath() const { return path_; }

 private:
  FakeCuda();
  std::string path_;
  void* handle_ = nullptr;
  void (*counts_)(DlcFakeCudaCounts*) = nullptr;
  const char* (*takeMisuse_)() = nullptr;
  void (*failCall_)(const char*, int64_t, int) = nullptr;
  void (*clearFailures_)() = nullptr;
  void (*setMemoryBytes_)(int64_t) = nullptr;
  int (*register_)(const void*, uint64_t, const char*, int, const char* const*, const int*) = nullptr;
};

}  // namespace dlc::test
