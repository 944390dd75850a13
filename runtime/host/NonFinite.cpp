#include "runtime/host/NonFinite.h"

#include <cmath>

namespace dlc::rt {
namespace {

template <typename Load>
NonFiniteCount scan(int64_t n, Load load) {
  NonFiniteCount c;
  for (int64_t i = 0; i < n; ++i) {
    double v = load(i);
    if (std::isfinite(v)) continue;
    if (c.count++ == 0) {
      c.firstIndex = i;
      c.firstValue = v;
    }
  }
  return c;
}

}  // namespace

NonFiniteCount countNonFinite(ConstTensorRef t) {
  int64_t n = t.type.numElements();
  switch (t.type.dtype) {
    case DType::F32: return scan(n, [&](int64_t i) { return static_cast<double>(t.as<float>()[i]); });
    case DType::F64: return scan(n, [&](int64_t i) { return t.as<double>()[i]; });
    case DType::F16:
    case DType::BF16: return scan(n, [&](int64_t i) { return loadAsDouble(t, i); });
    default: return {};
  }
}

std::string nonFiniteMessage(const Program& program, size_t kernelIndex, int32_t value, const NonFiniteCount& c) {
  const Kernel& k = program.kernels[kernelIndex];
  const ValueInfo& v = program.values[value];
  std::string first = std::isnan(c.firstValue) ? "NaN" : c.firstValue > 0 ? "+Inf" : "-Inf";
  return k.location + ": --check-nan: kernel " + std::to_string(kernelIndex) + " (" + kernelKindName(k.kind) +
         ") output " + (v.name.empty() ? "%" + std::to_string(value) : "'" + v.name + "'") + " (" + v.type.str() +
         ") has " + std::to_string(c.count) + " NaN/Inf value(s) of " + std::to_string(v.type.numElements()) +
         ", the first at flat index " + std::to_string(c.firstIndex) + " (" + first + ")";
}

}  // namespace dlc::rt
