// ONNX activations and elementwise math beyond the basic arithmetic:
// trigonometric and hyperbolic functions, rounding, the ReLU family, GELU,
// Swish, Mish, Hardmax and Mean.
//
// Every op is a decomposition into core ops. Two habits keep the results
// close to what numpy computes for the reference outputs:
// - a formula of several ops on f16/bf16 runs in f32 and rounds once at the
//   end (rounding after every step would lose about one ulp per step);
// - where the textbook formula cancels or overflows (e^x - 1 near 0,
//   log(1 + e^x) for large x, sinh near 0) a stable form is used instead.
#include "frontend/onnx/OnnxNode.h"

#include <cmath>

#include "llvm/Support/raw_ostream.h"

namespace dlc::onnx_import {
namespace {

using mlir::Value;
using CD = CompareDirection;

std::string typeName(mlir::Type t) {
  std::string s;
  llvm::raw_string_ostream(s) << t;
  return s;
}

bool isFloat(Value v) { return Emitter::elementType(v).isa<mlir::FloatType>(); }

// Input i, which the op defines on floating-point tensors only.
Value floatInput(OnnxNode& n, size_t i) {
  Value x = n.input(i);
  if (!isFloat(x))
    n.fail("input " + std::to_string(i) + " must be a floating-point tensor, got " +
           typeName(Emitter::elementType(x)));
  return x;
}

// A rank-0 constant of x's element type (broadcast by the binary ops).
Value k(Emitter& e, double v, Value like) { return e.splat(v, Emitter::elementType(like)); }

Value absv(Emitter& e, Value x) { return e.unary<AbsOp>(x); }
Value neg(Emitter& e, Value x) { return e.unary<NegOp>(x); }
Value cmp(Emitter& e, CD d, Value a, Value b) { return e.compare(d, a, b); }

// Applies f to float input 0 in its compute type and rounds once to the
// input's type.
template <typename F>
std::vector<Value> mapFloat(OnnxNode& n, F f) {
  Emitter& e = n.e();
  Value x = floatInput(n, 0);
  Value y = f(e, e.convert(x, e.computeType(x)));
  return {e.convert(y, Emitter::elementType(x))};
}

// --- stable building blocks --------------------------------------------------

// e^x - 1 without cancellation near 0 (Kahan): with u = e^x rounded,
// (u - 1) * x / log(u) is accurate because u - 1 is exact there. Away from 0
// u - 1 is already accurate; u == 1 means x is below rounding.
Value expm1(Emitter& e, Value x) {
  Value u = e.unary<ExpOp>(x);
  Value um1 = e.sub(u, k(e, 1, x));
  Value near0 = e.mul(um1, e.div(x, e.unary<LogOp>(u)));
  Value small = e.select(cmp(e, CD::EQ, u, k(e, 1, x)), x, near0);
  Value one = k(e, 1, x);
  return e.select(cmp(e, CD::LT, absv(e, x), one), small, um1);
}

// log(1 + x) without losing x's digits when |x| is small (Kahan): with
// w = 1 + x rounded, log(w) * x / (w - 1) corrects for the rounding of w.
Value log1p(Emitter& e, Value x) {
  Value w = e.add(k(e, 1, x), x);
  Value lw = e.unary<LogOp>(w);
  Value near0 = e.mul(lw, e.div(x, e.sub(w, k(e, 1, x))));
  Value small = e.select(cmp(e, CD::EQ, w, k(e, 1, x)), x, near0);
  Value one = k(e, 1, x);
  return e.select(cmp(e, CD::LT, absv(e, x), one), small, lw);
}

// e^|x| / 2, finite wherever the result is: e^(|x|/2) * (e^(|x|/2) / 2).
Value halfExpAbs(Emitter& e, Value x) {
  Value half = k(e, 0.5, x);
  Value h = e.unary<ExpOp>(e.mul(absv(e, x), half));
  return e.mul(h, e.mul(h, k(e, 0.5, x)));
}

// Odd functions computed on |x|: the sign of x put back (NaN stays NaN).
Value withSignOf(Emitter& e, Value x, Value r) {
  Value negated = neg(e, r);
  return e.select(cmp(e, CD::LT, x, k(e, 0, x)), negated, r);
}

// sqrt(1 - x^2) as sqrt((1 - x)(1 + x)): exact factors near |x| = 1. NaN
// outside [-1, 1].
Value sqrtOneMinusSquare(Emitter& e, Value x) {
  Value one = k(e, 1, x);
  Value sum = e.add(one, x);
  return e.unary<SqrtOp>(e.mul(e.sub(one, x), sum));
}

// Beyond this, x^2 + 1 == x^2 in every float type and log(2x) is exact enough
// for asinh/acosh; below it x^2 cannot overflow.
constexpr double kHugeArg = 268435456.0;  // 2^28

Value logTwoX(Emitter& e, Value a) {
  Value ln2 = k(e, M_LN2, a);
  return e.add(e.unary<LogOp>(a), ln2);
}

// --- trigonometric and hyperbolic --------------------------------------------

std::vector<Value> tan(OnnxNode& n) {
  n.onlyAttrs({});
  return mapFloat(n, [](Emitter& e, Value x) {
    Value cos2 = e.unary<CosOp>(x);
    return e.div(e.unary<SinOp>(x), cos2);
  });
}

// asin, acos and atan through the core atan2: accurate over the whole
// domain, including the ends of [-1, 1] where asin's slope is infinite.
std::vector<Value> asin(OnnxNode& n) {
  n.onlyAttrs({});
  return mapFloat(n, [](Emitter& e, Value x) {
    return e.binary<Atan2Op>(x, sqrtOneMinusSquare(e, x));
  });
}

std::vector<Value> acos(OnnxNode& n) {
  n.onlyAttrs({});
  return mapFloat(n, [](Emitter& e, Value x) {
    return e.binary<Atan2Op>(sqrtOneMinusSquare(e, x), x);
  });
}

std::vector<Value> atan(OnnxNode& n) {
  n.onlyAttrs({});
  return mapFloat(n, [](Emitter& e, Value x) { return e.binary<Atan2Op>(x, k(e, 1, x)); });
}

// sinh(a) = (E + E / (E + 1)) / 2 with E = expm1(a) below 1 (no
// cancellation near 0), t - 1 / (4t) with t = e^a / 2 above (no overflow
// before the result overflows).
std::vector<Value> sinh(OnnxNode& n) {
  n.onlyAttrs({});
  return mapFloat(n, [](Emitter& e, Value x) {
    Value a = absv(e, x);
    Value em1 = expm1(e, a);
    Value sum = e.add(em1, e.div(em1, e.add(em1, k(e, 1, x))));
    Value small = e.mul(k(e, 0.5, x), sum);
    Value t = halfExpAbs(e, x);
    Value large = e.sub(t, e.div(k(e, 0.25, x), t));
    return withSignOf(e, x, e.select(cmp(e, CD::LT, a, k(e, 1, x)), small, large));
  });
}

// cosh(x) = t + 1 / (4t), t = e^|x| / 2: a sum of positives, finite as long
// as the result is.
std::vector<Value> cosh(OnnxNode& n) {
  n.onlyAttrs({});
  return mapFloat(n, [](Emitter& e, Value x) {
    Value t = halfExpAbs(e, x);
    return e.add(t, e.div(k(e, 0.25, x), t));
  });
}

// asinh(|x|) = log1p(a + a^2 / (1 + sqrt(1 + a^2))), log(2a) for huge a.
std::vector<Value> asinh(OnnxNode& n) {
  n.onlyAttrs({});
  return mapFloat(n, [](Emitter& e, Value x) {
    Value a = absv(e, x), one = k(e, 1, x);
    Value a2 = e.mul(a, a);
    Value r = log1p(e, e.add(a, e.div(a2, e.add(one, e.unary<SqrtOp>(e.add(one, a2))))));
    Value far = logTwoX(e, a);
    r = e.select(cmp(e, CD::GT, a, k(e, kHugeArg, x)), far, r);
    return withSignOf(e, x, r);
  });
}

// acosh(x) = log1p((x - 1) + sqrt((x - 1)(x + 1))): x - 1 is exact near 1,
// where acosh is steep. log(2x) for huge x; NaN below 1 (where the formula
// would still give numbers).
std::vector<Value> acosh(OnnxNode& n) {
  n.onlyAttrs({});
  return mapFloat(n, [](Emitter& e, Value x) {
    Value one = k(e, 1, x);
    Value xm1 = e.sub(x, one);
    Value r = log1p(e, e.add(xm1, e.unary<SqrtOp>(e.mul(xm1, e.add(x, one)))));
    Value far = logTwoX(e, x);
    r = e.select(cmp(e, CD::GT, x, k(e, kHugeArg, x)), far, r);
    Value nan = k(e, NAN, x);
    return e.select(cmp(e, CD::LT, x, one), nan, r);
  });
}

// atanh(|x|) = log1p(2a / (1 - a)) / 2: 1 - a is exact near 1, where atanh
// is steep (on x itself the quotient would approach -1 near x = -1 and
// log1p amplify its rounding). +-inf at +-1, NaN beyond.
std::vector<Value> atanh(OnnxNode& n) {
  n.onlyAttrs({});
  return mapFloat(n, [](Emitter& e, Value x) {
    Value a = absv(e, x);
    Value diff = e.sub(k(e, 1, x), a);
    Value q = e.div(e.add(a, a), diff);
    Value log1p2 = log1p(e, q);
    return withSignOf(e, x, e.mul(k(e, 0.5, x), log1p2));
  });
}

// --- one core op each ----------------------------------------------------------

// Float-only ONNX ops that are one core op. Opset 1 versions carry the
// legacy `consumed_inputs` hint, which changes nothing.
template <typename OpT>
std::vector<Value> floatUnary(OnnxNode& n) {
  n.onlyAttrs({"consumed_inputs"});
  return {n.e().unary<OpT>(floatInput(n, 0))};
}

std::vector<Value> reciprocal(OnnxNode& n) {
  n.onlyAttrs({"consumed_inputs"});
  Value x = floatInput(n, 0);
  return {n.e().div(k(n.e(), 1, x), x)};
}

// --- activations ---------------------------------------------------------------

// x / (1 + |x|).
std::vector<Value> softsign(OnnxNode& n) {
  n.onlyAttrs({});
  return mapFloat(n, [](Emitter& e, Value x) {
    Value absv2 = absv(e, x);
    return e.div(x, e.add(k(e, 1, x), absv2));
  });
}

// log(1 + e^x) = max(x, 0) + log1p(e^-|x|): never overflows (numpy's
// logaddexp(0, x), which the reference uses).
Value softplusOf(Emitter& e, Value x) {
  Value tail = log1p(e, e.unary<ExpOp>(neg(e, absv(e, x))));
  return e.add(e.max(x, k(e, 0, x)), tail);
}

std::vector<Value> softplus(OnnxNode& n) {
  n.onlyAttrs({});
  return mapFloat(n, softplusOf);
}

// x * tanh(softplus(x)).
std::vector<Value> mish(OnnxNode& n) {
  n.onlyAttrs({});
  return mapFloat(n, [](Emitter& e, Value x) {
    return e.mul(x, e.unary<TanhOp>(softplusOf(e, x)));
  });
}

// approximate = "none": x/2 * (1 + erf(x / sqrt 2));
// approximate = "tanh": x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))).
std::vector<Value> gelu(OnnxNode& n) {
  n.onlyAttrs({"approximate"});
  std::string approx = n.attrString("approximate", "none");
  if (approx != "none" && approx != "tanh")
    n.fail("approximate '" + approx + "' is not one of none, tanh");
  return mapFloat(n, [&](Emitter& e, Value x) {
    Value inner;
    if (approx == "none") {
      inner = e.unary<ErfOp>(e.mul(x, k(e, M_SQRT1_2, x)));
    } else {
      Value cube = e.mul(e.mul(x, x), x);
      Value arg = e.add(x, e.mul(k(e, 0.044715, x), cube));
      inner = e.unary<TanhOp>(e.mul(k(e, std::sqrt(2.0 / M_PI), x), arg));
    }
    Value sum = e.add(k(e, 1, x), inner);
    return e.mul(e.mul(k(e, 0.5, x), x), sum);
  });
}

// x for x > 0, alpha * x otherwise.
std::vector<Value> leakyRelu(OnnxNode& n) {
  n.onlyAttrs({"alpha", "consumed_inputs"});
  double alpha = n.attrFloat("alpha", 0.01f);
  return mapFloat(n, [&](Emitter& e, Value x) {
    Value prod = e.mul(k(e, alpha, x), x);
    return e.select(cmp(e, CD::GT, x, k(e, 0, x)), x, prod);
  });
}

// Slope broadcast to X's shape. From opset 7 the slope broadcasts
// unidirectionally (numpy rules, X's shape unchanged). Before, a 1-D slope
// holds one value per channel (dimension 1), or one value for all.
Value preluSlope(OnnxNode& n, Value x, Value slope) {
  Emitter& e = n.e();
  Dims xs = Emitter::shape(x), ss = Emitter::shape(slope);
  if (n.opset() < 7 && ss.size() == 1 && xs.size() >= 2 && ss[0] == xs[1] && ss[0] != 1)
    return e.broadcastInDim(slope, {1}, xs);
  Dims b;
  try {
    b = Emitter::broadcastShapes(xs, ss);
  } catch (const EmitError&) {
    b.clear();
  }
  if (b != xs)
    n.fail("slope of shape " + dimsString(ss) + " does not broadcast to X's shape " +
           dimsString(xs));
  return e.broadcastTo(slope, xs);
}

// slope * x for x < 0, x otherwise; also on integer tensors.
std::vector<Value> prelu(OnnxNode& n) {
  n.onlyAttrs({"consumed_inputs"});
  Emitter& e = n.e();
  Value x = n.input(0), slope = n.input(1);
  if (Emitter::elementType(slope) != Emitter::elementType(x))
    n.fail("slope's element type " + typeName(Emitter::elementType(slope)) + " differs from X's " +
           typeName(Emitter::elementType(x)));
  slope = preluSlope(n, x, slope);
  Value prod = e.mul(slope, x);
  return {e.select(cmp(e, CD::LT, x, k(e, 0, x)), prod, x)};
}

// x for x > 0, alpha * (e^x - 1) otherwise.
Value eluOf(Emitter& e, Value x, double alpha) {
  Value em1 = expm1(e, x);
  Value prod = e.mul(k(e, alpha, x), em1);
  return e.select(cmp(e, CD::GT, x, k(e, 0, x)), x, prod);
}

std::vector<Value> elu(OnnxNode& n) {
  n.onlyAttrs({"alpha", "consumed_inputs"});
  double alpha = n.attrFloat("alpha", 1.0f);
  return mapFloat(n, [&](Emitter& e, Value x) { return eluOf(e, x, alpha); });
}

// gamma * elu(x, alpha), with the self-normalising constants as defaults.
std::vector<Value> selu(OnnxNode& n) {
  n.onlyAttrs({"alpha", "gamma", "consumed_inputs"});
  double alpha = n.attrFloat("alpha", 1.67326319217681884765625f);
  double gamma = n.attrFloat("gamma", 1.05070102214813232421875f);
  return mapFloat(n, [&](Emitter& e, Value x) {
    Value eluOf2 = eluOf(e, x, alpha);
    return e.mul(k(e, gamma, x), eluOf2);
  });
}

// max(0, x) + min(0, alpha * (e^(x / alpha) - 1)).
std::vector<Value> celu(OnnxNode& n) {
  n.onlyAttrs({"alpha"});
  double alpha = n.attrFloat("alpha", 1.0f);
  if (alpha == 0) n.fail("alpha must not be 0");
  return mapFloat(n, [&](Emitter& e, Value x) {
    Value em1 = expm1(e, e.div(x, k(e, alpha, x)));
    Value m = e.mul(k(e, alpha, x), em1);
    Value lo = e.min(k(e, 0, x), m);
    return e.add(e.max(k(e, 0, x), x), lo);
  });
}

// max(0, min(1, alpha * x + beta)).
Value hardSigmoidOf(Emitter& e, Value x, double alpha, double beta) {
  Value b = k(e, beta, x);
  Value lin = e.add(e.mul(k(e, alpha, x), x), b);
  Value upper = e.min(k(e, 1, x), lin);
  return e.max(k(e, 0, x), upper);
}

std::vector<Value> hardSigmoid(OnnxNode& n) {
  n.onlyAttrs({"alpha", "beta", "consumed_inputs"});
  double alpha = n.attrFloat("alpha", 0.2f), beta = n.attrFloat("beta", 0.5f);
  return mapFloat(n, [&](Emitter& e, Value x) { return hardSigmoidOf(e, x, alpha, beta); });
}

// x * hard_sigmoid(x) with alpha = 1/6, beta = 1/2.
std::vector<Value> hardSwish(OnnxNode& n) {
  n.onlyAttrs({});
  return mapFloat(n, [](Emitter& e, Value x) {
    return e.mul(x, hardSigmoidOf(e, x, 1.0 / 6.0, 0.5));
  });
}

// x for x > alpha, 0 otherwise.
std::vector<Value> thresholdedRelu(OnnxNode& n) {
  n.onlyAttrs({"alpha"});
  double alpha = n.attrFloat("alpha", 1.0f);
  return mapFloat(n, [&](Emitter& e, Value x) {
    Value zero = k(e, 0, x);
    return e.select(cmp(e, CD::GT, x, k(e, alpha, x)), x, zero);
  });
}

// x + bias below -lambd, x - bias above lambd, 0 between. Integer inputs
// are computed in f64 and converted back (truncating), as the reference
// does with its float attributes.
std::vector<Value> shrink(OnnxNode& n) {
  n.onlyAttrs({"bias", "lambd"});
  Emitter& e = n.e();
  double bias = n.attrFloat("bias", 0.0f), lambd = n.attrFloat("lambd", 0.5f);
  Value in = n.input(0);
  mlir::Type t = isFloat(in) ? e.computeType(in) : e.builder().getF64Type();
  Value x = e.convert(in, t);
  Value zero = k(e, 0, x);
  Value diff = e.sub(x, k(e, bias, x));
  Value above = e.select(cmp(e, CD::GT, x, k(e, lambd, x)), diff, zero);
  Value sum = e.add(x, k(e, bias, x));
  Value y = e.select(cmp(e, CD::LT, x, k(e, -lambd, x)), sum, above);
  return {e.convert(y, Emitter::elementType(in))};
}

// x * sigmoid(alpha * x).
Value swishOf(Emitter& e, Value x, double alpha) {
  return e.mul(x, e.unary<LogisticOp>(e.mul(k(e, alpha, x), x)));
}

std::vector<Value> swish(OnnxNode& n) {
  n.onlyAttrs({"alpha"});
  double alpha = n.attrFloat("alpha", 1.0f);
  return mapFloat(n, [&](Emitter& e, Value x) { return swishOf(e, x, alpha); });
}

// swish(A, alpha) * B; A and B have one shape (no broadcasting) and type.
std::vector<Value> swiglu(OnnxNode& n) {
  n.onlyAttrs({"alpha"});
  Emitter& e = n.e();
  Value a = floatInput(n, 0), b = floatInput(n, 1);
  if (Emitter::shape(a) != Emitter::shape(b) ||
      Emitter::elementType(a) != Emitter::elementType(b))
    n.fail("A and B must have the same shape and type, got " + dimsString(Emitter::shape(a)) +
           " " + typeName(Emitter::elementType(a)) + " and " + dimsString(Emitter::shape(b)) +
           " " + typeName(Emitter::elementType(b)));
  double alpha = n.attrFloat("alpha", 1.0f);
  mlir::Type t = e.computeType(a);
  Value conv = e.convert(b, t);
  Value y = e.mul(swishOf(e, e.convert(a, t), alpha), conv);
  return {e.convert(y, Emitter::elementType(a))};
}

// --- Hardmax and Mean ----------------------------------------------------------

// One-hot of the first maximum along `axis` (numpy argmax: a NaN counts as
// the maximum). The first index is the smallest index holding the maximum.
Value hardmaxAlong(Emitter& e, Value x, int64_t axis) {
  Dims xs = Emitter::shape(x);
  mlir::Type i64 = e.builder().getI64Type();
  Value idx = e.builder()
                  .create<IotaOp>(e.loc(), e.tensorType(xs, i64), e.builder().getI64IntegerAttr(axis))
                  .getResult();
  Value m = e.reduceKeep(ReduceKind::Max, x, {axis});
  Value isNaN = cmp(e, CD::NE, x, x);
  Value atMax = e.binary<OrOp>(cmp(e, CD::EQ, x, m), isNaN);
  Value past = e.splat(static_cast<double>(xs[axis]), i64);
  Value first = e.reduceKeep(ReduceKind::Min, e.select(atMax, idx, past), {axis});
  return e.convert(cmp(e, CD::EQ, idx, first), Emitter::elementType(x));
}

// From opset 13 along one axis (default -1); before, the input is coerced to
// 2-D at axis (default 1) and the maximum is taken over each row of that
// matrix, i.e. over all dimensions from axis on together.
std::vector<Value> hardmax(OnnxNode& n) {
  n.onlyAttrs({"axis"});
  Emitter& e = n.e();
  Value x = floatInput(n, 0);
  Dims xs = Emitter::shape(x);
  int64_t r = static_cast<int64_t>(xs.size());
  if (r == 0) n.fail("input must have rank >= 1");
  if (n.opset() >= 13) return {hardmaxAlong(e, x, n.axis(n.attrInt("axis", -1), r))};
  int64_t axis = n.axis(n.attrInt("axis", 1), r);
  int64_t rows = 1, cols = 1;
  for (int64_t i = 0; i < r; ++i) (i < axis ? rows : cols) *= xs[i];
  Value y = hardmaxAlong(e, e.reshape(x, {rows, cols}), 1);
  return {e.reshape(y, xs)};
}

// The elementwise mean of the inputs: their sum (in f32 for f16/bf16)
// divided by their count. Before opset 8 the inputs have one shape.
std::vector<Value> mean(OnnxNode& n) {
  n.onlyAttrs({"consumed_inputs"});
  Emitter& e = n.e();
  std::vector<Value> xs = n.inputs();
  if (xs.empty()) n.fail("needs at least one input");
  mlir::Type et = Emitter::elementType(xs[0]);
  for (size_t i = 0; i < xs.size(); ++i) {
    floatInput(n, i);
    if (Emitter::elementType(xs[i]) != et) n.fail("inputs have different element types");
    if (n.opset() < 8 && Emitter::shape(xs[i]) != Emitter::shape(xs[0]))
      n.fail("inputs must have one shape before opset 8 (no broadcasting), got " +
             dimsString(Emitter::shape(xs[0])) + " and " + dimsString(Emitter::shape(xs[i])));
  }
  mlir::Type t = e.computeType(xs[0]);
  Value acc = e.convert(xs[0], t);
  for (size_t i = 1; i < xs.size(); ++i) acc = e.add(acc, e.convert(xs[i], t));
  Value y = e.div(acc, e.splat(static_cast<double>(xs.size()), t));
  return {e.convert(y, et)};
}

}  // namespace

void registerActivationOps(ConverterTable& t) {
  t["Sin"] = floatUnary<SinOp>;
  t["Cos"] = floatUnary<CosOp>;
  t["Tan"] = tan;
  t["Asin"] = asin;
  t["Acos"] = acos;
  t["Atan"] = atan;
  t["Sinh"] = sinh;
  t["Cosh"] = cosh;
  t["Asinh"] = asinh;
  t["Acosh"] = acosh;
  t["Atanh"] = atanh;
  t["Floor"] = floatUnary<FloorOp>;
  t["Ceil"] = floatUnary<CeilOp>;
  t["Round"] = floatUnary<RoundOp>;
  t["Reciprocal"] = reciprocal;
  t["Softsign"] = softsign;
  t["Softplus"] = softplus;
  t["Mish"] = mish;
  t["Gelu"] = gelu;
  t["LeakyRelu"] = leakyRelu;
  t["PRelu"] = prelu;
  t["Elu"] = elu;
  t["Selu"] = selu;
  t["Celu"] = celu;
  t["HardSigmoid"] = hardSigmoid;
  t["HardSwish"] = hardSwish;
  t["ThresholdedRelu"] = thresholdedRelu;
  t["Shrink"] = shrink;
  t["Swish"] = swish;
  t["SwiGLU"] = swiglu;
  t["Hardmax"] = hardmax;
  t["Mean"] = mean;
}

}  // namespace dlc::onnx_import
