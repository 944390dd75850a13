// `dlc train --stats`: what the compiler made of a training step, read from
// its final IR (after fusion and memory planning).
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "tools/dlc/Stats.h"

#include "mlir/IR/BuiltinOps.h"

namespace dlc::tool {

// Where the step's results are: result 0 the loss, and per parameter the
// results holding its new value and its new optimizer state.
struct StepLayout {
  struct Param {
    std::string name;
    std::vector<unsigned> results;  // the new parameter first, then its state
  };
  std::vector<Param> params;
};

// One parameter's update: the kernel (its step in the kernel order) that
// writes its new value, and whether that kernel writes all of its new state
// too (the update is one kernel).
struct ParamUpdate {
  std::string param;
  int kernel = -1;          // -1: not written by a kernel (a constant, an argument)
  std::string kind;         // the kernel's kind
  bool oneKernel = false;
  bool inPlace = false;     // every one of its results planned in place
};

struct TrainStats {
  driver::CompileStats compile;  // kernels by kind, arena peak, naive, lower bound
  std::vector<ParamUpdate> updates;
  int updateKernels = 0;         // distinct kernels that write new parameters or state
  int aliases = 0, inPlace = 0;  // signature aliases and how many are in place
  int64_t paramBytes = 0, stateBytes = 0;
  // Arena buffers that the forward pass (what the loss depends on) computes
  // and the backward pass or the update reads: what training keeps live
  // between the two passes, and what checkpointing cuts.
  int64_t activationBytes = 0;
  bool checkpoint = false;
  std::optional<int64_t> peakWithoutCheckpoint;  // with checkpoint: the other compile's peak
};

TrainStats collectTrainStats(mlir::ModuleOp module, const StepLayout& layout);

void printTrainStatsText(const TrainStats& s, std::ostream& os);
void printTrainStatsJson(const std::string& model, const TrainStats& s, std::ostream& os);

}  // namespace dlc::tool
