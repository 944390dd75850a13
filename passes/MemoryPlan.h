// The memory plan that dlc-plan-memory writes into the IR, and how to read
// it back: the numbers for `dlc compile --stats` and the listing for
// `dlc compile --emit plan`.
//
// The plan, as attributes (the contract with codegen and the runtime):
//   on each kernel op   dlc.offsets = array<i64: ...>  one per result: its
//                       byte offset in the arena, or -1 when the function
//                       returns it (outputs get buffers of their own);
//                       dlc.reuses = array<i64: ...>   (only where some result
//                       runs in place) one per result: the operand whose
//                       buffer it takes over, or -1;
//   on the function     dlc.arena_bytes, dlc.naive_bytes, dlc.lower_bound_bytes.
#pragma once

#include <cstdint>
#include <optional>

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/raw_ostream.h"

namespace dlc {

constexpr const char* kOffsetsAttr = "dlc.offsets";
constexpr const char* kReusesAttr = "dlc.reuses";
constexpr const char* kArenaBytesAttr = "dlc.arena_bytes";
constexpr const char* kNaiveBytesAttr = "dlc.naive_bytes";
constexpr const char* kLowerBoundBytesAttr = "dlc.lower_bound_bytes";

struct MemoryStats {
  int64_t peakBytes;        // the arena's size
  int64_t naiveBytes;       // every intermediate a buffer of its own
  // The largest total of intermediates live at one step of the kernel
  // order. In-place reuse lets an operand and the result that replaces it
  // share bytes at that step, so peakBytes may be below it.
  int64_t lowerBoundBytes;
};

// The numbers of a planned function; nullopt if it has no plan.
std::optional<MemoryStats> memoryStats(mlir::func::FuncOp f);

// A readable listing of the plan of `f`: the three numbers, then a line per
// kernel step with its results' types, sizes, offsets and live ranges.
void printMemoryPlan(mlir::func::FuncOp f, llvm::raw_ostream& os);

}  // namespace dlc
