// ONNX neural-network ops: softmax, convolution, pooling, batch norm.
#include "frontend/onnx/ops/ConvPoolCommon.h"

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
  if (!Emitter::elementType(x).isa<mlir::FloatType>()) n.fail("input must be a floating-point tensor");
  if (n.opset() >= 13) return {n.axis(n.attrInt("axis", -1), r)};
  return range(n.axis(n.attrInt("axis", 1), r), r);
}

// softmax = exp(x - max) / sum(exp(x - max)), stable for large logits.
// f16/bf16 are computed in f32 and rounded once.
std::vector<Value> softmax(OnnxNode& n) {
  Value in = n.input(0);
  Dims dims = softmaxDims(n, in);
  Emitter& e = n.e();
  Value x = e.convert(in, e.computeType(in));
  Value ex = e.unary<ExpOp>(e.sub(x, e.reduceKeep(ReduceKind::Max, x, dims)));
  return {e.convert(e.div(ex, e.reduceKeep(ReduceKind::Sum, ex, dims)), Emitter::elementType(in))};
}

// log_softmax = (x - max) - log(sum(exp(x - max))).
std::vector<Value> logSoftmax(OnnxNode& n) {
  Value in = n.input(0);
  Dims dims = softmaxDims(n, in);
  Emitter& e = n.e();
  Value x = e.convert(in, e.computeType(in));
  Value shifted = e.sub(x, e.reduceKeep(ReduceKind::Max, x, dims));
  Value lse = e.unary<LogOp>(e.reduce(ReduceKind::Sum, e.unary<ExpOp>(shifted), dims));
  Value y = e.sub(shifted, e.unreduce(lse, dims, Emitter::shape(x)));
  return {e.convert(y, Emitter::elementType(in))};
}

}  // namespace

Dims weightKernel(OnnxNode& n, const Dims& ws) {
  Dims kernel(ws.begin() + 2, ws.end());
  if (n.hasAttr("kernel_shape") && n.attrInts("kernel_shape", {}) != kernel)
    n.fail("kernel_shape " + dimsString(n.attrInts("kernel_shape", {})) +
           " differs from the weight's " + dimsString(kernel));
  return kernel;
}

Window convWindow(OnnxNode& n, Value x, Value w) {
  Dims xs = Emitter::shape(x), ws = Emitter::shape(w);
  if (xs.size() < 3) n.fail("input must be N x C x D1 ... Dn, got " + dimsString(xs));
  if (ws.size() != xs.size()) n.fail("weight rank differs from input rank");
  Dims kernel = weightKernel(n, ws);
  Window win = windowAttrs(n, Dims(xs.begin() + 2, xs.end()), kernel);
  return win;
}

// The spatial window of Conv and the pools, with auto_pad resolved.
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
  Window win = convWindow(n, x, w);
  Value y = e.convolution(x, w, win.strides, win.padLow, win.padHigh, win.dilations,
                          n.attrInt("group", 1));
  if (n.hasInput(2)) {
    Value b = n.input(2);
    int64_t m = Emitter::shape(w)[0];
    if (Emitter::shape(b) != Dims{m})
      n.fail("bias must have shape [" + std::to_string(m) + "], got " +
             dimsString(Emitter::shape(b)));
    y = e.add(y, e.broadcastInDim(b, {1}, Emitter::shape(y)));
  }
  return {y};
}

}  // namespace

// Pool attributes over the spatial dims, extended to the whole tensor
// (N and C get window 1), with ceil_mode turned into extra high padding.
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

namespace {

Dims plus(const Dims& a, const Dims& b) {
  Dims r = a;
  for (size_t i = 0; i < r.size(); ++i) r[i] += b[i];
  return r;
}

// The lowest value of x's element type: padding that never wins a max.
Value lowest(Emitter& e, Value x) {
  mlir::Type t = Emitter::elementType(x);
  if (t.isa<mlir::FloatType>()) return e.splat(-INFINITY, t);
  unsigned bits = t.getIntOrFloatBitWidth();
  return e.splat(bits == 1 ? 0.0 : -std::ldexp(1.0, static_cast<int>(bits) - 1), t);
}

// MaxPool's Indices output: for each window, the flat index into N x C x D...
// of its first maximum in row-major window order (what the reference and
// ORT pick on ties). Every window offset is a strided slice of the padded
// input; the winning position is the smallest index whose value equals the
// window's max. storage_order 1 numbers the spatial position column-major.
Value maxPoolIndices(OnnxNode& n, Value x, Value y, const PoolWindow& p) {
  Emitter& e = n.e();
  Dims xs = Emitter::shape(x), ys = Emitter::shape(y);
  int64_t r = static_cast<int64_t>(xs.size());
  Dims spatial(xs.begin() + 2, xs.end());
  int64_t plane = rt::numElements(spatial);
  mlir::Type i64 = e.builder().getI64Type();
  std::vector<int64_t> rowMajor(plane);
  for (int64_t i = 0; i < plane; ++i) rowMajor[i] = i;
  Value idx = e.broadcastInDim(indexConstant(e, rowMajor, spatial), range(2, r), xs);
  Dims zero(r, 0), high = plus(p.padHigh, p.extra);
  Value xp = x, ip = idx;
  if (p.padLow != zero || high != zero) {
    xp = e.pad(x, lowest(e, x), p.padLow, high, zero);
    ip = e.pad(idx, e.splat(static_cast<double>(plane), i64), p.padLow, high, zero);
  }
  Value none = e.splat(static_cast<double>(plane), i64, ys);  // above every real index
  Value best = none;
  Dims offset(r, 0);
  for (bool more = true; more;) {
    Dims start(r), limit(r);
    for (int64_t d = 0; d < r; ++d) {
      start[d] = offset[d] * p.dilations[d];
      limit[d] = start[d] + (ys[d] - 1) * p.strides[d] + 1;
    }
    Value v = e.slice(xp, start, limit, p.strides);
    Value k = e.slice(ip, start, limit, p.strides);
    best = e.min(best, e.select(e.compare(CompareDirection::EQ, v, y), k, none));
    // Next offset, row-major over the spatial window dims.
    more = false;
    for (int64_t d = r - 1; d >= 2 && !more; --d) {
      if (++offset[d] < p.window[d]) more = true;
      else offset[d] = 0;
    }
  }
  if (n.attrInt("storage_order", 0) != 0) {
    // Column-major: the first spatial dim varies fastest.
    Value col = e.splat(0.0, i64, ys);
    int64_t rowStride = plane, colStride = 1;
    for (int64_t d = 0; d < r - 2; ++d) {
      rowStride /= spatial[d];
      Value c2 = e.splat(static_cast<double>(spatial[d]), i64, ys);
      Value coord = e.binary<RemOp>(e.div(best, e.splat(static_cast<double>(rowStride), i64, ys)),
                                    c2);
      col = e.add(col, e.mul(coord, e.splat(static_cast<double>(colStride), i64, ys)));
      colStride *= spatial[d];
    }
    best = col;
  }
  // Add the offset of the (n, c) plane.
  Value c3 = e.splat(static_cast<double>(plane), i64, ys);
  Value iota2 = e.iota(ys, 1, i64);
  Value c4 = e.splat(static_cast<double>(xs[1]), i64, ys);
  Value plane0 = e.mul(e.add(e.mul(e.iota(ys, 0, i64), c4),
                             iota2), c3);
  return e.add(best, plane0);
}

std::vector<Value> maxPool(OnnxNode& n) {
  n.onlyAttrs({"auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order",
               "strides"});
  Value x = n.input(0);
  PoolWindow p = poolAttrs(n, x);
  Value y = n.e().reduceWindow(ReduceKind::Max, x, p.window, p.strides, p.padLow,
                               plus(p.padHigh, p.extra), p.dilations);
  if (!n.hasOutput(1)) return {y};
  return {y, maxPoolIndices(n, x, y, p)};
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

// Whether BatchNormalization runs in training mode (batch statistics):
// the training_mode attribute from opset 14; before, the presence of the
// running-statistics outputs (opsets 7-13) or is_test = 0 (opsets 1-6).
bool batchNormTraining(OnnxNode& n) {
  if (n.opset() >= 14) {
    if (n.attrInt("training_mode", 0) != 0) return true;
    if (n.hasOutput(1) || n.hasOutput(2))
      n.fail("running_mean and running_var are outputs of training mode only (training_mode = 1)");
    return false;
  }
  if (n.opset() < 7) return n.attrInt("is_test", 0) == 0;
  for (size_t i = 1; i < 5; ++i)
    if (n.hasOutput(i)) return true;
  return false;
}

// y = x * s + (B - mean * s), s = scale / sqrt(var + eps), with the
// per-channel factors computed once on [C] in the statistics' type and
// converted once, so that small variances keep their precision.
Value batchNormApply(OnnxNode& n, Value x, Value scale, Value bias, Value mean, Value var) {
  Emitter& e = n.e();
  Dims xs = Emitter::shape(x);
  mlir::Type st = Emitter::elementType(var), et = Emitter::elementType(x);
  Value eps = e.splat(n.attrFloat("epsilon", 1e-5f), st, {xs[1]});
  Value rsqrt = e.unary<RsqrtOp>(e.add(var, eps));
  Value s = e.mul(e.convert(scale, st), rsqrt);
  Value prod = e.mul(e.convert(mean, st), s);
  Value shift = e.sub(e.convert(bias, st), prod);
  Value bcast = e.broadcastInDim(e.convert(shift, et), {1}, xs);
  return e.add(e.mul(x, e.broadcastInDim(e.convert(s, et), {1}, xs)), bcast);
}

// Batch mean and population variance over every dim but the channels, in
// the wider of x's compute type and the statistics' type.
std::pair<Value, Value> batchMoments(OnnxNode& n, Value x, Value var) {
  Emitter& e = n.e();
  Dims xs = Emitter::shape(x);
  mlir::Type st = Emitter::elementType(var), ct = e.computeType(x);
  if (st.getIntOrFloatBitWidth() > ct.getIntOrFloatBitWidth()) ct = st;
  Dims dims = range(0, static_cast<int64_t>(xs.size()));
  dims.erase(dims.begin() + 1);
  return e.moments(e.convert(x, ct), dims);
}

// The training import (dlc train) of any BatchNormalization, whatever its
// mode: what torch's BatchNorm does in model.train(). It normalises with the
// batch mean and population variance and updates the running statistics as
// running = given * momentum + batch * (1 - momentum) (ONNX momentum 0.9 is
// torch's 0.1), where the batch variance of running_var is the UNBIASED one
// (n / (n - 1) times the population variance, n values per channel), as
// torch does, where ONNX's training mode uses the population variance. The
// new statistics are state updates of the mean and var inputs (carried from
// step to step when they are graph inputs) and outputs 1 and 2 if the node
// has them; 3 and 4 are the batch mean and population variance.
std::vector<Value> batchNormTrainStep(OnnxNode& n, Value x, Value scale, Value bias, Value mean,
                                      Value var) {
  Emitter& e = n.e();
  Dims xs = Emitter::shape(x);
  int64_t count = 1;
  for (size_t i = 0; i < xs.size(); ++i)
    if (i != 1) count *= xs[i];
  if (count < 2)
    n.fail("training needs more than one value per channel (the batch and spatial dims hold " +
           std::to_string(count) + ")");
  auto [bmean, bvar] = batchMoments(n, x, var);
  Value y = batchNormApply(n, x, scale, bias, bmean, bvar);
  double momentum = n.attrFloat("momentum", 0.9f);
  auto running = [&](Value given, Value batch, double factor) {
    mlir::Type t = Emitter::elementType(given);
    Value rate = e.splat((1.0 - momentum) * factor, t);
    Value batchT = e.convert(batch, t);
    Value added = e.mul(batchT, rate);
    Value decay = e.splat(momentum, t);
    Value kept = e.mul(given, decay);
    return e.add(kept, added);
  };
  Value newMean = running(mean, bmean, 1.0);
  Value newVar = running(var, bvar, static_cast<double>(count) / static_cast<double>(count - 1));
  n.scope().stateUpdates.emplace_back(n.proto().input(3), newMean);
  n.scope().stateUpdates.emplace_back(n.proto().input(4), newVar);
  return {y, newMean, newVar, e.convert(bmean, Emitter::elementType(mean)),
          e.convert(bvar, Emitter::elementType(var))};
}

// Inference mode normalises with the given mean and var. Training mode
// normalises with the batch's mean and population variance over every dim
// but the channels, and updates the running statistics:
// running = input * momentum + batch * (1 - momentum). Before opset 14 the
// outputs saved_mean and saved_var are the batch mean and variance.
std::vector<Value> batchNorm(OnnxNode& n) {
  n.onlyAttrs({"epsilon", "momentum", "training_mode", "spatial", "is_test", "consumed_inputs"});
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
  for (Value v : {x, scale, bias, mean, var})
    if (!Emitter::elementType(v).isa<mlir::FloatType>())
      n.fail("inputs must be floating-point tensors");
  if (n.scope().training) return batchNormTrainStep(n, x, scale, bias, mean, var);
  if (!batchNormTraining(n)) return {batchNormApply(n, x, scale, bias, mean, var)};

  mlir::Type st = Emitter::elementType(var);
  auto [bmean, bvar] = batchMoments(n, x, var);
  Value y = batchNormApply(n, x, scale, bias, bmean, bvar);
  double momentum = n.attrFloat("momentum", 0.9f);
  auto running = [&](Value given, Value batch) {
    mlir::Type t = Emitter::elementType(given);
    Value rest = e.splat(1.0 - momentum, t);
    Value prod = e.mul(e.convert(batch, t), rest);
    return e.add(e.mul(given, e.splat(momentum, t)), prod);
  };
  mlir::Type mt = Emitter::elementType(mean);
  return {y, running(mean, bmean), running(var, bvar), e.convert(bmean, mt), e.convert(bvar, st)};
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
