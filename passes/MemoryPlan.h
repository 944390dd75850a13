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
//
// Signature aliases (in-place updates of a training step's parameters and
// optimizer state), as result attributes of the function:
//   dlc.alias_arg = J : i64      the request, set by whoever builds the
//                                function (buildTrainingStep): result I is
//                                to be written into argument J's buffer (the
//                                argument's old value is dead once the
//                                function has read it; the caller hands the
//                                same buffer back in the next call);
//   dlc.alias_mode = "in_place"  the plan: the kernel that computes result I
//                                writes it straight into argument J's buffer,
//                                after every other read of the argument
//                                (aliasRefusal, Liveness.h), or
//                    "copy"      the result is computed elsewhere and copied
//                                into the argument's buffer after the run.
// dlc-plan-memory decides the mode (first moving the writing kernel after
// the argument's last reader where nothing in between needs its results),
// dlc-verify-memory-plan proves an in_place alias safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/raw_ostream.h"

namespace dlc {

constexpr const char* kOffsetsAttr = "dlc.offsets";
constexpr const char* kReusesAttr = "dlc.reuses";
constexpr const char* kArenaBytesAttr = "dlc.arena_bytes";
constexpr const char* kNaiveBytesAttr = "dlc.naive_bytes";
constexpr const char* kLowerBoundBytesAttr = "dlc.lower_bound_bytes";
constexpr const char* kAliasArgAttr = "dlc.alias_arg";
constexpr const char* kAliasModeAttr = "dlc.alias_mode";

// Asks for result `result` of `f` to be written into argument `arg`'s buffer
// (sets dlc.alias_arg). The training step calls it for each (parameter, new
// parameter), (state, new state) and (step, new step) pair; any other state
// (batch norm's running statistics) is added the same way.
void requestAlias(mlir::func::FuncOp f, unsigned result, unsigned arg);

struct SignatureAlias {
  unsigned result = 0;
  int64_t arg = -1;    // as written: may be out of range in hand-written IR
  std::string mode;    // "in_place", "copy", or "" before planning
};
// The function's aliases in result order.
std::vector<SignatureAlias> signatureAliases(mlir::func::FuncOp f);
// Why the requests of `f` are malformed (an argument out of range, of
// another type than the result, or aliased twice); "" when they are not.
std::string aliasRequestProblem(mlir::func::FuncOp f);

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
// kernel step with its results' types, sizes, offsets and live ranges, then
// a line per signature alias with its mode (and, when copied, why).
void printMemoryPlan(mlir::func::FuncOp f, llvm::raw_ostream& os);

}  // namespace dlc
