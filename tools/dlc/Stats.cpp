#include "tools/dlc/Stats.h"

#include <iomanip>
#include <ostream>

#include "ir/Dialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace dlc::driver {
namespace {

std::optional<int64_t> intAttr(mlir::func::FuncOp f, llvm::StringRef name) {
  if (auto a = f->getAttrOfType<mlir::IntegerAttr>(name)) return a.getInt();
  return std::nullopt;
}

// JSON string escaping for model paths.
std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
      continue;
    }
    out += c;
  }
  return out + "\"";
}

}  // namespace

CompileStats collectStats(mlir::ModuleOp module, const PipelineReport& report, double importMs) {
  CompileStats s;
  auto main = module.lookupSymbol<mlir::func::FuncOp>("main");
  if (!main) return s;
  for (mlir::Operation& op : main.getBody().front()) {
    if (mlir::isa<ConstantOp, mlir::func::ReturnOp>(op)) continue;
    std::string kind = stringifyFusionKind(fusionKindOf(&op)).str();
    ++s.kernels;
    ++s.byKind[kind];
    if (kind == "gemm" || kind == "conv") ++s.libraryCalls;
  }
  s.peakBytes = intAttr(main, "dlc.arena_bytes");
  s.naiveBytes = intAttr(main, "dlc.naive_bytes");
  s.lowerBoundBytes = intAttr(main, "dlc.lower_bound_bytes");
  s.passMs.push_back({"import", importMs});
  for (const auto& p : report.passMs) s.passMs.push_back(p);
  return s;
}

void printStatsText(const CompileStats& s, std::ostream& os) {
  os << "kernels: " << s.kernels << " (";
  const char* sep = "";
  for (const auto& [kind, n] : s.byKind) os << sep << kind << " " << n, sep = ", ";
  os << ")\nlibrary calls: " << s.libraryCalls << "\n";
  auto bytes = [](const std::optional<int64_t>& b) {
    return b ? std::to_string(*b) + " bytes" : std::string("n/a (no memory plan)");
  };
  if (s.cuda)
    os << "CUDA " << s.cuda->arch << ": " << s.cuda->generatedKernels << " generated kernels, "
       << s.cuda->libraryCalls << " library calls; NVRTC "
       << (s.cuda->cacheHit ? std::string("kernel cache hit") : std::to_string(int(s.cuda->nvrtcMs + 0.5)) + " ms")
       << "\n";
  os << "arena peak: " << bytes(s.peakBytes) << "\nlower bound: " << bytes(s.lowerBoundBytes)
     << "\nnaive: " << bytes(s.naiveBytes) << "\ncompile time (ms):";
  double total = 0;
  for (const auto& [pass, ms] : s.passMs) {
    os << " " << pass << " " << std::fixed << std::setprecision(1) << ms << ",";
    total += ms;
  }
  os << " total " << std::fixed << std::setprecision(1) << total << "\n";
}

void printStatsJson(const std::string& model, const CompileStats& s, std::ostream& os) {
  auto num = [](const std::optional<int64_t>& b) { return b ? std::to_string(*b) : std::string("null"); };
  os << "{\"model\": " << quoted(model) << ", \"kernels\": " << s.kernels
     << ", \"library_calls\": " << (s.cuda ? s.cuda->libraryCalls : s.libraryCalls);
  if (s.cuda)
    os << ", \"target\": \"cuda\", \"arch\": " << quoted(s.cuda->arch) << ", \"generated_kernels\": "
       << s.cuda->generatedKernels << ", \"nvrtc_ms\": " << std::fixed << std::setprecision(3) << s.cuda->nvrtcMs
       << ", \"cache_hit\": " << (s.cuda->cacheHit ? "true" : "false");
  else
    os << ", \"target\": \"host\"";
  os << ", \"kernels_by_kind\": {";
  const char* sep = "";
  for (const auto& [kind, n] : s.byKind) os << sep << quoted(kind) << ": " << n, sep = ", ";
  os << "}, \"peak_bytes\": " << num(s.peakBytes) << ", \"naive_bytes\": " << num(s.naiveBytes)
     << ", \"lower_bound_bytes\": " << num(s.lowerBoundBytes) << ", \"pass_ms\": [";
  sep = "";
  for (const auto& [pass, ms] : s.passMs) {
    os << sep << "[" << quoted(pass) << ", " << std::fixed << std::setprecision(3) << ms << "]";
    sep = ", ";
  }
  os << "]}\n";
}

}  // namespace dlc::driver
