// Strided views of a fusion's values in memory, for the library calls of
// GEMM and convolution kernels (LibraryCalls.h): a library reads an operand
// through strides, so an operand computed inside the kernel by reshapes,
// transposes, slices and broadcasts of a kernel input is still a read of that
// input, at an offset and with strides (as FusionRules' checkOperandView
// proves before it fuses them). The store side is the inverse: a kernel
// whose result is the contraction's result moved by transposes and reshapes
// writes it through strides into the output.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "runtime/Program.h"

namespace dlc::codegen::cuda {

// Element (i0, i1, ...) of the view is element offset + sum(i_d * strides[d])
// of `value`'s buffer (row-major, in elements).
struct StridedView {
  int32_t value = -1;
  int64_t offset = 0;
  rt::Shape shape;
  std::vector<int64_t> strides;
};

// The contiguous view of a whole value.
StridedView contiguousView(int32_t value, const rt::Shape& shape);

// The view of value `v` of kernel `k`: follows its defining instructions in
// the kernel back to a value read from memory (a kernel input or a
// constant). nullopt when an instruction on the way is not a reshape,
// transpose, slice or broadcast, or breaks the view (a reshape merging
// dimensions that are not contiguous); broadcasts only when allowBroadcast.
std::optional<StridedView> operandView(const rt::Program& p, const rt::Kernel& k, int32_t v,
                                       bool allowBroadcast);

// Reshapes a view as the row-major reshape does; false when the groups of
// dimensions it merges or splits are not contiguous in memory.
bool reshapeView(StridedView& v, const rt::Shape& to);

// Several dimensions of a view as one (size, stride): they must nest
// (stride[i] == stride[i+1] * size[i+1], size-1 dimensions ignored). No
// dimensions, or all of size 1: {1, 0}.
struct Extent {
  int64_t size = 1, stride = 0;
};
std::optional<Extent> collapse(const StridedView& v, const std::vector<int64_t>& dims);

}  // namespace dlc::codegen::cuda
