// The kernels that are not elemental: argsort (a Sort kernel) and scatter (a
// Scatter kernel); each runs alone in its Program kernel. Simple and exact
// before fast: argsort ranks every element against its row (stable, O(row
// length) per element), scatter runs one thread per column of the result
// and applies the updates in index order.
#pragma once

#include <string>

#include "runtime/Program.h"

namespace dlc::codegen::cuda {

// The body of the kernel (one grid-stride loop); `work` gets its loop count.
std::string argsortBody(const rt::Program& p, const rt::Instr& in, const std::string& idx, int64_t& work);
std::string scatterBody(const rt::Program& p, const rt::Instr& in, const std::string& idx, int64_t& work);

}  // namespace dlc::codegen::cuda
