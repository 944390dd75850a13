// ONNX quantization ops on 8- and 16-bit integers: QuantizeLinear,
// DequantizeLinear, DynamicQuantizeLinear, MatMulInteger, QLinearMatMul,
// ConvInteger, QLinearConv.
//
// All decompose into elementwise ops, convert, dot_general and convolution.
// The integer products accumulate in i32 (dot_general wraps, as numpy's
// int32 matmul; convolution runs in f64, which is exact for them);
// the float steps follow the ONNX reference's numpy dtypes, so that each
// rounding happens where the reference rounds. Quantized types dlc has no
// dtype for (float8, int4, int2, float4) are refused.
#include "frontend/onnx/OnnxNode.h"
#include "frontend/onnx/TensorProtoIO.h"
#include "frontend/onnx/ops/ConvPoolCommon.h"
#include "ir/TensorConversions.h"

namespace dlc::onnx_import {
namespace {

using mlir::Type;
using mlir::Value;
using rt::DType;

DType dtypeOfValue(Value v) { return tensorTypeOf(v.getType()).dtype; }
std::string dtypeText(DType t) { return onnx_io::onnxTypeName(onnx_io::dtypeToOnnx(t)); }

Type typeOf(Emitter& e, DType t) { return e.elementTypeOf(t); }

// The range of the integer types a value can be quantized to.
struct QuantRange {
  double lo, hi;
};

QuantRange quantRange(OnnxNode& n, DType t) {
  switch (t) {
    case DType::I8: return {-128, 127};
    case DType::U8: return {0, 255};
    case DType::I16: return {-32768, 32767};
    case DType::U16: return {0, 65535};
    default:
      n.fail("output dtype " + dtypeText(t) + " is not a quantized type (int8, uint8, int16, uint16)");
  }
}

// Fails unless v has a float dtype.
Value floatInput(OnnxNode& n, size_t i, const char* what) {
  Value v = n.input(i);
  if (!rt::isFloat(dtypeOfValue(v)))
    n.fail(std::string(what) + " must be a float tensor, got dtype " + dtypeText(dtypeOfValue(v)));
  return v;
}

// The dtype numpy computes a / b in: the wider float, f32 for f16 with bf16,
// and f64 when an integer meets a float (int32 / float32 -> float64).
DType promote(DType a, DType b) {
  if (a == b) return a;
  if (!rt::isFloat(a) || !rt::isFloat(b) || a == DType::F64 || b == DType::F64) return DType::F64;
  return DType::F32;
}

// A scale or zero point made broadcastable to x's shape (the reference's
// reshape_input): one element is per-tensor (rank 0); a 1-D tensor without
// block_size is per-axis (along `axis`); with block_size, each entry covers
// block_size consecutive elements along `axis` (the last block may be short).
Value quantParam(OnnxNode& n, Value p, const Dims& xs, int64_t axisAttr, int64_t blockSize,
                 const std::string& what) {
  Emitter& e = n.e();
  Dims ps = Emitter::shape(p);
  if (ps.empty()) return p;
  if (rt::numElements(ps) == 1) return e.reshape(p, {});
  int64_t rank = static_cast<int64_t>(xs.size());
  int64_t axis = n.axis(axisAttr, rank);
  if (blockSize == 0) {
    if (ps.size() != 1 || ps[0] != xs[axis])
      n.fail(what + " of shape " + dimsString(ps) + " is neither per-tensor nor per-axis for axis " +
             std::to_string(axis) + " of the input's shape " + dimsString(xs));
    return e.broadcastInDim(p, {axis}, xs);
  }
  if (blockSize < 0) n.fail("block_size must be >= 0, got " + std::to_string(blockSize));
  Dims want = xs;
  want[axis] = (xs[axis] + blockSize - 1) / blockSize;
  if (ps != want)
    n.fail(what + " of shape " + dimsString(ps) + " does not block the input's shape " +
           dimsString(xs) + " with block_size " + std::to_string(blockSize) + " along axis " +
           std::to_string(axis) + " (expected " + dimsString(want) + ")");
  // Repeat each entry block_size times: broadcast along a new dimension after
  // axis, merge it into axis, and cut the last block to the input's size.
  Dims expanded = ps, dims;
  expanded.insert(expanded.begin() + axis + 1, blockSize);
  for (int64_t i = 0; i < rank; ++i) dims.push_back(i <= axis ? i : i + 1);
  Dims merged = ps;
  merged[axis] *= blockSize;
  Value r = e.reshape(e.broadcastInDim(p, dims, expanded), merged);
  if (merged[axis] != xs[axis]) r = e.slice(r, Dims(xs.size(), 0), xs, Dims(xs.size(), 1));
  return r;
}

// max(lo, min(hi, v)) with the bounds in v's element type.
Value clamp(Emitter& e, Value v, double lo, double hi) {
  Value c2 = e.splatLike(lo, v);
  return e.max(e.min(v, e.splatLike(hi, v)), c2);
}

// A dtype named by an attribute (output_dtype, precision); 0 means unset.
DType attrDType(OnnxNode& n, const char* attr) {
  int64_t code = n.attrInt(attr, 0);
  try {
    return onnx_io::dtypeFromOnnx(static_cast<int>(code));
  } catch (const onnx_io::TensorError&) {
    n.fail(std::string(attr) + ": dtype " + onnx_io::onnxTypeName(static_cast<int>(code)) +
           " is not supported by dlc");
  }
}

// y = saturate(round_half_even(x / y_scale) + y_zero_point), in the zero
// point's dtype (else output_dtype, else uint8). x / y_scale is computed in
// numpy's dtype for the pair (or in `precision`), rounded to int32, then
// shifted and clamped as int32.
std::vector<Value> quantizeLinear(OnnxNode& n) {
  n.onlyAttrs({"axis", "saturate", "block_size", "output_dtype", "precision"});
  Emitter& e = n.e();
  Value x = n.input(0);
  DType xt = dtypeOfValue(x);
  if (!rt::isFloat(xt) && xt != DType::I32)
    n.fail("x must be a float or int32 tensor, got dtype " + dtypeText(xt));
  Value scale = floatInput(n, 1, "y_scale");
  Dims xs = Emitter::shape(x);
  int64_t axis = n.attrInt("axis", 1), block = n.attrInt("block_size", 0);

  DType out = DType::U8;
  if (n.hasAttr("output_dtype") && n.attrInt("output_dtype", 0) != 0) out = attrDType(n, "output_dtype");
  if (n.hasInput(2)) {
    DType zt = dtypeOfValue(n.input(2));
    if (n.hasAttr("output_dtype") && n.attrInt("output_dtype", 0) != 0 && zt != out)
      n.fail("output_dtype " + dtypeText(out) + " differs from the zero point's dtype " + dtypeText(zt));
    out = zt;
  }
  QuantRange range = quantRange(n, out);

  DType ct = promote(xt, dtypeOfValue(scale));
  if (n.hasAttr("precision") && n.attrInt("precision", 0) != 0) {
    ct = attrDType(n, "precision");
    if (!rt::isFloat(ct)) n.fail("precision must name a float dtype, got " + dtypeText(ct));
  }
  auto typeOf2 = typeOf(e, ct);
  Value s = e.convert(quantParam(n, scale, xs, axis, block, "y_scale"), typeOf2);
  Value q = e.unary<RoundOp>(e.div(e.convert(x, typeOf(e, ct)), s));
  Value qi = e.convert(q, typeOf(e, DType::I32));
  if (n.hasInput(2)) {
    Value zp = quantParam(n, n.input(2), xs, axis, block, "y_zero_point");
    qi = e.add(qi, e.convert(zp, typeOf(e, DType::I32)));
  }
  auto typeOf3 = typeOf(e, out);
  return {e.convert(clamp(e, qi, range.lo, range.hi), typeOf3)};
}

// y = (x - x_zero_point) * x_scale, computed as the reference does: x as
// float32, minus the zero point (float64 when it is int32, by numpy's
// promotion), times the scale, then rounded to output_dtype or the scale's
// dtype.
std::vector<Value> dequantizeLinear(OnnxNode& n) {
  n.onlyAttrs({"axis", "block_size", "output_dtype"});
  Emitter& e = n.e();
  Value x = n.input(0);
  DType xt = dtypeOfValue(x);
  if (xt != DType::I8 && xt != DType::U8 && xt != DType::I16 && xt != DType::U16 && xt != DType::I32)
    n.fail("x must be int8, uint8, int16, uint16 or int32, got dtype " + dtypeText(xt));
  Value scale = floatInput(n, 1, "x_scale");
  DType st = dtypeOfValue(scale);
  Dims xs = Emitter::shape(x);
  int64_t axis = n.attrInt("axis", 1), block = n.attrInt("block_size", 0);
  bool hasZero = n.hasInput(2);
  if (hasZero && dtypeOfValue(n.input(2)) != xt)
    n.fail("x_zero_point dtype " + dtypeText(dtypeOfValue(n.input(2))) + " differs from x's " +
           dtypeText(xt));

  DType ct = (hasZero && xt == DType::I32) || st == DType::F64 ? DType::F64 : DType::F32;
  auto typeOf2 = typeOf(e, ct);
  Value dx = e.convert(e.convert(x, typeOf(e, DType::F32)), typeOf2);
  if (hasZero) {
    Value zp = quantParam(n, n.input(2), xs, axis, block, "x_zero_point");
    dx = e.sub(dx, e.convert(zp, typeOf(e, ct)));
  }
  auto typeOf3 = typeOf(e, ct);
  Value s = e.convert(quantParam(n, scale, xs, axis, block, "x_scale"), typeOf3);
  DType out = st;
  if (n.hasAttr("output_dtype") && n.attrInt("output_dtype", 0) != 0) {
    out = attrDType(n, "output_dtype");
    if (!rt::isFloat(out)) n.fail("output_dtype must name a float dtype, got " + dtypeText(out));
  }
  auto typeOf4 = typeOf(e, out);
  return {e.convert(e.mul(dx, s), typeOf4)};
}

// uint8 quantization of x with the scale and zero point that map
// [min(0, min x), max(0, max x)] onto [0, 255]; all in float32.
std::vector<Value> dynamicQuantizeLinear(OnnxNode& n) {
  n.onlyAttrs({});
  Emitter& e = n.e();
  Value x = n.input(0);
  if (dtypeOfValue(x) != DType::F32)
    n.fail("x must be float32, got dtype " + dtypeText(dtypeOfValue(x)));
  Dims all;
  for (int64_t d = 0; d < Emitter::rank(x); ++d) all.push_back(d);
  Type f32 = typeOf(e, DType::F32);
  Value zero = e.splat(0, f32);
  Value hi = e.max(e.reduce(ReduceKind::Max, x, all), zero);
  Value lo = e.min(e.reduce(ReduceKind::Min, x, all), zero);
  Value diff = e.sub(hi, lo);
  Value one = e.splat(1, f32);
  Value range = e.select(e.compare(CompareDirection::EQ, hi, lo), one, diff);
  Value scale = e.div(range, e.splat(255, f32));
  Value zp = clamp(e, e.sub(zero, e.div(lo, scale)), 0, 255);
  Value zpRounded = e.unary<RoundOp>(zp);
  Value y = clamp(e, e.add(e.unary<RoundOp>(e.div(x, scale)), zpRounded), 0, 255);
  Type u8 = typeOf(e, DType::U8);
  return {e.convert(y, u8), scale, e.convert(zpRounded, u8)};
}

// An operand of an integer matmul minus its zero point, in int32. A zero
// point is per-tensor (one element), or broadcasts numpy-style; for the
// left operand a 1-D zero point of M entries is per row.
Value centered(OnnxNode& n, size_t operand, size_t zeroPoint, bool rowWise, const char* what) {
  Emitter& e = n.e();
  Value v = n.input(operand);
  DType t = dtypeOfValue(v);
  if (rt::isFloat(t) || t == DType::I1)
    n.fail(std::string(what) + " must be an integer tensor, got dtype " + dtypeText(t));
  Type i32 = typeOf(e, DType::I32);
  Value c = e.convert(v, i32);
  if (!n.hasInput(zeroPoint)) return c;
  Value zp = n.input(zeroPoint);
  if (dtypeOfValue(zp) != t)
    n.fail(std::string(what) + "'s zero point has dtype " + dtypeText(dtypeOfValue(zp)) +
           ", not " + dtypeText(t));
  Dims vs = Emitter::shape(v), zs = Emitter::shape(zp);
  if (rt::numElements(zs) == 1) {
    zp = e.reshape(zp, {});
  } else if (rowWise && zs.size() == 1 && vs.size() >= 2 && zs[0] == vs[vs.size() - 2]) {
    zp = e.reshape(zp, {zs[0], 1});
  }
  if (Emitter::broadcastShapes(Emitter::shape(zp), vs) != vs)
    n.fail(std::string(what) + "'s zero point of shape " + dimsString(zs) +
           " does not fit the operand's shape " + dimsString(vs));
  return e.sub(c, e.convert(zp, i32));
}

// (A - a_zero_point) x (B - b_zero_point), accumulated in int32.
std::vector<Value> matMulInteger(OnnxNode& n) {
  n.onlyAttrs({});
  Value a = centered(n, 0, 2, true, "A");
  Value b = centered(n, 1, 3, false, "B");
  return {n.e().matmul(a, b)};
}

// QLinearMatMul/QLinearConv's output: the exact integer accumulator times
// the combined scale (a_scale * b_scale / y_scale), in f64, plus y_zero_point
// (input 7; its type is the output's, else input 0's), rounded and clamped.
Value requantize(OnnxNode& n, Value acc, Value combined) {
  Emitter& e = n.e();
  Type f64 = typeOf(e, DType::F64);
  Value conv = e.convert(combined, f64);
  Value d = e.mul(e.convert(acc, f64), conv);
  DType out = dtypeOfValue(n.input(0));
  if (n.hasInput(7)) {
    Value yzp = n.input(7);
    if (rt::numElements(Emitter::shape(yzp)) != 1) n.fail("y_zero_point must have one element");
    out = dtypeOfValue(yzp);
    d = e.add(d, e.convert(e.reshape(yzp, {}), f64));
  }
  QuantRange range = quantRange(n, out);
  auto typeOf2 = typeOf(e, out);
  return e.convert(clamp(e, e.unary<RoundOp>(d), range.lo, range.hi), typeOf2);
}

// The integer product of the centered operands, requantized:
// saturate(round(C * (a_scale * b_scale / y_scale) + y_zero_point)). The
// combined scale is computed in the scales' dtype, the rest in float64 (as
// numpy promotes int32 * float).
std::vector<Value> qlinearMatMul(OnnxNode& n) {
  n.onlyAttrs({});
  Emitter& e = n.e();
  Value centered2 = centered(n, 3, 5, false, "b");
  Value c = e.matmul(centered(n, 0, 2, true, "a"), centered2);
  Value as = floatInput(n, 1, "a_scale"), bs = floatInput(n, 4, "b_scale");
  Value ys = floatInput(n, 6, "y_scale");
  DType st = dtypeOfValue(as);
  if (dtypeOfValue(bs) != st || dtypeOfValue(ys) != st)
    n.fail("a_scale, b_scale and y_scale must have one dtype");
  // Per-tensor scales, or a_scale per row (M) and b_scale per column (N).
  auto scaleFor = [&](Value s, bool rowWise, const char* what) {
    Dims ss = Emitter::shape(s), cs = Emitter::shape(c);
    if (rt::numElements(ss) == 1) return e.reshape(s, {});
    if (ss.size() == 1 && cs.size() >= 2) {
      if (rowWise && ss[0] == cs[cs.size() - 2]) return e.reshape(s, {ss[0], 1});
      if (!rowWise && ss[0] == cs.back()) return s;
    }
    n.fail(std::string(what) + " of shape " + dimsString(ss) + " is neither per-tensor nor per-" +
           (rowWise ? "row" : "column"));
  };
  auto yScale = scaleFor(ys, false, "y_scale");
  auto bScale = scaleFor(bs, false, "b_scale");
  Value combined = e.div(e.mul(scaleFor(as, true, "a_scale"), bScale), yScale);
  return {requantize(n, c, combined)};
}

// The zero point of a convolution operand: per-tensor (one element), or for
// the weight per output channel (M entries), broadcast to the operand.
Value convZeroPoint(OnnxNode& n, size_t i, Value operand, bool perChannel, const char* what) {
  Emitter& e = n.e();
  Value zp = n.input(i);
  DType t = dtypeOfValue(operand);
  if (dtypeOfValue(zp) != t)
    n.fail(std::string(what) + " has dtype " + dtypeText(dtypeOfValue(zp)) + ", not " + dtypeText(t));
  Dims zs = Emitter::shape(zp), os = Emitter::shape(operand);
  if (rt::numElements(zs) == 1) return e.reshape(zp, {});
  if (perChannel && zs.size() == 1 && zs[0] == os[0]) return e.broadcastInDim(zp, {0}, os);
  n.fail(std::string(what) + " of shape " + dimsString(zs) + " is neither per-tensor" +
         (perChannel ? " nor per output channel" : ""));
}

// An integer convolution operand minus its zero point, in int32.
Value convOperand(OnnxNode& n, size_t operand, size_t zeroPoint, bool perChannel, const char* what) {
  Emitter& e = n.e();
  Value v = n.input(operand);
  DType t = dtypeOfValue(v);
  if (t != DType::I8 && t != DType::U8)
    n.fail(std::string(what) + " must be int8 or uint8, got dtype " + dtypeText(t));
  Type i32 = typeOf(e, DType::I32);
  Value c = e.convert(v, i32);
  if (!n.hasInput(zeroPoint)) return c;
  std::string zpName = std::string(what) + "'s zero point";
  return e.sub(c, e.convert(convZeroPoint(n, zeroPoint, v, perChannel, zpName.c_str()), i32));
}

// Conv of the centered int32 operands, with Conv's attributes. dlc's
// convolution is defined on floats: it runs in float64, where every product
// of 8-bit operands and every partial sum is an exact integer (far below
// 2^53), and the result converts back to int32 exactly.
Value integerConv(OnnxNode& n, Value x, Value w) {
  Emitter& e = n.e();
  Window win = convWindow(n, x, w);
  Type f64 = typeOf(e, DType::F64);
  Value conv = e.convert(w, f64);
  Value y = e.convolution(e.convert(x, f64), conv, win.strides, win.padLow,
                          win.padHigh, win.dilations, n.attrInt("group", 1));
  return e.convert(y, typeOf(e, DType::I32));
}

std::vector<Value> convInteger(OnnxNode& n) {
  n.onlyAttrs({"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"});
  Value x = convOperand(n, 0, 2, false, "x");
  Value w = convOperand(n, 1, 3, true, "w");
  return {integerConv(n, x, w)};
}

// The integer convolution (plus the int32 bias B), requantized as in
// QLinearMatMul: saturate(round(R * (x_scale * w_scale / y_scale) +
// y_zero_point)), w_scale per tensor or per output channel.
std::vector<Value> qlinearConv(OnnxNode& n) {
  n.onlyAttrs({"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"});
  Emitter& e = n.e();
  Value convOperand2 = convOperand(n, 3, 5, true, "w");
  Value r = integerConv(n, convOperand(n, 0, 2, false, "x"), convOperand2);
  Dims rs = Emitter::shape(r);
  if (n.hasInput(8)) {
    Value b = n.input(8);
    if (dtypeOfValue(b) != DType::I32 || Emitter::shape(b) != Dims{rs[1]})
      n.fail("B must be int32 of shape [" + std::to_string(rs[1]) + "]");
    r = e.add(r, e.broadcastInDim(b, {1}, rs));
  }
  Value xsc = floatInput(n, 1, "x_scale"), wsc = floatInput(n, 4, "w_scale");
  Value ysc = floatInput(n, 6, "y_scale");
  if (dtypeOfValue(wsc) != dtypeOfValue(xsc) || dtypeOfValue(ysc) != dtypeOfValue(xsc))
    n.fail("x_scale, w_scale and y_scale must have one dtype");
  auto perTensor = [&](Value s, const char* what) {
    if (rt::numElements(Emitter::shape(s)) != 1) n.fail(std::string(what) + " must have one element");
    return e.reshape(s, {});
  };
  Dims ws = Emitter::shape(wsc);
  Value wScale = rt::numElements(ws) == 1 ? e.reshape(wsc, {}) : Value();
  if (!wScale) {
    if (ws.size() != 1 || ws[0] != rs[1])
      n.fail("w_scale of shape " + dimsString(ws) + " is neither per-tensor nor per output channel");
    wScale = e.broadcastInDim(wsc, {1}, rs);
  }
  auto yScale = perTensor(ysc, "y_scale");
  Value combined = e.div(e.mul(perTensor(xsc, "x_scale"), wScale), yScale);
  return {requantize(n, r, combined)};
}

}  // namespace

void registerQuantizeOps(ConverterTable& t) {
  t["QuantizeLinear"] = quantizeLinear;
  t["DequantizeLinear"] = dequantizeLinear;
  t["DynamicQuantizeLinear"] = dynamicQuantizeLinear;
  t["MatMulInteger"] = matMulInteger;
  t["QLinearMatMul"] = qlinearMatMul;
  t["ConvInteger"] = convInteger;
  t["QLinearConv"] = qlinearConv;
}

}  // namespace dlc::onnx_import
