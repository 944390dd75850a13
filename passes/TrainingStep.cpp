// The training step (TrainingStep.h): loss, gradients (passes/Autodiff.cpp)
// and optimizer update appended to a model's @main, all as core ops. Each
// parameter's update is an elementwise chain over the parameter, its
// gradient and its state, so the fusion pass makes it one loop kernel
// (multi-output: the new parameter and its new state).
#include "passes/TrainingStep.h"

#include "ir/GraphBuild.h"
#include "passes/Autodiff.h"
#include "passes/LossScaling.h"
#include "passes/MemoryPlan.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

using namespace mlir;

namespace dlc {

namespace {

int64_t numElements(Value v) { return v.getType().cast<RankedTensorType>().getNumElements(); }

// mean over every element of x, as a rank-0 tensor.
Value mean(GraphBuild& gb, Value x) {
  Value s = gb.reduceAll(ReduceKind::Sum, x);
  return gb.scale(s, 1.0 / static_cast<double>(numElements(x)));
}

Value softmaxCrossEntropy(GraphBuild& gb, Value logits, Value labels, std::string& error) {
  Dims s = GraphBuild::shape(logits);
  if (s.size() != 2) {
    error = "softmax_cross_entropy needs logits of rank 2 [batch, classes]; the prediction is " +
            std::to_string(s.size()) + "-d";
    return {};
  }
  Value m = gb.reduce(ReduceKind::Max, logits, {1});
  Value shifted = gb.sub(logits, gb.unreduce(m, {1}, s));
  Value lse = gb.unary<LogOp>(gb.reduce(ReduceKind::Sum, gb.unary<ExpOp>(shifted), {1}));
  Value logp = gb.sub(shifted, gb.unreduce(lse, {1}, s));
  Dims ls = GraphBuild::shape(labels);
  Type le = GraphBuild::elementType(labels);
  Value picked;
  if (le.isa<FloatType>()) {  // class probabilities
    if (ls != s) {
      error = "softmax_cross_entropy with float labels needs them in the logits' shape";
      return {};
    }
    picked = gb.mul(gb.convert(labels, GraphBuild::elementType(logits)), logp);
  } else {
    if (ls != Dims{s[0]}) {
      error = "softmax_cross_entropy needs integer labels of shape [" + std::to_string(s[0]) + "] (one class per sample)";
      return {};
    }
    Value classes = gb.b.create<IotaOp>(gb.loc, gb.type(s, le), gb.b.getI64IntegerAttr(1)).getResult();
    Value hit = gb.compare(CompareDirection::EQ, classes, gb.broadcastInDim(labels, {0}, s));
    picked = gb.select(hit, logp, gb.zerosLike(logp));
  }
  return gb.scale(gb.reduceAll(ReduceKind::Sum, picked), -1.0 / static_cast<double>(s[0]));
}

// The target in the prediction's shape and type (a [B] target for a [B, 1]
// prediction is reshaped).
Value targetLike(GraphBuild& gb, Value pred, Value target, const std::string& loss, std::string& error) {
  if (numElements(pred) != numElements(target)) {
    error = loss + " needs a target with as many elements as the prediction (" + std::to_string(numElements(pred)) +
            "); the labels have " + std::to_string(numElements(target));
    return {};
  }
  return gb.reshape(gb.convert(target, GraphBuild::elementType(pred)), GraphBuild::shape(pred));
}

Value buildLoss(GraphBuild& gb, const TrainingSpec& spec, Value pred, Value labels, std::string& error) {
  if (spec.loss == "softmax_cross_entropy") return softmaxCrossEntropy(gb, pred, labels, error);
  Value y = targetLike(gb, pred, labels, spec.loss, error);
  if (!y) return {};
  if (spec.loss == "mse") {
    Value d = gb.sub(pred, y);
    return mean(gb, gb.mul(d, d));
  }
  if (spec.loss == "bce") {
    Value relu = gb.binary<MaxOp>(pred, gb.zerosLike(pred));
    Value soft = gb.unary<LogOp>(gb.shift(gb.unary<ExpOp>(gb.neg(gb.unary<AbsOp>(pred))), 1.0));
    return mean(gb, gb.add(gb.sub(relu, gb.mul(pred, y)), soft));
  }
  error = "unknown loss '" + spec.loss + "' (softmax_cross_entropy, mse or bce)";
  return {};
}

}  // namespace

int lossScalingStateCount(const TrainingSpec& spec) { return spec.lossScaling.enabled ? 2 : 0; }

int optimizerStatePerParam(const TrainingSpec& spec) {
  if (spec.optimizer == "sgd") return spec.momentum != 0 ? 1 : 0;
  return 2;  // adam, adamw: m and v
}

LogicalResult buildTrainingStep(ModuleOp module, const TrainingSpec& spec, std::string& error) {
  auto f = module.lookupSymbol<func::FuncOp>("main");
  if (!f || !f.getBody().hasOneBlock()) {
    error = "the model has no func.func @main of one block";
    return failure();
  }
  if (spec.optimizer != "sgd" && spec.optimizer != "adam" && spec.optimizer != "adamw") {
    error = "unknown optimizer '" + spec.optimizer + "' (sgd, adam or adamw)";
    return failure();
  }
  auto ret = cast<func::ReturnOp>(f.getBody().front().getTerminator());
  if (spec.prediction >= ret.getNumOperands()) {
    error = "the loss reads output " + std::to_string(spec.prediction) + ", but the model has " +
            std::to_string(ret.getNumOperands());
    return failure();
  }
  if (spec.params.empty()) {
    error = "there is no parameter to train";
    return failure();
  }
  const TrainingSpec::LossScaling& ls = spec.lossScaling;
  if (ls.enabled && (ls.growthInterval < 1 || ls.growthInterval > (int64_t{1} << 24) || !(ls.growth >= 1) ||
                     !(ls.backoff > 0 && ls.backoff <= 1))) {
    error = "loss scaling needs a growth interval in 1..2^24, growth >= 1 and backoff in (0, 1]";
    return failure();
  }
  for (unsigned p : spec.params)
    if (p >= f.getNumArguments() || !GraphBuild::isFloatTensor(f.getArgument(p).getType())) {
      error = "parameter " + std::to_string(p) + " is not a float argument of @main";
      return failure();
    }
  Location loc = f.getLoc();
  MLIRContext* ctx = module.getContext();
  auto addArg = [&](Type t, const std::string& name) {
    unsigned i = f.getNumArguments();
    f.insertArgument(i, t, DictionaryAttr::get(ctx, {NamedAttribute(StringAttr::get(ctx, "dlc.name"),
                                                                     StringAttr::get(ctx, name))}),
                     loc);
    return f.getArgument(i);
  };
  Value labels = addArg(spec.labelType, "labels");
  int perParam = optimizerStatePerParam(spec);
  std::vector<std::vector<Value>> state(static_cast<size_t>(perParam));
  for (int k = 0; k < perParam; ++k)
    for (unsigned p : spec.params) {
      std::string kind = spec.optimizer == "sgd" ? "momentum" : k == 0 ? "m" : "v";
      auto name = f.getArgAttrOfType<StringAttr>(p, "dlc.name");
      state[static_cast<size_t>(k)].push_back(
          addArg(f.getArgument(p).getType(), kind + "." + (name ? name.getValue().str() : std::to_string(p))));
    }
  auto f32Scalar = RankedTensorType::get({}, Float32Type::get(ctx));
  Value step = addArg(f32Scalar, "step");
  Value lossScale, goodSteps;
  if (ls.enabled) {
    lossScale = addArg(f32Scalar, "loss_scale");
    goodSteps = addArg(f32Scalar, "loss_scale.good_steps");
  }

  // The model's own new state, kept aside while the results become the loss.
  std::vector<Value> newModelState;
  for (const auto& pair : spec.modelState) {
    if (pair.input >= f.getNumArguments() || pair.output >= ret.getNumOperands() ||
        ret.getOperand(pair.output).getType() != f.getArgument(pair.input).getType()) {
      error = "model state pair (argument " + std::to_string(pair.input) + ", result " +
              std::to_string(pair.output) + ") does not name an argument and a result of its type";
      return failure();
    }
    newModelState.push_back(ret.getOperand(pair.output));
  }

  // Loss, then its gradients.
  OpBuilder builder(ret);
  GraphBuild gb(builder, loc);
  Value loss = buildLoss(gb, spec, ret.getOperand(spec.prediction), labels, error);
  if (!loss) return failure();
  loss = gb.convert(loss, builder.getF32Type());
  // With loss scaling the backward pass starts from loss * S, so every
  // gradient on the way (the 16-bit operands of the backward products) is
  // S times larger and small ones do not flush to zero.
  Value differentiated = ls.enabled ? gb.mul(loss, lossScale) : loss;
  ret->setOperands(ValueRange{differentiated});
  f->removeAttr("res_attrs");
  f.setType(FunctionType::get(ctx, f.getFunctionType().getInputs(), {loss.getType()}));
  if (failed(appendGradients(f, 0, spec.params))) {
    error = "the gradient could not be built (see the error above)";
    return failure();
  }

  // The update.
  builder.setInsertionPoint(ret);
  std::vector<Value> grads;
  for (size_t i = 0; i < spec.params.size(); ++i) grads.push_back(ret.getOperand(static_cast<unsigned>(1 + i)));
  Value finite;  // loss scaling: no gradient overflowed (i1 scalar)
  if (ls.enabled) {
    UnscaledGradients u = unscaleGradients(gb, grads, lossScale);
    grads = u.grads;
    finite = u.finite;
  }
  Value t = gb.shift(step, 1.0);
  std::vector<Value> newParams;
  std::vector<std::vector<Value>> newState(static_cast<size_t>(perParam));
  for (size_t i = 0; i < spec.params.size(); ++i) {
    Value p = f.getArgument(spec.params[i]);
    Value g = grads[i];
    Type et = GraphBuild::elementType(p);
    Dims shape = GraphBuild::shape(p);
    // A scalar of the step (bias corrections) over the parameter's shape.
    auto perStep = [&](Value scalar) { return gb.broadcastInDim(gb.convert(scalar, et), {}, shape); };
    bool adamw = spec.optimizer == "adamw";
    if (spec.weightDecay != 0 && !adamw) g = gb.add(g, gb.scale(p, spec.weightDecay));
    if (spec.optimizer == "sgd") {
      if (perParam) {
        Value buf = gb.add(gb.scale(state[0][i], spec.momentum), g);
        newState[0].push_back(buf);
        g = buf;
      }
      newParams.push_back(gb.sub(p, gb.scale(g, spec.lr)));
      continue;
    }
    if (adamw && spec.weightDecay != 0) p = gb.scale(p, 1.0 - spec.lr * spec.weightDecay);
    Value gPart = gb.scale(g, 1.0 - spec.beta1);
    Value m = gb.add(gb.scale(state[0][i], spec.beta1), gPart);
    Value g2Part = gb.scale(gb.mul(g, g), 1.0 - spec.beta2);
    Value v = gb.add(gb.scale(state[1][i], spec.beta2), g2Part);
    newState[0].push_back(m);
    newState[1].push_back(v);
    auto correction = [&](double beta) {  // 1 - beta^t
      Value b = gb.splat(beta, builder.getF32Type(), {});
      Value betaPowT = gb.binary<PowOp>(b, t);
      return gb.sub(gb.splat(1.0, builder.getF32Type(), {}), betaPowT);
    };
    Value mhat = gb.div(m, perStep(correction(spec.beta1)));
    Value vhat = gb.div(v, perStep(correction(spec.beta2)));
    Value denom = gb.shift(gb.unary<SqrtOp>(vhat), spec.eps);
    newParams.push_back(gb.sub(p, gb.scale(gb.div(mhat, denom), spec.lr)));
  }
  // A step with an overflowed gradient keeps the parameters, the optimizer
  // state and the step counter as they were.
  if (ls.enabled) {
    for (size_t i = 0; i < newParams.size(); ++i)
      newParams[i] = keepOnOverflow(gb, finite, newParams[i], f.getArgument(spec.params[i]));
    for (int k = 0; k < perParam; ++k)
      for (size_t i = 0; i < spec.params.size(); ++i) {
        Value& v = newState[static_cast<size_t>(k)][i];
        v = keepOnOverflow(gb, finite, v, state[static_cast<size_t>(k)][i]);
      }
    t = keepOnOverflow(gb, finite, t, step);
  }
  SmallVector<Value> results{loss};
  SmallVector<Type> types{loss.getType()};
  std::vector<std::string> names{"loss"};
  auto argName = [&](Value arg) {
    auto a = arg.cast<BlockArgument>();
    auto n = f.getArgAttrOfType<StringAttr>(a.getArgNumber(), "dlc.name");
    return n ? n.getValue().str() : "arg" + std::to_string(a.getArgNumber());
  };
  std::vector<Value> aliased;  // the argument each result after the loss replaces
  for (size_t i = 0; i < newParams.size(); ++i) {
    results.push_back(newParams[i]);
    aliased.push_back(f.getArgument(spec.params[i]));
  }
  for (int k = 0; k < perParam; ++k)
    for (size_t i = 0; i < spec.params.size(); ++i) {
      results.push_back(newState[static_cast<size_t>(k)][i]);
      aliased.push_back(state[static_cast<size_t>(k)][i]);
    }
  for (size_t i = 0; i < newModelState.size(); ++i) {
    results.push_back(newModelState[i]);
    aliased.push_back(f.getArgument(spec.modelState[i].input));
  }
  results.push_back(t);
  aliased.push_back(step);
  if (ls.enabled) {
    auto [newScale, newGood] = updateLossScale(gb, ls, finite, lossScale, goodSteps);
    results.push_back(newScale);
    aliased.push_back(lossScale);
    results.push_back(newGood);
    aliased.push_back(goodSteps);
  }
  for (Value a : aliased) names.push_back(argName(a));
  for (Value r : results) types.push_back(r.getType());
  types.erase(types.begin());  // loss counted twice
  ret->setOperands(results);
  f->removeAttr("res_attrs");
  f.setType(FunctionType::get(ctx, f.getFunctionType().getInputs(), types));
  for (size_t i = 0; i < names.size(); ++i)
    f.setResultAttr(static_cast<unsigned>(i), "dlc.name", StringAttr::get(ctx, names[i]));
  // Every new value is written over its old one (in place where the memory
  // planner proves it safe): results 1.. in the order of `aliased`.
  for (size_t i = 0; i < aliased.size(); ++i)
    requestAlias(f, static_cast<unsigned>(1 + i), aliased[i].cast<BlockArgument>().getArgNumber());
  return success();
}

std::vector<TrainingSpec::StatePair> modelStatePairs(ModuleOp module) {
  std::vector<TrainingSpec::StatePair> out;
  auto f = module.lookupSymbol<func::FuncOp>("main");
  if (!f) return out;
  for (unsigned r = 0; r < f.getNumResults(); ++r)
    if (auto a = f.getResultAttrOfType<IntegerAttr>(r, "dlc.updates"))
      out.push_back({static_cast<unsigned>(a.getInt()), r});
  return out;
}

}  // namespace dlc
