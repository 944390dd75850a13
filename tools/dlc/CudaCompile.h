// `dlc compile --target cuda`: the Program of the host path, planned for the
// CUDA device (codegen/cuda/PlanCuda.h) and compiled by NVRTC through the
// kernel cache (codegen/cuda/Nvrtc.h). Kept out of dlc.cpp so that the CLI's
// flag handling stays short.
#pragma once

#include <ostream>
#include <string>

#include "api/Driver.h"
#include "codegen/cuda/Nvrtc.h"
#include "runtime/Program.h"
#include "runtime/cuda/CudaPlan.h"
#include "tools/dlc/Stats.h"

namespace dlc::driver {

struct CudaCompileOptions {
  std::string arch;       // "" : the GPU present, else sm_90
  bool useCache = true;   // --no-kernel-cache: false
  bool useLibraries = true;  // --no-libraries: false (every kernel generated, no cuBLASLt/cuDNN)
};

// Checks what --target cuda needs before the model is compiled: NVRTC
// loadable, the architecture well formed and supported by it. Resolves
// options.arch and says where it came from in `archOrigin`.
Failure prepareCudaTarget(CudaCompileOptions& options, std::string& archOrigin);

struct CudaCompileResult {
  rt::CudaPlan plan;
  codegen::ModuleCompileInfo nvrtc;
};

// planCuda + compileModule. Failures name the model; both are ours (exit 2).
Failure compileForCuda(const std::string& model, const rt::Program& program, const CudaCompileOptions& options,
                       CudaCompileResult& out);

// The numbers --stats adds for the CUDA target.
CudaStats cudaStats(const CudaCompileResult& r);

// The summary's CUDA lines: the arch, the module, kernels and library calls,
// NVRTC's time and whether the cache hit.
void printCudaSummary(const CudaCompileResult& r, const std::string& archOrigin, std::ostream& os);

}  // namespace dlc::driver
