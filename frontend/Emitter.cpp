#include "frontend/Emitter.h"

#include "ir/TensorConversions.h"
#include "runtime/TensorLimits.h"

#include "mlir/IR/BuiltinAttributes.h"

using namespace mlir;

namespace dlc {

Dims Emitter::shape(Value v) {
  auto s = v.getType().cast<RankedTensorType>().getShape();
  return Dims(s.begin(), s.end());
}

Type Emitter::elementType(Value v) { return v.getType().cast<RankedTensorType>().getElementType(); }

// Every result type a decomposition makes passes here: a shape that a
// hostile model blows up (Expand to 2^31 x 2^31 x 2^31, Tile by 2^40, a Pad
// of 2^62) is refused before an op of that type exists.
RankedTensorType Emitter::tensorType(const Dims& shape, Type element) {
  if (auto dtype = dtypeOf(element)) {
    std::string problem = rt::tensorSizeProblem(*dtype, shape);
    if (!problem.empty()) throw EmitError("result " + problem);
  }
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
  Value f = broadcastTo(onFalse, s);
  Value t = broadcastTo(onTrue, s);
  return b_.create<SelectOp>(loc_, broadcastTo(pred, s), t, f).getResult();
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

// --- math family: numerics helpers for activations and normalisations ------

Type Emitter::computeType(Value x) {
  Type t = elementType(x);
  if (t.isF16() || t.isBF16()) return b_.getF32Type();
  return t;
}

std::pair<Value, Value> Emitter::moments(Value x, const Dims& dims) {
  Dims s = shape(x);
  int64_t count = 1;
  for (int64_t d : dims) count *= s.at(static_cast<size_t>(d));
  Value n = splat(static_cast<double>(count), elementType(x));
  Value mean = div(reduce(ReduceKind::Sum, x, dims), n);
  Value dev = sub(x, unreduce(mean, dims, s));
  Value var = div(reduce(ReduceKind::Sum, mul(dev, dev), dims), n);
  return {mean, var};
}

// --- types family (quantized ops) --------------------------------------------

Value Emitter::matmul(Value a, Value b) {
  Dims as0 = shape(a), bs0 = shape(b);
  if (as0.empty() || bs0.empty()) throw EmitError("matmul operands must have rank >= 1");
  bool aVec = as0.size() == 1, bVec = bs0.size() == 1;
  if (aVec) a = reshape(a, {1, as0[0]});
  if (bVec) b = reshape(b, {bs0[0], 1});
  Dims as = shape(a), bs = shape(b);
  if (as.back() != bs[bs.size() - 2])
    throw EmitError("matmul contracting dimensions differ: " + dimsString(as0) + " x " +
                    dimsString(bs0));
  Value y;
  if (bs.size() == 2) {
    // [..., M, K] x [K, N]: the lhs batch dimensions are free dimensions.
    y = dotGeneral(a, b, {}, {}, {static_cast<int64_t>(as.size()) - 1}, {0});
  } else {
    Dims batch = broadcastShapes(Dims(as.begin(), as.end() - 2), Dims(bs.begin(), bs.end() - 2));
    Dims ta = batch, tb = batch;
    ta.insert(ta.end(), as.end() - 2, as.end());
    tb.insert(tb.end(), bs.end() - 2, bs.end());
    Dims bd;
    for (size_t i = 0; i < batch.size(); ++i) bd.push_back(static_cast<int64_t>(i));
    int64_t nb = static_cast<int64_t>(batch.size());
    Value bb = broadcastTo(b, tb);
    y = dotGeneral(broadcastTo(a, ta), bb, bd, bd, {nb + 1}, {nb});
  }
  if (aVec || bVec) {
    Dims ys = shape(y);
    Dims out(ys.begin(), ys.end() - 2);
    if (!aVec) out.push_back(ys[ys.size() - 2]);
    if (!bVec) out.push_back(ys.back());
    y = reshape(y, out);
  }
  return y;
}

// --- reductions, scans, sorting (reduce family) ----------------------------

Value Emitter::argsort(Value x, int64_t dim, bool descending) {
  if (dim < 0 || dim >= rank(x))
    throw EmitError("argsort dim " + std::to_string(dim) + " out of range for rank " +
                    std::to_string(rank(x)));
  auto op = b_.create<ArgsortOp>(loc_, tensorType(shape(x), b_.getI64Type()), x,
                                 b_.getI64IntegerAttr(dim), descending ? b_.getUnitAttr() : nullptr);
  return op.getResult();
}

Value Emitter::takeAlongDim(Value x, Value idx, int64_t dim) {
  Dims xs = shape(x), is = shape(idx);
  if (xs.size() != is.size() || dim < 0 || dim >= static_cast<int64_t>(xs.size()))
    throw EmitError("take along dim " + std::to_string(dim) + ": index shape " + dimsString(is) +
                    " does not fit " + dimsString(xs));
  for (size_t d = 0; d < xs.size(); ++d)
    if (static_cast<int64_t>(d) != dim && xs[d] != is[d])
      throw EmitError("take along dim " + std::to_string(dim) + ": index shape " +
                      dimsString(is) + " differs from " + dimsString(xs) + " outside that dim");
  // flat = sum over d of (d == dim ? idx : iota_d) * stride_d, in idx's type.
  Type it = elementType(idx);
  std::vector<int64_t> strides(xs.size(), 1);
  for (size_t d = xs.size(); d-- > 1;) strides[d - 1] = strides[d] * xs[d];
  Value flat;
  for (size_t d = 0; d < xs.size(); ++d) {
    Value term = static_cast<int64_t>(d) == dim ? idx : iota(is, static_cast<int64_t>(d), it);
    if (strides[d] != 1) term = mul(term, splat(static_cast<double>(strides[d]), it, is));
    flat = flat ? add(flat, term) : term;
  }
  Value x1 = reshape(x, {rt::numElements(xs)});
  return b_.create<GatherOp>(loc_, tensorType(is, elementType(x)), x1, flat, b_.getI64IntegerAttr(0))
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
