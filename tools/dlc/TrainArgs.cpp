// `dlc train`'s flags (TrainArgs.h): parsing, the DSL train section's
// defaults, and the checks of what goes with what.
#include "tools/dlc/TrainArgs.h"
#include "tools/dlc/FlagValue.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <vector>

namespace dlc::tool {

const char* kTrainHelp = R"(usage: dlc train MODEL --data DIR --loss LOSS --optimizer OPT --lr X
                 --batch-size B (--steps N | --epochs N) --save OUT.onnx [options]

Trains MODEL (.onnx: its float initializers are the parameters; or a .dlc
model of the DSL, whose train section gives defaults for the loss, the
optimizer and its settings, the batch size, the steps or epochs and the
frozen parameters) on the CUDA device or the host device (--device): one
compiled training step (forward, loss, backward, optimizer update) runs per
batch, with the model in training form as torch's model.train():
BatchNormalization normalises with batch statistics and updates its running
mean and variance (saved too), Dropout drops. Saves the same graph with the
trained initializers under their original names.

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
  --device auto|host|cuda    where the steps run (default auto: the CUDA device when a GPU,
                             its driver and NVRTC can be used, else the host device; auto
                             says on stderr which it picked and why; cuda where none can be
                             used is an error that gives the reason). On the CUDA device the
                             parameters, optimizer state, running statistics and step counter
                             stay in device memory: each step uploads its batch and reads
                             back the loss, and the trained values are read back once to save
  --cuda-graph               on the CUDA device, capture the step's kernels and library calls
                             as a CUDA graph once and replay it every step
  --no-libraries             on the CUDA device, generate every kernel (no cuBLASLt GEMM or
                             cuDNN convolution calls)
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

}  // namespace

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
    auto value = [&](const std::string& flag) { return flagValue<UsageError>(argc, argv, i, flag, v); };
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
    else if (value("--device")) s.device = v;
    else if (value("--freeze")) s.freeze = splitList(v), s.haveFreeze = true;
    else if (a == "--shuffle") s.shuffle = true;
    else if (a == "--stats") s.stats = true;
    else if (a == "--json") s.json = true;
    else if (a == "--checkpoint") s.checkpoint = true;
    else if (a == "--cuda-graph") s.cudaGraph = true;
    else if (a == "--no-libraries") s.useLibraries = false;
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
  if (s.device != "auto" && s.device != "host" && s.device != "cuda")
    throw UsageError("--device '" + s.device + "': expected auto, host or cuda");
  if (s.cudaGraph && s.device == "host") throw UsageError("--cuda-graph needs the CUDA device (--device cuda or auto)");
  if (!s.useLibraries && s.device == "host")
    throw UsageError("--no-libraries needs the CUDA device (--device cuda or auto)");
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

}  // namespace dlc::tool
