// Program -> CudaPlan: the CUDA C++ module of a compiled model and how each of
// its kernels runs (a generated kernel, or a cuBLASLt/cuDNN call with an
// optional generated epilogue). Works on the MLIR-free Program that
// codegen/host lowers the fused IR to, so it holds the same kernel order and
// memory plan as the host device. Fills CudaPlan::source, kernels and steps;
// compileModule (Nvrtc.h) fills ptx and cubin.
#pragma once

#include <stdexcept>
#include <string>

#include "runtime/Program.h"
#include "runtime/cuda/CudaPlan.h"

namespace dlc::codegen {

struct CudaTarget {
  std::string arch = "sm_90";  // sm_XY
  int smCount = 132;           // sizes grids (grid-stride loops keep any grid correct)
  bool allowTf32 = false;      // TF32 in cuBLASLt/cuDNN calls (fp32 otherwise)
  bool useLibraries = true;    // false: every kernel generated (no cuBLASLt/cuDNN)
};

// A kernel codegen cannot emit: the compiler's fault or a missing feature;
// the message names the Program kernel's source op.
struct CodegenError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

rt::CudaPlan planCuda(const rt::Program& program, const CudaTarget& target);

}  // namespace dlc::codegen
