// A pure cost model of a Program's kernels, for `dlc bench --profile`: the
// floating-point operations each kernel does and the fewest bytes it must
// move through device memory (each input, constant and output once). Their
// ratio over a device's measured peaks says how far a kernel is from its
// roofline. MLIR-free: it reads only the Program.
//
// FLOPs by instruction (the convention of XLA's cost analysis, simplified):
//   unary, binary, compare, select: 1 per output element (a transcendental
//     counts 1, like an add);
//   reduce: 1 per input element; reduce_window: window size per output element;
//   dot_general: 2 * output elements * K (K: the contracted dimensions' product);
//   convolution: 2 * output elements * (C/groups) * kernel window;
//   scatter: 1 per update element; argsort: n * ceil(log2 n) per sorted row;
//   data movement, convert, iota: 0.
// Bytes: the distinct values a kernel reads from outside it (its inputs and
// the constants its instructions read) plus its outputs, each counted once.
#pragma once

#include <cstdint>
#include <string>

#include "runtime/Program.h"

namespace dlc::rt {

struct KernelCost {
  double flops = 0;
  int64_t bytesRead = 0, bytesWritten = 0;
  int64_t bytes() const { return bytesRead + bytesWritten; }
};

// The FLOPs of one instruction (its operands' and result's types from `p`).
double instrFlops(const Program& p, const Instr& in);

// The cost of kernel `index` of `p`.
KernelCost kernelCost(const Program& p, size_t index);

// A core op's name as the IR prints it: "add", "dot_general", "reduce_sum".
std::string opName(const Instr& in);

// The kernel's distinct op names in order, data movement left out unless
// nothing else is there: "dot_general, add, max".
std::string kernelOps(const Program& p, size_t index);

}  // namespace dlc::rt
