#include "runtime/TensorLimits.h"

#include <limits>

namespace dlc::rt {

std::string tensorSizeProblem(DType dtype, const std::vector<int64_t>& shape) {
  for (size_t i = 0; i < shape.size(); ++i)
    if (shape[i] < 0)
      return "dimension " + std::to_string(i) + " is negative (" + std::to_string(shape[i]) + ")";
  // Zero dimensions count as 1: an empty tensor whose other dims are huge
  // would still overflow the row-major strides computed from them.
  int64_t bytes = dtypeSize(dtype);
  for (int64_t d : shape) {
    if (d == 0) continue;
    if (bytes > std::numeric_limits<int64_t>::max() / d)
      return "shape " + shapeString(shape) + " of " + std::string(dtypeName(dtype)) +
             " is too large: its size overflows int64";
    bytes *= d;
  }
  if (bytes > kMaxTensorBytes)
    return "shape " + shapeString(shape) + " of " + std::string(dtypeName(dtype)) + " is too large: " +
           std::to_string(bytes) + " bytes, more than the " + std::to_string(kMaxTensorBytes) +
           " (256 GiB) dlc supports for one tensor";
  return "";
}

}  // namespace dlc::rt
