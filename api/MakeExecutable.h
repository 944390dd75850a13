// Program -> rt::Executable for a target, shared by `dlc compile -o` and the
// C++ library's Executable::save: for CUDA, the plan (codegen/cuda planCuda)
// and its NVRTC compile; and the record of what made it.
#pragma once

#include <string>

#include "api/Driver.h"
#include "codegen/cuda/PlanCuda.h"
#include "runtime/Executable.h"

namespace dlc::driver {

struct ExecutableRequest {
  std::string target = "host";   // "host" or "cuda"
  codegen::CudaTarget cuda;      // for target "cuda"
  std::string modelName;         // the model's path or name (messages, metadata)
  std::string compileOptions;    // the options as flags, for the metadata
  std::string producer;          // "dlc compile", "libdlc"
};

// Moves `program` into `out`. A CUDA plan that cannot be made or compiled
// (CodegenError, NvrtcError) is the user's failure (exit 1) naming the model
// and the reason.
Failure makeExecutable(rt::Program program, const ExecutableRequest& request, rt::Executable& out);

// The metadata of a new executable: this dlc's version, the time
// ($SOURCE_DATE_EPOCH when set, for reproducible files).
rt::ExecutableInfo executableInfo(const ExecutableRequest& request);

}  // namespace dlc::driver
