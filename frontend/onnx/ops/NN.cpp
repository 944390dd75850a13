// ONNX neural-network ops: softmax, convolution, pooling, batch norm.
#include "frontend/onnx/OnnxNode.h"
#include "frontend/onnx/ops/Window.h"

#include <cmath>

namespace dlc::onnx_import {
namespace {

using mlir::Value;

// Dims [from, to).
Dims range(int64_t from, int64_t to) {
  Dims d;
  for (int64_t i = from; i < to; ++i) d.push_back(i);
  return d;
}

// The softmax axes: one axis from opset 13, before that every dim from axis
// on (the input is coerced to 2-D).
Dims softmaxDims(OnnxNode& n, Value x) {
  n.onlyAttrs({"axis"});
  int64_t r = Emitter::rank(x);
  if (r == 0) n.fail("input must have rank >= 1");
  if (n.opset() >= 13) return {n.axis(n.attrInt("axis", -1), r)};
  return range(n.axis(n.attrInt("axis", 1), r), r);
}

// softmax = exp(x - max) / sum(exp(x - max)), stable for large logits.
std::vector<Value> softmax(OnnxNode& n) {
  Value x = n.input(0);
  Dims dims = softmaxDims(n, x);
  Emitter& e = n.e();
  Value ex = e.unary<ExpOp>(e.sub(x, e.reduceKeep(ReduceKind::Max, x, dims)));
  return {e.div(ex, e.reduceKeep(ReduceKind::Sum, ex, dims))};
}

// log_softmax = (x - max) - log(sum(exp(x - max))).
std::vector<Value> logSoftmax(OnnxNode& n) {
  Value x = n.input(0);
  Dims dims = softmaxDims(n, x);
  Emitter& e = n.e();
  Value shifted = e.sub(x, e.reduceKeep(ReduceKind::Max, x, dims));
  Value lse = e.unary<LogOp>(e.reduce(ReduceKind::Sum, e.unary<ExpOp>(shifted), dims));
  return {e.sub(shifted, e.unreduce(lse, dims, Emitter::shape(x)))};
}

}  // namespace

// The spatial window of Conv and the pools, with auto_pad resolved (Window.h).
Window windowAttrs(OnnxNode& n, const Dims& spatial, const Dims& kernel) {
  size_t k = spatial.size();
  Window w;
  w.kernel = kernel;
  w.strides = n.attrInts("strides", Dims(k, 1));
  w.dilations = n.attrInts("dilations", Dims(k, 1));
  if (w.strides.size() != k || w.dilations.size() != k)
    n.fail("strides and dilations need " + std::to_string(k) + " entries");
  for (size_t i = 0; i < k; ++i)
    if (w.strides[i] < 1 || w.dilations[i] < 1) n.fail("strides and dilations must be >= 1");
  std::string autoPad = n.attrString("auto_pad", "NOTSET");
  if (autoPad != "NOTSET" && n.hasAttr("pads"))
    n.fail("pads cannot be given together with auto_pad '" + autoPad + "'");
  if (autoPad == "NOTSET") {
    Dims pads = n.attrInts("pads", Dims(2 * k, 0));
    if (pads.size() != 2 * k) n.fail("pads needs " + std::to_string(2 * k) + " entries");
    w.padLow.assign(pads.begin(), pads.begin() + k);
    w.padHigh.assign(pads.begin() + k, pads.end());
    for (int64_t p : pads)
      if (p < 0) n.fail("pads must be >= 0, got " + dimsString(pads));
  } else if (autoPad == "VALID") {
    w.padLow = w.padHigh = Dims(k, 0);
  } else if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
    for (size_t i = 0; i < k; ++i) {
      int64_t out = (spatial[i] + w.strides[i] - 1) / w.strides[i];
      int64_t total = std::max<int64_t>(
          0, (out - 1) * w.strides[i] + (kernel[i] - 1) * w.dilations[i] + 1 - spatial[i]);
      int64_t small = total / 2;
      bool upper = autoPad == "SAME_UPPER";
      w.padLow.push_back(upper ? small : total - small);
      w.padHigh.push_back(upper ? total - small : small);
    }
  } else {
    n.fail("auto_pad '" + autoPad + "' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID");
  }
  return w;
}

namespace {

std::vector<Value> conv(OnnxNode& n) {
  n.onlyAttrs({"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"});
  Emitter& e = n.e();
  Value x = n.input(0), w = n.input(1);
  Dims xs = Emitter::shape(x), ws = Emitter::shape(w);
  if (xs.size() < 3) n.fail("input must be N x C x D1 ... Dn, got " + dimsString(xs));
  if (ws.size() != xs.size()) n.fail("weight rank differs from input rank");
  Dims kernel(ws.begin() + 2, ws.end());
  if (n.hasAttr("kernel_shape") && n.attrInts("kernel_shape", {}) != kernel)
    n.fail("kernel_shape " + dimsString(n.attrInts("kernel_shape", {})) +
           " differs from the weight's " + dimsString(kernel));
  Window win = windowAttrs(n, Dims(xs.begin() + 2, xs.end()), kernel);
  Value y = e.convolution(x, w, win.strides, win.padLow, win.padHigh, win.dilations,
                          n.attrInt("group", 1));
  if (n.hasInput(2)) {
    Value b = n.input(2);
    if (Emitter::shape(b) != Dims{ws[0]})
      n.fail("bias must have shape [" + std::to_string(ws[0]) + "], got " +
             dimsString(Emitter::shape(b)));
    y = e.add(y, e.broadcastInDim(b, {1}, Emitter::shape(y)));
  }
  return {y};
}

// Pool attributes over the spatial dims, extended to the whole tensor
// (N and C get window 1), with ceil_mode turned into extra high padding.
struct PoolWindow {
  Dims window, strides, dilations, padLow, padHigh, extra;  // all rank entries
};

PoolWindow poolAttrs(OnnxNode& n, Value x) {
  Dims xs = Emitter::shape(x);
  if (xs.size() < 3) n.fail("input must be N x C x D1 ... Dn, got " + dimsString(xs));
  Dims spatial(xs.begin() + 2, xs.end());
  Dims kernel = n.attrInts("kernel_shape", {});
  if (kernel.size() != spatial.size())
    n.fail("kernel_shape must have " + std::to_string(spatial.size()) + " entries");
  for (int64_t k : kernel)
    if (k < 1) n.fail("kernel_shape entries must be >= 1");
  Window w = windowAttrs(n, spatial, kernel);
  bool ceil = n.attrInt("ceil_mode", 0) != 0;
  PoolWindow p{{1, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}, {0, 0}};
  for (size_t i = 0; i < spatial.size(); ++i) {
    int64_t padded = spatial[i] + w.padLow[i] + w.padHigh[i];
    int64_t span = w.dilations[i] * (kernel[i] - 1) + 1;
    if (span > padded)
      n.fail("kernel " + dimsString(kernel) + " is larger than the padded input in dimension " +
             std::to_string(i + 2));
    int64_t extra = 0;
    if (ceil) {
      int64_t out = (padded - span + w.strides[i] - 1) / w.strides[i] + 1;
      // The last window must start inside the input or its left padding.
      if ((out - 1) * w.strides[i] >= spatial[i] + w.padLow[i]) --out;
      extra = std::max<int64_t>(0, (out - 1) * w.strides[i] + span - padded);
    }
    p.window.push_back(kernel[i]);
    p.strides.push_back(w.strides[i]);
    p.dilations.push_back(w.dilations[i]);
    p.padLow.push_back(w.padLow[i]);
    p.padHigh.push_back(w.padHigh[i]);
    p.extra.push_back(extra);
  }
  return p;
}

Dims plus(const Dims& a, const Dims& b) {
  Dims r = a;
  for (size_t i = 0; i < r.size(); ++i) r[i] += b[i];
  return r;
}

std::vector<Value> maxPool(OnnxNode& n) {
  n.onlyAttrs({"auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order",
               "strides"});
  if (n.hasOutput(1)) n.fail("the Indices output is not supported");
  Value x = n.input(0);
  PoolWindow p = poolAttrs(n, x);
  return {n.e().reduceWindow(ReduceKind::Max, x, p.window, p.strides, p.padLow,
                             plus(p.padHigh, p.extra), p.dilations)};
}

// Average = window sum / number of counted positions. The count is itself a
// window sum over ones, padded so that exactly the counted positions are 1:
// explicit pads count when count_include_pad, ceil_mode's extra never does.
std::vector<Value> averagePool(OnnxNode& n) {
  n.onlyAttrs({"auto_pad", "ceil_mode", "count_include_pad", "dilations", "kernel_shape", "pads",
               "strides"});
  Emitter& e = n.e();
  Value x = n.input(0);
  PoolWindow p = poolAttrs(n, x);
  Dims high = plus(p.padHigh, p.extra);
  Value sum = e.reduceWindow(ReduceKind::Sum, x, p.window, p.strides, p.padLow, high, p.dilations);
  Value ones = e.splatLike(1.0, x);
  Value count;
  if (n.attrInt("count_include_pad", 0)) {
    Dims zero(p.window.size(), 0);
    Value padded = e.pad(ones, e.splat(1.0, Emitter::elementType(x)), p.padLow, p.padHigh, zero);
    count = e.reduceWindow(ReduceKind::Sum, padded, p.window, p.strides, zero, p.extra,
                           p.dilations);
  } else {
    count = e.reduceWindow(ReduceKind::Sum, ones, p.window, p.strides, p.padLow, high,
                           p.dilations);
  }
  return {e.div(sum, count)};
}

// Global pools reduce every spatial dim and keep them as size 1.
template <ReduceKind kind>
std::vector<Value> globalPool(OnnxNode& n) {
  n.onlyAttrs({});
  Emitter& e = n.e();
  Value x = n.input(0);
  Dims xs = Emitter::shape(x);
  if (xs.size() < 3) n.fail("input must be N x C x D1 ... Dn, got " + dimsString(xs));
  Dims spatial = range(2, static_cast<int64_t>(xs.size()));
  Value r = e.reduce(kind, x, spatial);
  if (kind == ReduceKind::Sum) {
    int64_t count = 1;
    for (size_t i = 2; i < xs.size(); ++i) count *= xs[i];
    r = e.div(r, e.splat(static_cast<double>(count), Emitter::elementType(x)));
  }
  Dims out = {xs[0], xs[1]};
  out.resize(xs.size(), 1);
  return {e.reshape(r, out)};
}

// Inference-mode batch norm: y = x * s + (B - mean * s), s = scale / sqrt(var + eps),
// with the per-channel factors computed once on [C].
std::vector<Value> batchNorm(OnnxNode& n) {
  n.onlyAttrs({"epsilon", "momentum", "training_mode", "spatial", "is_test", "consumed_inputs"});
  if (n.attrInt("training_mode", 0) != 0 || n.hasOutput(1) || n.hasOutput(2))
    n.fail("training mode (batch statistics) is not supported yet");
  if (n.opset() < 9 && n.attrInt("spatial", 1) != 1) n.fail("spatial=0 is not supported");
  Emitter& e = n.e();
  Value x = n.input(0), scale = n.input(1), bias = n.input(2), mean = n.input(3),
        var = n.input(4);
  Dims xs = Emitter::shape(x);
  if (xs.size() < 2) n.fail("input must have rank >= 2, got " + dimsString(xs));
  for (Value v : {scale, bias, mean, var})
    if (Emitter::shape(v) != Dims{xs[1]})
      n.fail("scale, B, mean and var must have shape [" + std::to_string(xs[1]) + "], got " +
             dimsString(Emitter::shape(v)));
  // The factors are computed in the statistics' type (f32 for an f16 model
  // usually) and converted once, so that small variances keep their precision.
  mlir::Type st = Emitter::elementType(var), et = Emitter::elementType(x);
  Value eps = e.splat(n.attrFloat("epsilon", 1e-5f), st, {xs[1]});
  Value s = e.mul(e.convert(scale, st), e.unary<RsqrtOp>(e.add(var, eps)));
  Value shift = e.sub(e.convert(bias, st), e.mul(e.convert(mean, st), s));
  return {e.add(e.mul(x, e.broadcastInDim(e.convert(s, et), {1}, xs)),
                e.broadcastInDim(e.convert(shift, et), {1}, xs))};
}

}  // namespace

void registerNNOps(ConverterTable& t) {
  t["Softmax"] = softmax;
  t["LogSoftmax"] = logSoftmax;
  t["Conv"] = conv;
  t["MaxPool"] = maxPool;
  t["AveragePool"] = averagePool;
  t["GlobalAveragePool"] = globalPool<ReduceKind::Sum>;
  t["GlobalMaxPool"] = globalPool<ReduceKind::Max>;
  t["BatchNormalization"] = batchNorm;
}

}  // namespace dlc::onnx_import
