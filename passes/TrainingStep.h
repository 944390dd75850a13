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

  // Loss scaling for 16-bit backward passes (torch.cuda.amp.GradScaler's
  // semantics, docs/precision.md "Training"). With `enabled`, the loss is
  // multiplied by the scale S before the backward pass and each gradient by
  // 1/S after it; if any unscaled gradient holds an inf or a NaN the step is
  // skipped: parameters, optimizer state and the step counter keep their
  // old values (the model's own state, BatchNorm's running statistics, is
  // updated: the forward pass ran, as in torch) and S becomes S * backoff;
  // otherwise the good-step counter counts up, and when it reaches
  // growthInterval S becomes S * growth (if that is finite) and the counter
  // restarts at 0. A static scale is growth = backoff = 1 (overflowing
  // steps are still skipped). S and the counter are f32 state carried from
  // step to step (see buildTrainingStep's layout); initialScale is what
  // the caller starts S at.
  struct LossScaling {
    bool enabled = false;
    double initialScale = 65536, growth = 2, backoff = 0.5;
    int64_t growthInterval = 2000;  // 1 .. 2^24 (the counter is an f32)
  };
  LossScaling lossScaling;
};

// The model's own state pairs of an imported @main: results that carry the
// dlc.updates attribute (OnnxImportOptions::training).
std::vector<TrainingSpec::StatePair> modelStatePairs(mlir::ModuleOp module);

// How many state tensors the optimizer keeps per parameter (momentum
// buffer; Adam's m and v).
int optimizerStatePerParam(const TrainingSpec& spec);

// How many f32 scalars of loss-scaling state follow the step counter: 2
// (the scale S, the good-step counter) when spec.lossScaling.enabled, else 0.
int lossScalingStateCount(const TrainingSpec& spec);

// Rewrites @main(args...) -> (outputs...) into
//   @main(args..., labels, state..., step[, loss_scale, good_steps])
//     -> (loss, new params..., new state..., new model state..., new step
//         [, new loss_scale, new good_steps])
// where state holds optimizerStatePerParam tensors per parameter (in
// parameter order: all of the first kind, then all of the second), each of
// its parameter's type and zero at the start, model state holds the new
// values of spec.modelState in their order, and step is an f32 scalar
// counting the steps done (0 at the start; a skipped step does not count:
// a caller sees a skip as an unchanged step). With loss scaling,
// loss_scale (f32 scalar, TrainingSpec::LossScaling::initialScale at the
// start) and good_steps (f32 scalar, 0 at the start) come last, arguments
// and results. The loss result is the unscaled loss. Each result after the loss
// asks to be written over the argument it replaces at the next step
// (requestAlias, MemoryPlan.h: its dlc.alias_arg attribute), so parameters
// and all state are updated in place. Fails with a message in `error`.
mlir::LogicalResult buildTrainingStep(mlir::ModuleOp module, const TrainingSpec& spec, std::string& error);

}  // namespace dlc
