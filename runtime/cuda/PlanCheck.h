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
// its values', except for a staged result (below), which then has an
// epilogue whose first argument is the output value.
void verifyPlan(const Program& program, const CudaPlan& plan);

// True when the step's library call writes another element type than its
// output value holds (mixed precision: an f32 GEMM result that the epilogue
// converts to f16, a 16-bit convolution the epilogue widens to f32). The
// call then writes into a scratch buffer of the output's element count in
// its own type (GemmCall::cdType, ConvCall::dtype; the D view's offsets and
// strides apply to it unchanged), and the epilogue kernel reads it from
// there: its first argument, which names the output value, is given the
// scratch buffer instead of the output's.
bool stagedByType(const Program& program, const CudaStep& step);

// The RunError message for status `code` reported by the step of Program
// kernel `kernel`: names the instruction that can fail that way (a gather or
// scatter, an integer division) as the host device does, else the kernel.
std::string statusMessage(const Program& program, const Kernel& kernel, int32_t code);

}  // namespace dlc::rt::cuda
