// `dlc train`'s flags: what the command line (and a DSL model's train
// section) asks for, parsed and checked before anything is loaded.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <stdexcept>
#include <string>

#include "tools/dlc/TrainPrecision.h"

namespace onnx {
class ModelProto;
}

namespace dlc::tool {

extern const char* kTrainHelp;

// A flag the user got wrong: printed as "dlc train: MESSAGE", exit 1.
struct UsageError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

struct Settings {
  std::string model, data, save, loss, optimizer, output;
  // The DSL's loss target (dlc.train.loss.target) and, when it is a label,
  // its declared type (dlc.train.label.NAME: "i64[64]").
  std::string target, targetLabelType;
  std::map<std::string, double> numbers;  // lr, momentum, weight_decay, beta1, beta2, eps
  int64_t batch = 0, steps = 0, epochs = 0;
  bool shuffle = false;
  uint64_t seed = 0;
  bool haveFreeze = false;
  std::set<std::string> freeze;
  bool stats = false, json = false, checkpoint = false;
  // Where the steps run: auto, host or cuda (DeviceRun.h chooseDevice).
  std::string device = "auto";
  bool cudaGraph = false;     // --cuda-graph
  bool useLibraries = true;   // --no-libraries: false
  TrainPrecision precision;   // --precision, --loss-scale... (TrainPrecision.h)
};

// argv[2..]; sets `help` (and returns at once) for -h/--help. Throws UsageError.
Settings parseArgs(int argc, char** argv, bool& help);

// The DSL's train section (metadata dlc.train.*) fills what the flags left open.
void applyModelDefaults(const onnx::ModelProto& model, Settings& s);

// The settings once the model's defaults are in: throws UsageError naming
// the first flag that is missing, unknown or does not fit the others.
void checkSettings(const Settings& s);

}  // namespace dlc::tool
