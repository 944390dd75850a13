// What the CUDA device runs for a Program: one CUDA C++ module holding the
// generated kernels (its source, and the PTX/CUBIN NVRTC made of it), and one
// step per Program kernel, in the Program's order: a generated kernel launch,
// or a library call (cuBLASLt GEMM, cuDNN convolution) optionally followed by
// a generated epilogue kernel. Buffers are the Program's values: the device
// places them exactly where the host device does (inputs, constants, the
// arena at ValueInfo::offset, outputs with a buffer of their own).
//
// codegen/cuda makes a CudaPlan from a Program; runtime/cuda runs it; the
// executable file (runtime/Executable.h) stores it. MLIR-free and free of
// CUDA headers, so every part of dlc can include it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/DType.h"

namespace dlc::rt {

struct Dim3 {
  uint32_t x = 1, y = 1, z = 1;
  bool operator==(const Dim3& o) const { return x == o.x && y == o.y && z == o.z; }
};

// Data errors a generated kernel reports through its status word (the last
// parameter of every kernel, an `int*` the runtime zeroes before a run): the
// first nonzero code stored wins (atomicCAS from 0). The runtime turns it into
// a RunError naming the step's source op, as the host device does.
enum class KernelStatus : int32_t {
  Ok = 0,
  IndexOutOfRange = 1,   // gather/scatter index outside its dimension
  IntegerDivByZero = 2,  // integer div/rem by zero
};

// One __global__ function of the module.
struct CudaKernel {
  std::string name;     // extern "C" entry point, e.g. "k3_loop_add_max"
  std::string fused;    // the core ops it computes, e.g. "dot_general, add, max"
  Dim3 grid, block;
  uint32_t sharedBytes = 0;  // dynamic shared memory
  // Parameters in order: a device pointer per value id (the kernel's inputs,
  // then its outputs), then `int* status`.
  std::vector<int32_t> args;
};

// A strided 2-D view (rows x cols, strides in elements) of a value's buffer,
// starting `offset` elements in.
struct MatrixView {
  int32_t value = -1;
  int64_t offset = 0;
  int64_t rows = 0, cols = 0;
  int64_t rowStride = 0, colStride = 0;
};

// One batch dimension of a GEMM: `count` matrices, each operand advancing by
// its stride (elements; 0 broadcasts that operand over the dimension).
struct BatchDim {
  int64_t count = 1;
  int64_t strideA = 0, strideB = 0, strideC = 0, strideD = 0;
};

enum class GemmEpilogue : uint8_t { None, Bias, Relu, BiasRelu, Gelu, BiasGelu };

// D = epilogue(alpha * A x B + beta * C) for every batch index, in row-major
// terms: A is m x k, B is k x n, C and D are m x n. A view with colStride 1 is
// row-major, with rowStride 1 column-major (a transposed operand); other
// strides are not a cuBLASLt layout and codegen does not emit them. C may
// alias D (same view): the residual added in place. Accumulates in f32
// (f64 for f64); TF32 only when allowTf32.
struct GemmCall {
  DType aType = DType::F32, bType = DType::F32, cdType = DType::F32;
  int64_t m = 0, n = 0, k = 0;
  MatrixView a, b, c, d;        // c.value == -1: no C term
  std::vector<BatchDim> batch;  // outermost first; empty: one product
  float alpha = 1.0f, beta = 0.0f;
  GemmEpilogue epilogue = GemmEpilogue::None;
  int32_t bias = -1;            // Bias* epilogues: a length-n vector, added to every row
  bool allowTf32 = false;
};

enum class ConvActivation : uint8_t { None, Relu };

// y = act(conv(x, w) + bias) in the layout of runtime ConvParams: x is
// N x C x S1..Sk, w is O x C/groups x K1..Kk, y is N x O x R1..Rk, all
// contiguous values of `dtype`; bias (optional) has O elements.
struct ConvCall {
  DType dtype = DType::F32;
  int32_t x = -1, w = -1, y = -1, bias = -1;
  Shape xShape, wShape, yShape;
  std::vector<int64_t> strides, padLow, padHigh, dilations;
  int64_t groups = 1;
  ConvActivation activation = ConvActivation::None;
  bool allowTf32 = false;
};

enum class StepKind : uint8_t { Kernel, Gemm, Conv };

// How one Program kernel runs on the device.
struct CudaStep {
  StepKind kind = StepKind::Kernel;
  int32_t programKernel = -1;  // index into Program::kernels
  int32_t kernel = -1;         // Kernel: index into CudaPlan::kernels
  GemmCall gemm;               // Gemm
  ConvCall conv;               // Conv
  // Gemm/Conv: a generated kernel run right after the library call, which
  // finishes the fusion in place on the call's output (-1: none).
  int32_t epilogue = -1;
};

struct CudaPlan {
  std::string arch = "sm_90";     // the target the PTX/CUBIN were built for
  std::string nvrtcVersion;       // "13.0"
  std::string source;             // the module: every kernel, one translation unit
  std::string ptx;                // NVRTC's PTX for arch (compute_XX)
  std::string cubin;              // NVRTC's CUBIN for arch (empty: the driver JITs the PTX)
  std::vector<CudaKernel> kernels;
  std::vector<CudaStep> steps;    // one per Program kernel, in order
};

}  // namespace dlc::rt
