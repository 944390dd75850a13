// Reference kernels of the host device: one function per dlc core op.
//
// They are the oracle for every pass and backend, so they are written to be
// obviously correct first (plain loops over row-major tensors, f16/bf16
// computed in f32, integer ops with the semantics of the IR). Each kernel
// assumes that its operands and result already have the shapes that the op's
// shape rule (ir/ShapeRules.h) gives: the compiler verified them. Kernels that
// can still fail on data (a gather index out of range) throw KernelError.
//
// MLIR-free: the runtime links this without LLVM.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "runtime/Tensor.h"

namespace dlc::rt {

// A failure that depends on the data, not on the program (index out of range).
struct KernelError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

enum class UnaryKind : uint8_t {
  Neg, Abs, Exp, Log, Sqrt, Rsqrt, Tanh, Logistic, Erf, Sin, Cos,
  Floor, Ceil,
  Round,  // half to even, as ONNX Round
  Sign,
  Not,    // logical not on i1, bitwise not on integers
};

enum class BinaryKind : uint8_t {
  Add, Sub, Mul, Div,  // integer Div truncates toward zero
  Pow,
  Max, Min,            // float Max/Min propagate NaN
  Rem,                 // sign of the dividend (C fmod / truncating %)
  And, Or, Xor,        // logical on i1, bitwise on integers
};

enum class CompareKind : uint8_t { EQ, NE, LT, LE, GT, GE };

enum class ReduceKind : uint8_t { Sum, Max, Min, Prod };

std::string_view unaryKindName(UnaryKind k);
std::string_view binaryKindName(BinaryKind k);
std::string_view compareKindName(CompareKind k);
std::string_view reduceKindName(ReduceKind k);

// --- elementwise (operands and result have the same shape) -----------------
void unary(UnaryKind kind, ConstTensorRef x, TensorRef out);
void binary(BinaryKind kind, ConstTensorRef a, ConstTensorRef b, TensorRef out);
// out is i1.
void compare(CompareKind kind, ConstTensorRef a, ConstTensorRef b, TensorRef out);
// pred is i1 of the same shape.
void select(ConstTensorRef pred, ConstTensorRef onTrue, ConstTensorRef onFalse,
            TensorRef out);
// Any dtype to any dtype. float->int truncates toward zero; to i1 is x != 0.
void convert(ConstTensorRef x, TensorRef out);

// --- generators --------------------------------------------------------------
// out[i0, ..., in] = i_dim.
void iota(int64_t dim, TensorRef out);

// --- data movement -----------------------------------------------------------
// dims[i] is the result dimension that operand dimension i maps to; operand
// dims of size 1 broadcast.
void broadcastInDim(ConstTensorRef x, const std::vector<int64_t>& dims, TensorRef out);
// Same element count; row-major order is kept.
void reshape(ConstTensorRef x, TensorRef out);
// out.shape[i] = x.shape[perm[i]].
void transpose(ConstTensorRef x, const std::vector<int64_t>& perm, TensorRef out);
// Per dimension [start, limit) with a positive stride.
void slice(ConstTensorRef x, const std::vector<int64_t>& start,
           const std::vector<int64_t>& limit, const std::vector<int64_t>& strides,
           TensorRef out);
void concatenate(const std::vector<ConstTensorRef>& xs, int64_t dim, TensorRef out);
// padValue is a rank-0 tensor of x's dtype. low/high may be negative (crop);
// interior >= 0 inserts that many pad elements between neighbours.
void pad(ConstTensorRef x, ConstTensorRef padValue, const std::vector<int64_t>& low,
         const std::vector<int64_t>& high, const std::vector<int64_t>& interior,
         TensorRef out);
// ONNX Gather: out.shape = x.shape[:axis] + indices.shape + x.shape[axis+1:].
// indices are i32 or i64; negative indices count from the end; out of range
// throws KernelError.
void gather(ConstTensorRef x, ConstTensorRef indices, int64_t axis, TensorRef out);
// The adjoint of gather: out = base, then out[.., indices[j], ..] += updates[.., j, ..]
// (updates has the shape gather would produce). Duplicate indices accumulate.
void scatterAdd(ConstTensorRef base, ConstTensorRef indices, ConstTensorRef updates,
                int64_t axis, TensorRef out);
void reverse(ConstTensorRef x, const std::vector<int64_t>& dims, TensorRef out);

// --- reductions --------------------------------------------------------------
// Reduces over `dims` (sorted, unique); they are removed from the shape.
// Identity: Sum 0, Prod 1, Max -inf / lowest, Min +inf / highest.
// Float sums accumulate in double and round once.
void reduce(ReduceKind kind, ConstTensorRef x, const std::vector<int64_t>& dims,
            TensorRef out);

// --- contractions ------------------------------------------------------------
struct DotDims {
  std::vector<int64_t> lhsBatch, rhsBatch;        // paired batch dimensions
  std::vector<int64_t> lhsContract, rhsContract;  // paired contracting dimensions
};
// out dims: batch dims (in lhsBatch order), then lhs free dims, then rhs free
// dims, each in operand order. Floats accumulate in double.
void dotGeneral(ConstTensorRef lhs, ConstTensorRef rhs, const DotDims& dims, TensorRef out);

// Convolution in the layout the ONNX frontend uses: input N x C x S1..Sk,
// filter O x (C/groups) x K1..Kk, output N x O x R1..Rk, k >= 1.
struct ConvParams {
  std::vector<int64_t> strides;      // k entries, >= 1
  std::vector<int64_t> padLow, padHigh;  // k entries, >= 0
  std::vector<int64_t> dilations;    // k entries, >= 1 (filter dilation)
  int64_t groups = 1;                // C % groups == 0 and O % groups == 0
};
// R_i = (S_i + padLow_i + padHigh_i - dilations_i*(K_i-1) - 1) / strides_i + 1.
void convolution(ConstTensorRef input, ConstTensorRef filter, const ConvParams& p,
                 TensorRef out);

// A window reduction over every dimension (pooling). Padding positions take
// the reduction's identity (so max-pool ignores them and sum-pool counts 0).
struct WindowParams {
  std::vector<int64_t> window;       // rank entries, >= 1
  std::vector<int64_t> strides;      // rank entries, >= 1
  std::vector<int64_t> padLow, padHigh;  // rank entries, >= 0
  std::vector<int64_t> dilations;    // rank entries, >= 1 (window dilation)
};
// out.shape[i] = (x.shape[i] + padLow + padHigh - dilations*(window-1) - 1) / strides + 1.
void reduceWindow(ReduceKind kind, ConstTensorRef x, const WindowParams& p, TensorRef out);

}  // namespace dlc::rt
