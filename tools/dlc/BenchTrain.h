// `dlc bench MODEL --train [dlc train's flags]`: times one training step
// (forward, loss, backward and optimizer update, compiled as `dlc train`
// compiles it) instead of inference. Each timed run is one step on the
// first --batch-size samples of --data, with the parameters and optimizer
// state carried from step to step (resident on the GPU, as in dlc train).
#pragma once

namespace dlc::tool {

extern const char* kBenchTrainHelp;

// argv as for benchCommand, with --train among the flags; returns the exit
// code, having printed any error.
int benchTrainCommand(int argc, char** argv);

}  // namespace dlc::tool
