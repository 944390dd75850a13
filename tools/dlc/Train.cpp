// `dlc train MODEL --data DIR ...` (docs/training.md). The model (ONNX, or a
// DSL model translated to ONNX) has its float initializers turned into
// graph inputs (the parameters, minus --freeze; BatchNormalization's running
// statistics as state that is not trained), is imported in training form
// (batch statistics, Dropout drawing masks), extended into one training-step
// function (loss, gradients, optimizer update), compiled by the normal
// pipeline and run once per batch on the host device; the parameters,
// running statistics and optimizer state are carried from step to step. At
// the end the same ONNX graph is saved with the trained initializers.
#include "tools/dlc/Train.h"
#include "tools/dlc/TrainPrecision.h"
#include "tools/dlc/TrainStats.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>

#include "api/Driver.h"
#include "codegen/host/LowerToHost.h"
#include "frontend/CounterRng.h"
#include "frontend/dsl/Dsl.h"
#include "frontend/onnx/Importer.h"
#include "frontend/onnx/ModelFile.h"
#include "frontend/onnx/TensorProtoIO.h"
#include "ir/Dialect.h"
#include "ir/TensorConversions.h"
#include "passes/TrainingStep.h"
#include "runtime/host/HostDevice.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"

namespace fs = std::filesystem;

namespace dlc::tool {

const char* kTrainHelp = R"(usage: dlc train MODEL --data DIR --loss LOSS --optimizer OPT --lr X
                 --batch-size B (--steps N | --epochs N) --save OUT.onnx [options]

Trains MODEL (.onnx: its float initializers are the parameters; or a .dlc
model of the DSL, whose train section gives defaults for every flag) on the
host device: one compiled training step (forward, loss, backward, optimizer
update) runs per batch, with the model in training form as torch's
model.train(): BatchNormalization normalises with batch statistics and
updates its running mean and variance (saved too), Dropout drops. Saves the
same graph with the trained initializers under their original names.

DIR holds input_0.pb, input_1.pb ... (one per model input, all samples
stacked along dim 0, serialised onnx.TensorProto) and labels.pb. Batches are
taken in order along dim 0 (an epoch drops the last partial batch) unless
--shuffle.

options:
  --data DIR                 the training data (see above)
  --loss softmax_cross_entropy|mse|bce
                             softmax_cross_entropy: logits [B, C] against integer labels
                             [B]; mse: mean squared error; bce: binary cross-entropy on
                             logits. All are means over the batch (torch's defaults)
  --optimizer sgd|adam|adamw
  --lr X                     learning rate
  --momentum M               sgd's momentum (default 0)
  --weight-decay W           L2 (sgd, adam) or decoupled (adamw) weight decay (default 0)
  --beta1 B1, --beta2 B2, --eps E
                             adam/adamw's settings (defaults 0.9, 0.999, 1e-8)
  --batch-size B             samples per step (the compiled step's batch dimension)
  --steps N                  run N steps (prints the loss of each)
  --epochs N                 run N passes over the data (prints the mean loss and the
                             throughput of each)
  --shuffle                  a new random order of the samples for each epoch
  --seed S                   the seed of --shuffle and of Dropout's masks (default 0)
  --freeze NAME,...          initializers that are not trained
  --output NAME              the model output the loss reads (default: the first)
  --save OUT.onnx            where the trained model goes
  --checkpoint               gradient checkpointing: keep only sqrt(n) segment boundaries of
                             the forward pass and recompute the rest in the backward pass
                             (less memory, about one more forward pass of compute)
  --stats                    print the compiled step: kernels by kind, the kernel updating
                             each parameter, in-place updates, arena peak (with --checkpoint
                             also without), parameter, optimizer-state and activation bytes;
                             without --steps/--epochs it only compiles (no --save needed)
  --json                     with --stats: one JSON object instead of text
  --precision fp32|tf32|fp16|bf16
                             the arithmetic of the forward and backward matrix products and
                             convolutions (16-bit operands, f32 accumulation); parameters,
                             optimizer state and the update stay f32 (docs/precision.md)
  --loss-scale dynamic|none|N
                             fp16 loss scaling (default dynamic with fp16, else none): the
                             loss times S before the backward pass, the gradients over S
                             after it; a step whose gradients overflow is skipped. dynamic:
                             S halves on an overflow and doubles after a run of good steps
                             (torch's GradScaler); N: a static S
  --loss-scale-init S        dynamic's first scale (default 65536)
  --loss-scale-growth-interval N
                             good steps before dynamic's scale doubles (default 2000)
  -h, --help                 show this text
)";

namespace {

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
  TrainPrecision precision;  // --precision, --loss-scale... (TrainPrecision.h)
};

double parseNumber(const std::string& flag, const std::string& v) {
  char* end = nullptr;
  double x = std::strtod(v.c_str(), &end);
  if (v.empty() || *end || !std::isfinite(x) || x < 0)
    throw UsageError(flag + " '" + v + "': expected a non-negative number");
  return x;
}

int64_t parseCount(const std::string& flag, const std::string& v) {
  char* end = nullptr;
  long long x = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end || x <= 0) throw UsageError(flag + " '" + v + "': expected a positive integer");
  return x;
}

std::set<std::string> splitList(const std::string& v) {
  std::set<std::string> out;
  std::stringstream ss(v);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.insert(item);
  return out;
}

Settings parseArgs(int argc, char** argv, bool& help) {
  Settings s;
  std::map<std::string, std::string> numberFlags = {{"--lr", "lr"}, {"--momentum", "momentum"},
                                                    {"--weight-decay", "weight_decay"}, {"--beta1", "beta1"},
                                                    {"--beta2", "beta2"}, {"--eps", "eps"}};
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i], v;
    if (a == "-h" || a == "--help") {
      help = true;
      return s;
    }
    auto value = [&](const std::string& flag) {
      if (a == flag) {
        if (i + 1 >= argc) throw UsageError(flag + " needs a value");
        v = argv[++i];
        return true;
      }
      if (a.rfind(flag + "=", 0) == 0) {
        v = a.substr(flag.size() + 1);
        return true;
      }
      return false;
    };
    std::string precisionError;
    if (parseTrainPrecisionFlag(argc, argv, i, s.precision, precisionError)) {
      if (!precisionError.empty()) throw UsageError(precisionError);
      continue;
    }
    bool matched = false;
    for (const auto& [flag, key] : numberFlags)
      if (value(flag)) {
        s.numbers[key] = parseNumber(flag, v);
        matched = true;
        break;
      }
    if (matched) continue;
    if (value("--data")) s.data = v;
    else if (value("--save")) s.save = v;
    else if (value("--loss")) s.loss = v;
    else if (value("--optimizer")) s.optimizer = v;
    else if (value("--output")) s.output = v;
    else if (value("--batch-size")) s.batch = parseCount("--batch-size", v);
    else if (value("--steps")) s.steps = parseCount("--steps", v);
    else if (value("--epochs")) s.epochs = parseCount("--epochs", v);
    else if (value("--seed")) s.seed = static_cast<uint64_t>(std::strtoull(v.c_str(), nullptr, 10));
    else if (value("--freeze")) s.freeze = splitList(v), s.haveFreeze = true;
    else if (a == "--shuffle") s.shuffle = true;
    else if (a == "--stats") s.stats = true;
    else if (a == "--json") s.json = true;
    else if (a == "--checkpoint") s.checkpoint = true;
    else if (a.rfind("-", 0) == 0) throw UsageError("unknown option '" + a + "' (see dlc train --help)");
    else if (!s.model.empty()) throw UsageError("more than one model given: '" + s.model + "' and '" + a + "'");
    else s.model = a;
  }
  return s;
}

// The DSL's train section (metadata dlc.train.*) fills what the flags left open.
void applyModelDefaults(const onnx::ModelProto& model, Settings& s) {
  std::map<std::string, std::string> meta;
  for (const auto& p : model.metadata_props()) meta[p.key()] = p.value();
  auto get = [&](const std::string& k) { return meta.count(k) ? meta[k] : std::string(); };
  if (s.loss.empty()) s.loss = get("dlc.train.loss");
  if (s.output.empty()) s.output = get("dlc.train.loss.prediction");
  s.target = get("dlc.train.loss.target");
  s.targetLabelType = get("dlc.train.label." + s.target);
  std::string opt = get("dlc.train.optimizer");
  if (s.optimizer.empty()) s.optimizer = opt;
  if (!opt.empty() && opt == s.optimizer)
    for (const char* k : {"lr", "momentum", "weight_decay", "beta1", "beta2", "eps"})
      if (!s.numbers.count(k) && meta.count(std::string("dlc.train.optimizer.") + k))
        s.numbers[k] = std::strtod(meta["dlc.train.optimizer." + std::string(k)].c_str(), nullptr);
  if (!s.batch && meta.count("dlc.train.batch_size")) s.batch = std::stoll(meta["dlc.train.batch_size"]);
  if (!s.steps && !s.epochs) {
    if (meta.count("dlc.train.steps")) s.steps = std::stoll(meta["dlc.train.steps"]);
    if (meta.count("dlc.train.epochs")) s.epochs = std::stoll(meta["dlc.train.epochs"]);
  }
  if (!s.haveFreeze && meta.count("dlc.train.freeze")) s.freeze = splitList(meta["dlc.train.freeze"]);
}

void checkSettings(const Settings& s) {
  if (s.model.empty()) throw UsageError("no model given (see dlc train --help)");
  if (s.data.empty()) throw UsageError("--data DIR is required");
  if (s.json && !s.stats) throw UsageError("--json goes with --stats");
  bool statsOnly = s.stats && !s.steps && !s.epochs;  // compile and report, no training
  if (s.save.empty() && !statsOnly) throw UsageError("--save OUT.onnx is required");
  static const std::vector<std::string> losses = {"softmax_cross_entropy", "mse", "bce"};
  if (s.loss.empty()) throw UsageError("--loss is required (softmax_cross_entropy, mse or bce)");
  if (std::find(losses.begin(), losses.end(), s.loss) == losses.end())
    throw UsageError("--loss '" + s.loss + "': expected softmax_cross_entropy, mse or bce");
  if (s.optimizer.empty()) throw UsageError("--optimizer is required (sgd, adam or adamw)");
  if (s.optimizer != "sgd" && s.optimizer != "adam" && s.optimizer != "adamw")
    throw UsageError("--optimizer '" + s.optimizer + "': expected sgd, adam or adamw");
  if (!s.numbers.count("lr")) throw UsageError("--lr is required");
  if (s.optimizer == "sgd")
    for (const char* k : {"beta1", "beta2", "eps"})
      if (s.numbers.count(k)) throw UsageError(std::string("--") + k + " goes with adam and adamw, not sgd");
  if (s.optimizer != "sgd" && s.numbers.count("momentum"))
    throw UsageError("--momentum goes with sgd; adam and adamw have --beta1");
  for (const char* k : {"beta1", "beta2"})
    if (s.numbers.count(k) && s.numbers.at(k) >= 1) throw UsageError(std::string("--") + k + " must be below 1");
  if (!s.batch) throw UsageError("--batch-size is required");
  if (s.steps && s.epochs) throw UsageError("give --steps or --epochs, not both");
  if (!s.steps && !s.epochs && !statsOnly) throw UsageError("--steps N or --epochs N is required");
}

struct Failed {
  int code;
  std::string message;
};

rt::HostTensor loadData(const std::string& path) {
  try {
    return onnx_io::loadTensorFile(path);
  } catch (const std::exception& e) {
    throw Failed{1, e.what()};
  }
}

// The loss's targets. By default, and when a DSL train section names a
// label as the target, labels.pb (checked against the label's declared
// element type and dims after the batch); when it names a model input, that
// input's own samples (an autoencoder's mse(y, x)), and labels.pb is not
// read. A model output as the target is refused.
rt::HostTensor loadTargets(const Settings& s, const std::vector<std::string>& inputNames,
                           const std::vector<rt::HostTensor>& data, const onnx::GraphProto& g,
                           const std::string& labelsPath) {
  auto input = std::find(inputNames.begin(), inputNames.end(), s.target);
  if (!s.target.empty() && input != inputNames.end()) {
    const rt::HostTensor& x = data[static_cast<size_t>(input - inputNames.begin())];
    return rt::HostTensor(x.type(), x.data());
  }
  if (!s.target.empty() && s.targetLabelType.empty())
    for (const auto& out : g.output())
      if (out.name() == s.target)
        throw Failed{1, s.model + ": the train section's loss target '" + s.target +
                            "' is a model output; dlc train takes the target from labels.pb (a label) or from a "
                            "model input"};
  std::error_code ec;
  if (!fs::exists(labelsPath, ec)) throw Failed{1, labelsPath + ": missing (the labels, one per sample along dim 0)"};
  rt::HostTensor labels = loadData(labelsPath);
  if (s.targetLabelType.empty() || labels.shape().empty()) return labels;
  // "i64[64, 3]": the element type, then the dims; dim 0 is the batch.
  const std::string& declared = s.targetLabelType;
  size_t open = declared.find('[');
  if (open == std::string::npos || declared.back() != ']') return labels;  // not the DSL's format
  std::string dtype = declared.substr(0, open);
  std::vector<std::string> dims;
  std::stringstream list(declared.substr(open + 1, declared.size() - open - 2));
  for (std::string d; std::getline(list, d, ',');) {
    size_t at = d.find_first_not_of(' ');
    dims.push_back(at == std::string::npos ? std::string() : d.substr(at));
  }
  std::string have(rt::dtypeName(labels.dtype()));
  bool same = have == dtype || (have == "i1" && dtype == "bool");
  for (size_t i = 1; same && i < dims.size() && dims.size() == labels.shape().size(); ++i)
    same = dims[i].empty() || !std::isdigit(static_cast<unsigned char>(dims[i][0])) ||
           std::strtoll(dims[i].c_str(), nullptr, 10) == labels.shape()[i];
  if (!same || dims.size() != labels.shape().size()) {
    std::string shape;
    for (size_t i = 0; i < labels.shape().size(); ++i) shape += (i ? ", " : "") + std::to_string(labels.shape()[i]);
    throw Failed{1, labelsPath + ": " + have + "[" + shape + "] does not fit the label '" + s.target +
                        "' that the train section declares as " + declared + " (dim 0 counts the samples)"};
  }
  return labels;
}

// Rows [rows[0], rows[1], ...] of t along dim 0.
rt::HostTensor takeRows(const rt::HostTensor& t, const std::vector<int64_t>& rows) {
  rt::TensorType type = t.type();
  int64_t n = type.shape[0];
  size_t rowBytes = n ? static_cast<size_t>(t.byteSize() / n) : 0;
  type.shape[0] = static_cast<int64_t>(rows.size());
  rt::HostTensor out(type);
  for (size_t i = 0; i < rows.size(); ++i)
    std::memcpy(static_cast<char*>(out.data()) + i * rowBytes,
                static_cast<const char*>(t.data()) + static_cast<size_t>(rows[i]) * rowBytes, rowBytes);
  return out;
}

// torch's exporter in eval mode stores initializers of equal value once and
// makes the others Identity nodes of it: a fresh BatchNorm's running_var
// (all ones) becomes Identity(its weight), a second LayerNorm's scale
// Identity(the first's), a zero bias Identity(another zero bias). Trained,
// they are separate tensors (shared weights are exported as one initializer
// that several nodes read, never as an Identity), so each Identity of an
// initializer is replaced by an initializer of the Identity's output name
// holding a copy of the value: the graph computes the same, and each copy
// is trained, or updated as a running statistic, and saved on its own.
void untieEqualInitializers(onnx::GraphProto& g) {
  std::map<std::string, const onnx::TensorProto*> inits;
  for (const auto& t : g.initializer()) inits[t.name()] = &t;
  std::set<std::string> outputs;
  for (const auto& o : g.output()) outputs.insert(o.name());
  std::vector<onnx::TensorProto> copies;
  auto* nodes = g.mutable_node();
  for (int i = nodes->size() - 1; i >= 0; --i) {
    const onnx::NodeProto& node = nodes->Get(i);
    if (node.op_type() != "Identity" || node.input_size() != 1 || node.output_size() != 1 ||
        !inits.count(node.input(0)) || inits.count(node.output(0)) || outputs.count(node.output(0)))
      continue;
    copies.push_back(*inits[node.input(0)]);
    copies.back().set_name(node.output(0));
    nodes->DeleteSubrange(i, 1);
  }
  for (auto& t : copies) *g.add_initializer() = std::move(t);
}

int run(const Settings& cli) {
  Settings s = cli;
  // --- the model as an ONNX ModelProto
  onnx::ModelProto model;
  std::string ext = fs::path(s.model).extension().string();
  std::string baseDir = fs::path(s.model).parent_path().string();
  try {
    std::string bytes = onnx_io::readFileBytes(s.model, s.model + ": no such file");
    if (ext == ".dlc") {
      dsl::Translation t = dsl::translateToOnnx(bytes, s.model, baseDir);
      if (!t.ok()) throw Failed{1, t.errors};
      bytes = t.modelBytes;
    } else if (ext == ".mlir") {
      throw Failed{1, s.model + ": dlc train takes an ONNX or a DSL model (its initializers are the parameters)"};
    }
    onnx_io::parseModel(bytes, s.model, model);
  } catch (const onnx_io::ModelFileError& e) {
    throw Failed{1, e.what()};
  }
  applyModelDefaults(model, s);
  checkSettings(s);

  // --- the data
  std::error_code ec;
  if (!fs::is_directory(s.data, ec)) throw Failed{1, "--data '" + s.data + "' is not a directory"};
  onnx::GraphProto& g = *model.mutable_graph();
  untieEqualInitializers(g);
  std::set<std::string> initNames;
  for (const auto& t : g.initializer()) initNames.insert(t.name());
  std::vector<std::string> inputNames;
  for (const auto& in : g.input())
    if (!initNames.count(in.name())) inputNames.push_back(in.name());
  std::vector<rt::HostTensor> data;
  for (size_t i = 0; i < inputNames.size(); ++i) {
    std::string path = (fs::path(s.data) / ("input_" + std::to_string(i) + ".pb")).string();
    if (!fs::exists(path, ec))
      throw Failed{1, path + ": missing; the model takes " + std::to_string(inputNames.size()) + " input(s)"};
    data.push_back(loadData(path));
  }
  std::string extra = (fs::path(s.data) / ("input_" + std::to_string(inputNames.size()) + ".pb")).string();
  if (fs::exists(extra, ec))
    throw Failed{1, extra + ": the model takes only " + std::to_string(inputNames.size()) + " input(s)"};
  std::string labelsPath = (fs::path(s.data) / "labels.pb").string();
  rt::HostTensor labels = loadTargets(s, inputNames, data, g, labelsPath);
  if (labels.shape().empty()) throw Failed{1, labelsPath + ": the labels are a scalar; dim 0 must count the samples"};
  int64_t samples = labels.shape()[0];
  for (size_t i = 0; i < data.size(); ++i)
    if (data[i].shape().empty() || data[i].shape()[0] != samples)
      throw Failed{1, (fs::path(s.data) / ("input_" + std::to_string(i) + ".pb")).string() + ": " +
                          (data[i].shape().empty() ? std::string("a scalar") : std::to_string(data[i].shape()[0]) + " samples") +
                          ", but labels.pb has " + std::to_string(samples)};
  if (s.batch > samples)
    throw Failed{1, "--batch-size " + std::to_string(s.batch) + " is larger than the data set (" +
                        std::to_string(samples) + " samples)"};

  // --- parameters: float initializers not frozen become graph inputs
  for (const std::string& f : s.freeze)
    if (!initNames.count(f)) throw Failed{1, "--freeze names '" + f + "', which is not an initializer of " + s.model};
  // BatchNormalization's running mean and var (inputs 3 and 4) are state:
  // carried and saved, not trained.
  std::set<std::string> stateSet;
  for (const auto& node : g.node())
    if (node.op_type() == "BatchNormalization")
      for (int k : {3, 4})
        if (node.input_size() > k && initNames.count(node.input(k)) && !s.freeze.count(node.input(k)))
          stateSet.insert(node.input(k));
  // Float initializers that ops read as settings, not weights (Dropout's
  // ratio, Clip's bounds, Resize's scales, Pad's value): they stay constants.
  static const std::map<std::string, std::vector<int>> settingInputs = {
      {"Dropout", {1, 2}}, {"Clip", {1, 2}}, {"Resize", {1, 2, 3}}, {"Upsample", {1}}, {"Pad", {2}}};
  std::set<std::string> settings;
  for (const auto& node : g.node()) {
    auto it = settingInputs.find(node.op_type());
    if (it != settingInputs.end())
      for (int k : it->second)
        if (node.input_size() > k) settings.insert(node.input(k));
  }
  std::vector<std::string> paramNames, stateNames;
  std::vector<rt::HostTensor> params, modelState;
  for (const auto& t : g.initializer()) {
    bool isFloat = t.data_type() == onnx::TensorProto::FLOAT || t.data_type() == onnx::TensorProto::DOUBLE;
    if (!isFloat || s.freeze.count(t.name()) || settings.count(t.name())) continue;
    bool isState = stateSet.count(t.name()) != 0;
    (isState ? stateNames : paramNames).push_back(t.name());
    try {
      (isState ? modelState : params).push_back(onnx_io::fromTensorProto(t, baseDir));
    } catch (const std::exception& e) {
      throw Failed{1, s.model + ": initializer '" + t.name() + "': " + e.what()};
    }
  }
  if (paramNames.empty()) throw Failed{1, s.model + ": no float initializer to train (all frozen or none)"};
  onnx::ModelProto trainable = model;
  {
    onnx::GraphProto& tg = *trainable.mutable_graph();
    // Drop the parameters and the state from the initializers and from the
    // inputs (older exporters list initializers as inputs too), then add
    // them as inputs after the data inputs: parameters, then state.
    std::set<std::string> p(paramNames.begin(), paramNames.end());
    p.insert(stateNames.begin(), stateNames.end());
    auto* inits = tg.mutable_initializer();
    inits->erase(std::remove_if(inits->begin(), inits->end(), [&](const onnx::TensorProto& t) { return p.count(t.name()); }),
                 inits->end());
    auto* ins = tg.mutable_input();
    ins->erase(std::remove_if(ins->begin(), ins->end(), [&](const onnx::ValueInfoProto& v) { return p.count(v.name()); }),
               ins->end());
    auto addInput = [&](const std::string& name, const rt::HostTensor& value) {
      auto* in = tg.add_input();
      in->set_name(name);
      auto* tt = in->mutable_type()->mutable_tensor_type();
      tt->set_elem_type(onnx_io::dtypeToOnnx(value.dtype()));
      for (int64_t d : value.shape()) tt->mutable_shape()->add_dim()->set_dim_value(d);
    };
    for (size_t i = 0; i < paramNames.size(); ++i) addInput(paramNames[i], params[i]);
    for (size_t i = 0; i < stateNames.size(); ++i) addInput(stateNames[i], modelState[i]);
  }
  // The batch fixes every data input's shape.
  driver::CompileOptions opts;
  opts.training = true;
  for (size_t i = 0; i < inputNames.size(); ++i) {
    std::vector<int64_t> dims = data[i].shape();
    dims[0] = s.batch;
    opts.inputShapes[inputNames[i]] = dims;
  }
  unsigned prediction = 0;
  if (!s.output.empty()) {
    bool found = false;
    for (int i = 0; i < g.output_size(); ++i)
      if (g.output(i).name() == s.output) prediction = static_cast<unsigned>(i), found = true;
    if (!found) throw Failed{1, "--output '" + s.output + "' is not an output of " + s.model};
  }

  // --- compile the training step
  mlir::MLIRContext ctx;
  driver::InMemoryModel mem{driver::ModelFormat::Onnx, trainable.SerializeAsString(), s.model, baseDir};
  TrainingSpec spec;
  spec.loss = s.loss;
  spec.optimizer = s.optimizer;
  spec.prediction = prediction;
  spec.lr = s.numbers["lr"];
  auto num = [&](const char* k, double d) { return s.numbers.count(k) ? s.numbers[k] : d; };
  spec.momentum = num("momentum", 0);
  spec.weightDecay = num("weight_decay", 0);
  spec.beta1 = num("beta1", 0.9);
  spec.beta2 = num("beta2", 0.999);
  spec.eps = num("eps", 1e-8);
  if (std::string e = applyTrainPrecision(s.precision, opts, spec); !e.empty()) throw UsageError(e);
  {
    rt::TensorType lt = labels.type();
    lt.shape[0] = s.batch;
    spec.labelType = mlir::RankedTensorType::get(lt.shape, elementTypeOf(&ctx, lt.dtype));
  }
  for (size_t i = 0; i < paramNames.size(); ++i) spec.params.push_back(static_cast<unsigned>(inputNames.size() + i));
  // @main's arguments: data, parameters, state, then the random key when a
  // Dropout needs one. Each state pair updates one of the state arguments.
  unsigned stateArg0 = static_cast<unsigned>(inputNames.size() + paramNames.size());
  bool hasKey = false;
  auto compileStep = [&](bool checkpoint) {
    driver::CompileOptions o = opts;
    o.checkpoint = checkpoint;
    driver::Failure failure;
    auto module = driver::loadModel(ctx, mem, o, failure);
    if (failure) throw Failed{failure.exitCode, failure.message};
    spec.modelState = modelStatePairs(*module);
    for (const auto& pair : spec.modelState)
      if (pair.input < stateArg0 || pair.input >= stateArg0 + stateNames.size())
        throw Failed{2, s.model + ": the training import updates argument " + std::to_string(pair.input) +
                            ", which is not a running statistic"};
    {
      auto main = module->lookupSymbol<mlir::func::FuncOp>("main");
      unsigned keyArg = stateArg0 + static_cast<unsigned>(stateNames.size());
      if (main && keyArg < main.getNumArguments()) {
        auto name = main.getArgAttrOfType<mlir::StringAttr>(keyArg, "dlc.name");
        hasKey = name && name.getValue() == kRngKeyName;
        if (!hasKey)
          throw Failed{2, s.model + ": @main has an argument past the model's inputs that is not the random key"};
      }
    }
    std::string diag;
    {
      mlir::ScopedDiagnosticHandler handler(&ctx, [&](mlir::Diagnostic& d) {
        std::string text;
        llvm::raw_string_ostream os(text);
        os << d.getLocation() << ": " << d;
        diag += (diag.empty() ? "" : "\n") + os.str();
        return mlir::success();
      });
      std::string error;
      if (mlir::failed(buildTrainingStep(*module, spec, error)))
        throw Failed{1, s.model + ": cannot train: " + error + (diag.empty() ? "" : "\n" + diag)};
    }
    if ((failure = driver::runPipeline(*module, o))) throw Failed{failure.exitCode, failure.message};
    return module;
  };
  auto module = compileStep(s.checkpoint);
  rt::Program program;
  std::string error;
  if (!lowerToHost(*module, program, error)) throw Failed{2, s.model + ": " + error};
  int perParam = optimizerStatePerParam(spec);
  if (s.stats) {
    StepLayout layout;
    const auto count = static_cast<unsigned>(paramNames.size());
    for (unsigned i = 0; i < count; ++i) {
      StepLayout::Param p{paramNames[i], {1 + i}};
      for (int k = 0; k < perParam; ++k) p.results.push_back(1 + count + static_cast<unsigned>(k) * count + i);
      layout.params.push_back(p);
    }
    TrainStats ts = collectTrainStats(*module, layout);
    ts.checkpoint = s.checkpoint;
    if (s.checkpoint) {  // the same step compiled without, for comparison
      auto plain = compileStep(false);
      ts.peakWithoutCheckpoint = collectTrainStats(*plain, layout).compile.peakBytes;
    }
    if (s.json) printTrainStatsJson(s.model, ts, std::cout);
    else printTrainStatsText(ts, std::cout);
    std::cout.flush();
    if (!s.steps && !s.epochs) return 0;  // --stats alone: compile and report
  }

  // --- run
  std::vector<rt::HostTensor> state;
  for (int k = 0; k < perParam; ++k)
    for (const auto& p : params) state.emplace_back(p.type());
  rt::HostTensor step(rt::TensorType{rt::DType::F32, {}});
  rt::HostTensor lossOut(rt::TensorType{rt::DType::F32, {}});
  rt::HostTensor key(rt::TensorType{rt::DType::U32, {2}});  // Dropout's, refilled each step
  int64_t perEpoch = samples / s.batch;
  int64_t total = s.steps ? s.steps : s.epochs * perEpoch;
  std::vector<int64_t> order(static_cast<size_t>(samples));
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(s.seed);
  double epochLoss = 0;
  LossScaleState lossScale(spec);
  int64_t epochSkipped = 0;
  auto epochStart = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < total; ++i) {
    int64_t inEpoch = i % perEpoch;
    if (inEpoch == 0) {
      if (s.shuffle) std::shuffle(order.begin(), order.end(), rng);
      epochLoss = 0;
      epochSkipped = 0;
      epochStart = std::chrono::steady_clock::now();
    }
    std::vector<int64_t> rows(order.begin() + inEpoch * s.batch, order.begin() + (inEpoch + 1) * s.batch);
    // Parameters, state and step are handed in and out as the same buffers:
    // the step writes their new values over the old ones (in place where
    // the plan says so, otherwise copied over at the end of the run).
    std::vector<rt::HostTensor> batch;
    for (const auto& d : data) batch.push_back(takeRows(d, rows));
    rt::HostTensor batchLabels = takeRows(labels, rows);
    if (hasKey) {
      std::array<uint32_t, 2> k = trainingRngKey(s.seed, static_cast<uint64_t>(i));
      std::copy(k.begin(), k.end(), key.as<uint32_t>());
    }
    std::vector<rt::ConstTensorRef> inputs;
    std::vector<rt::TensorRef> outputs{lossOut.ref()};
    for (const auto& b : batch) inputs.push_back(b.cref());
    for (auto& p : params) inputs.push_back(p.cref()), outputs.push_back(p.ref());
    for (const auto& m : modelState) inputs.push_back(m.cref());
    if (hasKey) inputs.push_back(key.cref());
    inputs.push_back(batchLabels.cref());
    for (auto& st : state) inputs.push_back(st.cref()), outputs.push_back(st.ref());
    for (const auto& pair : spec.modelState) outputs.push_back(modelState[pair.input - stateArg0].ref());
    inputs.push_back(step.cref());
    outputs.push_back(step.ref());
    lossScale.addTo(inputs, outputs);
    float stepBefore = step.as<float>()[0];
    try {
      rt::runOnHost(program, inputs, outputs);
    } catch (const rt::RunError& e) {
      throw Failed{1, s.model + ": step " + std::to_string(i + 1) + ": " + e.what()};
    }
    float loss = lossOut.as<float>()[0];
    if (!std::isfinite(loss))
      throw Failed{1, s.model + ": step " + std::to_string(i + 1) + ": the loss is " + std::to_string(loss) +
                          " (try a smaller --lr)"};
    epochLoss += loss;
    // Loss scaling: a skipped step (a gradient overflowed) leaves the step
    // counter as it was.
    bool skipped = lossScale.enabled() && step.as<float>()[0] == stepBefore;
    epochSkipped += skipped;
    if (s.steps) {
      std::printf("step %lld/%lld: loss %.6f", static_cast<long long>(i + 1), static_cast<long long>(total), loss);
      if (skipped) std::printf(" (skipped: overflow, scale %.9g)", static_cast<double>(lossScale.scale()));
      std::printf("\n");
    } else if (inEpoch + 1 == perEpoch) {
      double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - epochStart).count();
      std::printf("epoch %lld/%lld: loss %.6f (mean of %lld steps), %.0f samples/s",
                  static_cast<long long>(i / perEpoch + 1), static_cast<long long>(s.epochs), epochLoss / perEpoch,
                  static_cast<long long>(perEpoch), static_cast<double>(perEpoch * s.batch) / std::max(sec, 1e-9));
      if (lossScale.enabled())
        std::printf(", %lld skipped (overflow), scale %.9g", static_cast<long long>(epochSkipped),
                    static_cast<double>(lossScale.scale()));
      std::printf("\n");
    }
    std::fflush(stdout);
  }

  // --- save: the same graph, trained initializers under their names
  std::map<std::string, const rt::HostTensor*> trained;
  for (size_t i = 0; i < paramNames.size(); ++i) trained[paramNames[i]] = &params[i];
  for (size_t i = 0; i < stateNames.size(); ++i) trained[stateNames[i]] = &modelState[i];
  for (auto& t : *g.mutable_initializer()) {
    auto it = trained.find(t.name());
    if (it == trained.end()) continue;
    onnx::TensorProto fresh;
    onnx_io::toTensorProto(*it->second, fresh);
    fresh.set_name(t.name());
    t = fresh;
  }
  std::ofstream file(s.save, std::ios::binary | std::ios::trunc);
  if (!file || !model.SerializeToOstream(&file)) throw Failed{1, s.save + ": cannot write the file"};
  std::printf("saved %s (%zu trained parameters", s.save.c_str(), paramNames.size());
  if (!stateNames.empty()) std::printf(", %zu running statistics", stateNames.size());
  std::printf(")\n");
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
  } catch (const Failed& f) {
    std::cerr << f.message << "\n";
    return f.code;
  }
}

}  // namespace dlc::tool
