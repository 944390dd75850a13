// Finding NaN and Inf in a tensor: what `dlc run --check-nan` looks for in
// every kernel's outputs, on the host device and on the CUDA device.
#pragma once

#include <cstdint>

#include <string>

#include "runtime/Program.h"
#include "runtime/Tensor.h"

namespace dlc::rt {

struct NonFiniteCount {
  int64_t count = 0;        // elements that are NaN, +Inf or -Inf
  int64_t firstIndex = -1;  // the first of them, in row-major order
  double firstValue = 0;    // its value (NaN or +-Inf)
};

// Counts the non-finite elements of a float tensor (f32, f64, f16, bf16);
// integer tensors have none.
NonFiniteCount countNonFinite(ConstTensorRef t);

// The --check-nan report of Program kernel `kernelIndex` whose output
// `value` holds `c.count` non-finite elements (the same on every device):
// the kernel's source op, index and kind, the output, the count and the first.
std::string nonFiniteMessage(const Program& program, size_t kernelIndex, int32_t value, const NonFiniteCount& c);

}  // namespace dlc::rt
