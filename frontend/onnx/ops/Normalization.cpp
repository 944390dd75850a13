// ONNX normalisations: LayerNormalization, RMSNormalization,
// InstanceNormalization, GroupNormalization, LRN, LpNormalization and
// MeanVarianceNormalization.
//
// Each becomes reductions plus elementwise ops (the fusion pass makes one
// reduction kernel of them). Statistics use the two-pass variance
// (Emitter::moments). f16/bf16 inputs are computed in f32 and rounded once;
// the ops with a `stash_type` compute their statistics in that type, as the
// ONNX function bodies do.
#include "frontend/onnx/OnnxNode.h"
#include "frontend/onnx/TensorProtoIO.h"

#include "llvm/Support/raw_ostream.h"

namespace dlc::onnx_import {
namespace {

using mlir::Value;

std::string typeName(mlir::Type t) {
  std::string s;
  llvm::raw_string_ostream(s) << t;
  return s;
}

// Input i, which these ops define on floating-point tensors only.
Value floatInput(OnnxNode& n, size_t i) {
  Value x = n.input(i);
  if (!Emitter::elementType(x).isa<mlir::FloatType>())
    n.fail("input " + std::to_string(i) + " must be a floating-point tensor, got " +
           typeName(Emitter::elementType(x)));
  return x;
}

// Dims [from, to).
Dims range(int64_t from, int64_t to) {
  Dims d;
  for (int64_t i = from; i < to; ++i) d.push_back(i);
  return d;
}

// The `stash_type` attribute (an ONNX data type code, default float): the
// type the statistics are computed in.
mlir::Type stashType(OnnxNode& n) {
  int64_t code = n.attrInt("stash_type", 1);
  mlir::Type t;
  try {
    t = n.e().elementTypeOf(onnx_io::dtypeFromOnnx(static_cast<int>(code)));
  } catch (const onnx_io::TensorError&) {
  }
  if (!t || !t.isa<mlir::FloatType>())
    n.fail("stash_type " + std::to_string(code) + " is not a floating-point type");
  return t;
}

// `v` (Scale, B) broadcast to X's shape; X's shape must not change
// (unidirectional broadcasting).
Value toShapeOf(OnnxNode& n, Value v, const Dims& xs, const char* what) {
  Dims vs = Emitter::shape(v), b;
  try {
    b = Emitter::broadcastShapes(xs, vs);
  } catch (const EmitError&) {
  }
  if (b != xs)
    n.fail(std::string(what) + " of shape " + dimsString(vs) + " does not broadcast to X's shape " +
           dimsString(xs));
  return n.e().broadcastTo(v, xs);
}

// A 1-D per-channel tensor [C], checked, broadcast along dim 1 of `shape`.
Value perChannel(OnnxNode& n, Value v, int64_t c, const Dims& shape, const char* what) {
  if (Emitter::shape(v) != Dims{c})
    n.fail(std::string(what) + " must have shape [" + std::to_string(c) + "], got " +
           dimsString(Emitter::shape(v)));
  return n.e().broadcastInDim(v, {1}, shape);
}

// The reduced statistics reshaped with the reduced dims kept as size 1.
Value keepDims(Emitter& e, Value reduced, const Dims& xs, int64_t axis) {
  Dims s(xs.begin(), xs.begin() + axis);
  s.resize(xs.size(), 1);
  return e.reshape(reduced, s);
}

// Y = (X - mean) / sqrt(var + eps) * Scale + B over the dims from `axis` on.
// Statistics in stash_type; the affine part in X's compute type. The optional
// Mean and InvStdDev outputs have stash_type and X's rank.
std::vector<Value> layerNorm(OnnxNode& n) {
  n.onlyAttrs({"axis", "epsilon", "stash_type"});
  Emitter& e = n.e();
  Value x = floatInput(n, 0);
  Dims xs = Emitter::shape(x);
  int64_t r = static_cast<int64_t>(xs.size());
  if (r == 0) n.fail("X must have rank >= 1");
  int64_t axis = n.axis(n.attrInt("axis", -1), r);
  Dims dims = range(axis, r);
  mlir::Type st = stashType(n), ct = e.computeType(x), xt = Emitter::elementType(x);
  Value xc = e.convert(x, st);
  auto [mean, var] = e.moments(xc, dims);
  Value inv = e.unary<RsqrtOp>(e.add(var, e.splat(n.attrFloat("epsilon", 1e-5f), st)));
  Value unreduce2 = e.unreduce(inv, dims, xs);
  Value normed = e.mul(e.sub(xc, e.unreduce(mean, dims, xs)), unreduce2);
  Value scale = toShapeOf(n, e.convert(floatInput(n, 1), ct), xs, "Scale");
  Value y = e.mul(e.convert(normed, ct), scale);
  if (n.hasInput(2)) y = e.add(y, toShapeOf(n, e.convert(floatInput(n, 2), ct), xs, "B"));
  std::vector<Value> out = {e.convert(y, xt)};
  if (n.hasOutput(1) || n.hasOutput(2)) {
    out.push_back(keepDims(e, mean, xs, axis));
    out.push_back(keepDims(e, inv, xs, axis));
  }
  return out;
}

// Y = X / sqrt(mean(X^2) + eps) * scale over the dims from `axis` on; the
// statistics in stash_type, Y in scale's type.
std::vector<Value> rmsNorm(OnnxNode& n) {
  n.onlyAttrs({"axis", "epsilon", "stash_type"});
  Emitter& e = n.e();
  Value x = floatInput(n, 0), scale = floatInput(n, 1);
  Dims xs = Emitter::shape(x);
  int64_t r = static_cast<int64_t>(xs.size());
  if (r == 0) n.fail("X must have rank >= 1");
  Dims dims = range(n.axis(n.attrInt("axis", -1), r), r);
  mlir::Type st = stashType(n), ct = e.computeType(scale);
  Value xc = e.convert(x, st);
  int64_t count = 1;
  for (int64_t d : dims) count *= xs[d];
  Value c2 = e.splat(static_cast<double>(count), st);
  Value ms = e.div(e.reduce(ReduceKind::Sum, e.mul(xc, xc), dims), c2);
  Value inv = e.unary<RsqrtOp>(e.add(ms, e.splat(n.attrFloat("epsilon", 1e-5f), st)));
  Value normed = e.convert(e.mul(xc, e.unreduce(inv, dims, xs)), ct);
  Value y = e.mul(normed, toShapeOf(n, e.convert(scale, ct), xs, "scale"));
  return {e.convert(y, Emitter::elementType(scale))};
}

// Per instance and channel over the spatial dims:
// y = scale * (x - mean) / sqrt(var + eps) + B.
std::vector<Value> instanceNorm(OnnxNode& n) {
  n.onlyAttrs({"epsilon", "consumed_inputs"});  // consumed_inputs: an opset-1 hint
  Emitter& e = n.e();
  Value in = floatInput(n, 0);
  Dims xs = Emitter::shape(in);
  int64_t r = static_cast<int64_t>(xs.size());
  if (r < 3) n.fail("input must be N x C x D1 ... Dn, got " + dimsString(xs));
  mlir::Type ct = e.computeType(in);
  Value x = e.convert(in, ct);
  Dims dims = range(2, r);
  auto [mean, var] = e.moments(x, dims);
  Value inv = e.unary<RsqrtOp>(e.add(var, e.splat(n.attrFloat("epsilon", 1e-5f), ct)));
  Value unreduce2 = e.unreduce(inv, dims, xs);
  Value normed = e.mul(e.sub(x, e.unreduce(mean, dims, xs)), unreduce2);
  Value scale = perChannel(n, e.convert(floatInput(n, 1), ct), xs[1], xs, "scale");
  Value bias = perChannel(n, e.convert(floatInput(n, 2), ct), xs[1], xs, "B");
  return {e.convert(e.add(e.mul(normed, scale), bias), Emitter::elementType(in))};
}

// The channels are split into num_groups groups; each instance's group is
// normalised over its channels and spatial positions together. Opset 21:
// scale and bias per channel ([C]), statistics in stash_type. Opset 18:
// scale and bias per group ([num_groups]).
std::vector<Value> groupNorm(OnnxNode& n) {
  bool perGroup = n.opset() < 21;
  if (perGroup)
    n.onlyAttrs({"epsilon", "num_groups"});
  else
    n.onlyAttrs({"epsilon", "num_groups", "stash_type"});
  Emitter& e = n.e();
  Value in = floatInput(n, 0);
  Dims xs = Emitter::shape(in);
  if (xs.size() < 2) n.fail("X must be N x C x D1 ... Dn, got " + dimsString(xs));
  if (!n.hasAttr("num_groups")) n.fail("attribute num_groups is required");
  int64_t groups = n.attrInt("num_groups", 0), c = xs[1];
  if (groups < 1 || c % groups != 0)
    n.fail("num_groups " + std::to_string(groups) + " must be >= 1 and divide the " +
           std::to_string(c) + " channels");
  mlir::Type ct = e.computeType(in), st = perGroup ? ct : stashType(n);
  // [N, G, C/G * D1 * ... * Dn]: one row of statistics per instance and group.
  int64_t n0 = xs[0], rest = rt::numElements(xs) / std::max<int64_t>(1, n0 * groups);
  Dims gs = {n0, groups, rest};
  Value x = e.reshape(e.convert(in, st), gs);
  auto [mean, var] = e.moments(x, {2});
  Value inv = e.unary<RsqrtOp>(e.add(var, e.splat(n.attrFloat("epsilon", 1e-5f), st)));
  Value unreduce2 = e.unreduce(inv, {2}, gs);
  Value normed = e.mul(e.sub(x, e.unreduce(mean, {2}, gs)), unreduce2);
  normed = e.convert(normed, ct);
  Value scale = e.convert(floatInput(n, 1), ct), bias = e.convert(floatInput(n, 2), ct);
  // Per group: applied on the [N, G, C/G * D] rows; per channel: on X's shape.
  Dims target = perGroup ? gs : xs;
  int64_t count = perGroup ? groups : c;
  if (!perGroup) normed = e.reshape(normed, xs);
  scale = perChannel(n, scale, count, target, "scale");
  bias = perChannel(n, bias, count, target, "bias");
  Value y = e.reshape(e.add(e.mul(normed, scale), bias), xs);
  return {e.convert(y, Emitter::elementType(in))};
}

// Local response normalisation across channels:
// y = x / (bias + alpha / size * sum of x^2 over the `size` neighbouring
// channels)^beta, the window reaching floor((size-1)/2) channels down and
// ceil((size-1)/2) up, clipped at the edges.
std::vector<Value> lrn(OnnxNode& n) {
  n.onlyAttrs({"alpha", "beta", "bias", "size"});
  Emitter& e = n.e();
  Value in = floatInput(n, 0);
  Dims xs = Emitter::shape(in);
  if (xs.size() < 3) n.fail("X must be N x C x D1 ... Dn, got " + dimsString(xs));
  if (!n.hasAttr("size")) n.fail("attribute size is required");
  int64_t size = n.attrInt("size", 0);
  if (size < 1) n.fail("size must be >= 1, got " + std::to_string(size));
  double alpha = n.attrFloat("alpha", 1e-4f), beta = n.attrFloat("beta", 0.75f),
         bias = n.attrFloat("bias", 1.0f);
  mlir::Type ct = e.computeType(in);
  Value x = e.convert(in, ct);
  size_t r = xs.size();
  Dims window(r, 1), ones(r, 1), low(r, 0), high(r, 0);
  window[1] = size;
  low[1] = (size - 1) / 2;
  high[1] = size / 2;  // ceil((size - 1) / 2)
  Value sq = e.reduceWindow(ReduceKind::Sum, e.mul(x, x), window, ones, low, high, ones);
  Value prod = e.mul(e.splat(alpha / size, ct), sq);
  Value base = e.add(e.splat(bias, ct), prod);
  Value y = e.div(x, e.binary<PowOp>(base, e.splat(beta, ct)));
  return {e.convert(y, Emitter::elementType(in))};
}

// x / ||x||_p along `axis` (p = 1 or 2); 0 where the norm is 0.
std::vector<Value> lpNorm(OnnxNode& n) {
  n.onlyAttrs({"axis", "p"});
  Emitter& e = n.e();
  Value in = floatInput(n, 0);
  Dims xs = Emitter::shape(in);
  int64_t r = static_cast<int64_t>(xs.size());
  if (r == 0) n.fail("input must have rank >= 1");
  int64_t axis = n.axis(n.attrInt("axis", -1), r), p = n.attrInt("p", 2);
  if (p != 1 && p != 2) n.fail("p must be 1 or 2, got " + std::to_string(p));
  mlir::Type ct = e.computeType(in);
  Value x = e.convert(in, ct);
  Value norm = p == 1 ? e.reduceKeep(ReduceKind::Sum, e.unary<AbsOp>(x), {axis})
                      : e.unary<SqrtOp>(e.reduceKeep(ReduceKind::Sum, e.mul(x, x), {axis}));
  Value zero = e.splat(0, ct);
  Value quot = e.div(x, norm);
  Value y = e.select(e.compare(CompareDirection::EQ, norm, zero), zero, quot);
  return {e.convert(y, Emitter::elementType(in))};
}

// (X - mean) / (std + 1e-9) over `axes` (default [0, 2, 3]), std the
// population standard deviation, as the ONNX function body.
std::vector<Value> meanVarianceNorm(OnnxNode& n) {
  n.onlyAttrs({"axes"});
  Emitter& e = n.e();
  Value in = floatInput(n, 0);
  Dims xs = Emitter::shape(in);
  int64_t r = static_cast<int64_t>(xs.size());
  Dims dims;
  for (int64_t a : n.attrInts("axes", {0, 2, 3})) {
    int64_t d = n.axis(a, r, "axes");
    if (std::find(dims.begin(), dims.end(), d) != dims.end())
      n.fail("axes " + dimsString(n.attrInts("axes", {})) + " repeat dimension " +
             std::to_string(d));
    dims.push_back(d);
  }
  mlir::Type ct = e.computeType(in);
  Value x = e.convert(in, ct);
  auto [mean, var] = e.moments(x, dims);
  Value c2 = e.splat(1e-9, ct);
  Value den = e.add(e.unary<SqrtOp>(var), c2);
  Value unreduce2 = e.unreduce(den, dims, xs);
  Value y = e.div(e.sub(x, e.unreduce(mean, dims, xs)), unreduce2);
  return {e.convert(y, Emitter::elementType(in))};
}

}  // namespace

void registerNormalizationOps(ConverterTable& t) {
  t["LayerNormalization"] = layerNorm;
  t["RMSNormalization"] = rmsNorm;
  t["InstanceNormalization"] = instanceNorm;
  t["GroupNormalization"] = groupNorm;
  t["LRN"] = lrn;
  t["LpNormalization"] = lpNorm;
  t["MeanVarianceNormalization"] = meanVarianceNorm;
}

}  // namespace dlc::onnx_import
