// The fast path of reduction fusions whose reduced dimensions are the
// innermost ones (softmax, layer/RMS norm, mean or sum over the last axis):
// a warp (short rows, several rows per block) or a block (long rows) owns a
// row, reduces it cooperatively with warp shuffles (and shared memory across
// the warps of a block), every reduction of the fusion in program order, and
// writes the row's per-element and per-row outputs. docs/cuda.md lists the
// conditions; a kernel that does not meet them takes the elemental path.
#pragma once

#include <optional>
#include <string>

#include "codegen/cuda/KernelBody.h"
#include "runtime/Program.h"

namespace dlc::codegen::cuda {

// The row kernel's body, or nullopt when `k` is not a row reduction this
// path handles. `idx` is the index type ("int" or "dlc_i64"); `smCount`
// sizes the grid.
std::optional<KernelBody> rowReductionBody(const rt::Program& p, const rt::Kernel& k,
                                           const std::string& idx, int smCount);

}  // namespace dlc::codegen::cuda
