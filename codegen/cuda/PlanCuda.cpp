#include "codegen/cuda/PlanCuda.h"

namespace dlc::codegen {

// Placeholder until the CUDA code generator lands.
rt::CudaPlan planCuda(const rt::Program&, const CudaTarget&) {
  throw CodegenError("CUDA code generation is not implemented yet");
}

}  // namespace dlc::codegen
