// Which GEMM and convolution kernels run as library calls (cuBLASLt GemmCall,
// cuDNN ConvCall) and how: the call's descriptor, and, when the fusion does
// more than the library's own epilogue, the rest of the fusion as a kernel
// that planCuda generates and runs in place on the call's output.
//
// A Gemm kernel is: views of kernel inputs (reshapes, transposes, slices,
// broadcasts) -> one dot_general -> elementwise ops on its result -> a store
// through transposes and reshapes (FusionRules' checkContraction). Its
// operands become MatrixViews with BatchDims when each group of dimensions
// (batch, m, k, n) collapses to one stride; the library takes the longest
// start of the elementwise chain it computes itself: `+ bias` (a length-n
// vector broadcast over the rows), `+ residual` (C, beta 1: a plain view of
// D's layout; neither for f16/bf16, whose dot the host rounds before the
// add), then `max(x, 0)` (Relu). GELU is not taken (the ONNX default
// is erf-based; cuBLASLt's epilogue is another formula). The call writes that
// value where the fusion's output is, through the store's strides; whatever
// remains of the fusion is the epilogue kernel, which reads it back there.
// A Conv kernel is the same with a convolution of two whole values in the
// ConvParams layout, symmetric padding, `+ bias` per output channel and Relu.
//
// Anything else (integer types, views the library cannot take, sizes it
// refuses, several outputs) stays a generated kernel: planLibraryCall says
// nullopt. Every descriptor it returns passes runtime/cuda's mapGemm/mapConv.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "runtime/Program.h"
#include "runtime/cuda/CudaPlan.h"

namespace dlc::codegen::cuda {

// The rest of a fusion after its library call, as a kernel of its own
// Program: `program` has the real program's value ids (only the values this
// kernel uses are filled in) plus new ones; `kernel` covers all its
// instructions; its one input is a new value that names the fusion's output
// buffer (aliases maps it to the real value id), read back at the index it
// writes.
struct EpilogueKernel {
  rt::Program program;
  rt::Kernel kernel;
  std::map<int32_t, int32_t> aliases;  // value id of `program` -> real value id whose buffer it is
};

struct LibraryCall {
  rt::CudaStep step;                     // kind Gemm or Conv with its call; kernel/epilogue -1
  std::optional<EpilogueKernel> epilogue;
  std::string summary;                   // for the source comment: "cuBLASLt GEMM 64x128x256, BiasRelu"
};

// The library call for Program kernel `kernelIndex`, or nullopt when it
// stays generated. Only Gemm and Conv kernels are considered.
std::optional<LibraryCall> planLibraryCall(const rt::Program& p, size_t kernelIndex, bool allowTf32);

}  // namespace dlc::codegen::cuda
