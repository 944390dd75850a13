#include "frontend/dsl/Init.h"

#include <cmath>

namespace dlc::dsl {

namespace {

// splitmix64's output function: a bijective 64-bit mixer.
uint64_t mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

constexpr uint64_t kGolden = 0x9e3779b97f4a7c15ULL;

}  // namespace

uint64_t streamKey(uint64_t seed, const std::string& name) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a of the name
  for (unsigned char c : name) h = (h ^ c) * 0x100000001b3ULL;
  return mix(h ^ mix(seed + kGolden));
}

double uniformAt(uint64_t key, uint64_t i) {
  return static_cast<double>(mix(key + (i + 1) * kGolden) >> 11) * 0x1.0p-53;
}

double normalAt(uint64_t key, uint64_t i) {
  double u1 = 1.0 - uniformAt(key, 2 * i);  // (0, 1]: log is finite
  double u2 = uniformAt(key, 2 * i + 1);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

Fans fans(const rt::Shape& shape) {
  if (shape.empty()) return {1, 1};
  if (shape.size() == 1) return {double(shape[0]), double(shape[0])};
  if (shape.size() == 2) return {double(shape[0]), double(shape[1])};
  double receptive = 1;
  for (size_t i = 2; i < shape.size(); ++i) receptive *= double(shape[i]);
  return {double(shape[1]) * receptive, double(shape[0]) * receptive};
}

void fillInit(rt::HostTensor& t, const InitSpec& spec, uint64_t seed, const std::string& name) {
  uint64_t key = streamKey(seed, name);
  Fans f = fans(t.shape());
  int64_t n = t.numElements();
  rt::TensorRef ref = t.ref();
  for (int64_t i = 0; i < n; ++i) {
    double v = 0;
    switch (spec.kind) {
      case InitKind::Zeros: v = 0; break;
      case InitKind::Ones: v = 1; break;
      case InitKind::Constant: v = spec.a; break;
      case InitKind::Normal: v = spec.a + spec.b * normalAt(key, i); break;
      case InitKind::Uniform: v = spec.a + (spec.b - spec.a) * uniformAt(key, i); break;
      case InitKind::Xavier: {
        double a = spec.a * std::sqrt(6.0 / std::max(f.in + f.out, 1.0));
        v = -a + 2 * a * uniformAt(key, i);
        break;
      }
      case InitKind::Kaiming: v = spec.a / std::sqrt(std::max(f.in, 1.0)) * normalAt(key, i); break;
    }
    rt::storeFromDouble(ref, i, v);
  }
}

}  // namespace dlc::dsl
