// Parameter initialisers (docs/dsl.md "Parameters"): constants and a
// counter-based random generator, so that a parameter's values depend only
// on the file's seed, the parameter's full name and the element's index
// (the same on every machine; adding a parameter changes no other).
#pragma once

#include <cstdint>
#include <string>

#include "runtime/Tensor.h"

namespace dlc::dsl {

enum class InitKind { Zeros, Ones, Constant, Normal, Uniform, Xavier, Kaiming };

struct InitSpec {
  InitKind kind = InitKind::Zeros;
  // Constant: a = v. Normal: a = mean, b = std. Uniform: a = low, b = high.
  // Xavier, Kaiming: a = gain.
  double a = 0, b = 0;
};

// The random stream of one parameter.
uint64_t streamKey(uint64_t seed, const std::string& name);
// Element `i` of a stream: uniform on [0, 1), and standard normal (Box-Muller
// over the uniforms at counters 2i and 2i+1).
double uniformAt(uint64_t key, uint64_t i);
double normalAt(uint64_t key, uint64_t i);

// fan_in / fan_out of a parameter of this shape (docs/dsl.md).
struct Fans {
  double in = 1, out = 1;
};
Fans fans(const rt::Shape& shape);

// Fills `t` (any dtype; values are rounded as the convert kernel does).
void fillInit(rt::HostTensor& t, const InitSpec& spec, uint64_t seed, const std::string& name);

}  // namespace dlc::dsl
