// `dlc train`'s preparation, shared by everything that runs a training step
// (the step loop, and later `dlc bench` timing one): the model read (ONNX,
// or DSL translated to ONNX) with its float initializers split into
// parameters (trained) and state (BatchNormalization's running statistics:
// carried and saved, not trained), the data set, and the training step
// compiled into an rt::Program with the layout of its arguments.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstddef>
#include <string>
#include <vector>

#include "runtime/Program.h"
#include "runtime/Tensor.h"
#include "tools/dlc/TrainArgs.h"

namespace dlc::tool {

// A failure with its exit code (1: the user's model, data or machine; 2:
// ours) and its whole message, file first.
struct TrainError {
  int code;
  std::string message;
};

struct TrainSetup {
  // The model as read, with equal initializers untied (untieEqualInitializers):
  // what is saved at the end with the trained values.
  onnx::ModelProto model;
  std::string baseDir;  // the model's folder (external data)
  // The model's data inputs (its non-initializer inputs, in order) and all
  // their samples (stacked along dim 0), and the loss's targets.
  std::vector<std::string> inputNames;
  std::vector<rt::HostTensor> data;
  rt::HostTensor labels;
  int64_t samples = 0;
  // The float initializers that are trained and the running statistics, in
  // initializer order, with their starting values.
  std::vector<std::string> paramNames, stateNames;
  std::vector<rt::HostTensor> params, modelState;
  // The graph with the parameters and the state turned into inputs (after
  // the data inputs: parameters, then state): what is compiled.
  onnx::ModelProto trainable;
};

// Reads s.model, applies its train section's defaults to `s` and checks the
// settings (UsageError), then reads the data. Throws TrainError.
TrainSetup loadTraining(Settings& s);

// The compiled step and where its arguments and results are.
struct TrainStep {
  rt::Program program;
  // Inputs, in this order: the batch's data (dataCount), the parameters,
  // the model state, the random key when a Dropout draws masks (hasKey),
  // the labels, the optimizer state (perParam tensors per parameter: all of
  // the first kind, then all of the second), the step counter (f32 scalar;
  // a step skipped for a gradient overflow leaves it as it was), then with
  // fp16 loss scaling (lossScaleCount 2) the scale S (starting at
  // initialLossScale) and the good-step counter (f32 scalars).
  size_t dataCount = 0, paramCount = 0, stateCount = 0;
  bool hasKey = false;
  int perParam = 0;
  size_t lossScaleCount = 0;
  float initialLossScale = 0;
  // Outputs: 0 the loss (f32 scalar); output o > 0 is the new value of input
  // updates[o] (the parameters, the optimizer state, the model state the
  // model updates, the step counter), to be passed in its place next step.
  std::vector<size_t> updates;

  size_t paramInput(size_t i) const { return dataCount + i; }
  size_t stateInput(size_t i) const { return dataCount + paramCount + i; }
  size_t keyInput() const { return dataCount + paramCount + stateCount; }  // when hasKey
  size_t labelsInput() const { return keyInput() + (hasKey ? 1 : 0); }
  size_t stepInput() const { return labelsInput() + 1 + static_cast<size_t>(perParam) * paramCount; }
  size_t lossScaleInput() const { return stepInput() + 1; }  // when lossScaleCount
  size_t inputCount() const { return stepInput() + 1 + lossScaleCount; }
};

// Compiles the training step for s.batch (with s.checkpoint). With s.stats
// it prints the step's statistics (--stats, --json) first. Throws TrainError.
TrainStep compileTrainStep(const Settings& s, const TrainSetup& setup);

// Every input of the first step by position: the parameters and the model
// state (copies of the setup's), zero optimizer state and step counter, the
// loss scale's start, and
// for the per-batch inputs (data, labels, key) zero tensors of their type.
std::vector<rt::HostTensor> firstStepInputs(const TrainStep& step, const TrainSetup& setup);

}  // namespace dlc::tool
