#include "ir/GraphBuild.h"

#include <algorithm>

#include "ir/ShapeRules.h"

namespace dlc {

using mlir::Type;
using mlir::Value;

namespace {
// The shape rules accept every operand this class is given (see the header);
// a failure here is a bug in the caller, reported by the verifier later, so
// an empty shape stands in.
Dims shapeOf(const ShapeOr& s) { return s.ok() ? s.shape() : Dims{}; }
}  // namespace

Dims GraphBuild::shape(Value v) {
  auto t = v.getType().cast<mlir::RankedTensorType>();
  return Dims(t.getShape().begin(), t.getShape().end());
}

Type GraphBuild::elementType(Value v) {
  return v.getType().cast<mlir::RankedTensorType>().getElementType();
}

bool GraphBuild::isFloatTensor(Type t) {
  auto rt = t.dyn_cast<mlir::RankedTensorType>();
  return rt && rt.getElementType().isa<mlir::FloatType>();
}

mlir::RankedTensorType GraphBuild::type(const Dims& s, Type element) const {
  return mlir::RankedTensorType::get(s, element);
}

Value GraphBuild::splat(double value, Type element, const Dims& s) {
  mlir::Attribute scalar;
  if (auto ft = element.dyn_cast<mlir::FloatType>()) scalar = b.getFloatAttr(ft, value);
  else if (element.isInteger(1)) scalar = b.getBoolAttr(value != 0);
  else scalar = b.getIntegerAttr(element, static_cast<int64_t>(value));
  return b.create<ConstantOp>(loc, mlir::DenseElementsAttr::get(type(s, element), scalar)).getResult();
}

Value GraphBuild::compare(CompareDirection dir, Value x, Value y) {
  return b.create<CompareOp>(loc, type(shape(x), b.getI1Type()),
                             CompareDirectionAttr::get(b.getContext(), dir), x, y)
      .getResult();
}

Value GraphBuild::select(Value pred, Value onTrue, Value onFalse) {
  return b.create<SelectOp>(loc, onTrue.getType(), pred, onTrue, onFalse).getResult();
}

Value GraphBuild::convert(Value x, Type element) {
  if (elementType(x) == element) return x;
  return b.create<ConvertOp>(loc, type(shape(x), element), x).getResult();
}

Value GraphBuild::broadcastInDim(Value x, const Dims& dims, const Dims& target) {
  if (shape(x) == target) {
    bool identity = true;
    for (size_t i = 0; i < dims.size(); ++i) identity &= dims[i] == static_cast<int64_t>(i);
    if (identity) return x;
  }
  return b.create<BroadcastInDimOp>(loc, type(target, elementType(x)), x, arr(dims)).getResult();
}

Value GraphBuild::unreduce(Value reduced, const Dims& dims, const Dims& target) {
  Dims kept;
  for (int64_t i = 0; i < static_cast<int64_t>(target.size()); ++i)
    if (std::find(dims.begin(), dims.end(), i) == dims.end()) kept.push_back(i);
  return broadcastInDim(reduced, kept, target);
}

Value GraphBuild::reshape(Value x, const Dims& target) {
  if (shape(x) == target) return x;
  return b.create<ReshapeOp>(loc, type(target, elementType(x)), x).getResult();
}

Value GraphBuild::transpose(Value x, const Dims& perm) {
  bool identity = true;
  for (size_t i = 0; i < perm.size(); ++i) identity &= perm[i] == static_cast<int64_t>(i);
  if (identity) return x;
  return b.create<TransposeOp>(loc, type(shapeOf(inferTranspose(shape(x), perm)), elementType(x)), x,
                               arr(perm))
      .getResult();
}

Value GraphBuild::slice(Value x, const Dims& start, const Dims& limit, const Dims& strides) {
  Dims s = shapeOf(inferSlice(shape(x), start, limit, strides));
  if (s == shape(x)) return x;  // the whole tensor
  return b.create<SliceOp>(loc, type(s, elementType(x)), x, arr(start), arr(limit), arr(strides))
      .getResult();
}

Value GraphBuild::pad(Value x, Value padValue, const Dims& low, const Dims& high,
                      const Dims& interior) {
  bool none = true;
  for (size_t i = 0; i < low.size(); ++i) none &= low[i] == 0 && high[i] == 0 && interior[i] == 0;
  if (none) return x;
  Dims s = shapeOf(inferPad(shape(x), low, high, interior));
  return b.create<PadOp>(loc, type(s, elementType(x)), x, padValue, arr(low), arr(high), arr(interior))
      .getResult();
}

Value GraphBuild::reverse(Value x, const Dims& dims) {
  if (dims.empty()) return x;
  return b.create<ReverseOp>(loc, x.getType(), x, arr(dims)).getResult();
}

Value GraphBuild::gather(Value x, Value indices, int64_t axis) {
  Dims s = shapeOf(inferGather(shape(x), shape(indices), axis));
  return b.create<GatherOp>(loc, type(s, elementType(x)), x, indices, b.getI64IntegerAttr(axis))
      .getResult();
}

Value GraphBuild::scatter(ScatterKind kind, Value base, Value indices, Value updates, int64_t axis) {
  return b
      .create<ScatterOp>(loc, base.getType(), ScatterKindAttr::get(b.getContext(), kind), base, indices,
                         updates, b.getI64IntegerAttr(axis))
      .getResult();
}

Value GraphBuild::reduce(ReduceKind kind, Value x, Dims dims) {
  if (dims.empty()) return x;
  std::sort(dims.begin(), dims.end());
  Dims s = shapeOf(inferReduce(shape(x), dims));
  return b
      .create<ReduceOp>(loc, type(s, elementType(x)), ReduceKindAttr::get(b.getContext(), kind), x,
                        arr(dims))
      .getResult();
}

Value GraphBuild::reduceAll(ReduceKind kind, Value x) {
  Dims all;
  for (int64_t i = 0; i < rank(x); ++i) all.push_back(i);
  return reduce(kind, x, all);
}

Value GraphBuild::dotGeneral(Value lhs, Value rhs, const Dims& lhsBatch, const Dims& rhsBatch,
                             const Dims& lhsContract, const Dims& rhsContract) {
  Dims s = shapeOf(inferDotGeneral(shape(lhs), shape(rhs), lhsBatch, rhsBatch, lhsContract, rhsContract));
  return b
      .create<DotGeneralOp>(loc, type(s, elementType(lhs)), lhs, rhs, arr(lhsBatch), arr(rhsBatch),
                            arr(lhsContract), arr(rhsContract))
      .getResult();
}

Value GraphBuild::convolution(Value input, Value filter, const Dims& strides, const Dims& padLow,
                              const Dims& padHigh, const Dims& dilations, int64_t groups) {
  Dims s = shapeOf(inferConvolution(shape(input), shape(filter), strides, padLow, padHigh, dilations, groups));
  return b
      .create<ConvolutionOp>(loc, type(s, elementType(input)), input, filter, arr(strides), arr(padLow),
                             arr(padHigh), arr(dilations), b.getI64IntegerAttr(groups))
      .getResult();
}

Value GraphBuild::reduceWindow(ReduceKind kind, Value x, const Dims& window, const Dims& strides,
                               const Dims& padLow, const Dims& padHigh, const Dims& dilations) {
  Dims s = shapeOf(inferReduceWindow(shape(x), window, strides, padLow, padHigh, dilations));
  return b
      .create<ReduceWindowOp>(loc, type(s, elementType(x)), ReduceKindAttr::get(b.getContext(), kind), x,
                              arr(window), arr(strides), arr(padLow), arr(padHigh), arr(dilations))
      .getResult();
}

}  // namespace dlc
