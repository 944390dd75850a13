// `dlc bench`: what a benchmark measured, and its three renderings: the text
// report, the JSON object (schema "dlc-bench/1", docs/perf.md) and the Chrome
// trace of one profiled run (traceEvents of ph "X", which Perfetto and
// chrome://tracing open). Pure: no device, no compiler.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace dlc::tool {

// Order statistics of a set of samples (milliseconds). p90 is the
// nearest-rank percentile: the ceil(0.9 n)-th smallest.
struct Summary {
  int n = 0;
  double median = 0, p90 = 0, min = 0, max = 0, mean = 0;
};
Summary summarize(std::vector<double> samples);

// One Program kernel (= one CUDA step) of the profile.
struct KernelProfile {
  size_t index = 0;     // in Program::kernels
  std::string name;     // CUDA: the generated kernel or library call; host: k<i>_<kind>
  std::string kind;     // loop, reduction, gemm, conv ...
  std::string ops;      // the core ops it computes
  double ms = 0;        // median over the profiled runs
  double traceBeginMs = 0, traceMs = 0;  // in the traced (last) run, from its first kernel's start
  double flops = 0;     // runtime/KernelCost.h
  int64_t bytes = 0;
};

// The ceilings rates are compared with.
struct Peak {
  double copyGBs = 0;        // measured copy bandwidth (read + write bytes per second)
  std::string copySource;    // how it was measured
  double tflops = 0;         // 0: unknown (no percentage is given)
  std::string tflopsSource;  // where the FLOP peak comes from
};

// `dlc bench --train`: what was trained while it was timed.
struct TrainBench {
  std::string loss, optimizer, precision;
  int64_t parameters = 0;           // trained elements
  double firstLoss = 0, lastLoss = 0;  // the first warm-up step's and the last timed step's
};

struct BenchResult {
  std::string model, device, deviceName, arch, inputs;
  int driverVersion = 0;     // CUDA: cuDriverGetVersion
  bool cudaGraph = false;
  int warmup = 0, iters = 0;
  int64_t batch = 1;         // the first input's leading dimension
  std::string latencySource; // what the latency samples time
  Summary latency;           // the model's run: CUDA events around the steps, or the host's clock
  Summary wall;              // the host's clock around a whole run call (copies and sync included)
  int64_t memoryBytes = 0, arenaBytes = 0;  // peak device memory, and the arena's share of it
  std::optional<double> compileColdMs, compileWarmMs;  // none for an executable file
  std::optional<double> nvrtcColdMs, nvrtcWarmMs;      // CUDA
  bool warmCacheHit = false;
  std::optional<double> loadMs;                        // an executable file's load
  int kernels = 0;
  std::optional<TrainBench> train;  // a training step (--train): one run is one step
  // --profile / --trace
  bool profiled = false;
  int profileIters = 0;
  Peak peak;
  std::vector<KernelProfile> profile;  // in Program order
};

void printText(const BenchResult& r, std::ostream& os);
// The per-kernel table, slowest first, with totals.
void printProfile(const BenchResult& r, std::ostream& os);
void printJson(const BenchResult& r, std::ostream& os);
// The traced run as a Chrome trace; false if the file cannot be written.
bool writeTrace(const BenchResult& r, const std::string& path);

}  // namespace dlc::tool
