// `dlc train --precision fp32|tf32|fp16|bf16 --loss-scale dynamic|none|N`
// (docs/precision.md "Training"): the flags, what they set in the compile
// options and the training spec, and the loss scale's state during the run.
// Kept apart from Train.cpp so that file only forwards to it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "api/Driver.h"
#include "passes/TrainingStep.h"
#include "runtime/Tensor.h"

namespace dlc::tool {

struct TrainPrecision {
  PrecisionMode precision = PrecisionMode::F32;
  std::string lossScale;        // "" (the precision's default), "none", "dynamic", or a static scale
  double initialScale = 0;      // --loss-scale-init (0: 65536)
  int64_t growthInterval = 0;   // --loss-scale-growth-interval (0: 2000)
};

// If argv[i] is one of the flags above (`--flag V` or `--flag=V`), reads it
// (advancing i past its value) and returns true; a bad value sets `error`.
bool parseTrainPrecisionFlag(int argc, char** argv, int& i, TrainPrecision& p, std::string& error);

// Checks the flags together and sets opts.precision and spec.lossScaling.
// Returns a usage error, or "" when they are fine.
std::string applyTrainPrecision(const TrainPrecision& p, driver::CompileOptions& opts, TrainingSpec& spec);

// The loss scale's two f32 scalars (TrainingStep.h's layout: after the step
// counter, arguments and results), written in place by each step.
class LossScaleState {
 public:
  explicit LossScaleState(const TrainingSpec& spec);
  bool enabled() const { return enabled_; }
  void addTo(std::vector<rt::ConstTensorRef>& inputs, std::vector<rt::TensorRef>& outputs);
  float scale() const { return scale_.as<float>()[0]; }

 private:
  bool enabled_;
  rt::HostTensor scale_, goodSteps_;
};

}  // namespace dlc::tool
