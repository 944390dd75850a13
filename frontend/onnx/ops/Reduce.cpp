// ONNX reductions (ReduceSum ... ReduceLogSumExp, ArgMax/ArgMin), scans
// (CumSum, CumProd) and TopK.
#include "frontend/onnx/OnnxNode.h"

#include <cmath>
#include <limits>

namespace dlc::onnx_import {
namespace {

using mlir::Type;
using mlir::Value;

bool isFloat(Type t) { return t.isa<mlir::FloatType>(); }
bool isBool(Type t) { return t.isInteger(1); }

// The dims an ONNX reduction reduces, and whether they stay as size 1.
struct Axes {
  Dims dims;  // sorted, unique; empty = no reduction at all
  bool keep = true;
};

// Axes are an attribute before `inputOpset` (13 for ReduceSum, 18 for the
// others) and an optional input from then on. No axes means every dim,
// unless noop_with_empty_axes asks for no reduction.
Axes reduceAxes(OnnxNode& n, Value x, int64_t inputOpset) {
  int64_t r = Emitter::rank(x);
  Dims axes;
  bool noop = false;
  if (n.opset() >= inputOpset) {
    n.onlyAttrs({"keepdims", "noop_with_empty_axes"});
    if (n.hasInput(1)) axes = n.intsInput(1, "axes");
    noop = n.attrInt("noop_with_empty_axes", 0) != 0;
  } else {
    n.onlyAttrs({"axes", "keepdims"});
    if (n.hasInput(1)) n.fail("axes is an attribute before opset " + std::to_string(inputOpset) + ", not an input");
    axes = n.attrInts("axes", {});
  }
  Axes a;
  a.keep = n.attrInt("keepdims", 1) != 0;
  if (axes.empty()) {
    if (!noop)
      for (int64_t i = 0; i < r; ++i) a.dims.push_back(i);
    return a;
  }
  for (int64_t ax : axes) a.dims.push_back(n.axis(ax, r, "axes entry"));
  std::sort(a.dims.begin(), a.dims.end());
  if (std::adjacent_find(a.dims.begin(), a.dims.end()) != a.dims.end())
    n.fail("axes " + dimsString(axes) + " name a dimension twice");
  return a;
}

// `kind` over dims; no op for an empty dim list.
Value reduceOver(Emitter& e, ReduceKind kind, Value x, const Dims& dims) {
  return dims.empty() ? x : e.reduce(kind, x, dims);
}

// keepdims: the reduced dims come back as size 1.
Value keepDims(Emitter& e, Value reduced, const Dims& dims, const Dims& inShape) {
  Dims s = inShape;
  for (int64_t d : dims) s[d] = 1;
  return e.reshape(reduced, s);
}

void rejectBool(OnnxNode& n, Value x) {
  if (isBool(Emitter::elementType(x)))
    n.fail("bool input is not supported (the ONNX schema allows numbers only)");
}

void requireFloat(OnnxNode& n, Value x) {
  if (!isFloat(Emitter::elementType(x)))
    n.fail("integer input is not supported: the op is defined through Log/Exp, which are "
           "defined on floats only (cast the input to a float type)");
}

// Each ONNX reduction, as the value reduced over `dims` (before keepdims).
using ReduceBody = Value (*)(OnnxNode&, Value, const Dims&);

Value sumBody(OnnxNode& n, Value x, const Dims& d) {
  rejectBool(n, x);
  return reduceOver(n.e(), ReduceKind::Sum, x, d);
}

Value prodBody(OnnxNode& n, Value x, const Dims& d) {
  rejectBool(n, x);
  return reduceOver(n.e(), ReduceKind::Prod, x, d);
}

Value maxBody(OnnxNode& n, Value x, const Dims& d) {
  return reduceOver(n.e(), ReduceKind::Max, x, d);
}

Value minBody(OnnxNode& n, Value x, const Dims& d) {
  return reduceOver(n.e(), ReduceKind::Min, x, d);
}

// Sum / count; integers divide truncating toward zero, as numpy's mean cast
// back to the integer type does.
Value meanBody(OnnxNode& n, Value x, const Dims& d) {
  rejectBool(n, x);
  Emitter& e = n.e();
  Dims xs = Emitter::shape(x);
  int64_t count = 1;
  for (int64_t i : d) count *= xs[i];
  Type et = Emitter::elementType(x);
  if (count == 0 && !isFloat(et))
    n.fail("the mean of an empty set of integers is undefined");
  Value s = reduceOver(e, ReduceKind::Sum, x, d);
  if (count == 1) return s;
  return e.div(s, e.splatLike(static_cast<double>(count), s));
}

Value l1Body(OnnxNode& n, Value x, const Dims& d) {
  rejectBool(n, x);
  return reduceOver(n.e(), ReduceKind::Sum, n.e().unary<AbsOp>(x), d);
}

Value sumSquareBody(OnnxNode& n, Value x, const Dims& d) {
  rejectBool(n, x);
  return reduceOver(n.e(), ReduceKind::Sum, n.e().mul(x, x), d);
}

// sqrt(sum(x^2)); integers are computed in f64 and truncated back, as the
// reference's sqrt-then-astype does.
Value l2Body(OnnxNode& n, Value x, const Dims& d) {
  rejectBool(n, x);
  Emitter& e = n.e();
  Type et = Emitter::elementType(x);
  Value s = reduceOver(e, ReduceKind::Sum, e.mul(x, x), d);
  if (isFloat(et)) return e.unary<SqrtOp>(s);
  return e.convert(e.unary<SqrtOp>(e.convert(s, e.builder().getF64Type())), et);
}

Value logSumBody(OnnxNode& n, Value x, const Dims& d) {
  requireFloat(n, x);
  return n.e().unary<LogOp>(reduceOver(n.e(), ReduceKind::Sum, x, d));
}

// log(sum(exp(x))) = m + log(sum(exp(x - m))) with m the max, so that large
// inputs do not overflow. A non-finite m (an infinity, or -inf over an empty
// set) shifts by 0 instead: x - m would be NaN, and the unshifted sum
// already gives the right +-inf.
Value logSumExpBody(OnnxNode& n, Value x, const Dims& d) {
  requireFloat(n, x);
  Emitter& e = n.e();
  if (d.empty()) return x;
  Value m = e.reduce(ReduceKind::Max, x, d);
  Value mag = e.unary<AbsOp>(m);
  Value finite = e.compare(CompareDirection::LT, mag,
                           e.splatLike(std::numeric_limits<double>::infinity(), m));
  Value shift = e.select(finite, m, e.splatLike(0.0, m));
  Value ex = e.unary<ExpOp>(e.sub(x, e.unreduce(shift, d, Emitter::shape(x))));
  return e.add(e.unary<LogOp>(e.reduce(ReduceKind::Sum, ex, d)), shift);
}

template <ReduceBody body, int64_t inputOpset>
std::vector<Value> reduceOp(OnnxNode& n) {
  Value x = n.input(0);
  Axes a = reduceAxes(n, x, inputOpset);
  Value y = body(n, x, a.dims);
  if (a.keep) y = keepDims(n.e(), y, a.dims, Emitter::shape(x));
  return {y};
}

// ArgMax/ArgMin: the extreme value m along the axis, then the smallest (or,
// with select_last_index, largest) index where x == m, as int64. A NaN is
// the extreme (max/min propagate it), and it is found by x != x.
template <ReduceKind kind>
std::vector<Value> argExtreme(OnnxNode& n) {
  n.onlyAttrs({"axis", "keepdims", "select_last_index"});
  Emitter& e = n.e();
  Value x = n.input(0);
  Dims xs = Emitter::shape(x);
  int64_t r = static_cast<int64_t>(xs.size());
  if (r == 0) n.fail("input must have rank >= 1");
  int64_t axis = n.axis(n.attrInt("axis", 0), r);
  if (xs[axis] == 0) n.fail("cannot take the index of an extreme over an empty axis");
  bool last = n.attrInt("select_last_index", 0) != 0;
  Value hit = e.compare(CompareDirection::EQ, x, e.reduceKeep(kind, x, {axis}));
  if (isFloat(Emitter::elementType(x)))
    hit = e.binary<OrOp>(hit, e.compare(CompareDirection::NE, x, x));
  Type i64 = e.builder().getI64Type();
  Value none = e.splat(last ? -1.0 : static_cast<double>(xs[axis]), i64, xs);
  Value idx = e.select(hit, e.iota(xs, axis, i64), none);
  Value y = e.reduce(last ? ReduceKind::Max : ReduceKind::Min, idx, {axis});
  if (n.attrInt("keepdims", 1) != 0) y = keepDims(e, y, {axis}, xs);
  return {y};
}

// CumSum/CumProd as one reduce_window along the axis: a window as long as
// the axis, padded with n-1 identity elements before it (after it for
// reverse), gives every prefix (suffix). exclusive first shifts the input by
// one along the axis, bringing in the identity. Exact for integers (they
// wrap) and for products, which a triangular dot would not give; the work
// is quadratic in the axis length.
template <ReduceKind kind>
std::vector<Value> cumulative(OnnxNode& n) {
  n.onlyAttrs({"exclusive", "reverse"});
  Emitter& e = n.e();
  Value x = n.input(0);
  rejectBool(n, x);
  Dims axisIn = n.intsInput(1, "axis");
  if (axisIn.size() != 1) n.fail("axis must be a scalar, got " + dimsString(axisIn));
  Dims xs = Emitter::shape(x);
  int64_t r = static_cast<int64_t>(xs.size());
  int64_t axis = n.axis(axisIn[0], r);
  bool reverse = n.attrInt("reverse", 0) != 0;
  int64_t len = xs[axis];
  if (len == 0) return {x};
  Value identity = e.splat(kind == ReduceKind::Prod ? 1.0 : 0.0, Emitter::elementType(x));
  Dims zeros(r, 0), ones(r, 1);
  if (n.attrInt("exclusive", 0) != 0) {
    Dims low = zeros, high = zeros;
    low[axis] = reverse ? -1 : 1;
    high[axis] = -low[axis];
    x = e.pad(x, identity, low, high, zeros);
  }
  Dims window = ones, padLow = zeros, padHigh = zeros;
  window[axis] = len;
  (reverse ? padHigh : padLow)[axis] = len - 1;
  return {e.reduceWindow(kind, x, window, ones, padLow, padHigh, ones)};
}

// TopK: a stable argsort along the axis (descending for the largest), its
// first k indices, and the values gathered at them. Stability gives the
// reference's tie order (the lower index first) in both directions, and
// NaN sorts as the largest value, as numpy's order has it. sorted=0 allows
// any order, so the sorted result is a valid answer for it too.
std::vector<Value> topK(OnnxNode& n) {
  Emitter& e = n.e();
  Value x = n.input(0);
  int64_t k;
  if (n.opset() < 10) {
    n.onlyAttrs({"axis", "k"});
    if (!n.hasAttr("k")) n.fail("attribute 'k' is required");
    k = n.attrInt("k", 0);
  } else {
    n.onlyAttrs({"axis", "largest", "sorted"});
    Dims kIn = n.intsInput(1, "k");
    if (kIn.size() != 1) n.fail("k must hold one value, got " + dimsString(kIn));
    k = kIn[0];
  }
  Dims xs = Emitter::shape(x);
  int64_t r = static_cast<int64_t>(xs.size());
  if (r == 0) n.fail("input must have rank >= 1");
  int64_t axis = n.axis(n.attrInt("axis", -1), r);
  if (k < 0 || k > xs[axis])
    n.fail("k = " + std::to_string(k) + " is outside [0, " + std::to_string(xs[axis]) +
           "], the length of axis " + std::to_string(axis));
  Value idx = e.argsort(x, axis, n.attrInt("largest", 1) != 0);
  if (k < xs[axis]) {
    Dims limit = xs;
    limit[axis] = k;
    idx = e.slice(idx, Dims(r, 0), limit, Dims(r, 1));
  }
  return {e.takeAlongDim(x, idx, axis), idx};
}

}  // namespace

void registerReduceOps(ConverterTable& t) {
  t["ReduceSum"] = reduceOp<sumBody, 13>;
  t["ReduceMean"] = reduceOp<meanBody, 18>;
  t["ReduceMax"] = reduceOp<maxBody, 18>;
  t["ReduceMin"] = reduceOp<minBody, 18>;
  t["ReduceProd"] = reduceOp<prodBody, 18>;
  t["ReduceL1"] = reduceOp<l1Body, 18>;
  t["ReduceL2"] = reduceOp<l2Body, 18>;
  t["ReduceSumSquare"] = reduceOp<sumSquareBody, 18>;
  t["ReduceLogSum"] = reduceOp<logSumBody, 18>;
  t["ReduceLogSumExp"] = reduceOp<logSumExpBody, 18>;
  t["ArgMax"] = argExtreme<ReduceKind::Max>;
  t["ArgMin"] = argExtreme<ReduceKind::Min>;
  t["CumSum"] = cumulative<ReduceKind::Sum>;
  t["CumProd"] = cumulative<ReduceKind::Prod>;
  t["TopK"] = topK;
}

}  // namespace dlc::onnx_import
