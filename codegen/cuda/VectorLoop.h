// The fast path of loop fusions whose every value is read at the element
// being written (elementwise chains, reshapes, broadcasts of a scalar), or
// is a broadcast of a tensor in memory (a bias: read at its mapped index):
// each thread computes V consecutive elements (16 bytes of the widest type)
// with one vector load per input and one vector store per output, on
// flat indices. docs/cuda.md lists the conditions; a kernel that does not
// meet them takes the elemental path.
#pragma once

#include <optional>
#include <string>

#include "codegen/cuda/KernelBody.h"
#include "runtime/Program.h"

namespace dlc::codegen::cuda {

// The vectorised body, or nullopt when `k` is not such a loop. `idx` is the
// index type ("int" or "dlc_i64").
std::optional<KernelBody> vectorLoopBody(const rt::Program& p, const rt::Kernel& k, const std::string& idx);

}  // namespace dlc::codegen::cuda
