// Builds core ops from valid operands with their result types computed on
// the spot, for code that generates IR inside the compiler: the gradient
// rules (ir/Gradients*.cpp) and the training-step builder
// (passes/TrainingStep.cpp). The frontends use frontend/Emitter instead,
// which also checks the user's shapes and throws; here the operands come
// from verified IR, so every shape fits by construction (and the verifier
// run after the pass catches a rule that got one wrong).
#pragma once

#include <vector>

#include "ir/Dialect.h"

#include "mlir/IR/Builders.h"

namespace dlc {

using Dims = std::vector<int64_t>;

class GraphBuild {
 public:
  GraphBuild(mlir::OpBuilder& b, mlir::Location loc) : b(b), loc(loc) {}

  static Dims shape(mlir::Value v);
  static mlir::Type elementType(mlir::Value v);
  // A ranked tensor type of float elements: what has a gradient.
  static bool isFloatTensor(mlir::Type t);
  static bool isFloat(mlir::Value v) { return isFloatTensor(v.getType()); }
  static int64_t rank(mlir::Value v) { return static_cast<int64_t>(shape(v).size()); }
  mlir::RankedTensorType type(const Dims& s, mlir::Type element) const;

  mlir::Value splat(double value, mlir::Type element, const Dims& s);
  mlir::Value splatLike(double value, mlir::Value like) {
    return splat(value, elementType(like), shape(like));
  }
  mlir::Value zerosLike(mlir::Value like) { return splatLike(0.0, like); }

  template <typename OpT>
  mlir::Value unary(mlir::Value x) {
    return b.create<OpT>(loc, x.getType(), x).getResult();
  }
  template <typename OpT>
  mlir::Value binary(mlir::Value x, mlir::Value y) {
    return b.create<OpT>(loc, x.getType(), x, y).getResult();
  }
  mlir::Value add(mlir::Value x, mlir::Value y) { return binary<AddOp>(x, y); }
  mlir::Value sub(mlir::Value x, mlir::Value y) { return binary<SubOp>(x, y); }
  mlir::Value mul(mlir::Value x, mlir::Value y) { return binary<MulOp>(x, y); }
  mlir::Value div(mlir::Value x, mlir::Value y) { return binary<DivOp>(x, y); }
  mlir::Value neg(mlir::Value x) { return unary<NegOp>(x); }
  // x * c and x + c with a splat constant c of x's type.
  mlir::Value scale(mlir::Value x, double c) { return mul(x, splatLike(c, x)); }
  mlir::Value shift(mlir::Value x, double c) { return add(x, splatLike(c, x)); }
  // a + b where either may be null (no contribution).
  mlir::Value accumulate(mlir::Value a, mlir::Value b) { return !a ? b : !b ? a : add(a, b); }

  mlir::Value compare(CompareDirection dir, mlir::Value x, mlir::Value y);
  mlir::Value select(mlir::Value pred, mlir::Value onTrue, mlir::Value onFalse);
  mlir::Value convert(mlir::Value x, mlir::Type element);

  mlir::Value broadcastInDim(mlir::Value x, const Dims& dims, const Dims& target);
  // Broadcasts a reduction's result over `dims` back to `target`.
  mlir::Value unreduce(mlir::Value reduced, const Dims& dims, const Dims& target);
  mlir::Value reshape(mlir::Value x, const Dims& target);
  mlir::Value transpose(mlir::Value x, const Dims& perm);  // identity perms are skipped
  mlir::Value slice(mlir::Value x, const Dims& start, const Dims& limit, const Dims& strides);
  mlir::Value pad(mlir::Value x, mlir::Value padValue, const Dims& low, const Dims& high,
                  const Dims& interior);
  mlir::Value reverse(mlir::Value x, const Dims& dims);
  mlir::Value gather(mlir::Value x, mlir::Value indices, int64_t axis);
  mlir::Value scatter(ScatterKind kind, mlir::Value base, mlir::Value indices, mlir::Value updates,
                      int64_t axis);
  mlir::Value reduce(ReduceKind kind, mlir::Value x, Dims dims);  // dims in any order
  mlir::Value reduceAll(ReduceKind kind, mlir::Value x);          // to a rank-0 tensor
  mlir::Value dotGeneral(mlir::Value lhs, mlir::Value rhs, const Dims& lhsBatch,
                         const Dims& rhsBatch, const Dims& lhsContract, const Dims& rhsContract);
  mlir::Value convolution(mlir::Value input, mlir::Value filter, const Dims& strides,
                          const Dims& padLow, const Dims& padHigh, const Dims& dilations,
                          int64_t groups);
  mlir::Value reduceWindow(ReduceKind kind, mlir::Value x, const Dims& window, const Dims& strides,
                           const Dims& padLow, const Dims& padHigh, const Dims& dilations);

  mlir::OpBuilder& b;
  mlir::Location loc;

 private:
  mlir::DenseI64ArrayAttr arr(const Dims& d) { return b.getDenseI64ArrayAttr(d); }
};

}  // namespace dlc
