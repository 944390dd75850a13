// The rules that decide whether a set of core ops can be one kernel. The
// fusion pass (Fusion.cpp) proposes groups; these rules accept them or name
// the rule that refuses, which is what `--explain-fusion` prints.
#pragma once

#include <optional>
#include <string>

#include "ir/Dialect.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallPtrSet.h"

namespace dlc::fusion {

// Budgets of one kernel. A GPU kernel's parameters live in 4 KiB of constant
// space and each op of a fusion costs registers; a chain of reductions keeps
// its row in shared memory between passes (48 KiB without opt-in).
constexpr int kMaxKernelArgs = 64;          // inputs + outputs
constexpr int kMaxOpsPerKernel = 160;
constexpr int64_t kMaxCachedRowBytes = 48 * 1024;

struct Refusal {
  std::string rule;    // a stable name: "gemm-epilogue", "reduction-rows" ...
  std::string detail;  // why, naming the op
};

// Ops of one candidate kernel: `ops` in program order, `set` the same ops.
struct Candidate {
  llvm::ArrayRef<mlir::Operation*> ops;
  const llvm::SmallPtrSetImpl<mlir::Operation*>& set;
  // Values of the candidate read by ops outside it (or returned).
  bool escapes(mlir::Value v) const;
};

// What a candidate kernel reads (kernel inputs; splat constants are copied
// in instead) and writes (values read outside it), in first-use order.
struct KernelInterface {
  llvm::SetVector<mlir::Value> inputs, outputs;
};
KernelInterface interfaceOf(const Candidate& c);

// The kind a group of ops compiles to (decided by its hero op, if any).
FusionKind kindOf(llvm::ArrayRef<mlir::Operation*> ops);

// Accepts the candidate as one kernel, or names the rule that refuses it.
std::optional<Refusal> checkKernel(const Candidate& c);

// Ops whose recomputation costs more than a memory round trip is worth when
// a consumer reads each element several times.
bool isExpensive(mlir::Operation* op);

// Ops cheap enough to copy into every consumer's kernel instead of writing
// their result to memory: data movement and elementwise ops with one tensor
// operand (the others splat constants).
bool isDuplicable(mlir::Operation* op);

// "'dlc.add' (node 'N')": how rules and remarks name an op.
std::string describe(mlir::Operation* op);

// A splat constant: copied into the kernels that use it, never an input.
bool isSplatConstant(mlir::Value v);

}  // namespace dlc::fusion
