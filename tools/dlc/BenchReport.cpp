#include "tools/dlc/BenchReport.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <sstream>

namespace dlc::tool {

Summary summarize(std::vector<double> s) {
  Summary r;
  r.n = static_cast<int>(s.size());
  if (s.empty()) return r;
  std::sort(s.begin(), s.end());
  size_t n = s.size();
  r.median = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  r.p90 = s[static_cast<size_t>(std::ceil(0.9 * static_cast<double>(n))) - 1];
  r.min = s.front();
  r.max = s.back();
  r.mean = std::accumulate(s.begin(), s.end(), 0.0) / static_cast<double>(n);
  return r;
}

namespace {

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

// Rates of a kernel; a rate is 0 when its time is 0.
double gbs(const KernelProfile& k) { return k.ms > 0 ? static_cast<double>(k.bytes) / (k.ms * 1e-3) / 1e9 : 0; }
double tflops(const KernelProfile& k) { return k.ms > 0 ? k.flops / (k.ms * 1e-3) / 1e12 : 0; }

std::string jsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

// A finite number, or null (JSON has no NaN or infinity).
std::string num(double v) {
  if (!std::isfinite(v)) return "null";
  std::ostringstream os;
  os.precision(6);
  os << v;
  return os.str();
}
std::string num(const std::optional<double>& v) { return v ? num(*v) : "null"; }

std::string summaryJson(const Summary& s) {
  return "{\"median\": " + num(s.median) + ", \"p90\": " + num(s.p90) + ", \"min\": " + num(s.min) +
         ", \"max\": " + num(s.max) + ", \"mean\": " + num(s.mean) + ", \"n\": " + std::to_string(s.n) + "}";
}

std::vector<const KernelProfile*> slowestFirst(const BenchResult& r) {
  std::vector<const KernelProfile*> v;
  for (const KernelProfile& k : r.profile) v.push_back(&k);
  std::stable_sort(v.begin(), v.end(), [](auto* a, auto* b) { return a->ms > b->ms; });
  return v;
}

}  // namespace

void printText(const BenchResult& r, std::ostream& os) {
  os << "dlc bench " << r.model << " on " << r.device;
  if (!r.deviceName.empty()) os << " (" << r.deviceName << (r.arch.empty() ? "" : ", " + r.arch) << ")";
  os << "\n  " << r.iters << " timed runs after " << r.warmup << " warm-up, " << r.inputs
     << (r.cudaGraph ? ", CUDA graph" : "") << "\n";
  const Summary& l = r.latency;
  os << "  latency     median " << fmt("%.4f", l.median) << " ms, p90 " << fmt("%.4f", l.p90) << ", min "
     << fmt("%.4f", l.min) << ", mean " << fmt("%.4f", l.mean) << " (" << r.latencySource << ")\n";
  if (r.device == "cuda")
    os << "  wall        median " << fmt("%.4f", r.wall.median) << " ms (a whole run: input and output copies, sync)\n";
  os << "  throughput  " << fmt("%.1f", l.median > 0 ? static_cast<double>(r.batch) / (l.median * 1e-3) : 0)
     << " samples/s (batch " << r.batch << ")\n";
  os << "  memory      " << r.memoryBytes << " bytes (arena " << r.arenaBytes << ", other buffers "
     << r.memoryBytes - r.arenaBytes << ")\n";
  if (r.compileColdMs) {
    os << "  compile     cold " << fmt("%.1f", *r.compileColdMs) << " ms, warm " << fmt("%.1f", *r.compileWarmMs)
       << " ms";
    if (r.nvrtcColdMs)
      os << " (NVRTC " << fmt("%.1f", *r.nvrtcColdMs) << " ms cold; warm: "
         << (r.warmCacheHit ? "kernel cache hit" : "cache miss, " + fmt("%.1f", *r.nvrtcWarmMs) + " ms") << ")";
    os << "\n";
  }
  if (r.loadMs) os << "  load        " << fmt("%.1f", *r.loadMs) << " ms (executable file)\n";
  if (r.train)
    os << "  training    " << r.train->loss << ", " << r.train->optimizer << ", " << r.train->precision << ", "
       << r.train->parameters << " parameters; loss " << fmt("%.6f", r.train->firstLoss) << " at the first step, "
       << fmt("%.6f", r.train->lastLoss) << " at the last\n";
  if (r.profiled) printProfile(r, os);
}

void printProfile(const BenchResult& r, std::ostream& os) {
  double total = 0, flops = 0;
  int64_t bytes = 0;
  for (const KernelProfile& k : r.profile) total += k.ms, flops += k.flops, bytes += k.bytes;
  os << "\nper-kernel profile: median of " << r.profileIters << " profiled runs, " << r.profile.size()
     << " kernels, slowest first\n"
     << "  copy bandwidth " << fmt("%.1f", r.peak.copyGBs) << " GB/s (" << r.peak.copySource << ")\n"
     << "  FLOP peak " << (r.peak.tflops > 0 ? fmt("%.2f", r.peak.tflops) + " TFLOP/s (" : "unknown (")
     << r.peak.tflopsSource << ")\n";
  char line[512];
  std::snprintf(line, sizeof line, "  %9s %6s  %-28s %-32s %10s %10s %8s %6s %8s %6s\n", "ms", "time%", "kernel",
                "ops", "MFLOP", "KB", "GB/s", "%copy", "TFLOP/s", "%peak");
  os << line;
  auto row = [&](const std::string& name, const std::string& ops, double ms, double f, int64_t b) {
    KernelProfile k;
    k.ms = ms, k.flops = f, k.bytes = b;
    double g = gbs(k), t = tflops(k);
    std::string pb = r.peak.copyGBs > 0 ? fmt("%.1f", 100 * g / r.peak.copyGBs) : "-";
    std::string pf = r.peak.tflops > 0 ? fmt("%.1f", 100 * t / r.peak.tflops) : "-";
    std::string shortOps = ops.size() > 32 ? ops.substr(0, 29) + "..." : ops;
    std::string shortName = name.size() > 28 ? name.substr(0, 25) + "..." : name;
    std::snprintf(line, sizeof line, "  %9.4f %6.1f  %-28s %-32s %10.3f %10.1f %8.1f %6s %8.4f %6s\n", ms,
                  total > 0 ? 100 * ms / total : 0, shortName.c_str(), shortOps.c_str(), f / 1e6,
                  static_cast<double>(b) / 1e3, g, pb.c_str(), t, pf.c_str());
    os << line;
  };
  for (const KernelProfile* k : slowestFirst(r)) row(k->name, k->ops, k->ms, k->flops, k->bytes);
  row("total", "", total, flops, bytes);
}

void printJson(const BenchResult& r, std::ostream& os) {
  double throughput = r.latency.median > 0 ? static_cast<double>(r.batch) / (r.latency.median * 1e-3) : 0;
  os << "{\n  \"schema\": \"dlc-bench/1\",\n"
     << "  \"model\": " << jsonString(r.model) << ",\n"
     << "  \"device\": " << jsonString(r.device) << ",\n"
     << "  \"device_name\": " << jsonString(r.deviceName) << ",\n"
     << "  \"arch\": " << jsonString(r.arch) << ",\n"
     << "  \"driver_version\": " << r.driverVersion << ",\n"
     << "  \"cuda_graph\": " << (r.cudaGraph ? "true" : "false") << ",\n"
     << "  \"warmup\": " << r.warmup << ",\n  \"iters\": " << r.iters << ",\n"
     << "  \"inputs\": " << jsonString(r.inputs) << ",\n"
     << "  \"batch\": " << r.batch << ",\n"
     << "  \"latency_source\": " << jsonString(r.latencySource) << ",\n"
     << "  \"latency_ms\": " << summaryJson(r.latency) << ",\n"
     << "  \"wall_ms\": " << summaryJson(r.wall) << ",\n"
     << "  \"throughput_per_s\": " << num(throughput) << ",\n"
     << "  \"memory_bytes\": {\"peak\": " << r.memoryBytes << ", \"arena\": " << r.arenaBytes
     << ", \"other\": " << r.memoryBytes - r.arenaBytes << "},\n"
     << "  \"compile_ms\": {\"cold\": " << num(r.compileColdMs) << ", \"warm\": " << num(r.compileWarmMs)
     << ", \"nvrtc_cold\": " << num(r.nvrtcColdMs) << ", \"nvrtc_warm\": " << num(r.nvrtcWarmMs)
     << ", \"warm_cache_hit\": " << (r.warmCacheHit ? "true" : "false") << "},\n"
     << "  \"load_ms\": " << num(r.loadMs) << ",\n"
     << "  \"kernels\": " << r.kernels << ",\n"
     << "  \"train\": ";
  if (r.train)
    os << "{\"loss\": " << jsonString(r.train->loss) << ", \"optimizer\": " << jsonString(r.train->optimizer)
       << ", \"precision\": " << jsonString(r.train->precision) << ", \"parameters\": " << r.train->parameters
       << ", \"first_loss\": " << num(r.train->firstLoss) << ", \"last_loss\": " << num(r.train->lastLoss) << "},\n";
  else
    os << "null,\n";
  os << "  \"profile\": ";
  if (!r.profiled) {
    os << "null\n}\n";
    return;
  }
  double total = 0;
  for (const KernelProfile& k : r.profile) total += k.ms;
  os << "{\n    \"runs\": " << r.profileIters << ",\n    \"total_ms\": " << num(total) << ",\n"
     << "    \"peak\": {\"copy_gbs\": " << num(r.peak.copyGBs) << ", \"copy_source\": "
     << jsonString(r.peak.copySource) << ", \"tflops\": " << (r.peak.tflops > 0 ? num(r.peak.tflops) : "null")
     << ", \"tflops_source\": " << jsonString(r.peak.tflopsSource) << "},\n    \"kernels\": [";
  const char* sep = "\n";
  for (const KernelProfile* k : slowestFirst(r)) {
    double g = gbs(*k), t = tflops(*k);
    os << sep << "      {\"index\": " << k->index << ", \"name\": " << jsonString(k->name)
       << ", \"kind\": " << jsonString(k->kind) << ", \"ops\": " << jsonString(k->ops) << ", \"ms\": " << num(k->ms)
       << ", \"flops\": " << num(k->flops) << ", \"bytes\": " << k->bytes << ", \"gbs\": " << num(g)
       << ", \"tflops\": " << num(t)
       << ", \"pct_copy_bw\": " << (r.peak.copyGBs > 0 ? num(100 * g / r.peak.copyGBs) : "null")
       << ", \"pct_flop_peak\": " << (r.peak.tflops > 0 ? num(100 * t / r.peak.tflops) : "null") << "}";
    sep = ",\n";
  }
  os << "\n    ]\n  }\n}\n";
}

bool writeTrace(const BenchResult& r, const std::string& path) {
  std::ofstream f(path, std::ios::trunc);
  if (!f) return false;
  // Times in microseconds; one process (the device), one thread (the stream).
  f << "{\"displayTimeUnit\": \"ms\", \"otherData\": {\"model\": " << jsonString(r.model)
    << ", \"device\": " << jsonString(r.device) << "},\n\"traceEvents\": [\n"
    << "{\"name\": \"process_name\", \"ph\": \"M\", \"pid\": 1, \"tid\": 1, \"args\": {\"name\": "
    << jsonString("dlc " + r.device) << "}}";
  for (const KernelProfile& k : r.profile) {
    f << ",\n{\"name\": " << jsonString(k.name) << ", \"cat\": " << jsonString(k.kind)
      << ", \"ph\": \"X\", \"pid\": 1, \"tid\": 1, \"ts\": " << num(k.traceBeginMs * 1e3)
      << ", \"dur\": " << num(k.traceMs * 1e3) << ", \"args\": {\"kernel\": " << k.index
      << ", \"ops\": " << jsonString(k.ops) << ", \"flops\": " << num(k.flops) << ", \"bytes\": " << k.bytes
      << "}}";
  }
  f << "\n]}\n";
  return static_cast<bool>(f);
}

}  // namespace dlc::tool
