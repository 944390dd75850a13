// `dlc compile --target cuda`: what the CLI prints of a CUDA compile
// (api/MakeExecutable.h prepares the target and compiles). Kept out of
// dlc.cpp so that the CLI's flag handling stays short.
#pragma once

#include <ostream>
#include <string>

#include "api/MakeExecutable.h"
#include "codegen/cuda/Nvrtc.h"
#include "runtime/Program.h"
#include "runtime/cuda/CudaPlan.h"
#include "tools/dlc/Stats.h"

namespace dlc::driver {

// The numbers --stats adds for the CUDA target.
CudaStats cudaStats(const CudaCompileResult& r);

// The summary's CUDA lines: the arch, the module, kernels and library calls,
// NVRTC's time and whether the cache hit.
void printCudaSummary(const CudaCompileResult& r, const std::string& archOrigin, std::ostream& os);

}  // namespace dlc::driver
