#include "tools/dlc/Bench.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>
#include <random>
#include <stdexcept>

#include "api/Driver.h"
#include "api/MakeExecutable.h"
#include "codegen/host/LowerToHost.h"
#include "frontend/onnx/TensorProtoIO.h"
#include "runtime/Executable.h"
#include "runtime/KernelCost.h"
#include "runtime/cuda/CudaDevice.h"
#include "runtime/cuda/DevicePeak.h"
#include "runtime/host/HostDevice.h"
#include "tools/dlc/BenchReport.h"
#include "tools/dlc/BenchTrain.h"
#include "tools/dlc/DeviceRun.h"
#include "tools/dlc/FlagValue.h"
#include "tools/dlc/TemporaryKernelCache.h"

#include "mlir/IR/MLIRContext.h"

namespace dlc::tool {

const char* kBenchHelp = R"(usage: dlc bench MODEL|X.dlcx [options]

Compiles MODEL (or loads an executable file) and times it on a device:
warm-up runs, then timed runs, reporting the median, p90, min and mean
latency, the throughput (samples/s over the first input's leading dimension),
the peak device memory (arena, inputs, constants, outputs and, on the GPU,
the library workspace) and the compile time with a cold kernel cache (a fresh
temporary cache directory: NVRTC runs) and a warm one (the same directory
again). On the GPU a run is timed with CUDA events around its steps (the
input and output copies are outside); on the host device with the host's
clock around a whole run. docs/perf.md describes every number.

options:
  --device auto|host|cuda    where to run (as for dlc run; auto says on stderr which it picked)
  --warmup N                 untimed runs first (default 5)
  --iters N                  timed runs (default 50)
  --cuda-graph               on the CUDA device, replay the steps as a captured CUDA graph
  --no-libraries             on the CUDA device, generate every kernel (no cuBLASLt/cuDNN calls)
  --input-dir DIR            the inputs (input_0.pb ... as for dlc run); the compiler may
                             specialise on their values
  --seed N                   without --input-dir: random inputs from this seed (default 0);
                             floats uniform in [-1, 1], integers and booleans 0 or 1
  --output-dir DIR           write the last timed run's outputs (output_0.pb ...)
  --profile                  per-kernel table: time (CUDA events around every step, or the
                             host's clock around every kernel), fused ops, bytes moved and
                             FLOPs (a cost model of the program), achieved GB/s and TFLOP/s,
                             and percent of the device's measured copy bandwidth and of its
                             FP32 peak; slowest first, with totals (profiled runs are extra
                             runs, after the timed ones, without a CUDA graph)
  --trace OUT.json           write one profiled run as a Chrome trace (Perfetto,
                             chrome://tracing)
  --json                     print one JSON object (schema dlc-bench/1) instead of text
  --train                    time a training step instead of inference (below)
  -h, --help                 show this text
)";

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

struct UsageError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};
// A failure with its exit code and complete message.
struct Failed {
  int code;
  std::string message;
};

struct Settings {
  std::string model, device = "auto", inputDir, outputDir, trace;
  int warmup = 5, iters = 50;
  uint64_t seed = 0;
  bool cudaGraph = false, useLibraries = true, profile = false, json = false;
};

Settings parseArgs(int argc, char** argv, bool& help) {
  Settings s;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i], v;
    if (a == "-h" || a == "--help") {
      help = true;
      return s;
    }
    auto value = [&](const std::string& flag) { return flagValue<UsageError>(argc, argv, i, flag, v); };
    if (value("--device")) s.device = v;
    else if (value("--warmup")) s.warmup = flagCount<UsageError>("--warmup", v, 0);
    else if (value("--iters")) s.iters = flagCount<UsageError>("--iters", v, 1);
    else if (value("--seed")) s.seed = static_cast<uint64_t>(flagCount<UsageError>("--seed", v, 0));
    else if (value("--input-dir")) s.inputDir = v;
    else if (value("--output-dir")) s.outputDir = v;
    else if (value("--trace")) s.trace = v;
    else if (a == "--cuda-graph") s.cudaGraph = true;
    else if (a == "--no-libraries") s.useLibraries = false;
    else if (a == "--profile") s.profile = true;
    else if (a == "--json") s.json = true;
    else if (a.rfind("-", 0) == 0) throw UsageError("unknown option '" + a + "' (see dlc bench --help)");
    else if (!s.model.empty()) throw UsageError("more than one model given: '" + s.model + "' and '" + a + "'");
    else s.model = a;
  }
  if (s.model.empty()) throw UsageError("no model given (see dlc bench --help)");
  if (s.device != "auto" && s.device != "host" && s.device != "cuda")
    throw UsageError("--device '" + s.device + "': expected auto, host or cuda");
  if (s.cudaGraph && s.device == "host") throw UsageError("--cuda-graph needs the CUDA device (--device cuda or auto)");
  if (!s.useLibraries && s.device == "host")
    throw UsageError("--no-libraries needs the CUDA device (--device cuda or auto)");
  std::error_code ec;
  if (!s.inputDir.empty() && !fs::is_directory(s.inputDir, ec))
    throw UsageError("--input-dir '" + s.inputDir + "' is not a directory");
  return s;
}

struct Compiled {
  rt::Program program;
  std::optional<rt::CudaPlan> plan;
  double ms = 0, nvrtcMs = 0;
  bool cacheHit = false;
};

// The whole compile, as `dlc run` does it: import, passes, lowering, and for
// CUDA the plan and NVRTC (or the kernel cache).
Compiled compile(const std::string& model, const driver::CompileOptions& opts,
                 const driver::CudaCompileOptions* cuda) {
  Clock::time_point start = Clock::now();
  mlir::MLIRContext ctx;
  driver::Failure f;
  auto module = driver::loadModel(ctx, model, opts, f);
  if (f) throw Failed{f.exitCode, f.message};
  if ((f = driver::runPipeline(*module, opts))) throw Failed{f.exitCode, f.message};
  Compiled c;
  std::string error;
  if (!lowerToHost(*module, c.program, error)) throw Failed{2, model + ": " + error};
  if (cuda) {
    driver::CudaCompileResult r;
    if ((f = driver::compileForCuda(model, c.program, *cuda, r))) throw Failed{f.exitCode, f.message};
    c.plan = std::move(r.plan);
    c.nvrtcMs = r.nvrtc.nvrtcMs;
    c.cacheHit = r.nvrtc.cacheHit;
  }
  c.ms = msSince(start);
  return c;
}

std::string inputPath(const std::string& dir, size_t i) {
  return (fs::path(dir) / ("input_" + std::to_string(i) + ".pb")).string();
}

std::vector<rt::HostTensor> loadInputs(const std::string& dir) {
  std::vector<rt::HostTensor> inputs;
  std::error_code ec;
  try {
    for (size_t i = 0; fs::exists(inputPath(dir, i), ec); ++i) inputs.push_back(onnx_io::loadTensorFile(inputPath(dir, i)));
  } catch (const onnx_io::TensorError& e) {
    throw Failed{1, e.what()};
  }
  return inputs;
}

// Random inputs of the signature's types: floats uniform in [-1, 1],
// integers and booleans 0 or 1 (valid indices into any dimension, valid
// masks); an input the program was specialised on keeps its value.
std::vector<rt::HostTensor> randomInputs(const rt::Program& p, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<rt::HostTensor> inputs;
  for (int32_t id : p.inputs) {
    const rt::ValueInfo& v = p.values[id];
    if (v.isSpecialized) {
      inputs.push_back(rt::HostTensor(v.type, v.specialized.data()));
      continue;
    }
    bool isFloat = v.type.dtype == rt::DType::F32 || v.type.dtype == rt::DType::F64 ||
                   v.type.dtype == rt::DType::F16 || v.type.dtype == rt::DType::BF16;
    rt::HostTensor f32(rt::TensorType{rt::DType::F32, v.type.shape});
    std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
    std::uniform_int_distribution<int> bit(0, 1);
    float* x = f32.as<float>();
    for (int64_t i = 0; i < f32.numElements(); ++i) x[i] = isFloat ? uniform(rng) : static_cast<float>(bit(rng));
    rt::HostTensor t(v.type);
    rt::convert(f32.cref(), t.ref());
    inputs.push_back(std::move(t));
  }
  return inputs;
}

// Runs `body`, turning the devices' failures into exit codes: the caller's
// inputs and what the machine lacks are 1, the compiler's or runtime's 2.
template <typename Body>
void onDevice(const std::string& model, Body body) {
  try {
    body();
  } catch (const rt::RunError& e) {
    throw Failed{1, model + ": " + e.what()};
  } catch (const rt::cuda::DeviceUnavailable& e) {
    throw Failed{1, model + ": cuda: " + e.what()};
  } catch (const rt::cuda::DeviceError& e) {
    throw Failed{2, model + ": internal error: cuda: " + e.what()};
  } catch (const rt::InvalidProgram& e) {
    throw Failed{2, model + ": internal error: " + e.what()};
  }
}


// The per-kernel rows without times: names, ops and the cost model.
std::vector<KernelProfile> profileRows(const rt::Program& p, const rt::CudaPlan* plan) {
  std::vector<KernelProfile> rows(p.kernels.size());
  for (size_t i = 0; i < p.kernels.size(); ++i) {
    KernelProfile& k = rows[i];
    k.index = i;
    k.kind = rt::kernelKindName(p.kernels[i].kind);
    k.name = "k" + std::to_string(i) + "_" + k.kind;
    k.ops = rt::kernelOps(p, i);
    rt::KernelCost c = rt::kernelCost(p, i);
    k.flops = c.flops;
    k.bytes = c.bytes();
  }
  if (!plan) return rows;
  for (const rt::CudaStep& s : plan->steps) {
    std::string& name = rows[static_cast<size_t>(s.programKernel)].name;
    if (s.kind == rt::StepKind::Kernel) {
      name = plan->kernels[static_cast<size_t>(s.kernel)].name;
      continue;
    }
    name = s.kind == rt::StepKind::Gemm ? "cublasLt_gemm_" + std::to_string(s.gemm.m) + "x" +
                                              std::to_string(s.gemm.n) + "x" + std::to_string(s.gemm.k)
                                        : "cudnn_conv";
    if (s.epilogue >= 0) name += "+" + plan->kernels[static_cast<size_t>(s.epilogue)].name;
  }
  return rows;
}

// The median of each row's samples.
void fillMedians(std::vector<KernelProfile>& rows, const std::vector<std::vector<double>>& samples) {
  for (size_t i = 0; i < rows.size(); ++i) rows[i].ms = summarize(samples[i]).median;
}

// The host's copy bandwidth: memcpy of a buffer well past the caches.
Peak hostPeak() {
  const size_t bytes = size_t(256) << 20;
  std::vector<char> a(bytes, 1), b(bytes, 0);
  std::memcpy(b.data(), a.data(), bytes);  // every page touched before timing
  std::vector<double> ms;
  for (int i = 0; i < 5; ++i) {
    Clock::time_point t = Clock::now();
    std::memcpy(b.data(), a.data(), bytes);
    ms.push_back(msSince(t));
    a[static_cast<size_t>(i)] = b[bytes - 1 - static_cast<size_t>(i)];  // keep the copies observable
  }
  Peak p;
  p.copyGBs = 2.0 * static_cast<double>(bytes) / (summarize(ms).median * 1e-3) / 1e9;
  p.copySource = "host memcpy of 256 MiB, read + write bytes, median of 5";
  p.tflopsSource = "not measured on the host device";
  return p;
}

void benchHost(const rt::Program& p, const std::vector<rt::HostTensor>& inputs, const Settings& s, BenchResult& r,
               std::vector<rt::HostTensor>& outputs) {
  r.latencySource = "the host's clock around a whole run";
  for (int i = 0; i < s.warmup; ++i) rt::runOnHost(p, inputs);
  std::vector<double> ms;
  for (int i = 0; i < s.iters; ++i) {
    Clock::time_point t = Clock::now();
    outputs = rt::runOnHost(p, inputs);
    ms.push_back(msSince(t));
  }
  r.latency = r.wall = summarize(ms);
  hostMemory(p, r);
  if (!r.profiled) return;

  std::vector<std::vector<double>> samples(p.kernels.size());
  Clock::time_point runStart;
  rt::HostRunOptions o;
  o.onKernelTimed = [&](size_t k, Clock::time_point b, Clock::time_point e) {
    if (k == 0) runStart = b;
    double ms = std::chrono::duration<double, std::milli>(e - b).count();
    samples[k].push_back(ms);
    r.profile[k].traceBeginMs = std::chrono::duration<double, std::milli>(b - runStart).count();
    r.profile[k].traceMs = ms;
  };
  for (int i = 0; i < r.profileIters; ++i) rt::runOnHost(p, inputs, o);
  fillMedians(r.profile, samples);
  r.peak = hostPeak();
}

void benchCuda(const rt::Program& p, const rt::CudaPlan& plan, const std::vector<rt::HostTensor>& inputs,
               const Settings& s, BenchResult& r, std::vector<rt::HostTensor>& outputs) {
  rt::cuda::DeviceInfo info = rt::cuda::deviceInfo();
  r.deviceName = info.name;
  r.arch = info.arch;
  r.driverVersion = info.driverVersion;
  r.latencySource = "CUDA events around the steps; input and output copies outside";
  {
    rt::cuda::RunOptions o;
    o.cudaGraph = s.cudaGraph;
    o.timeRun = true;
    rt::cuda::CudaExecutor executor(p, plan, o);
    for (int i = 0; i < s.warmup; ++i) executor.run(inputs);
    std::vector<double> events, wall;
    for (int i = 0; i < s.iters; ++i) {
      Clock::time_point t = Clock::now();
      outputs = executor.run(inputs);
      wall.push_back(msSince(t));
      events.push_back(executor.lastTiming().runMs);
    }
    r.latency = summarize(events);
    r.wall = summarize(wall);
    r.memoryBytes = executor.deviceBytes();
    r.arenaBytes = p.arenaBytes > 0 ? roundUp(p.arenaBytes) : 0;
  }
  if (!r.profiled) return;

  // A second executor (the first one is gone): the steps one by one with an
  // event between each two, at least one warm-up run first.
  rt::cuda::RunOptions o;
  o.timeRun = o.timeSteps = true;
  rt::cuda::CudaExecutor executor(p, plan, o);
  for (int i = 0; i < std::max(1, s.warmup); ++i) executor.run(inputs);
  std::vector<std::vector<double>> samples(p.kernels.size());
  for (int i = 0; i < r.profileIters; ++i) {
    executor.run(inputs);
    const rt::cuda::RunTiming& t = executor.lastTiming();
    for (size_t step = 0; step < plan.steps.size() && step < t.stepMs.size(); ++step) {
      auto k = static_cast<size_t>(plan.steps[step].programKernel);
      samples[k].push_back(t.stepMs[step]);
      r.profile[k].traceBeginMs = t.stepBeginMs[step];
      r.profile[k].traceMs = t.stepMs[step];
    }
  }
  fillMedians(r.profile, samples);
  rt::cuda::DevicePeak peak = rt::cuda::measureDevicePeak();
  r.peak.copyGBs = peak.copyGBs;
  r.peak.copySource = "device-to-device copy of " + std::to_string(peak.copyBytes >> 20) +
                      " MiB between CUDA events, read + write bytes, median of " + std::to_string(peak.copies);
  r.peak.tflops = peak.fp32Tflops;
  r.peak.tflopsSource = peak.fp32Source;
}

int run(const Settings& s) {
  BenchResult r;
  r.model = s.model;
  r.warmup = s.warmup;
  r.iters = s.iters;
  r.cudaGraph = s.cudaGraph;
  r.profiled = s.profile || !s.trace.empty();
  r.profileIters = s.iters;

  std::vector<rt::HostTensor> inputs;
  if (!s.inputDir.empty()) inputs = loadInputs(s.inputDir);
  rt::Program program;
  std::optional<rt::CudaPlan> plan;
  rt::Executable exe;
  bool cuda = false;
  if (rt::isExecutableFile(s.model)) {
    if (!s.useLibraries)
      throw UsageError("--no-libraries does not apply to '" + s.model + "', an executable file (compiled already)");
    Clock::time_point t = Clock::now();
    try {
      exe = rt::loadExecutable(s.model);
    } catch (const rt::ExecutableError& e) {
      throw Failed{1, e.what()};
    }
    r.loadMs = msSince(t);
    if (s.device == "cuda" && !exe.cuda)
      throw Failed{1, s.model + ": --device cuda: the executable was compiled for the host (compile it with "
                                "--target cuda)"};
    std::string why = exe.cuda ? rt::cuda::unavailableReason() : "the executable was compiled for the host";
    if (s.device == "cuda" && !why.empty()) throw Failed{1, "dlc bench: --device cuda: " + why};
    cuda = s.device != "host" && why.empty();
    if (s.device == "auto") std::cerr << "dlc: running on " << (cuda ? "cuda" : "host (" + why + ")") << "\n";
    program = std::move(exe.program);
    if (cuda) plan = std::move(*exe.cuda);
  } else {
    DeviceChoice choice = chooseDevice(s.device);
    if (!choice.error.empty()) throw Failed{1, "dlc bench: --device cuda: " + choice.error};
    if (!choice.note.empty()) std::cerr << choice.note << "\n";
    cuda = choice.cuda;
    driver::CompileOptions opts;
    if (!s.inputDir.empty()) opts.inputValues = &inputs;
    std::optional<Compiled> cold, warm;
    if (cuda) {
      driver::CudaCompileOptions co;
      co.useLibraries = s.useLibraries;
      std::string origin;
      if (driver::Failure f = driver::prepareCudaTarget(co, origin)) throw Failed{f.exitCode, "dlc bench: " + f.message};
      std::optional<TemporaryKernelCache> cache;
      try {
        cache.emplace();
      } catch (const std::runtime_error& e) {
        throw Failed{1, std::string("dlc bench: ") + e.what()};
      }
      cold = compile(s.model, opts, &co);
      warm = compile(s.model, opts, &co);
      r.nvrtcColdMs = cold->nvrtcMs;
      r.nvrtcWarmMs = warm->nvrtcMs;
      r.warmCacheHit = warm->cacheHit;
    } else {
      // The host device has no kernel cache: both are whole compiles.
      cold = compile(s.model, opts, nullptr);
      warm = compile(s.model, opts, nullptr);
    }
    r.compileColdMs = cold->ms;
    r.compileWarmMs = warm->ms;
    program = std::move(warm->program);
    plan = std::move(warm->plan);
  }
  if (s.cudaGraph && !cuda) throw Failed{1, "dlc bench: --cuda-graph needs the CUDA device, and " + s.model +
                                                " runs on the host device"};
  if (!s.useLibraries && !cuda) throw Failed{1, "dlc bench: --no-libraries needs the CUDA device"};
  r.device = cuda ? "cuda" : "host";

  if (s.inputDir.empty()) {
    inputs = randomInputs(program, s.seed);
    r.inputs = "random inputs (seed " + std::to_string(s.seed) + ")";
  } else {
    r.inputs = "inputs from " + s.inputDir;
    if (inputs.size() < program.inputs.size())
      throw Failed{1, inputPath(s.inputDir, inputs.size()) + ": missing; the model takes " +
                          std::to_string(program.inputs.size()) + " input(s)"};
    if (inputs.size() > program.inputs.size())
      throw Failed{1, inputPath(s.inputDir, program.inputs.size()) + ": the model takes only " +
                          std::to_string(program.inputs.size()) + " input(s)"};
  }
  if (!inputs.empty() && !inputs[0].shape().empty()) r.batch = inputs[0].shape()[0];
  r.kernels = static_cast<int>(program.kernels.size());
  if (r.profiled) r.profile = profileRows(program, plan ? &*plan : nullptr);

  std::vector<rt::HostTensor> outputs;
  onDevice(s.model, [&] {
    if (cuda) benchCuda(program, *plan, inputs, s, r, outputs);
    else benchHost(program, inputs, s, r, outputs);
  });

  if (!s.trace.empty() && !writeTrace(r, s.trace)) throw Failed{1, s.trace + ": cannot write the trace file"};
  if (!s.outputDir.empty()) {
    std::error_code ec;
    fs::create_directories(s.outputDir, ec);
    if (ec) throw Failed{1, s.outputDir + ": cannot create the output directory: " + ec.message()};
    for (size_t i = 0; i < outputs.size(); ++i)
      onnx_io::saveTensorFile((fs::path(s.outputDir) / ("output_" + std::to_string(i) + ".pb")).string(), outputs[i]);
  }
  if (s.json) {
    printJson(r, std::cout);
  } else {
    printText(r, std::cout);
    if (!s.trace.empty()) std::cout << "\ntrace of the last profiled run: " << s.trace << "\n";
  }
  return 0;
}

}  // namespace

void hostMemory(const rt::Program& p, BenchResult& r) {
  // The arena, and every buffer of its own: inputs, constants, outputs.
  r.arenaBytes = p.arenaBytes > 0 ? roundUp(p.arenaBytes) : 0;
  r.memoryBytes = r.arenaBytes;
  for (const rt::ValueInfo& v : p.values)
    if (v.kind == rt::ValueKind::Constant)
      r.memoryBytes += rt::storedConstantBytes(v);  // a splat's expansion lives with its kernel only
    else if (v.kind == rt::ValueKind::Input || (v.kind == rt::ValueKind::Intermediate && v.offset < 0))
      r.memoryBytes += v.type.byteSize();
}

int64_t roundUp(int64_t v) { return (v + rt::kArenaAlignment - 1) / rt::kArenaAlignment * rt::kArenaAlignment; }

int benchCommand(int argc, char** argv) {
  for (int i = 2; i < argc; ++i)
    if (std::string(argv[i]) == "--train") return benchTrainCommand(argc, argv);
  try {
    bool help = false;
    Settings s = parseArgs(argc, argv, help);
    if (help) return std::cout << kBenchHelp << kBenchTrainHelp, 0;
    return run(s);
  } catch (const UsageError& e) {
    std::cerr << "dlc bench: " << e.what() << "\n";
    return 1;
  } catch (const Failed& f) {
    std::cerr << f.message << "\n";
    return f.code;
  }
}

}  // namespace dlc::tool
