// `dlc train MODEL --data DIR ...` (docs/training.md). The model (ONNX, or a
// DSL model translated to ONNX) has its float initializers turned into
// graph inputs (the parameters, minus --freeze; BatchNormalization's running
// statistics as state that is not trained), is imported in training form
// (batch statistics, Dropout drawing masks), extended into one training-step
// function (loss, gradients, optimizer update), compiled by the normal
// pipeline (TrainSetup.h) and run once per batch (TrainLoop.h) on the host
// device or on the CUDA device (TrainCuda.h, --device); the
// parameters, running statistics and optimizer state are carried from step
// to step. At the end the same ONNX graph is saved with the trained
// initializers (TrainSave.h).
#include "tools/dlc/Train.h"

#include <iostream>
#include <memory>

#include "tools/dlc/DeviceRun.h"
#include "tools/dlc/TrainArgs.h"
#include "tools/dlc/TrainCuda.h"
#include "tools/dlc/TrainLoop.h"
#include "tools/dlc/TrainSave.h"
#include "tools/dlc/TrainSetup.h"

namespace dlc::tool {

namespace {

int run(Settings s) {
  TrainSetup setup = loadTraining(s);
  bool statsOnly = s.stats && !s.steps && !s.epochs;  // compile and report, no device needed
  DeviceChoice choice;
  if (!statsOnly) {
    choice = chooseDevice(s.device);
    if (!choice.error.empty()) throw UsageError("--device cuda: " + choice.error);
    if (!choice.note.empty()) std::cerr << choice.note << "\n";
  }
  TrainStep step = compileTrainStep(s, setup);
  if (statsOnly) return 0;
  std::unique_ptr<StepRunner> runner;
  if (choice.cuda) {
    rt::cuda::RunOptions options;
    options.cudaGraph = s.cudaGraph;
    runner = std::make_unique<CudaStepRunner>(s.model, step, planCudaTrainStep(s, step), options);
  } else {
    runner = std::make_unique<HostStepRunner>(step);
  }
  std::vector<rt::HostTensor> trained = runTrainingLoop(s, setup, step, *runner);
  saveTrainedModel(s, setup, step, trained);
  return 0;
}

}  // namespace

int trainCommand(int argc, char** argv) {
  bool help = false;
  Settings s;
  try {
    s = parseArgs(argc, argv, help);
    if (help) return std::cout << kTrainHelp, 0;
    return run(s);
  } catch (const UsageError& e) {
    std::cerr << "dlc train: " << e.what() << "\n";
    return 1;
  } catch (const TrainError& f) {
    std::cerr << f.message << "\n";
    return f.code;
  }
}

}  // namespace dlc::tool
