#include "frontend/Emitter.h"

#include "ir/TensorConversions.h"

#include "mlir/IR/BuiltinAttributes.h"

using namespace mlir;

namespace dlc {

Dims Emitter::shape(Value v) {
  auto s = v.getType().cast<RankedTensorType>().getShape();
  return Dims(s.begin(), s.end());
}

Type Emitter::elementType(Value v) { return v.getType().cast<RankedTensorType>().getElementType(); }

RankedTensorType Emitter::tensorType(const Dims& shape, Type element) {
  return RankedTensorType::get(shape, element);
}

Type Emitter::elementTypeOf(rt::DType t) { return dlc::elementTypeOf(b_.getContext(), t); }

Dims Emitter::check(const ShapeOr& s) {
  if (!s.ok()) throw EmitError(s.message());
  return s.shape();
}

Value Emitter::constant(const rt::HostTensor& t) {
  return b_.create<ConstantOp>(loc_, attrFromHostTensor(b_.getContext(), t)).getResult();
}

Value Emitter::splat(double value, Type element, const Dims& shape) {
  auto type = tensorType(shape, element);
  Attribute scalar;
  if (auto ft = element.dyn_cast<FloatType>())
    scalar = b_.getFloatAttr(ft, value);
  else if (element.isInteger(1))
    scalar = b_.getBoolAttr(value != 0);
  else
    scalar = b_.getIntegerAttr(element, static_cast<int64_t>(value));
  return b_.create<ConstantOp>(loc_, DenseElementsAttr::get(type, scalar)).getResult();
}

Value Emitter::compare(CompareDirection dir, Value a, Value b) {
  auto [x, y] = broadcastPair(a, b);
  auto type = tensorType(shape(x), b_.getI1Type());
  return b_.create<CompareOp>(loc_, type, CompareDirectionAttr::get(b_.getContext(), dir), x, y)
      .getResult();
}

Value Emitter::select(Value pred, Value onTrue, Value onFalse) {
  Dims s = broadcastShapes(broadcastShapes(shape(pred), shape(onTrue)), shape(onFalse));
  return b_
      .create<SelectOp>(loc_, broadcastTo(pred, s), broadcastTo(onTrue, s),
                        broadcastTo(onFalse, s))
      .getResult();
}

Value Emitter::convert(Value x, Type element) {
  if (elementType(x) == element) return x;
  return b_.create<ConvertOp>(loc_, tensorType(shape(x), element), x).getResult();
}

Dims Emitter::broadcastShapes(const Dims& a, const Dims& b) {
  size_t r = std::max(a.size(), b.size());
  Dims out(r);
  for (size_t i = 0; i < r; ++i) {
    int64_t da = i < r - a.size() ? 1 : a[i - (r - a.size())];
    int64_t db = i < r - b.size() ? 1 : b[i - (r - b.size())];
    if (da != db && da != 1 && db != 1)
      throw EmitError("shapes " + dimsString(a) + " and " + dimsString(b) +
                      " cannot be broadcast together");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

Value Emitter::broadcastTo(Value x, const Dims& target) {
  Dims s = shape(x);
  if (s == target) return x;
  if (s.size() > target.size())
    throw EmitError("cannot broadcast " + dimsString(s) + " to lower rank " + dimsString(target));
  Dims dims;
  for (size_t i = 0; i < s.size(); ++i) dims.push_back(target.size() - s.size() + i);
  return broadcastInDim(x, dims, target);
}

Value Emitter::broadcastInDim(Value x, const Dims& dims, const Dims& target) {
  check(checkBroadcastInDim(shape(x), dims, target));
  return b_.create<BroadcastInDimOp>(loc_, tensorType(target, elementType(x)), x, arr(dims))
      .getResult();
}

std::pair<Value, Value> Emitter::broadcastPair(Value a, Value b) {
  if (elementType(a) != elementType(b)) {
    std::string ta, tb;
    llvm::raw_string_ostream(ta) << elementType(a);
    llvm::raw_string_ostream(tb) << elementType(b);
    throw EmitError("operand element types differ: " + ta + " and " + tb);
  }
  Dims s = broadcastShapes(shape(a), shape(b));
  return {broadcastTo(a, s), broadcastTo(b, s)};
}

Value Emitter::reshape(Value x, const Dims& target) {
  if (shape(x) == target) return x;
  if (rt::numElements(shape(x)) != rt::numElements(target))
    throw EmitError("cannot reshape " + dimsString(shape(x)) + " to " + dimsString(target));
  return b_.create<ReshapeOp>(loc_, tensorType(target, elementType(x)), x).getResult();
}

Value Emitter::transpose(Value x, const Dims& perm) {
  Dims s = check(inferTranspose(shape(x), perm));
  return b_.create<TransposeOp>(loc_, tensorType(s, elementType(x)), x, arr(perm)).getResult();
}

Value Emitter::slice(Value x, const Dims& start, const Dims& limit, const Dims& strides) {
  Dims s = check(inferSlice(shape(x), start, limit, strides));
  return b_
      .create<SliceOp>(loc_, tensorType(s, elementType(x)), x, arr(start), arr(limit),
                       arr(strides))
      .getResult();
}

Value Emitter::concatenate(const std::vector<Value>& xs, int64_t dim) {
  std::vector<Dims> shapes;
  for (Value x : xs) {
    if (elementType(x) != elementType(xs[0])) throw EmitError("inputs have different element types");
    shapes.push_back(shape(x));
  }
  Dims s = check(inferConcatenate(shapes, dim));
  return b_
      .create<ConcatenateOp>(loc_, tensorType(s, elementType(xs[0])), ValueRange(xs),
                             b_.getI64IntegerAttr(dim))
      .getResult();
}

Value Emitter::pad(Value x, Value padValue, const Dims& low, const Dims& high,
                   const Dims& interior) {
  Dims s = check(inferPad(shape(x), low, high, interior));
  return b_
      .create<PadOp>(loc_, tensorType(s, elementType(x)), x, padValue, arr(low), arr(high),
                     arr(interior))
      .getResult();
}

Value Emitter::reduce(ReduceKind kind, Value x, Dims dims) {
  std::sort(dims.begin(), dims.end());
  Dims s = check(inferReduce(shape(x), dims));
  return b_
      .create<ReduceOp>(loc_, tensorType(s, elementType(x)),
                        ReduceKindAttr::get(b_.getContext(), kind), x, arr(dims))
      .getResult();
}

Value Emitter::unreduce(Value reduced, const Dims& dims, const Dims& target) {
  Dims kept;
  for (int64_t i = 0; i < static_cast<int64_t>(target.size()); ++i)
    if (std::find(dims.begin(), dims.end(), i) == dims.end()) kept.push_back(i);
  return broadcastInDim(reduced, kept, target);
}

Value Emitter::reduceKeep(ReduceKind kind, Value x, const Dims& dims) {
  return unreduce(reduce(kind, x, dims), dims, shape(x));
}

Value Emitter::dotGeneral(Value lhs, Value rhs, const Dims& lhsBatch, const Dims& rhsBatch,
                          const Dims& lhsContract, const Dims& rhsContract) {
  if (elementType(lhs) != elementType(rhs)) throw EmitError("operand element types differ");
  Dims s = check(inferDotGeneral(shape(lhs), shape(rhs), lhsBatch, rhsBatch, lhsContract,
                                 rhsContract));
  return b_
      .create<DotGeneralOp>(loc_, tensorType(s, elementType(lhs)), lhs, rhs, arr(lhsBatch),
                            arr(rhsBatch), arr(lhsContract), arr(rhsContract))
      .getResult();
}

Value Emitter::convolution(Value input, Value filter, const Dims& strides, const Dims& padLow,
                           const Dims& padHigh, const Dims& dilations, int64_t groups) {
  if (elementType(input) != elementType(filter)) throw EmitError("input and filter element types differ");
  Dims s = check(inferConvolution(shape(input), shape(filter), strides, padLow, padHigh,
                                  dilations, groups));
  return b_
      .create<ConvolutionOp>(loc_, tensorType(s, elementType(input)), input, filter,
                             arr(strides), arr(padLow), arr(padHigh), arr(dilations),
                             b_.getI64IntegerAttr(groups))
      .getResult();
}

Value Emitter::reduceWindow(ReduceKind kind, Value x, const Dims& window, const Dims& strides,
                            const Dims& padLow, const Dims& padHigh, const Dims& dilations) {
  Dims s = check(inferReduceWindow(shape(x), window, strides, padLow, padHigh, dilations));
  return b_
      .create<ReduceWindowOp>(loc_, tensorType(s, elementType(x)),
                              ReduceKindAttr::get(b_.getContext(), kind), x, arr(window),
                              arr(strides), arr(padLow), arr(padHigh), arr(dilations))
      .getResult();
}

//===--- shape, creation and indexing family ------------------------------===//

Value Emitter::iota(const Dims& shape, int64_t dim, Type element) {
  if (dim < 0 || dim >= static_cast<int64_t>(shape.size()))
    throw EmitError("iota dimension " + std::to_string(dim) + " is out of range for shape " +
                    dimsString(shape));
  return b_.create<IotaOp>(loc_, tensorType(shape, element), b_.getI64IntegerAttr(dim))
      .getResult();
}

Value Emitter::gather(Value x, Value indices, int64_t axis) {
  Dims s = check(inferGather(shape(x), shape(indices), axis));
  return b_
      .create<GatherOp>(loc_, tensorType(s, elementType(x)), x, indices,
                        b_.getI64IntegerAttr(axis))
      .getResult();
}

Value Emitter::scatter(ScatterKind kind, Value base, Value indices, Value updates,
                       int64_t axis) {
  if (elementType(base) != elementType(updates))
    throw EmitError("scatter base and updates element types differ");
  Dims s = check(inferGather(shape(base), shape(indices), axis));
  if (s != shape(updates))
    throw EmitError("scatter updates have shape " + dimsString(shape(updates)) + ", expected " +
                    dimsString(s));
  return b_
      .create<ScatterOp>(loc_, base.getType(), ScatterKindAttr::get(b_.getContext(), kind), base,
                         indices, updates, b_.getI64IntegerAttr(axis))
      .getResult();
}

Value Emitter::reverse(Value x, const Dims& dims) {
  if (dims.empty()) return x;
  return b_.create<ReverseOp>(loc_, x.getType(), x, arr(dims)).getResult();
}

}  // namespace dlc
