// Finding NaN and Inf in a tensor: what `dlc run --check-nan` looks for in
// every kernel's outputs on the host device.
#pragma once

#include <cstdint>

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

}  // namespace dlc::rt
