// Builds dlc core ops with their result types computed by the shape rules.
// Shared by the frontends (ONNX, later the DSL): a decomposition writes
// `e.add(e.mul(x, y), b)` and never spells a result type.
//
// Errors in the model (shapes that do not fit) are reported by throwing
// EmitError with the reason; the frontend adds the node and location.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "ir/Dialect.h"
#include "ir/ShapeRules.h"
#include "runtime/Tensor.h"

#include "mlir/IR/Builders.h"

namespace dlc {

struct EmitError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Emitter {
 public:
  Emitter(mlir::OpBuilder& b, mlir::Location loc) : b_(b), loc_(loc) {}

  mlir::OpBuilder& builder() { return b_; }
  mlir::Location loc() const { return loc_; }
  void setLoc(mlir::Location loc) { loc_ = loc; }

  // --- types -----------------------------------------------------------------
  static Dims shape(mlir::Value v);
  static mlir::Type elementType(mlir::Value v);
  static int64_t rank(mlir::Value v) { return static_cast<int64_t>(shape(v).size()); }
  mlir::RankedTensorType tensorType(const Dims& shape, mlir::Type element);
  mlir::Type elementTypeOf(rt::DType t);

  // --- constants -------------------------------------------------------------
  mlir::Value constant(const rt::HostTensor& t);
  // A constant of `shape` filled with `value`, of the given element type.
  mlir::Value splat(double value, mlir::Type element, const Dims& shape = {});
  mlir::Value splatLike(double value, mlir::Value like) {
    return splat(value, elementType(like), shape(like));
  }

  // --- elementwise -----------------------------------------------------------
  template <typename OpT>
  mlir::Value unary(mlir::Value x) {
    return b_.create<OpT>(loc_, x).getResult();
  }
  // Numpy (ONNX multidirectional) broadcasting, then the op.
  template <typename OpT>
  mlir::Value binary(mlir::Value a, mlir::Value b) {
    auto [x, y] = broadcastPair(a, b);
    return b_.create<OpT>(loc_, x, y).getResult();
  }
  mlir::Value add(mlir::Value a, mlir::Value b) { return binary<AddOp>(a, b); }
  mlir::Value sub(mlir::Value a, mlir::Value b) { return binary<SubOp>(a, b); }
  mlir::Value mul(mlir::Value a, mlir::Value b) { return binary<MulOp>(a, b); }
  mlir::Value div(mlir::Value a, mlir::Value b) { return binary<DivOp>(a, b); }
  mlir::Value max(mlir::Value a, mlir::Value b) { return binary<MaxOp>(a, b); }
  mlir::Value min(mlir::Value a, mlir::Value b) { return binary<MinOp>(a, b); }
  mlir::Value compare(CompareDirection dir, mlir::Value a, mlir::Value b);
  mlir::Value select(mlir::Value pred, mlir::Value onTrue, mlir::Value onFalse);
  mlir::Value convert(mlir::Value x, mlir::Type element);

  // --- shapes ----------------------------------------------------------------
  // The ONNX/numpy broadcast of two shapes, or EmitError.
  static Dims broadcastShapes(const Dims& a, const Dims& b);
  // Broadcasts x (numpy rules: trailing alignment) to `shape`.
  mlir::Value broadcastTo(mlir::Value x, const Dims& shape);
  mlir::Value broadcastInDim(mlir::Value x, const Dims& dims, const Dims& shape);
  mlir::Value reshape(mlir::Value x, const Dims& shape);
  mlir::Value transpose(mlir::Value x, const Dims& perm);
  mlir::Value slice(mlir::Value x, const Dims& start, const Dims& limit, const Dims& strides);
  mlir::Value concatenate(const std::vector<mlir::Value>& xs, int64_t dim);
  mlir::Value pad(mlir::Value x, mlir::Value padValue, const Dims& low, const Dims& high,
                  const Dims& interior);

  // --- reductions and contractions -------------------------------------------
  mlir::Value reduce(ReduceKind kind, mlir::Value x, Dims dims);
  // Reduces over dims and broadcasts the result back to x's shape (softmax,
  // normalisations).
  mlir::Value reduceKeep(ReduceKind kind, mlir::Value x, const Dims& dims);
  // Broadcasts the result of a reduction over `dims` back to `shape`.
  mlir::Value unreduce(mlir::Value reduced, const Dims& dims, const Dims& shape);
  mlir::Value dotGeneral(mlir::Value lhs, mlir::Value rhs, const Dims& lhsBatch,
                         const Dims& rhsBatch, const Dims& lhsContract, const Dims& rhsContract);
  mlir::Value convolution(mlir::Value input, mlir::Value filter, const Dims& strides,
                          const Dims& padLow, const Dims& padHigh, const Dims& dilations,
                          int64_t groups);
  mlir::Value reduceWindow(ReduceKind kind, mlir::Value x, const Dims& window,
                           const Dims& strides, const Dims& padLow, const Dims& padHigh,
                           const Dims& dilations);

  // --- math family: numerics helpers for activations and normalisations ----
  // The element type a formula of several ops on x runs in: f32 for f16 and
  // bf16 (rounded once at the end, as PyTorch's "opmath" does), else x's.
  mlir::Type computeType(mlir::Value x);
  // Mean and population variance of x over `dims`, with those dims dropped.
  // Two-pass: the variance is the mean squared deviation from the mean, which
  // does not cancel as E[x^2] - E[x]^2 does.
  std::pair<mlir::Value, mlir::Value> moments(mlir::Value x, const Dims& dims);
  // --- types family (quantized ops) ------------------------------------------
  // numpy matmul: rank-1 operands are promoted to matrices and the added
  // dimension removed again; batch dimensions broadcast.
  mlir::Value matmul(mlir::Value a, mlir::Value b);
  // --- reductions, scans, sorting (reduce family: Reduce, Einsum, Loss, TopK) -
  // Indices along `dim` of a tensor of `shape`: element [i0, .., in] = i_dim.
  mlir::Value iota(const Dims& shape, int64_t dim, mlir::Type element);
  // numpy take_along_axis: out has idx's shape and
  // out[.., j, ..] = x[.., idx[.., j, ..], ..] along `dim`, other dims equal.
  // Built as one gather from the flattened x, so every index must already be
  // in [0, x.shape[dim]) (out of range reads another row or fails at run time).
  mlir::Value takeAlongDim(mlir::Value x, mlir::Value idx, int64_t dim);
  // dlc.argsort: the stable sorting permutation along dim, as i64.
  mlir::Value argsort(mlir::Value x, int64_t dim, bool descending);
  // --- shape, creation and indexing family (ops/Shape.cpp, ops/Indexing.cpp) --
  // ONNX Gather along one axis (dlc.gather).
  mlir::Value gather(mlir::Value x, mlir::Value indices, int64_t axis);
  // dlc.scatter: updates (of gather's result shape) combined into base.
  mlir::Value scatter(ScatterKind kind, mlir::Value base, mlir::Value indices,
                      mlir::Value updates, int64_t axis);
  mlir::Value reverse(mlir::Value x, const Dims& dims);

 private:
  std::pair<mlir::Value, mlir::Value> broadcastPair(mlir::Value a, mlir::Value b);
  mlir::DenseI64ArrayAttr arr(const Dims& d) { return b_.getDenseI64ArrayAttr(d); }
  Dims check(const ShapeOr& s);

  mlir::OpBuilder& b_;
  mlir::Location loc_;
};

}  // namespace dlc
