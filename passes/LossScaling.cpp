// Dynamic loss scaling as graph ops (LossScaling.h). The finiteness check
// compares |g| < inf, which is false for an inf and for a NaN alike, and
// reduces the per-element "bad" flags with max (0 or 1, no NaN reaches the
// reduction, so its NaN rules do not matter).
#include "passes/LossScaling.h"

#include <limits>

using namespace mlir;

namespace dlc {

namespace {

// 1 where x is an inf or a NaN, else 0, reduced to a rank-0 f32.
Value anyNonFinite(GraphBuild& gb, Value x) {
  Value inf = gb.splatLike(std::numeric_limits<double>::infinity(), x);
  Value finite = gb.compare(CompareDirection::LT, gb.unary<AbsOp>(x), inf);
  Type f32 = gb.b.getF32Type();
  Dims s = GraphBuild::shape(x);
  Value one = gb.splat(1.0, f32, s);  // named in the order GCC built them (check_eval_order.py)
  Value zero = gb.splat(0.0, f32, s);
  Value bad = gb.select(finite, zero, one);
  return gb.reduceAll(ReduceKind::Max, bad);
}

}  // namespace

UnscaledGradients unscaleGradients(GraphBuild& gb, const std::vector<Value>& grads, Value scale) {
  UnscaledGradients out;
  Value inverse = gb.div(gb.splatLike(1.0, scale), scale);
  Value anyBad;
  for (Value g : grads) {
    Value u = gb.mul(g, gb.broadcastInDim(gb.convert(inverse, GraphBuild::elementType(g)), {}, GraphBuild::shape(g)));
    out.grads.push_back(u);
    Value bad = anyNonFinite(gb, u);
    anyBad = anyBad ? gb.binary<MaxOp>(anyBad, bad) : bad;
  }
  out.finite = gb.compare(CompareDirection::EQ, anyBad, gb.splatLike(0.0, anyBad));
  return out;
}

Value keepOnOverflow(GraphBuild& gb, Value finite, Value updated, Value old) {
  return gb.select(gb.broadcastInDim(finite, {}, GraphBuild::shape(old)), updated, old);
}

std::pair<Value, Value> updateLossScale(GraphBuild& gb, const TrainingSpec::LossScaling& ls, Value finite,
                                        Value scale, Value goodSteps) {
  Value zero = gb.splatLike(0.0, goodSteps);
  Value count = gb.shift(goodSteps, 1.0);
  Value grow = gb.compare(CompareDirection::GE, count, gb.splatLike(static_cast<double>(ls.growthInterval), count));
  Value grown = gb.scale(scale, ls.growth);
  Value grownFinite = gb.compare(CompareDirection::LT, grown,
                                 gb.splatLike(std::numeric_limits<double>::infinity(), grown));
  Value onGood = gb.select(grow, gb.select(grownFinite, grown, scale), scale);
  Value newScale = gb.select(finite, onGood, gb.scale(scale, ls.backoff));
  Value newCount = gb.select(finite, gb.select(grow, zero, count), zero);
  return {newScale, newCount};
}

}  // namespace dlc
