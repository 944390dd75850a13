// Program -> rt::Executable for a target, shared by `dlc compile -o` and the
// C++ library's Executable::save: for CUDA, the plan (codegen/cuda planCuda)
// and its NVRTC compile; and the record of what made it.
#pragma once

#include <string>

#include "api/Driver.h"
#include "codegen/cuda/Nvrtc.h"
#include "codegen/cuda/PlanCuda.h"
#include "runtime/Executable.h"

namespace dlc::driver {

struct CudaCompileOptions {
  std::string arch;       // "" : the GPU present, else sm_90
  int smCount = 0;        // the GPU's, when it is the arch compiled for; 0: CudaTarget's default
  bool useCache = true;   // --no-kernel-cache: false
  bool useLibraries = true;  // --no-libraries: false (every kernel generated, no cuBLASLt/cuDNN)
  bool allowTf32 = false;    // --precision tf32: TF32 tensor-core math in f32 GEMMs/convolutions
};

// Checks what --target cuda (or Target::Cuda) needs before the model is
// compiled: NVRTC loadable, the architecture well formed and supported by
// it. Resolves options.arch (and smCount, from the GPU present when it is of
// that arch) and says where the arch came from in `archOrigin`.
Failure prepareCudaTarget(CudaCompileOptions& options, std::string& archOrigin);

struct CudaCompileResult {
  rt::CudaPlan plan;
  codegen::ModuleCompileInfo nvrtc;
};

// planCuda + compileModule. Failures name the model; both are ours (exit 2).
Failure compileForCuda(const std::string& model, const rt::Program& program, const CudaCompileOptions& options,
                       CudaCompileResult& out);


struct ExecutableRequest {
  std::string target = "host";   // "host" or "cuda"
  CudaCompileOptions cuda;       // for target "cuda" (prepareCudaTarget'ed)
  std::string modelName;         // the model's path or name (messages, metadata)
  std::string compileOptions;    // the options as flags, for the metadata
  std::string producer;          // "dlc compile", "libdlc"
};

// Moves `program` into `out`, for CUDA with its plan compiled
// (compileForCuda: a failure is ours, exit 2, naming the model).
Failure makeExecutable(rt::Program program, const ExecutableRequest& request, rt::Executable& out);

// The metadata of a new executable: this dlc's version, the time
// ($SOURCE_DATE_EPOCH when set, for reproducible files).
rt::ExecutableInfo executableInfo(const ExecutableRequest& request);

}  // namespace dlc::driver
