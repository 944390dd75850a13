// ONNX convolution and pooling variants beyond NN.cpp: ConvTranspose, LpPool,
// GlobalLpPool, MaxUnpool, Col2Im; and the shared builders of ConvPoolCommon.h.
#include "frontend/onnx/ops/ConvPoolCommon.h"

#include <cmath>

#include "ir/TensorConversions.h"

namespace dlc::onnx_import {

using mlir::Value;

//===--- shared builders (ConvPoolCommon.h) --------------------------------===//

Value indexConstant(Emitter& e, const std::vector<int64_t>& values, const Dims& shape) {
  rt::HostTensor t(rt::TensorType{rt::DType::I64, shape});
  std::copy(values.begin(), values.end(), t.as<int64_t>());
  return e.constant(t);
}

Value valueConstant(Emitter& e, const std::vector<double>& values, const Dims& shape,
                    mlir::Type element) {
  std::optional<rt::DType> dt = dtypeOf(element);
  if (!dt) throw EmitError("element type has no constant form");
  rt::HostTensor t(rt::TensorType{*dt, shape});
  for (size_t i = 0; i < values.size(); ++i)
    rt::storeFromDouble(t.ref(), static_cast<int64_t>(i), values[i]);
  return e.constant(t);
}

std::vector<double> floatsInput(OnnxNode& n, size_t i, const char* what) {
  if (!n.hasInput(i)) return {};
  const rt::HostTensor* t = n.constantInput(i);
  if (!t)
    n.fail(std::string(what) + " (input " + std::to_string(i) +
           ") must be a compile-time constant (an initializer, a Constant, or a graph input "
           "whose value dlc run is given)");
  std::vector<double> out;
  for (int64_t k = 0; k < t->numElements(); ++k) out.push_back(rt::loadAsDouble(t->cref(), k));
  return out;
}

Dims spatialDims(OnnxNode& n, Value x) {
  Dims xs = Emitter::shape(x);
  if (xs.size() < 3) n.fail("input must be N x C x D1 ... Dn, got " + dimsString(xs));
  return Dims(xs.begin() + 2, xs.end());
}

namespace {

// Python's floor division, which the ONNX formulas for padding use.
int64_t floorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

Dims range(int64_t from, int64_t to) {
  Dims d;
  for (int64_t i = from; i < to; ++i) d.push_back(i);
  return d;
}

//===--- ConvTranspose ------------------------------------------------------===//

// The transposed convolution's output crop per spatial dim: output[j] is the
// full result's element j + low, and `high` elements are cut at the end
// (negative values extend with zeros), from pads, auto_pad or output_shape.
struct TransposeCrop {
  Dims low, high;
};

TransposeCrop transposeCrop(OnnxNode& n, const Dims& in, const Dims& full, const Dims& strides) {
  size_t k = in.size();
  std::string autoPad = n.attrString("auto_pad", "NOTSET");
  if (autoPad != "NOTSET" && autoPad != "VALID" && autoPad != "SAME_UPPER" &&
      autoPad != "SAME_LOWER")
    n.fail("auto_pad '" + autoPad + "' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID");
  bool same = autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER";
  if (autoPad != "NOTSET" && n.hasAttr("pads"))
    n.fail("pads cannot be given together with auto_pad '" + autoPad + "'");
  Dims pads = n.attrInts("pads", Dims(2 * k, 0));
  if (pads.size() != 2 * k) n.fail("pads needs " + std::to_string(2 * k) + " entries");
  Dims outShape;
  if (n.hasAttr("output_shape")) {
    outShape = n.attrInts("output_shape", {});
    if (outShape.size() == k + 2) outShape.erase(outShape.begin(), outShape.begin() + 2);
    if (outShape.size() != k)
      n.fail("output_shape needs " + std::to_string(k) + " spatial entries, got " +
             dimsString(outShape));
  } else if (same) {
    for (size_t i = 0; i < k; ++i) outShape.push_back(in[i] * strides[i]);
  }
  TransposeCrop c;
  for (size_t i = 0; i < k; ++i) {
    if (outShape.empty()) {  // explicit (or VALID: zero) pads
      c.low.push_back(pads[i]);
      c.high.push_back(pads[i + k]);
    } else if (n.hasAttr("pads")) {  // pads and output_shape: crop at the start, fit the end
      c.low.push_back(pads[i]);
      c.high.push_back(full[i] - pads[i] - outShape[i]);
    } else {  // pads derived from the requested size, the extra one at the end for SAME_UPPER
      int64_t total = full[i] - outShape[i];
      int64_t half = floorDiv(total, 2);
      c.low.push_back(autoPad == "SAME_UPPER" ? half : total - half);
      c.high.push_back(total - c.low.back());
    }
    if (full[i] - c.low[i] - c.high[i] < 1)
      n.fail("output size " + std::to_string(full[i] - c.low[i] - c.high[i]) +
             " in spatial dimension " + std::to_string(i) + " is not positive");
  }
  return c;
}

// ConvTranspose as a convolution: the input is spread out by the strides
// (interior padding of stride - 1 zeros) and padded by the dilated kernel
// extent less the crop; the kernel is spatially reversed and its in/out
// channels swapped within each group (C x M/g -> M x C/g).
std::vector<Value> convTranspose(OnnxNode& n) {
  n.onlyAttrs({"auto_pad", "dilations", "group", "kernel_shape", "output_padding", "output_shape",
               "pads", "strides"});
  Emitter& e = n.e();
  Value x = n.input(0), w = n.input(1);
  Dims xs = Emitter::shape(x), ws = Emitter::shape(w);
  Dims in = spatialDims(n, x);
  size_t k = in.size();
  int64_t r = static_cast<int64_t>(xs.size());
  if (ws.size() != xs.size()) n.fail("weight rank differs from input rank");
  int64_t group = n.attrInt("group", 1);
  if (group < 1 || xs[1] % group != 0 || ws[0] != xs[1])
    n.fail("weight must have " + std::to_string(xs[1]) + " input channels divisible by group " +
           std::to_string(group) + ", got weight " + dimsString(ws));
  Dims kernel = weightKernel(n, ws);
  for (int64_t d : kernel)
    if (d < 1) n.fail("the weight's kernel " + dimsString(kernel) + " has an empty dimension");
  Dims strides = n.attrInts("strides", Dims(k, 1));
  Dims dilations = n.attrInts("dilations", Dims(k, 1));
  Dims outPad = n.attrInts("output_padding", Dims(k, 0));
  if (strides.size() != k || dilations.size() != k || outPad.size() != k)
    n.fail("strides, dilations and output_padding need " + std::to_string(k) + " entries");
  Dims full(k), extent(k);
  for (size_t i = 0; i < k; ++i) {
    if (strides[i] < 1 || dilations[i] < 1) n.fail("strides and dilations must be >= 1");
    if (outPad[i] < 0) n.fail("output_padding must be >= 0");
    extent[i] = (kernel[i] - 1) * dilations[i];
    full[i] = strides[i] * (in[i] - 1) + outPad[i] + extent[i] + 1;
  }
  TransposeCrop c = transposeCrop(n, in, full, strides);

  Dims low = {0, 0}, high = {0, 0}, interior = {0, 0};
  for (size_t i = 0; i < k; ++i) {
    low.push_back(extent[i] - c.low[i]);
    high.push_back(extent[i] - c.high[i] + outPad[i]);
    interior.push_back(strides[i] - 1);
  }
  Value spread = e.pad(x, e.splat(0.0, Emitter::elementType(x)), low, high, interior);

  int64_t cin = xs[1] / group, coutG = ws[1];
  Dims grouped = {group, cin, coutG};
  grouped.insert(grouped.end(), kernel.begin(), kernel.end());
  Dims perm = {0, 2, 1};
  for (int64_t d = 3; d < r + 1; ++d) perm.push_back(d);
  Dims filterShape = {group * coutG, cin};
  filterShape.insert(filterShape.end(), kernel.begin(), kernel.end());
  Value filter = e.reshape(e.transpose(e.reshape(w, grouped), perm), filterShape);
  filter = e.reverse(filter, range(2, r));

  Value y = e.convolution(spread, filter, Dims(k, 1), Dims(k, 0), Dims(k, 0), dilations, group);
  if (n.hasInput(2)) {
    Value b = n.input(2);
    if (Emitter::shape(b) != Dims{group * coutG})
      n.fail("bias must have shape [" + std::to_string(group * coutG) + "], got " +
             dimsString(Emitter::shape(b)));
    y = e.add(y, e.broadcastInDim(b, {1}, Emitter::shape(y)));
  }
  return {y};
}

//===--- LpPool --------------------------------------------------------------===//

// The p of LpPool / GlobalLpPool: a float attribute in opset 1, an int after.
double lpExponent(OnnxNode& n) {
  if (n.opset() < 2) {
    double p = n.attrFloat("p", 2.0f);
    if (!(p > 0)) n.fail("p must be positive");
    return p;
  }
  int64_t p = n.attrInt("p", 2);
  if (p < 1) n.fail("p must be positive, got " + std::to_string(p));
  return static_cast<double>(p);
}

// |x|^p, with the common exponents as multiplications.
Value absPow(Emitter& e, Value x, double p) {
  Value a = e.unary<AbsOp>(x);
  if (p == 1) return a;
  if (p == 2) return e.mul(x, x);
  return e.binary<PowOp>(a, e.splatLike(p, a));
}

// s^(1/p).
Value root(Emitter& e, Value s, double p) {
  if (p == 1) return s;
  if (p == 2) return e.unary<SqrtOp>(s);
  return e.binary<PowOp>(s, e.splatLike(1.0 / p, s));
}

// LpPool = (sum over the window of |x|^p)^(1/p); padding adds zeros.
std::vector<Value> lpPool(OnnxNode& n) {
  n.onlyAttrs({"auto_pad", "ceil_mode", "dilations", "kernel_shape", "p", "pads", "strides"});
  Emitter& e = n.e();
  Value x = n.input(0);
  if (!Emitter::elementType(x).isa<mlir::FloatType>()) n.fail("input must be a float tensor");
  double p = lpExponent(n);
  PoolWindow w = poolAttrs(n, x);
  Dims high = w.padHigh;
  for (size_t i = 0; i < high.size(); ++i) high[i] += w.extra[i];
  Value s = e.reduceWindow(ReduceKind::Sum, absPow(e, x, p), w.window, w.strides, w.padLow, high,
                           w.dilations);
  return {root(e, s, p)};
}

// GlobalLpPool: the same over every spatial dim, kept as size 1.
std::vector<Value> globalLpPool(OnnxNode& n) {
  n.onlyAttrs({"p"});
  Emitter& e = n.e();
  Value x = n.input(0);
  if (!Emitter::elementType(x).isa<mlir::FloatType>()) n.fail("input must be a float tensor");
  double p = lpExponent(n);
  Dims xs = Emitter::shape(x);
  spatialDims(n, x);
  Value s = e.reduce(ReduceKind::Sum, absPow(e, x, p), range(2, static_cast<int64_t>(xs.size())));
  Dims out = {xs[0], xs[1]};
  out.resize(xs.size(), 1);
  return {e.reshape(root(e, s, p), out)};
}

//===--- MaxUnpool -----------------------------------------------------------===//

// MaxUnpool scatters each value to its flat index in the tensor MaxPool's
// output came from ((in - 1) * stride - pads + kernel per dim), then places
// that tensor at the start of output_shape when one is given. Positions
// written by several values take their mean (equal values in MaxPool's
// indices, so the value itself).
std::vector<Value> maxUnpool(OnnxNode& n) {
  n.onlyAttrs({"kernel_shape", "pads", "strides"});
  Emitter& e = n.e();
  Value x = n.input(0), idx = n.input(1);
  Dims xs = Emitter::shape(x);
  Dims in = spatialDims(n, x);
  size_t k = in.size();
  if (Emitter::shape(idx) != xs) n.fail("indices must have the shape of X " + dimsString(xs));
  Dims kernel = n.attrInts("kernel_shape", {});
  Dims strides = n.attrInts("strides", Dims(k, 1));
  Dims pads = n.attrInts("pads", Dims(2 * k, 0));
  if (kernel.size() != k || strides.size() != k || pads.size() != 2 * k)
    n.fail("kernel_shape and strides need " + std::to_string(k) + " entries, pads " +
           std::to_string(2 * k));
  Dims inferred = {xs[0], xs[1]};
  for (size_t i = 0; i < k; ++i) {
    if (kernel[i] < 1 || strides[i] < 1 || pads[i] < 0 || pads[i + k] < 0)
      n.fail("kernel_shape and strides must be >= 1, pads >= 0");
    inferred.push_back((in[i] - 1) * strides[i] - pads[i] - pads[i + k] + kernel[i]);
    if (inferred.back() < 1)
      n.fail("the unpooled size in spatial dimension " + std::to_string(i) + " is " +
             std::to_string(inferred.back()) + ", must be >= 1");
  }
  Dims outShape = inferred;
  if (n.hasInput(2)) {
    outShape = n.intsInput(2, "output_shape");
    if (outShape.size() != xs.size())
      n.fail("output_shape must have " + std::to_string(xs.size()) + " entries");
    for (size_t i = 0; i < outShape.size(); ++i)
      if (outShape[i] < inferred[i])
        n.fail("output_shape " + dimsString(outShape) + " is smaller than the unpooled shape " +
               dimsString(inferred));
  }
  int64_t total = rt::numElements(inferred), count = rt::numElements(xs);
  mlir::Type et = Emitter::elementType(x);
  Value flatIdx = e.convert(e.reshape(idx, {count}), e.builder().getI64Type());
  Value reshaped = e.reshape(x, {count});
  Value sum = e.scatter(ScatterKind::Add, e.splat(0.0, et, {total}), flatIdx, reshaped, 0);
  Value one = e.splat(1.0, et, {count});
  Value hits = e.scatter(ScatterKind::Add, e.splat(0.0, et, {total}), flatIdx, one, 0);
  Value y = e.div(sum, e.max(hits, e.splat(1.0, et, {total})));
  y = e.reshape(y, inferred);
  Dims zero(xs.size(), 0), high(xs.size());
  for (size_t i = 0; i < xs.size(); ++i) high[i] = outShape[i] - inferred[i];
  return {e.pad(y, e.splat(0.0, et), zero, high, zero)};
}

//===--- Col2Im --------------------------------------------------------------===//

// Col2Im adds every column entry (block offset b, block position l) into the
// padded image at l * stride + b * dilation per dim: one scatter-add along the
// flattened padded image with a compile-time index table, then the pads are
// cut off.
std::vector<Value> col2Im(OnnxNode& n) {
  n.onlyAttrs({"dilations", "pads", "strides"});
  Emitter& e = n.e();
  Value x = n.input(0);
  Dims xs = Emitter::shape(x);
  if (xs.size() != 3) n.fail("input must be N x (C * prod(block_shape)) x L, got " + dimsString(xs));
  Dims image = n.intsInput(1, "image_shape"), block = n.intsInput(2, "block_shape");
  size_t k = image.size();
  if (k == 0 || block.size() != k)
    n.fail("image_shape and block_shape must have the same non-zero length");
  Dims strides = n.attrInts("strides", Dims(k, 1));
  Dims dilations = n.attrInts("dilations", Dims(k, 1));
  Dims pads = n.attrInts("pads", Dims(2 * k, 0));
  if (strides.size() != k || dilations.size() != k || pads.size() != 2 * k)
    n.fail("strides and dilations need " + std::to_string(k) + " entries, pads " +
           std::to_string(2 * k));
  int64_t blockSize = rt::numElements(block);
  if (blockSize < 1 || xs[1] % blockSize != 0)
    n.fail("input dimension 1 (" + std::to_string(xs[1]) +
           ") is not a multiple of the block size " + std::to_string(blockSize));
  Dims padded(k), blocks(k);
  for (size_t i = 0; i < k; ++i) {
    if (strides[i] < 1 || dilations[i] < 1 || pads[i] < 0 || pads[i + k] < 0 || block[i] < 1)
      n.fail("strides, dilations and block_shape must be >= 1, pads >= 0");
    padded[i] = image[i] + pads[i] + pads[i + k];
    blocks[i] = (padded[i] - (dilations[i] * (block[i] - 1) + 1)) / strides[i] + 1;
    if (blocks[i] < 1) n.fail("the block does not fit the padded image in dimension " +
                              std::to_string(i));
  }
  int64_t positions = rt::numElements(blocks);
  if (xs[2] != positions)
    n.fail("input dimension 2 (" + std::to_string(xs[2]) + ") must be the number of blocks " +
           std::to_string(positions) + " (" + dimsString(blocks) + ")");
  rt::Shape pstrides = rt::rowMajorStrides(padded);
  rt::Shape bstrides = rt::rowMajorStrides(block), lstrides = rt::rowMajorStrides(blocks);
  std::vector<int64_t> table(blockSize * positions);
  for (int64_t b = 0; b < blockSize; ++b)
    for (int64_t l = 0; l < positions; ++l) {
      int64_t flat = 0;
      for (size_t i = 0; i < k; ++i) {
        int64_t bi = b / bstrides[i] % block[i], li = l / lstrides[i] % blocks[i];
        flat += (li * strides[i] + bi * dilations[i]) * pstrides[i];
      }
      table[b * positions + l] = flat;
    }
  int64_t c = xs[1] / blockSize;
  mlir::Type et = Emitter::elementType(x);
  Value updates = e.reshape(x, {xs[0], c, blockSize, positions});
  Value indexConstant2 = indexConstant(e, table, {blockSize, positions});
  Value img = e.scatter(ScatterKind::Add, e.splat(0.0, et, {xs[0], c, rt::numElements(padded)}),
                           indexConstant2, updates, 2);
  Dims full = {xs[0], c};
  full.insert(full.end(), padded.begin(), padded.end());
  img = e.reshape(img, full);
  Dims start = {0, 0}, limit = {xs[0], c};
  for (size_t i = 0; i < k; ++i) {
    start.push_back(pads[i]);
    limit.push_back(pads[i] + image[i]);
  }
  return {e.slice(img, start, limit, Dims(k + 2, 1))};
}

//===--- DeformConv ----------------------------------------------------------===//

// Bilinear taps along one dim of size d at run-time positions p: the two
// neighbours floor(p) and floor(p) + 1 as i64 indices (clamped) and their
// weights, zero for a neighbour outside [0, d) (zero padding).
std::vector<std::pair<Value, Value>> bilinearTaps(Emitter& e, Value p, int64_t d) {
  Value lo = e.unary<FloorOp>(p);
  Value frac = e.sub(p, lo);
  std::vector<std::pair<Value, Value>> taps;
  Value one = e.splatLike(1.0, p);
  for (int k = 0; k < 2; ++k) {
    Value pos = k == 0 ? lo : e.add(lo, one);
    Value w = k == 0 ? e.sub(one, frac) : frac;
    Value zero = e.splatLike(0.0, p), last = e.splatLike(static_cast<double>(d - 1), p);
    Value cond = e.compare(CompareDirection::GT, pos, last);
    Value outside = e.binary<OrOp>(e.compare(CompareDirection::LT, pos, zero), cond);
    Value clamped = e.min(e.max(pos, zero), last);
    taps.push_back({e.convert(clamped, e.builder().getI64Type()), e.select(outside, zero, w)});
  }
  return taps;
}

// DeformConv: every kernel tap reads the input at its regular position plus
// a learned offset (bilinear, zeros outside), scaled by the mask; the samples
// form im2col columns [N, C, taps, positions] that a grouped contraction with
// the weights turns into the output.
std::vector<Value> deformConv(OnnxNode& n) {
  n.onlyAttrs({"dilations", "group", "kernel_shape", "offset_group", "pads", "strides"});
  Emitter& e = n.e();
  Value x = n.input(0), w = n.input(1), off = n.input(2);
  Dims xs = Emitter::shape(x), ws = Emitter::shape(w), os = Emitter::shape(off);
  Dims in = spatialDims(n, x);
  int64_t k = static_cast<int64_t>(in.size());
  mlir::Type et = Emitter::elementType(x);
  if (!et.isa<mlir::FloatType>()) n.fail("input must be a float tensor");
  if (ws.size() != xs.size() || os.size() != xs.size())
    n.fail("W and offset must have the input's rank " + std::to_string(xs.size()));
  Dims kernel = weightKernel(n, ws);
  for (int64_t d : kernel)
    if (d < 1) n.fail("the weight's kernel " + dimsString(kernel) + " has an empty dimension");
  int64_t group = n.attrInt("group", 1), og = n.attrInt("offset_group", 1);
  int64_t c = xs[1], oc = ws[0], kp = rt::numElements(kernel);
  if (group < 1 || c % group != 0 || oc % group != 0 || ws[1] * group != c)
    n.fail("weight " + dimsString(ws) + " does not fit " + std::to_string(c) +
           " input channels in " + std::to_string(group) + " group(s)");
  if (og < 1 || c % og != 0) n.fail("offset_group must divide the input channels");
  Dims strides = n.attrInts("strides", Dims(k, 1));
  Dims dilations = n.attrInts("dilations", Dims(k, 1));
  Dims pads = n.attrInts("pads", Dims(2 * k, 0));
  if (strides.size() != static_cast<size_t>(k) || dilations.size() != static_cast<size_t>(k) ||
      pads.size() != static_cast<size_t>(2 * k))
    n.fail("strides and dilations need " + std::to_string(k) + " entries, pads " +
           std::to_string(2 * k));
  Dims outSp(os.begin() + 2, os.end());
  for (int64_t i = 0; i < k; ++i) {
    if (strides[i] < 1 || dilations[i] < 1 || pads[i] < 0 || pads[i + k] < 0)
      n.fail("strides and dilations must be >= 1, pads >= 0");
    int64_t expect =
        (in[i] + pads[i] + pads[i + k] - (kernel[i] - 1) * dilations[i] - 1) / strides[i] + 1;
    if (outSp[i] != expect)
      n.fail("offset spatial shape " + dimsString(outSp) + " differs from the output shape in "
             "dimension " + std::to_string(i) + " (" + std::to_string(expect) + ")");
  }
  if (os[0] != xs[0] || os[1] != og * kp * k)
    n.fail("offset must be N x " + std::to_string(og * kp * k) + " x output, got " +
           dimsString(os));
  // Sample shape [N, og, taps, O...].
  Dims sh = {xs[0], og, kp};
  sh.insert(sh.end(), outSp.begin(), outSp.end());
  int64_t r = static_cast<int64_t>(sh.size());
  Dims split = {xs[0], og, kp, k};
  split.insert(split.end(), outSp.begin(), outSp.end());
  Value offs = e.reshape(off, split);
  Value mask;
  if (n.hasInput(4)) {
    Dims ms = Emitter::shape(n.input(4));
    Dims want = {xs[0], og * kp};
    want.insert(want.end(), outSp.begin(), outSp.end());
    if (ms != want) n.fail("mask must be " + dimsString(want) + ", got " + dimsString(ms));
    mask = e.reshape(e.convert(n.input(4), et), sh);
  }
  rt::Shape kstrides = rt::rowMajorStrides(kernel), ostrides = rt::rowMajorStrides(outSp);
  int64_t positions = rt::numElements(outSp);
  std::vector<std::vector<std::pair<Value, Value>>> taps;
  for (int64_t i = 0; i < k; ++i) {
    // Regular position of kernel tap kk at output position o along dim i.
    std::vector<double> base(kp * positions);
    for (int64_t kk = 0; kk < kp; ++kk)
      for (int64_t o = 0; o < positions; ++o)
        base[kk * positions + o] = static_cast<double>(
            -pads[i] + strides[i] * (o / ostrides[i] % outSp[i]) +
            dilations[i] * (kk / kstrides[i] % kernel[i]));
    Dims bs = {kp};
    bs.insert(bs.end(), outSp.begin(), outSp.end());
    Dims start(r + 1, 0), limit = split;
    start[3] = i;
    limit[3] = i + 1;
    Value d = e.reshape(e.slice(offs, start, limit, Dims(r + 1, 1)), sh);
    Value bcast = e.broadcastInDim(valueConstant(e, base, bs, et),
                                                         range(2, r), sh);
    Value pos = e.add(e.convert(d, et), bcast);
    taps.push_back(bilinearTaps(e, pos, in[i]));
  }
  // Flat index ((n * og + g) * P + sum idx_i * stride_i) of every tap combination.
  mlir::Type i64 = e.builder().getI64Type();
  int64_t plane = rt::numElements(in);
  rt::Shape istrides = rt::rowMajorStrides(in);
  Value iota2 = e.iota(sh, 1, i64);
  Value c2 = e.splat(static_cast<double>(og), i64, sh);
  Value nog = e.add(e.mul(e.iota(sh, 0, i64), c2), iota2);
  Value base = e.mul(nog, e.splat(static_cast<double>(plane), i64, sh));
  Dims sh1 = sh;
  sh1.push_back(1);
  std::vector<Value> idxs, wts;
  for (int64_t combo = 0; combo < (int64_t{1} << k); ++combo) {
    Value flat = base, wt = mask;
    for (int64_t i = 0; i < k; ++i) {
      auto& [ti, tw] = taps[i][(combo >> (k - 1 - i)) & 1];
      flat = e.add(flat, e.mul(ti, e.splat(static_cast<double>(istrides[i]), i64, sh)));
      wt = wt ? e.mul(wt, tw) : tw;
    }
    idxs.push_back(e.reshape(flat, sh1));
    wts.push_back(e.reshape(wt, sh1));
  }
  int64_t cg = c / og;
  Value table = e.reshape(e.transpose(e.reshape(x, {xs[0], og, cg, plane}), {0, 1, 3, 2}),
                          {xs[0] * og * plane, cg});
  Value picked = e.gather(table, e.concatenate(idxs, r), 0);  // [N, og, kp, O..., T, cg]
  Value wt = e.concatenate(wts, r);
  Value sampled = e.reduce(ReduceKind::Sum,
                           e.mul(picked, e.broadcastInDim(wt, range(0, r + 1),
                                                          Emitter::shape(picked))),
                           {r});  // [N, og, kp, O..., cg]
  Dims toCols = {0, 1, r};
  for (int64_t d = 2; d < r; ++d) toCols.push_back(d);
  Value cols = e.reshape(e.transpose(sampled, toCols), {xs[0], group, c / group, kp, positions});
  Value wg = e.reshape(w, {group, oc / group, c / group, kp});
  Value y = e.dotGeneral(wg, cols, {0}, {1}, {2, 3}, {2, 3});  // [g, oc/g, N, P]
  Dims out = {xs[0], oc};
  out.insert(out.end(), outSp.begin(), outSp.end());
  y = e.reshape(e.transpose(y, {2, 0, 1, 3}), out);
  if (n.hasInput(3)) {
    Value b = n.input(3);
    if (Emitter::shape(b) != Dims{oc})
      n.fail("bias must have shape [" + std::to_string(oc) + "], got " +
             dimsString(Emitter::shape(b)));
    y = e.add(y, e.broadcastInDim(b, {1}, out));
  }
  return {y};
}

//===--- RoiAlign ------------------------------------------------------------===//

// RoiAlign's samples along one axis of the feature map: for each roi and
// output bin, `ratio` sample coordinates from the run-time roi bounds, as
// [R, bins, ratio] tensors of the two bilinear neighbours and their weights
// (ONNX Runtime's rules: samples beyond [-1, size] count 0, coordinates
// below 0 clamp to 0, the last row/column repeats).
struct RoiTaps {
  Value low, high, wLow, wHigh, valid;  // [R, bins, ratio]
};

RoiTaps roiAxisTaps(Emitter& e, Value start, Value length, int64_t bins, int64_t ratio,
                    int64_t size) {
  Dims rs = Emitter::shape(start);  // [R]
  Dims sh = {rs[0], bins, ratio};
  mlir::Type et = Emitter::elementType(start);
  auto c = [&](double v) { return e.splat(v, et, sh); };
  Value binSize = e.broadcastInDim(e.div(length, e.splat(static_cast<double>(bins), et, rs)),
                                   {0}, sh);
  // start + p * bin + (i + 0.5) * bin / ratio
  auto c2 = c(static_cast<double>(ratio));
  auto half = c(0.5);
  Value quot = e.div(e.add(e.convert(e.iota(sh, 2, e.builder().getI64Type()), et), half), c2);
  Value frac = e.add(e.convert(e.iota(sh, 1, e.builder().getI64Type()), et), quot);
  Value prod = e.mul(frac, binSize);
  Value y = e.add(e.broadcastInDim(start, {0}, sh), prod);
  auto one = c(1);
  auto zero2 = c(0);
  Value cond = e.compare(CompareDirection::GT, y,
                                                  c(static_cast<double>(size)));
  Value valid = e.select(e.binary<OrOp>(e.compare(CompareDirection::LT, y, c(-1.0)), cond),
                         zero2, one);
  y = e.max(y, c(0));
  Value low = e.unary<FloorOp>(y);
  Value last = c(static_cast<double>(size - 1));
  Value atEnd = e.compare(CompareDirection::GE, low, last);
  low = e.select(atEnd, last, low);
  Value high = e.select(atEnd, last, e.add(low, c(1)));
  y = e.select(atEnd, low, y);
  Value l = e.sub(y, low);
  mlir::Type i64 = e.builder().getI64Type();
  return {e.convert(low, i64), e.convert(high, i64), e.sub(c(1), l), l, valid};
}

// RoiAlign: each output bin averages (or maxes) ratio x ratio bilinear
// samples of its roi. The sample positions come from the roi values at run
// time; the fixed sampling_ratio keeps the sample count static.
std::vector<Value> roiAlign(OnnxNode& n) {
  n.onlyAttrs({"coordinate_transformation_mode", "mode", "output_height", "output_width",
               "sampling_ratio", "spatial_scale"});
  Emitter& e = n.e();
  Value x = n.input(0), rois = n.input(1), batch = n.input(2);
  Dims xs = Emitter::shape(x), rs = Emitter::shape(rois);
  if (xs.size() != 4) n.fail("input must be N x C x H x W, got " + dimsString(xs));
  mlir::Type et = Emitter::elementType(x);
  if (!et.isa<mlir::FloatType>()) n.fail("input must be a float tensor");
  if (rs.size() != 2 || rs[1] != 4) n.fail("rois must be R x 4, got " + dimsString(rs));
  if (Emitter::shape(batch) != Dims{rs[0]})
    n.fail("batch_indices must have shape [" + std::to_string(rs[0]) + "]");
  std::string mode = n.attrString("mode", "avg");
  if (mode != "avg" && mode != "max") n.fail("mode '" + mode + "' is not one of avg, max");
  std::string ctm = n.attrString("coordinate_transformation_mode",
                                 n.opset() < 16 ? "output_half_pixel" : "half_pixel");
  if (ctm != "half_pixel" && ctm != "output_half_pixel")
    n.fail("coordinate_transformation_mode '" + ctm +
           "' is not one of half_pixel, output_half_pixel");
  bool halfPixel = ctm == "half_pixel";
  int64_t oh = n.attrInt("output_height", 1), ow = n.attrInt("output_width", 1);
  int64_t ratio = n.attrInt("sampling_ratio", 0);
  if (oh < 1 || ow < 1) n.fail("output_height and output_width must be >= 1");
  if (ratio < 1)
    n.fail("sampling_ratio " + std::to_string(ratio) +
           " (adaptive: a sample count that depends on the roi values) is not supported; "
           "give a positive sampling_ratio");
  double scale = n.attrFloat("spatial_scale", 1.0f);
  int64_t nr = rs[0], h = xs[2], wd = xs[3], ch = xs[1];
  if (h < 1 || wd < 1) n.fail("the feature map " + dimsString(xs) + " is empty");
  Value roisX = e.convert(rois, et);
  auto column = [&](int64_t i) {
    Value col = e.reshape(e.slice(roisX, {0, i}, {nr, i + 1}, {1, 1}), {nr});
    Value c4 = e.splat(halfPixel ? 0.5 : 0.0, et, {nr});
    return e.sub(e.mul(col, e.splat(scale, et, {nr})), c4);
  };
  Value x1 = column(0), y1 = column(1), x2 = column(2), y2 = column(3);
  Value rw = e.sub(x2, x1), rh = e.sub(y2, y1);
  if (!halfPixel) {  // malformed rois become 1 x 1
    rw = e.max(rw, e.splat(1.0, et, {nr}));
    rh = e.max(rh, e.splat(1.0, et, {nr}));
  }
  RoiTaps ty = roiAxisTaps(e, y1, rh, oh, ratio, h);
  RoiTaps tx = roiAxisTaps(e, x1, rw, ow, ratio, wd);
  // Combined shape [R, oh, ow, ry, rx, 4 corners].
  Dims sh = {nr, oh, ow, ratio, ratio};
  mlir::Type i64 = e.builder().getI64Type();
  auto ys = [&](Value v) { return e.broadcastInDim(v, {0, 1, 3}, sh); };
  auto xs2 = [&](Value v) { return e.broadcastInDim(v, {0, 2, 4}, sh); };
  Value c2 = e.splat(static_cast<double>(h * wd), i64, sh);
  Value rowBase = e.mul(e.broadcastInDim(e.convert(batch, i64), {0}, sh), c2);
  auto validB = xs2(tx.valid);
  Value valid = e.mul(ys(ty.valid), validB);
  Dims sh1 = sh;
  sh1.push_back(1);
  std::vector<Value> idxs, wts;
  for (int corner = 0; corner < 4; ++corner) {
    Value yi = ys(corner < 2 ? ty.low : ty.high), xi = xs2(corner % 2 == 0 ? tx.low : tx.high);
    Value wy = ys(corner < 2 ? ty.wLow : ty.wHigh), wx = xs2(corner % 2 == 0 ? tx.wLow : tx.wHigh);
    Value flat = e.add(rowBase, e.add(e.mul(yi, e.splat(static_cast<double>(wd), i64, sh)), xi));
    idxs.push_back(e.reshape(flat, sh1));
    wts.push_back(e.reshape(e.mul(e.mul(wy, wx), valid), sh1));
  }
  Value table = e.reshape(e.transpose(x, {0, 2, 3, 1}), {xs[0] * h * wd, ch});
  Value picked = e.gather(table, e.concatenate(idxs, 5), 0);  // [R, oh, ow, ry, rx, 4, C]
  Value weighted = e.mul(picked, e.broadcastInDim(e.concatenate(wts, 5), range(0, 6),
                                                  Emitter::shape(picked)));
  Value y;
  if (mode == "avg") {
    Value c3 = e.splat(static_cast<double>(ratio * ratio), et, {nr, oh, ow, ch});
    y = e.div(e.reduce(ReduceKind::Sum, weighted, {3, 4, 5}), c3);
  } else {
    y = e.reduce(ReduceKind::Max, weighted, {3, 4, 5});  // ORT: max of weighted corners
  }
  return {e.transpose(y, {0, 3, 1, 2})};
}

//===--- CausalConvWithState -------------------------------------------------===//

// CausalConvWithState (opset 27): a depthwise 1-D convolution over the input
// prefixed by the carried state (zeros when absent), an optional SiLU, and
// the last k - 1 positions of the prefixed input as the next state.
std::vector<Value> causalConvWithState(OnnxNode& n) {
  n.onlyAttrs({"activation"});
  Emitter& e = n.e();
  Value x = n.input(0), w = n.input(1);
  Dims xs = Emitter::shape(x), ws = Emitter::shape(w);
  mlir::Type et = Emitter::elementType(x);
  if (!et.isa<mlir::FloatType>()) n.fail("input must be a float tensor");
  if (xs.size() != 3) n.fail("input must be batch x channels x length, got " + dimsString(xs));
  if (ws.size() != 3 || ws[0] != xs[1] || ws[1] != 1)
    n.fail("weight must be " + std::to_string(xs[1]) + " x 1 x k, got " + dimsString(ws));
  std::string act = n.attrString("activation", "none");
  if (act != "none" && act != "silu" && act != "swish")
    n.fail("activation '" + act + "' is not one of none, silu, swish");
  int64_t k = ws[2], keep = k - 1;
  if (k < 1) n.fail("the kernel is empty");
  Dims stateShape = {xs[0], xs[1], keep};
  Value padded = x;
  if (keep > 0) {
    Value past = n.hasInput(3) ? n.input(3) : e.splat(0.0, et, stateShape);
    if (Emitter::shape(past) != stateShape)
      n.fail("past_state must be " + dimsString(stateShape) + ", got " +
             dimsString(Emitter::shape(past)));
    padded = e.concatenate({past, x}, 2);
  }
  Value y = e.convolution(padded, w, {1}, {0}, {0}, {1}, xs[1]);
  if (n.hasInput(2)) {
    Value b = n.input(2);
    if (Emitter::shape(b) != Dims{xs[1]})
      n.fail("bias must have shape [" + std::to_string(xs[1]) + "]");
    y = e.add(y, e.broadcastInDim(b, {1}, Emitter::shape(y)));
  }
  if (act != "none") y = e.mul(y, e.unary<LogisticOp>(y));
  int64_t len = Emitter::shape(padded)[2];
  Value state = e.slice(padded, {0, 0, len - keep}, {xs[0], xs[1], len}, {1, 1, 1});
  return {y, state};
}

}  // namespace

void registerConvPoolOps(ConverterTable& t) {
  t["ConvTranspose"] = convTranspose;
  t["LpPool"] = lpPool;
  t["GlobalLpPool"] = globalLpPool;
  t["MaxUnpool"] = maxUnpool;
  t["Col2Im"] = col2Im;
  t["DeformConv"] = deformConv;
  t["RoiAlign"] = roiAlign;
  t["CausalConvWithState"] = causalConvWithState;
}

}  // namespace dlc::onnx_import
