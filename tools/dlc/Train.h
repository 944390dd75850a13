// `dlc train`: compiles a model's training step (passes/TrainingStep.h) and
// runs it over a data set on the host device, then saves the trained model.
#pragma once

namespace dlc::tool {

extern const char* kTrainHelp;  // TrainArgs.cpp

// Runs `dlc train` (argv[2..]); returns the exit code. Flag errors throw
// std::invalid_argument with the message (the caller prints it, exit 1).
int trainCommand(int argc, char** argv);

}  // namespace dlc::tool
