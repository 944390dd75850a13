// `dlc train --precision fp32|tf32|fp16|bf16 --loss-scale dynamic|none|N`
// (docs/precision.md "Training"): the flags and what they set in the
// compile options and the training spec. The loss scale's state is carried
// as the step's inputs (TrainSetup.h's TrainStep layout).
#pragma once

#include <cstdint>
#include <string>

#include "api/Driver.h"
#include "passes/TrainingStep.h"

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

}  // namespace dlc::tool
