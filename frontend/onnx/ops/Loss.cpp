// ONNX loss ops (SoftmaxCrossEntropyLoss, NegativeLogLikelihoodLoss).
//
// Both pick, for every sample position (n, d1, ...), the input's entry at
// the target class: loss = -input[n, target, d1, ...] * weight[target], 0
// where target == ignore_index; then reduce by none / sum / mean, where mean
// divides by the summed weights of the positions not ignored (their count
// when there are no weights).
#include "frontend/onnx/OnnxNode.h"

namespace dlc::onnx_import {
namespace {

using mlir::Type;
using mlir::Value;

// table[idx] along axis 0 of a 1-D table: the result has idx's shape.
// Indices out of [-size, size) fail at run time; negative ones count from
// the end.
Value lookup(Emitter& e, Value table, Value idx) {
  auto type = e.tensorType(Emitter::shape(idx), Emitter::elementType(table));
  return e.builder().create<GatherOp>(e.loc(), type, table, idx, e.builder().getI64IntegerAttr(0))
      .getResult();
}

// The loss of NegativeLogLikelihoodLoss on log-probabilities `logp`
// ([N, C, d1, ...]), with the node's target, weight and attributes.
Value nllLoss(OnnxNode& n, Value logp) {
  Emitter& e = n.e();
  Value target = n.input(1);
  Dims xs = Emitter::shape(logp), ts = Emitter::shape(target);
  if (xs.size() < 2) n.fail("input must be N x C x D1 ... Dk, got " + dimsString(xs));
  Dims expected = xs;
  expected.erase(expected.begin() + 1);
  if (ts != expected)
    n.fail("target must have shape " + dimsString(expected) + " (the input's without C), got " +
           dimsString(ts));
  Type tt = Emitter::elementType(target), et = Emitter::elementType(logp);
  if (!tt.isInteger(64) && !tt.isInteger(32)) n.fail("target must be int32 or int64");
  std::string reduction = n.attrString("reduction", "mean");
  if (reduction != "none" && reduction != "sum" && reduction != "mean")
    n.fail("reduction '" + reduction + "' is not one of none, sum, mean");
  int64_t classes = xs[1];

  // Ignored positions look up class 0 (any valid one) and are zeroed after.
  bool hasIgnore = n.hasAttr("ignore_index");
  Value ignored;
  Value t = target;
  if (hasIgnore) {
    ignored = e.compare(CompareDirection::EQ, target,
                        e.splatLike(static_cast<double>(n.attrInt("ignore_index", 0)), target));
    t = e.select(ignored, e.splatLike(0.0, target), target);
  }
  // Looking the class up in [0, 1, ..., C-1] checks it at run time: a class
  // outside [-C, C) fails there instead of reading another sample's entry.
  Type i64 = e.builder().getI64Type();
  t = e.convert(t, i64);
  t = lookup(e, e.iota({classes}, 0, i64), t);

  Dims picked = ts;
  picked.insert(picked.begin() + 1, 1);
  Value loss = e.unary<NegOp>(
      e.reshape(e.takeAlongDim(logp, e.reshape(t, picked), 1), ts));
  Value zero = e.splat(0.0, et, ts);
  Value w;  // per-position weight; null when every weight is 1
  if (n.hasInput(2)) {
    Value weight = n.input(2);
    if (Emitter::shape(weight) != Dims{classes})
      n.fail("weight must have shape [" + std::to_string(classes) + "], got " +
             dimsString(Emitter::shape(weight)));
    w = lookup(e, weight, t);
  }
  if (hasIgnore) {
    loss = e.select(ignored, zero, loss);
    w = e.select(ignored, zero, w ? w : e.splat(1.0, et, ts));
  }
  if (w && n.hasInput(2)) loss = e.mul(loss, w);

  if (reduction == "none") return loss;
  Dims all;
  for (size_t d = 0; d < ts.size(); ++d) all.push_back(static_cast<int64_t>(d));
  Value sum = e.reduce(ReduceKind::Sum, loss, all);
  if (reduction == "sum") return sum;
  Value count = w ? e.reduce(ReduceKind::Sum, w, all)
                  : e.splat(static_cast<double>(rt::numElements(ts)), et);
  return e.div(sum, count);
}

void checkFloat(OnnxNode& n, Value x) {
  if (!Emitter::elementType(x).isa<mlir::FloatType>()) n.fail("input must be a float tensor");
}

std::vector<Value> negativeLogLikelihoodLoss(OnnxNode& n) {
  n.onlyAttrs({"ignore_index", "reduction"});
  Value x = n.input(0);
  checkFloat(n, x);
  return {nllLoss(n, x)};
}

// log_softmax over the class dim, in the stable form
// (x - max) - log(sum(exp(x - max))), then the NLL loss; the optional second
// output is the log-probabilities.
std::vector<Value> softmaxCrossEntropyLoss(OnnxNode& n) {
  n.onlyAttrs({"ignore_index", "reduction"});
  Emitter& e = n.e();
  Value x = n.input(0);
  checkFloat(n, x);
  Dims xs = Emitter::shape(x);
  if (xs.size() < 2) n.fail("scores must be N x C x D1 ... Dk, got " + dimsString(xs));
  Value shifted = e.sub(x, e.reduceKeep(ReduceKind::Max, x, {1}));
  Value lse = e.unary<LogOp>(e.reduce(ReduceKind::Sum, e.unary<ExpOp>(shifted), {1}));
  Value logp = e.sub(shifted, e.unreduce(lse, {1}, xs));
  std::vector<Value> out = {nllLoss(n, logp)};
  if (n.hasOutput(1)) out.push_back(logp);
  return out;
}

}  // namespace

void registerLossOps(ConverterTable& t) {
  t["NegativeLogLikelihoodLoss"] = negativeLogLikelihoodLoss;
  t["SoftmaxCrossEntropyLoss"] = softmaxCrossEntropyLoss;
}

}  // namespace dlc::onnx_import
