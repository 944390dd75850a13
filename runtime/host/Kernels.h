// Reference kernels of the host device: one function per dlc core op.
//
// They are the oracle for every pass and backend, so they are written to be
// obviously correct first (plain loops over row-major tensors, f16/bf16
// computed in f32, integer ops with the semantics of the IR). Each kernel
// assumes that its operands and result already have the shapes that the op's
// shape rule (ir/ShapeRules.h) gives: the compiler verified them. Kernels that
// can still fail on data (a gather index out of range, an integer division by
// zero) throw KernelError. An op given a dtype it is not defined on (exp on
// i32, add on i1) throws std::invalid_argument: the verifier should have
// rejected it, so that is a compiler bug.
//
// Numeric policy, shared by every kernel:
// - f16/bf16 are computed in f32 and rounded once to nearest even.
// - Sums, products and dots of float dtypes accumulate in double and round
//   once, except the f32 dotGeneral/convolution fast path (see dotGeneral).
// - Integer arithmetic wraps (two's complement) at the dtype's width,
//   including INT_MIN / -1 (-> INT_MIN) and -INT_MIN. Unsigned dtypes
//   (ui8..ui64) divide, compare, min/max and reduce as unsigned.
// - i1 is logical: reductions and dots over i1 are "any"/"all" (below).
// - Empty tensors (a dimension of 0) and rank-0 tensors work everywhere.
// - Kernels keep no state and may use several threads internally.
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
  Sign,   // -1, 0, 1; NaN stays NaN and -0.0 stays -0.0
  Not,    // logical not on i1, bitwise not on integers
};
// Floats: every kind but Not. Integers: Neg, Abs, Sign, Not (Neg and Abs of
// INT_MIN wrap to INT_MIN; on unsigned dtypes Abs is the identity, Sign is 0
// or 1 and Neg wraps). i1: Not.

enum class BinaryKind : uint8_t {
  Add, Sub, Mul, Div,  // integer Div truncates toward zero
  Pow,                 // integers: repeated multiplication; a negative exponent
                       // gives 0, except for a base of 1 or -1
  Max, Min,            // float Max/Min propagate NaN
  Rem,                 // sign of the dividend (C fmod / truncating %)
  And, Or, Xor,        // logical on i1, bitwise on integers
  Atan2,               // atan2(a, b): the angle of the point (b, a), in [-pi, pi]
  ShiftLeft,           // a << b; 0 when b is outside [0, bit width)
  ShiftRight,          // arithmetic on signed, logical on unsigned; b outside
                       // [0, bit width) gives -1 (negative signed a) or 0
};
// Floats: Add..Rem and Atan2. Integers: all kinds but Atan2; Div and Rem by
// zero throw KernelError("integer division by zero"). i1: And, Or, Xor,
// Max (= Or), Min (= And).

enum class CompareKind : uint8_t { EQ, NE, LT, LE, GT, GE };

enum class ReduceKind : uint8_t { Sum, Max, Min, Prod };

std::string_view unaryKindName(UnaryKind k);
std::string_view binaryKindName(BinaryKind k);
std::string_view compareKindName(CompareKind k);
std::string_view reduceKindName(ReduceKind k);

// --- elementwise (operands and result have the same shape) -----------------
void unary(UnaryKind kind, ConstTensorRef x, TensorRef out);
void binary(BinaryKind kind, ConstTensorRef a, ConstTensorRef b, TensorRef out);
// out is i1. IEEE on floats: any comparison with NaN is false, except NE.
void compare(CompareKind kind, ConstTensorRef a, ConstTensorRef b, TensorRef out);
// pred is i1 of the same shape.
void select(ConstTensorRef pred, ConstTensorRef onTrue, ConstTensorRef onFalse,
            TensorRef out);
// Any dtype to any dtype. float->int truncates toward zero, NaN -> 0, and
// saturates out of range; int->narrower int wraps; to i1 is x != 0 (NaN -> 1);
// to a float dtype rounds once to nearest even (also f64/i64 -> f16/bf16).
void convert(ConstTensorRef x, TensorRef out);
// Copies the bytes: out's dtype has x's storage size (i1 -> i8/ui8 included).
void bitcastConvert(ConstTensorRef x, TensorRef out);

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
// indices are i32 or i64; negative indices count from the end (once); out of
// range throws KernelError("gather: index I is out of range for dimension A of
// size N") before anything is written.
void gather(ConstTensorRef x, ConstTensorRef indices, int64_t axis, TensorRef out);
// How scatter combines an update u with the value v already at its position.
enum class ScatterKind : uint8_t {
  Add,      // v + u (gather's adjoint)
  Mul,      // v * u
  Max, Min, // float max/min propagate NaN
  Replace,  // u
};
std::string_view scatterKindName(ScatterKind k);

// The adjoint of gather, generalised: out = base, then for every index j in
// order, out[.., indices[j], ..] = combine(out[.., indices[j], ..], updates[.., j, ..])
// (updates has the shape gather would produce). Duplicate indices combine in
// index order (Replace: the last wins). Floats are combined in double (f16,
// bf16, f32 rounded once at the end), integers wrap, and i1 is logical: Add
// and Max are "or", Mul and Min "and". Indices are checked as in gather (the
// message says "scatter").
void scatter(ScatterKind kind, ConstTensorRef base, ConstTensorRef indices,
             ConstTensorRef updates, int64_t axis, TensorRef out);
inline void scatterAdd(ConstTensorRef base, ConstTensorRef indices, ConstTensorRef updates,
                       int64_t axis, TensorRef out) {
  scatter(ScatterKind::Add, base, indices, updates, axis, out);
}
void reverse(ConstTensorRef x, const std::vector<int64_t>& dims, TensorRef out);

// --- reductions --------------------------------------------------------------
// Reduces over `dims` (sorted, unique); they are removed from the shape.
// Identity: Sum 0, Prod 1, Max -inf / lowest, Min +inf / highest (of the
// dtype), so reducing an empty dimension gives the identity.
// Float sums and products accumulate in double and round once; float Max/Min
// propagate NaN; integer Sum/Prod wrap. On i1, Sum and Max are "any", Prod
// and Min are "all".
void reduce(ReduceKind kind, ConstTensorRef x, const std::vector<int64_t>& dims,
            TensorRef out);

// --- contractions ------------------------------------------------------------
struct DotDims {
  std::vector<int64_t> lhsBatch, rhsBatch;        // paired batch dimensions
  std::vector<int64_t> lhsContract, rhsContract;  // paired contracting dimensions
};
// out dims: batch dims (in lhsBatch order), then lhs free dims, then rhs free
// dims, each in operand order. Computed as one batched, cache-blocked GEMM on
// operands permuted to [batch, M, K] x [batch, K, N]:
// - f32 accumulates in f32 (the compiler may contract to FMA): each output's
//   K terms are summed in order within blocks of 256 and the block sums added
//   in order. Expect ~1e-6 relative to sum |terms|, not a double-exact result.
// - f16, bf16, f64 accumulate in double and round once.
// - integers wrap at the result width; i1 is "any (a and b)".
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
// im2col + the same GEMM and accumulation policy as dotGeneral (f32 in f32,
// other floats in double); padding contributes zeros.
void convolution(ConstTensorRef input, ConstTensorRef filter, const ConvParams& p,
                 TensorRef out);

// A window reduction over every dimension (pooling). Padding positions take
// the reduction's identity (so max-pool ignores them and sum-pool counts 0;
// sum-pooling ones gives each window's count of real elements, the divisor of
// an average pool that excludes padding). A window entirely in padding gives
// the identity. Accumulation as in reduce.
struct WindowParams {
  std::vector<int64_t> window;       // rank entries, >= 1
  std::vector<int64_t> strides;      // rank entries, >= 1
  std::vector<int64_t> padLow, padHigh;  // rank entries, >= 0
  std::vector<int64_t> dilations;    // rank entries, >= 1 (window dilation)
};
// out.shape[i] = (x.shape[i] + padLow + padHigh - dilations*(window-1) - 1) / strides + 1.
void reduceWindow(ReduceKind kind, ConstTensorRef x, const WindowParams& p, TensorRef out);

// --- sorting -----------------------------------------------------------------
// out (i64, x's shape): the stable sorting permutation of x along `dim`:
// out[.., j, ..] is the index along dim of the element that comes j-th.
// Ascending unless `descending`; equal elements keep their index order in
// both directions. NaN orders above +inf, -0.0 equals 0.0, false < true.
void argsort(ConstTensorRef x, int64_t dim, bool descending, TensorRef out);

}  // namespace dlc::rt
