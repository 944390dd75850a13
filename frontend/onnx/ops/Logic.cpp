// ONNX comparison, logical, bitwise and conversion ops: Equal, Less, Greater,
// LessOrEqual, GreaterOrEqual, And, Or, Xor, Not, Bitwise*, BitShift, Mod,
// IsNaN, IsInf, Where, Sign, Cast, CastLike, BitCast.
//
// Comparisons become dlc.compare, the logical ops dlc.and/or/xor/not on i1,
// the bitwise ones the same ops on integers, BitShift dlc.shift_left/right,
// Cast dlc.convert and BitCast dlc.bitcast_convert; Mod, IsNaN and IsInf are
// decomposed. Each op checks the element types it is defined on, because the
// core ops accept more (dlc.and is bitwise on integers, ONNX And is not).
#include <limits>

#include "frontend/onnx/OnnxNode.h"
#include "frontend/onnx/TensorProtoIO.h"
#include "ir/TensorConversions.h"

namespace dlc::onnx_import {
namespace {

using mlir::Value;

rt::DType dtypeOfValue(Value v) { return tensorTypeOf(v.getType()).dtype; }
// ONNX's name of a dtype ("int32", "float"), for messages to ONNX users.
std::string onnxName(rt::DType t) { return onnx_io::onnxTypeName(onnx_io::dtypeToOnnx(t)); }
std::string dtypeText(Value v) { return onnxName(dtypeOfValue(v)); }
bool isBool(Value v) { return dtypeOfValue(v) == rt::DType::I1; }
bool isFloatValue(Value v) { return rt::isFloat(dtypeOfValue(v)); }
bool isIntegerValue(Value v) { return !isBool(v) && !isFloatValue(v); }

// The element-type families an op accepts, for the checks below.
enum class Accepts { Bool, Integers, Floats, Numbers, Any };

bool accepted(Accepts a, Value v) {
  switch (a) {
    case Accepts::Bool: return isBool(v);
    case Accepts::Integers: return isIntegerValue(v);
    case Accepts::Floats: return isFloatValue(v);
    case Accepts::Numbers: return !isBool(v);
    case Accepts::Any: return true;
  }
  return false;
}

const char* acceptsName(Accepts a) {
  switch (a) {
    case Accepts::Bool: return "bool";
    case Accepts::Integers: return "integer";
    case Accepts::Floats: return "floating-point";
    case Accepts::Numbers: return "numeric (not bool)";
    case Accepts::Any: return "any";
  }
  return "?";
}

// Fails unless input i has an element type the op is defined on.
Value typedInput(OnnxNode& n, size_t i, Accepts a) {
  Value v = n.input(i);
  if (!accepted(a, v))
    n.fail("input " + std::to_string(i) + " has dtype " + dtypeText(v) + "; the op takes " +
           acceptsName(a) + " inputs");
  return v;
}

// Inputs 0 and 1, of one dtype that the op accepts.
std::pair<Value, Value> sameTypedPair(OnnxNode& n, Accepts a) {
  Value x = typedInput(n, 0, a), y = typedInput(n, 1, a);
  if (dtypeOfValue(x) != dtypeOfValue(y))
    n.fail("input dtypes differ: " + dtypeText(x) + " and " + dtypeText(y));
  return {x, y};
}

// The two operands of a binary op without attributes. Before opset 7 the
// comparison and logical ops broadcast only with broadcast=1, and then B to
// A: aligned at `axis` when given, else at the trailing dimensions (numpy).
std::pair<Value, Value> binaryOperands(OnnxNode& n, Accepts a) {
  auto [x, y] = sameTypedPair(n, a);
  if (n.opset() >= 7) {
    n.onlyAttrs({});
    return {x, y};
  }
  n.onlyAttrs({"broadcast", "axis"});
  Dims xs = Emitter::shape(x), ys = Emitter::shape(y);
  if (n.attrInt("broadcast", 0) == 0) {
    if (xs != ys)
      n.fail("shapes " + dimsString(xs) + " and " + dimsString(ys) +
             " differ and broadcast is 0 (opset " + std::to_string(n.opset()) + ")");
    return {x, y};
  }
  if (n.hasAttr("axis")) {
    int64_t rank = static_cast<int64_t>(xs.size());
    int64_t axis = n.axis(n.attrInt("axis", 0), rank);
    if (axis + static_cast<int64_t>(ys.size()) > rank)
      n.fail("B of shape " + dimsString(ys) + " does not fit into A of shape " + dimsString(xs) +
             " at axis " + std::to_string(axis));
    Dims aligned = ys;
    aligned.resize(static_cast<size_t>(rank - axis), 1);  // trailing ones: numpy aligns the rest
    y = n.e().reshape(y, aligned);
  }
  if (Emitter::broadcastShapes(xs, Emitter::shape(y)) != xs)
    n.fail("B of shape " + dimsString(Emitter::shape(y)) + " does not broadcast to A of shape " +
           dimsString(xs));
  return {x, y};
}

// --- comparisons -------------------------------------------------------------

template <CompareDirection Dir, Accepts A>
std::vector<Value> compareOp(OnnxNode& n) {
  auto [x, y] = binaryOperands(n, A);
  return {n.e().compare(Dir, x, y)};
}

// --- logical and bitwise -----------------------------------------------------

// And, Or, Xor (bool) and BitwiseAnd/Or/Xor (integers): the same core ops.
template <typename OpT, Accepts A>
std::vector<Value> logicalOp(OnnxNode& n) {
  auto [x, y] = binaryOperands(n, A);
  return {n.e().binary<OpT>(x, y)};
}

template <Accepts A>
std::vector<Value> notOp(OnnxNode& n) {
  n.onlyAttrs({});
  return {n.e().unary<NotOp>(typedInput(n, 0, A))};
}

// direction LEFT or RIGHT. An amount outside [0, bit width) shifts every bit
// out, as the ONNX reference does; RIGHT is arithmetic on signed types.
std::vector<Value> bitShift(OnnxNode& n) {
  n.onlyAttrs({"direction"});
  if (!n.hasAttr("direction")) n.fail("attribute 'direction' (LEFT or RIGHT) is required");
  std::string dir = n.attrString("direction", "");
  auto [x, y] = sameTypedPair(n, Accepts::Integers);
  if (dir == "LEFT") return {n.e().binary<ShiftLeftOp>(x, y)};
  if (dir == "RIGHT") return {n.e().binary<ShiftRightOp>(x, y)};
  n.fail("direction '" + dir + "' is not LEFT or RIGHT");
}

// --- arithmetic on signs -------------------------------------------------------

// fmod=1: C fmod (the sign of the dividend): dlc.rem. fmod=0: the sign of
// the divisor, as Python's % and numpy.mod: a nonzero remainder whose sign
// differs from the divisor's gets the divisor added; for floats a zero
// remainder takes the divisor's sign. Unsigned remainders need no fix.
std::vector<Value> mod(OnnxNode& n) {
  n.onlyAttrs({"fmod"});
  int64_t fmod = n.attrInt("fmod", 0);
  if (fmod != 0 && fmod != 1) n.fail("fmod must be 0 or 1, got " + std::to_string(fmod));
  auto [a, b] = sameTypedPair(n, Accepts::Numbers);
  Emitter& e = n.e();
  Value r = e.binary<RemOp>(a, b);
  if (fmod == 1 || rt::isUnsigned(dtypeOfValue(a))) return {r};
  b = e.broadcastTo(b, Emitter::shape(r));
  Value zero = e.splatLike(0.0, r);
  Value rNeg = e.compare(CompareDirection::LT, r, zero);
  Value bNeg = e.compare(CompareDirection::LT, b, zero);
  Value signsDiffer = e.compare(CompareDirection::NE, rNeg, bNeg);
  Value fix = e.binary<AndOp>(e.compare(CompareDirection::NE, r, zero), signsDiffer);
  Value y = e.select(fix, e.add(r, b), r);
  if (isFloatValue(a)) {
    Value signedZero = e.select(bNeg, e.splatLike(-0.0, r), zero);
    y = e.select(e.compare(CompareDirection::EQ, r, zero), signedZero, y);
  }
  return {y};
}

std::vector<Value> sign(OnnxNode& n) {
  n.onlyAttrs({});
  return {n.e().unary<SignOp>(typedInput(n, 0, Accepts::Numbers))};
}

// --- float classification ------------------------------------------------------

// NaN is the one value not equal to itself.
std::vector<Value> isNaN(OnnxNode& n) {
  n.onlyAttrs({});
  Value x = typedInput(n, 0, Accepts::Floats);
  return {n.e().compare(CompareDirection::NE, x, x)};
}

std::vector<Value> isInf(OnnxNode& n) {
  n.onlyAttrs({"detect_negative", "detect_positive"});
  Value x = typedInput(n, 0, Accepts::Floats);
  Emitter& e = n.e();
  const double inf = std::numeric_limits<double>::infinity();
  bool positive = n.attrInt("detect_positive", 1) != 0;
  bool negative = n.attrInt("detect_negative", 1) != 0;
  Value pos = e.compare(CompareDirection::EQ, x, e.splatLike(inf, x));
  Value neg = e.compare(CompareDirection::EQ, x, e.splatLike(-inf, x));
  if (positive && negative) return {e.binary<OrOp>(pos, neg)};
  if (positive) return {pos};
  if (negative) return {neg};
  return {e.splat(0, e.builder().getI1Type(), Emitter::shape(x))};
}

// --- selection -------------------------------------------------------------------

std::vector<Value> where(OnnxNode& n) {
  n.onlyAttrs({});
  Value cond = typedInput(n, 0, Accepts::Bool);
  Value x = n.input(1), y = n.input(2);
  if (dtypeOfValue(x) != dtypeOfValue(y))
    n.fail("X and Y dtypes differ: " + dtypeText(x) + " and " + dtypeText(y));
  return {n.e().select(cond, x, y)};
}

// --- conversions -------------------------------------------------------------------

// An ONNX TensorProto data type as a dlc dtype; float8, int4, string and
// complex are refused with the reason.
rt::DType targetDType(OnnxNode& n, int onnxType, const char* what) {
  try {
    return onnx_io::dtypeFromOnnx(onnxType);
  } catch (const onnx_io::TensorError&) {
    n.fail(std::string(what) + " dtype " + onnx_io::onnxTypeName(onnxType) +
           " is not supported by dlc");
  }
}

// Cast-1..5 name the target type with a string ("FLOAT", "INT64", ...).
int onnxTypeFromName(OnnxNode& n, const std::string& name) {
  onnx::TensorProto::DataType t;
  if (!onnx::TensorProto::DataType_Parse(name, &t) || t == onnx::TensorProto::UNDEFINED)
    n.fail("'to' names no ONNX data type: '" + name + "'");
  return static_cast<int>(t);
}

// The data type that attribute 'to' names, as an int (or a string before
// opset 6).
int toAttr(OnnxNode& n) {
  for (const auto& a : n.proto().attribute())
    if (a.name() == "to" && a.type() == onnx::AttributeProto::STRING)
      return onnxTypeFromName(n, a.s());
  if (!n.hasAttr("to")) n.fail("attribute 'to' is required");
  return static_cast<int>(n.attrInt("to", 0));
}

// saturate (opset 19+) and round_mode (opset 25+) only change conversions to
// float8 types, which dlc refuses anyway; their values are still checked.
void checkCastAttrs(OnnxNode& n) {
  int64_t saturate = n.attrInt("saturate", 1);
  if (saturate != 0 && saturate != 1) n.fail("saturate must be 0 or 1, got " + std::to_string(saturate));
  std::string mode = n.attrString("round_mode", "up");
  if (mode != "up" && mode != "down" && mode != "nearest")
    n.fail("round_mode must be up, down or nearest, got '" + mode + "'");
}

// Any supported dtype to any: rounding once to nearest even into floats,
// truncation toward zero into integers, x != 0 into bool (dlc.convert).
std::vector<Value> cast(OnnxNode& n) {
  n.onlyAttrs({"to", "saturate", "round_mode"});
  checkCastAttrs(n);
  rt::DType to = targetDType(n, toAttr(n), "target");
  return {n.e().convert(n.input(0), n.e().elementTypeOf(to))};
}

std::vector<Value> castLike(OnnxNode& n) {
  n.onlyAttrs({"saturate", "round_mode"});
  checkCastAttrs(n);
  Value target = n.input(1);
  return {n.e().convert(n.input(0), Emitter::elementType(target))};
}

// Reinterprets the bits as another type of the same width. Into bool, a
// 1-byte value becomes x != 0: a byte other than 0 or 1 is no valid bool.
std::vector<Value> bitCast(OnnxNode& n) {
  n.onlyAttrs({"to"});
  Value x = n.input(0);
  rt::DType from = dtypeOfValue(x);
  rt::DType to = targetDType(n, toAttr(n), "target");
  if (rt::dtypeSize(from) != rt::dtypeSize(to))
    n.fail("cannot bitcast " + onnxName(from) + " (" + std::to_string(8 * rt::dtypeSize(from)) +
           " bits) to " + onnxName(to) +
           " (" + std::to_string(8 * rt::dtypeSize(to)) + " bits): the widths differ");
  Emitter& e = n.e();
  if (from == to) return {x};
  if (to == rt::DType::I1) return {e.compare(CompareDirection::NE, x, e.splatLike(0.0, x))};
  auto type = e.tensorType(Emitter::shape(x), e.elementTypeOf(to));
  return {e.builder().create<BitcastConvertOp>(e.loc(), type, x).getResult()};
}

}  // namespace

void registerLogicOps(ConverterTable& t) {
  using C = CompareDirection;
  t["Equal"] = compareOp<C::EQ, Accepts::Any>;
  t["Less"] = compareOp<C::LT, Accepts::Numbers>;
  t["LessOrEqual"] = compareOp<C::LE, Accepts::Numbers>;
  t["Greater"] = compareOp<C::GT, Accepts::Numbers>;
  t["GreaterOrEqual"] = compareOp<C::GE, Accepts::Numbers>;
  t["And"] = logicalOp<AndOp, Accepts::Bool>;
  t["Or"] = logicalOp<OrOp, Accepts::Bool>;
  t["Xor"] = logicalOp<XorOp, Accepts::Bool>;
  t["Not"] = notOp<Accepts::Bool>;
  t["BitwiseAnd"] = logicalOp<AndOp, Accepts::Integers>;
  t["BitwiseOr"] = logicalOp<OrOp, Accepts::Integers>;
  t["BitwiseXor"] = logicalOp<XorOp, Accepts::Integers>;
  t["BitwiseNot"] = notOp<Accepts::Integers>;
  t["BitShift"] = bitShift;
  t["Mod"] = mod;
  t["Sign"] = sign;
  t["IsNaN"] = isNaN;
  t["IsInf"] = isInf;
  t["Where"] = where;
  t["Cast"] = cast;
  t["CastLike"] = castLike;
  t["BitCast"] = bitCast;
}

}  // namespace dlc::onnx_import
