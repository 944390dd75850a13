// The training step as one function (passes/TrainingStep.cpp): a model's
// @main turned into forward + loss + backward + optimizer update, which then
// goes through the normal pipeline (fusion, memory planning) and runs on any
// device like an inference model.
#pragma once

#include <string>
#include <vector>

#include "mlir/IR/BuiltinOps.h"

namespace dlc {

struct TrainingSpec {
  // softmax_cross_entropy: logits [B, C..] against integer class labels [B]
  //   (or float probabilities of the logits' shape); log-sum-exp with the
  //   max subtracted; mean over the batch (torch's CrossEntropyLoss).
  // mse: mean over all elements of (prediction - target)^2 (torch MSELoss).
  // bce: binary cross-entropy with logits, mean over all elements, in the
  //   stable form max(x, 0) - x y + log(1 + e^-|x|) (BCEWithLogitsLoss).
  std::string loss;
  unsigned prediction = 0;  // which result of @main the loss reads
  mlir::Type labelType;     // the labels' tensor type (a new argument)

  // sgd: g += wd p; buf = momentum buf + g (when momentum != 0); p -= lr buf.
  // adam: g += wd p; m, v moving averages; p -= lr m^ / (sqrt(v^) + eps)
  //   with the bias corrections 1 - beta^t, t = step + 1.
  // adamw: p *= 1 - lr wd first (decoupled decay), then adam without wd.
  // The same formulas as torch.optim's SGD, Adam and AdamW.
  std::string optimizer;
  double lr = 0.01, momentum = 0, weightDecay = 0, beta1 = 0.9, beta2 = 0.999, eps = 1e-8;

  std::vector<unsigned> params;  // @main's arguments that are trained

  // State the model updates itself, beyond the optimizer's (BatchNorm's
  // running statistics, from the training import): @main's argument
  // `input` becomes result `output` of @main (an index among its results
  // before the rewrite). Not trained: no gradient, no optimizer state.
  struct StatePair {
    unsigned input, output;
  };
  std::vector<StatePair> modelState;
};

// The model's own state pairs of an imported @main: results that carry the
// dlc.updates attribute (OnnxImportOptions::training).
std::vector<TrainingSpec::StatePair> modelStatePairs(mlir::ModuleOp module);

// How many state tensors the optimizer keeps per parameter (momentum
// buffer; Adam's m and v).
int optimizerStatePerParam(const TrainingSpec& spec);

// Rewrites @main(args...) -> (outputs...) into
//   @main(args..., labels, state..., step)
//     -> (loss, new params..., new state..., new model state..., new step)
// where state holds optimizerStatePerParam tensors per parameter (in
// parameter order: all of the first kind, then all of the second), each of
// its parameter's type and zero at the start, model state holds the new
// values of spec.modelState in their order, and step is an f32 scalar
// counting the steps done (0 at the start). Each result after the loss
// asks to be written over the argument it replaces at the next step
// (requestAlias, MemoryPlan.h: its dlc.alias_arg attribute), so parameters
// and all state are updated in place. Fails with a message in `error`.
mlir::LogicalResult buildTrainingStep(mlir::ModuleOp module, const TrainingSpec& spec, std::string& error);

}  // namespace dlc
