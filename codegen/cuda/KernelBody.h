// What a kernel generator returns for one Program kernel: the statements of
// the __global__ function and how to launch it. PlanCuda.cpp wraps the body
// in the signature (the values it reads, then the outputs, then status) and
// the emulation trampoline.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/cuda/CudaPlan.h"

namespace dlc::codegen::cuda {

struct KernelBody {
  std::string body;            // the function's statements
  std::vector<int32_t> reads;  // values read from memory, in first-use order
  int64_t work = 0;            // grid-stride work items (elements): sizes the default grid
  // Launch geometry when the generator chose it (grid.x == 0: PlanCuda sizes
  // a 256-thread grid from `work`).
  rt::Dim3 grid{0, 1, 1}, block{256, 1, 1};
  bool synchronises = false;   // uses __syncthreads or warp shuffles
  uint32_t launchBounds = 0;   // __launch_bounds__(n) on the function (0: none)
};

}  // namespace dlc::codegen::cuda
