// `dlc train`'s precision and loss-scaling flags (TrainPrecision.h).
#include "tools/dlc/TrainPrecision.h"
#include "tools/dlc/FlagValue.h"

#include <cmath>
#include <cstdlib>
#include <stdexcept>

namespace dlc::tool {

bool parseTrainPrecisionFlag(int argc, char** argv, int& i, TrainPrecision& p, std::string& error) {
  std::string a = argv[i], v;
  auto value = [&](const std::string& flag) {
    try {
      return flagValue<std::invalid_argument>(argc, argv, i, flag, v);
    } catch (const std::invalid_argument& e) {  // the flag without its value
      error = e.what();
      return true;
    }
  };
  auto positive = [&](const std::string& flag) {
    char* end = nullptr;
    double x = std::strtod(v.c_str(), &end);
    if (v.empty() || *end || !std::isfinite(x) || x <= 0) {
      error = flag + " '" + v + "': expected a positive number";
      return 0.0;
    }
    return x;
  };
  if (value("--precision")) {
    if (!error.empty()) return true;
    std::optional<PrecisionMode> m = parsePrecision(v);
    if (!m) error = "--precision '" + v + "': expected fp32, tf32, fp16 or bf16";
    else p.precision = *m;
    return true;
  }
  if (value("--loss-scale")) {
    if (!error.empty()) return true;
    if (v != "dynamic" && v != "none" && positive("--loss-scale") == 0)
      error = "--loss-scale '" + v + "': expected dynamic, none or a positive number (a static scale)";
    p.lossScale = v;
    return true;
  }
  if (value("--loss-scale-init")) {
    if (error.empty()) p.initialScale = positive("--loss-scale-init");
    return true;
  }
  if (value("--loss-scale-growth-interval")) {
    if (!error.empty()) return true;
    char* end = nullptr;
    long long n = std::strtoll(v.c_str(), &end, 10);
    if (v.empty() || *end || n < 1 || n > (1LL << 24))
      error = "--loss-scale-growth-interval '" + v + "': expected an integer in 1..16777216";
    p.growthInterval = n;
    return true;
  }
  return false;
}

std::string applyTrainPrecision(const TrainPrecision& p, driver::CompileOptions& opts, TrainingSpec& spec) {
  opts.precision = p.precision;
  // GradScaler's defaults: fp16 needs a scale (its 5-bit exponent flushes
  // small gradients to zero); bf16 has f32's exponent range and needs none.
  std::string mode = p.lossScale.empty() ? (p.precision == PrecisionMode::F16 ? "dynamic" : "none") : p.lossScale;
  bool dynamic = mode == "dynamic";
  if (!dynamic && p.initialScale) return "--loss-scale-init goes with --loss-scale dynamic";
  if (!dynamic && p.growthInterval) return "--loss-scale-growth-interval goes with --loss-scale dynamic";
  TrainingSpec::LossScaling& ls = spec.lossScaling;
  ls = {};
  if (mode == "none") return "";
  ls.enabled = true;
  if (dynamic) {
    if (p.initialScale) ls.initialScale = p.initialScale;
    if (p.growthInterval) ls.growthInterval = p.growthInterval;
  } else {  // a static scale: overflowing steps are skipped, the scale stays
    ls.initialScale = std::strtod(mode.c_str(), nullptr);
    ls.growth = ls.backoff = 1;
  }
  if (!std::isfinite(static_cast<float>(ls.initialScale)))
    return "the initial loss scale " + std::to_string(ls.initialScale) + " overflows f32";
  return "";
}

}  // namespace dlc::tool
