#include "tools/dlc/BenchTrain.h"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include "passes/Passes.h"
#include "runtime/cuda/CudaDevice.h"
#include "runtime/host/HostDevice.h"
#include "tools/dlc/Bench.h"
#include "tools/dlc/BenchReport.h"
#include "tools/dlc/DeviceRun.h"
#include "tools/dlc/FlagValue.h"
#include "tools/dlc/TemporaryKernelCache.h"
#include "tools/dlc/TrainArgs.h"
#include "tools/dlc/TrainCuda.h"
#include "tools/dlc/TrainLoop.h"
#include "tools/dlc/TrainSetup.h"

namespace dlc::tool {

const char* kBenchTrainHelp = R"(
dlc bench MODEL --train --data DIR --loss LOSS --optimizer OPT --lr X --batch-size B [...]
  times one training step (forward, loss, backward, optimizer update) instead of
  inference: every flag of dlc train that shapes the step is taken (--loss,
  --optimizer, --lr, --momentum, --weight-decay, --beta1/2, --eps, --freeze, --output,
  --checkpoint, --precision, --loss-scale..., --seed, --device, --cuda-graph,
  --no-libraries); --save, --steps, --epochs, --shuffle and --stats are not. Each run
  is one step on the first B samples of DIR, the parameters and optimizer state
  carried from step to step (resident on the GPU); --warmup and --iters count steps.
  --json adds "train": {loss, optimizer, precision, parameters, first_loss, last_loss}.
)";

namespace {

using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

struct BenchFlags {
  int warmup = 5, iters = 50;
  bool json = false;
};

// Splits argv: bench's own flags here, everything else to dlc train's parser.
Settings parse(int argc, char** argv, BenchFlags& b, bool& help) {
  std::vector<std::string> rest = {argv[0], "train"};
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i], v;
    auto value = [&](const std::string& flag) { return flagValue<UsageError>(argc, argv, i, flag, v); };
    if (a == "--train") continue;
    if (a == "-h" || a == "--help") return help = true, Settings{};
    if (value("--warmup")) b.warmup = flagCount<UsageError>("--warmup", v, 0);
    else if (value("--iters")) b.iters = flagCount<UsageError>("--iters", v, 1);
    else if (a == "--json") b.json = true;
    else if (a == "--profile" || a.rfind("--trace", 0) == 0 || a.rfind("--input-dir", 0) == 0 ||
             a.rfind("--output-dir", 0) == 0)
      throw UsageError(a.substr(0, a.find('=')) + " does not apply to --train (a training step reads --data)");
    else if (a.rfind("--save", 0) == 0 || a.rfind("--steps", 0) == 0 || a.rfind("--epochs", 0) == 0 ||
             a == "--shuffle" || a == "--stats")
      throw UsageError(a.substr(0, a.find('=')) + " is dlc train's: dlc bench --train runs --warmup + --iters "
                       "steps on the first batch and saves nothing");
    else rest.push_back(a);
  }
  std::vector<char*> args;
  for (std::string& r : rest) args.push_back(r.data());
  bool trainHelp = false;
  Settings s = parseArgs(static_cast<int>(args.size()), args.data(), trainHelp);
  if (trainHelp) help = true;
  // What loadTraining's checks ask of a training run; nothing is saved.
  s.steps = b.warmup + b.iters;
  s.save = "(dlc bench: not saved)";
  return s;
}

struct Compiled {
  TrainStep step;
  std::optional<rt::CudaPlan> plan;
  double ms = 0;
};

Compiled compile(const Settings& s, const TrainSetup& setup, bool cuda) {
  Clock::time_point t = Clock::now();
  Compiled c{compileTrainStep(s, setup), std::nullopt, 0};
  if (cuda) c.plan = planCudaTrainStep(s, c.step);
  c.ms = msSince(t);
  return c;
}

int run(Settings s, const BenchFlags& b) {
  TrainSetup setup = loadTraining(s);
  DeviceChoice choice = chooseDevice(s.device);
  if (!choice.error.empty()) throw UsageError("--device cuda: " + choice.error);
  if (!choice.note.empty()) std::cerr << choice.note << "\n";
  const bool cuda = choice.cuda;

  BenchResult r;
  r.model = s.model;
  r.device = cuda ? "cuda" : "host";
  r.warmup = b.warmup;
  r.iters = b.iters;
  r.cudaGraph = s.cudaGraph;
  r.batch = s.batch;
  r.inputs = "the first " + std::to_string(s.batch) + " samples of " + s.data + ", every step";
  std::optional<Compiled> cold, warm;
  {
    std::optional<TemporaryKernelCache> cache;  // the cold compile runs NVRTC
    if (cuda) {
      try {
        cache.emplace();
      } catch (const std::runtime_error& e) {
        throw TrainError{1, std::string("dlc bench: ") + e.what()};
      }
    }
    cold = compile(s, setup, cuda);
    warm = compile(s, setup, cuda);
  }
  r.compileColdMs = cold->ms;
  r.compileWarmMs = warm->ms;
  const TrainStep& step = warm->step;
  r.kernels = static_cast<int>(step.program.kernels.size());

  TrainBench t;
  t.loss = s.loss;
  t.optimizer = s.optimizer;
  t.precision = precisionName(s.precision.precision);
  for (const rt::HostTensor& p : setup.params) t.parameters += p.numElements();

  std::unique_ptr<StepRunner> runner;
  CudaStepRunner* onGpu = nullptr;
  if (cuda) {
    rt::cuda::RunOptions o;
    o.cudaGraph = s.cudaGraph;
    o.timeRun = true;
    auto g = std::make_unique<CudaStepRunner>(s.model, step, std::move(*warm->plan), o);
    onGpu = g.get();
    rt::cuda::DeviceInfo info = rt::cuda::deviceInfo();
    r.deviceName = info.name;
    r.arch = info.arch;
    r.driverVersion = info.driverVersion;
    r.latencySource = "CUDA events around the step's kernels; the batch's upload and the loss's download outside";
    runner = std::move(g);
  } else {
    r.latencySource = "the host's clock around a whole step";
    runner = std::make_unique<HostStepRunner>(step);
  }
  std::vector<int64_t> rows(static_cast<size_t>(s.batch));
  std::iota(rows.begin(), rows.end(), 0);
  runner->begin(firstStepInputs(step, setup));
  std::vector<double> events, wall;
  for (int i = 0; i < b.warmup + b.iters; ++i) {
    StepBatch batch(s, setup, step, rows, i);
    Clock::time_point start = Clock::now();
    float loss = 0;
    try {
      loss = runner->step(batch.fresh);
    } catch (const rt::RunError& e) {
      throw TrainError{1, s.model + ": step " + std::to_string(i + 1) + ": " + e.what()};
    }
    double ms = msSince(start);
    if (!std::isfinite(loss))
      throw TrainError{1, s.model + ": step " + std::to_string(i + 1) + ": the loss is " + std::to_string(loss) +
                              " (try a smaller --lr)"};
    if (i == 0) t.firstLoss = loss;
    t.lastLoss = loss;
    if (i < b.warmup) continue;
    wall.push_back(ms);
    events.push_back(onGpu ? onGpu->executor().lastTiming().runMs : ms);
  }
  r.latency = summarize(events);
  r.wall = summarize(wall);
  if (onGpu) {
    r.memoryBytes = onGpu->executor().deviceBytes();
    r.arenaBytes = step.program.arenaBytes > 0 ? roundUp(step.program.arenaBytes) : 0;
  } else {
    hostMemory(step.program, r);
  }
  r.train = t;
  if (b.json) printJson(r, std::cout);
  else printText(r, std::cout);
  return 0;
}

}  // namespace

int benchTrainCommand(int argc, char** argv) {
  try {
    BenchFlags b;
    bool help = false;
    Settings s = parse(argc, argv, b, help);
    if (help) return std::cout << kBenchHelp << kBenchTrainHelp, 0;
    return run(std::move(s), b);
  } catch (const UsageError& e) {
    std::cerr << "dlc bench: " << e.what() << "\n";
    return 1;
  } catch (const TrainError& f) {
    std::cerr << f.message << "\n";
    return f.code;
  }
}

}  // namespace dlc::tool
