// What the CUDA device checks of a CudaPlan before it touches the GPU, and
// how a kernel's status code becomes a run-time error. Pure (no CUDA), so
// both are unit-tested without a GPU.
#pragma once

#include <cstdint>
#include <string>

#include "runtime/Program.h"
#include "runtime/cuda/CudaPlan.h"

namespace dlc::rt::cuda {

// Throws InvalidProgram ("CUDA plan: ...", the compiler's fault) unless:
// there is one step per Program kernel, in order; every kernel, epilogue and
// value index is in range; launch geometry is non-zero in block and at most
// 1024 threads; a GemmCall's dtypes are its values' and each view (with its
// batch strides) stays inside its value; a ConvCall's shapes and dtype are
// its values'.
void verifyPlan(const Program& program, const CudaPlan& plan);

// The RunError message for status `code` reported by the step of Program
// kernel `kernel`: names the instruction that can fail that way (a gather or
// scatter, an integer division) as the host device does, else the kernel.
std::string statusMessage(const Program& program, const Kernel& kernel, int32_t code);

}  // namespace dlc::rt::cuda
