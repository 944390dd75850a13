// ONNX convolution and pooling variants beyond NN.cpp: ConvTranspose, LpPool,
// GlobalLpPool, MaxUnpool, Col2Im; and the shared builders of ConvPoolCommon.h.
#include "frontend/onnx/ops/ConvPoolCommon.h"

#include <cmath>

#include "ir/TensorConversions.h"

namespace dlc::onnx_import {

using mlir::Value;

//===--- shared builders (ConvPoolCommon.h) --------------------------------===//

Value gatherOp(Emitter& e, Value x, Value indices, int64_t axis) {
  ShapeOr s = inferGather(Emitter::shape(x), Emitter::shape(indices), axis);
  if (!s.ok()) throw EmitError(s.message());
  return e.builder()
      .create<GatherOp>(e.loc(), e.tensorType(s.shape(), Emitter::elementType(x)), x, indices,
                        e.builder().getI64IntegerAttr(axis))
      .getResult();
}

Value scatterAddOp(Emitter& e, Value base, Value indices, Value updates, int64_t axis) {
  ShapeOr s = inferGather(Emitter::shape(base), Emitter::shape(indices), axis);
  if (!s.ok()) throw EmitError(s.message());
  if (s.shape() != Emitter::shape(updates))
    throw EmitError("scatter updates have shape " + dimsString(Emitter::shape(updates)) +
                    ", expected " + dimsString(s.shape()));
  return e.builder()
      .create<ScatterAddOp>(e.loc(), base.getType(), base, indices, updates,
                            e.builder().getI64IntegerAttr(axis))
      .getResult();
}

Value reverseOp(Emitter& e, Value x, const Dims& dims) {
  if (dims.empty()) return x;
  return e.builder()
      .create<ReverseOp>(e.loc(), x.getType(), x, e.builder().getDenseI64ArrayAttr(dims))
      .getResult();
}

Value iotaOp(Emitter& e, const Dims& shape, int64_t dim, mlir::Type element) {
  return e.builder()
      .create<IotaOp>(e.loc(), e.tensorType(shape, element), e.builder().getI64IntegerAttr(dim))
      .getResult();
}

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
  Dims kernel(ws.begin() + 2, ws.end());
  if (n.hasAttr("kernel_shape") && n.attrInts("kernel_shape", {}) != kernel)
    n.fail("kernel_shape " + dimsString(n.attrInts("kernel_shape", {})) +
           " differs from the weight's " + dimsString(kernel));
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
  filter = reverseOp(e, filter, range(2, r));

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
  double p = n.opset() < 2 ? n.attrFloat("p", 2.0f) : static_cast<double>(n.attrInt("p", 2));
  if (!(p > 0)) n.fail("p must be positive, got " + std::to_string(p));
  return p;
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
  for (size_t i = 0; i < k; ++i)
    inferred.push_back((in[i] - 1) * strides[i] - pads[i] - pads[i + k] + kernel[i]);
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
  Value sum = scatterAddOp(e, e.splat(0.0, et, {total}), flatIdx, e.reshape(x, {count}), 0);
  Value hits = scatterAddOp(e, e.splat(0.0, et, {total}), flatIdx, e.splat(1.0, et, {count}), 0);
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
  Value img = scatterAddOp(e, e.splat(0.0, et, {xs[0], c, rt::numElements(padded)}),
                           indexConstant(e, table, {blockSize, positions}), updates, 2);
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

}  // namespace

void registerConvPoolOps(ConverterTable& t) {
  t["ConvTranspose"] = convTranspose;
  t["LpPool"] = lpPool;
  t["GlobalLpPool"] = globalLpPool;
  t["MaxUnpool"] = maxUnpool;
  t["Col2Im"] = col2Im;
}

}  // namespace dlc::onnx_import
