// Gradient rules of the elementwise ops (DlcOp::buildGradient; the autodiff
// pass, passes/Autodiff.cpp, calls them in reverse order). `g` is the
// gradient of the op's result; each rule appends one gradient per operand,
// null where there is none: integer and boolean operands, and the piecewise
// constant ops (floor, ceil, round, sign), whose gradient is zero almost
// everywhere. Operands and results of an elementwise op have one shape, so
// no rule here broadcasts (broadcasting is dlc.broadcast_in_dim's rule).
#include <cmath>

#include "ir/GraphBuild.h"

namespace dlc {

using mlir::LogicalResult;
using mlir::OpBuilder;
using mlir::success;
using mlir::Value;
using mlir::ValueRange;
using Grads = llvm::SmallVectorImpl<Value>;

namespace {

// No gradient for each operand.
LogicalResult none(mlir::Operation* op, Grads& out) {
  for (size_t i = 0; i < op->getNumOperands(); ++i) out.push_back(Value());
  return success();
}

}  // namespace

#define DLC_GRAD(Op) \
  LogicalResult Op::buildGradient(OpBuilder& builder, ValueRange resultGrads, Grads& out)
#define DLC_NO_GRAD(Op) \
  DLC_GRAD(Op) { return none(getOperation(), out); }

// --- unary -------------------------------------------------------------------

DLC_GRAD(NegOp) {
  GraphBuild gb(builder, getLoc());
  out.push_back(gb.neg(resultGrads[0]));
  return success();
}

DLC_GRAD(AbsOp) {  // sign(x): 0 at x == 0, as torch
  if (!GraphBuild::isFloat(getOperand())) return none(getOperation(), out);
  GraphBuild gb(builder, getLoc());
  out.push_back(gb.mul(resultGrads[0], gb.unary<SignOp>(getOperand())));
  return success();
}

DLC_GRAD(ExpOp) {
  GraphBuild gb(builder, getLoc());
  out.push_back(gb.mul(resultGrads[0], getResult()));
  return success();
}

DLC_GRAD(LogOp) {
  GraphBuild gb(builder, getLoc());
  out.push_back(gb.div(resultGrads[0], getOperand()));
  return success();
}

DLC_GRAD(SqrtOp) {  // 1 / (2 sqrt(x))
  GraphBuild gb(builder, getLoc());
  out.push_back(gb.div(gb.scale(resultGrads[0], 0.5), getResult()));
  return success();
}

DLC_GRAD(RsqrtOp) {  // -x^(-3/2) / 2 = -rsqrt(x) / (2x)
  GraphBuild gb(builder, getLoc());
  out.push_back(gb.div(gb.mul(gb.scale(resultGrads[0], -0.5), getResult()), getOperand()));
  return success();
}

DLC_GRAD(TanhOp) {  // 1 - tanh^2
  GraphBuild gb(builder, getLoc());
  Value y = getResult();
  Value prod = gb.mul(y, y);
  out.push_back(gb.mul(resultGrads[0], gb.sub(gb.splatLike(1.0, y), prod)));
  return success();
}

DLC_GRAD(LogisticOp) {  // s (1 - s)
  GraphBuild gb(builder, getLoc());
  Value y = getResult();
  out.push_back(gb.mul(resultGrads[0], gb.mul(y, gb.sub(gb.splatLike(1.0, y), y))));
  return success();
}

DLC_GRAD(ErfOp) {  // 2/sqrt(pi) e^(-x^2)
  GraphBuild gb(builder, getLoc());
  Value x = getOperand();
  Value d = gb.scale(gb.unary<ExpOp>(gb.neg(gb.mul(x, x))), 2.0 / std::sqrt(M_PI));
  out.push_back(gb.mul(resultGrads[0], d));
  return success();
}

DLC_GRAD(SinOp) {
  GraphBuild gb(builder, getLoc());
  out.push_back(gb.mul(resultGrads[0], gb.unary<CosOp>(getOperand())));
  return success();
}

DLC_GRAD(CosOp) {
  GraphBuild gb(builder, getLoc());
  out.push_back(gb.neg(gb.mul(resultGrads[0], gb.unary<SinOp>(getOperand()))));
  return success();
}

DLC_NO_GRAD(FloorOp)
DLC_NO_GRAD(CeilOp)
DLC_NO_GRAD(RoundOp)
DLC_NO_GRAD(SignOp)
DLC_NO_GRAD(NotOp)

// --- binary ------------------------------------------------------------------

DLC_GRAD(AddOp) {
  if (!GraphBuild::isFloat(getLhs())) return none(getOperation(), out);
  out.push_back(resultGrads[0]);
  out.push_back(resultGrads[0]);
  return success();
}

DLC_GRAD(SubOp) {
  if (!GraphBuild::isFloat(getLhs())) return none(getOperation(), out);
  GraphBuild gb(builder, getLoc());
  out.push_back(resultGrads[0]);
  out.push_back(gb.neg(resultGrads[0]));
  return success();
}

DLC_GRAD(MulOp) {
  if (!GraphBuild::isFloat(getLhs())) return none(getOperation(), out);
  GraphBuild gb(builder, getLoc());
  out.push_back(gb.mul(resultGrads[0], getRhs()));
  out.push_back(gb.mul(resultGrads[0], getLhs()));
  return success();
}

DLC_GRAD(DivOp) {  // d/db (a/b) = -(a/b)/b
  if (!GraphBuild::isFloat(getLhs())) return none(getOperation(), out);
  GraphBuild gb(builder, getLoc());
  Value ga = gb.div(resultGrads[0], getRhs());
  out.push_back(ga);
  out.push_back(gb.neg(gb.mul(ga, getResult())));
  return success();
}

// d/da a^b = b a^(b-1); d/db a^b = a^b ln a (NaN for a < 0, as torch; the
// exponent's gradient is dead code, removed later, when it is a constant).
DLC_GRAD(PowOp) {
  if (!GraphBuild::isFloat(getLhs())) return none(getOperation(), out);
  GraphBuild gb(builder, getLoc());
  Value a = getLhs(), b = getRhs(), g = resultGrads[0];
  Value bm1 = gb.sub(b, gb.splatLike(1.0, b));
  out.push_back(gb.mul(g, gb.mul(b, gb.binary<PowOp>(a, bm1))));
  out.push_back(gb.mul(g, gb.mul(getResult(), gb.unary<LogOp>(a))));
  return success();
}

// Ties (a == b) send the whole gradient to the lhs: the first operand wins.
static LogicalResult minMaxGrad(mlir::Operation* op, OpBuilder& builder, Value g, CompareDirection dir,
                                Grads& out) {
  Value a = op->getOperand(0), b = op->getOperand(1);
  if (!GraphBuild::isFloat(a)) return none(op, out);
  GraphBuild gb(builder, op->getLoc());
  Value pick = gb.compare(dir, a, b);
  Value zero = gb.zerosLike(g);
  out.push_back(gb.select(pick, g, zero));
  out.push_back(gb.select(pick, zero, g));
  return success();
}

DLC_GRAD(MaxOp) { return minMaxGrad(getOperation(), builder, resultGrads[0], CompareDirection::GE, out); }
DLC_GRAD(MinOp) { return minMaxGrad(getOperation(), builder, resultGrads[0], CompareDirection::LE, out); }

// rem(a, b) = a - trunc(a/b) b: d/da = 1, d/db = -trunc(a/b) = (rem - a)/b.
DLC_GRAD(RemOp) {
  if (!GraphBuild::isFloat(getLhs())) return none(getOperation(), out);
  GraphBuild gb(builder, getLoc());
  Value g = resultGrads[0];
  out.push_back(g);
  out.push_back(gb.mul(g, gb.div(gb.sub(getResult(), getLhs()), getRhs())));
  return success();
}

// atan2(y, x): d/dy = x / (x^2 + y^2), d/dx = -y / (x^2 + y^2).
DLC_GRAD(Atan2Op) {
  GraphBuild gb(builder, getLoc());
  Value y = getLhs(), x = getRhs(), g = resultGrads[0];
  Value prod = gb.mul(y, y);
  Value r2 = gb.add(gb.mul(x, x), prod);
  Value gr = gb.div(g, r2);
  out.push_back(gb.mul(gr, x));
  out.push_back(gb.neg(gb.mul(gr, y)));
  return success();
}

DLC_NO_GRAD(AndOp)
DLC_NO_GRAD(OrOp)
DLC_NO_GRAD(XorOp)
DLC_NO_GRAD(ShiftLeftOp)
DLC_NO_GRAD(ShiftRightOp)
DLC_NO_GRAD(CompareOp)  // an i1 result carries no gradient

// --- select, convert ---------------------------------------------------------

DLC_GRAD(SelectOp) {
  if (!GraphBuild::isFloat(getOnTrue())) return none(getOperation(), out);
  GraphBuild gb(builder, getLoc());
  Value g = resultGrads[0], zero = gb.zerosLike(g);
  out.push_back(Value());
  out.push_back(gb.select(getPred(), g, zero));
  out.push_back(gb.select(getPred(), zero, g));
  return success();
}

// The gradient flows back in the operand's type (an f16 -> f32 convert
// gives an f16 gradient); from an integer operand there is none.
DLC_GRAD(ConvertOp) {
  if (!GraphBuild::isFloat(getOperand()) || !GraphBuild::isFloat(getResult())) return none(getOperation(), out);
  GraphBuild gb(builder, getLoc());
  out.push_back(gb.convert(resultGrads[0], GraphBuild::elementType(getOperand())));
  return success();
}

}  // namespace dlc
