// dlc-verify-memory-plan: proves the memory plan of every function from the
// IR alone. It recomputes liveness (Liveness.h) and checks that
//   - every kernel has one dlc.offsets entry per result: -1 exactly for the
//     values the function returns, otherwise an aligned offset whose buffer
//     ends inside dlc.arena_bytes;
//   - every dlc.reuses entry names an operand that the in-place rule allows,
//     that no other result takes over, and whose offset the result shares;
//   - no two buffers that are live at the same step overlap in the arena,
//     except a result and the operand it takes over in place;
//   - dlc.naive_bytes and dlc.lower_bound_bytes are what the buffers give;
//   - every signature alias (dlc.alias_arg) is well formed and planned, and
//     one planned in_place passes aliasRefusal.
// Each failure is an error on the op, naming the values, byte ranges and
// live steps involved.
#include <algorithm>

#include "passes/Liveness.h"
#include "passes/MemoryPlan.h"
#include "passes/Passes.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

using namespace mlir;

namespace dlc {
namespace {

class PlanChecker {
 public:
  PlanChecker(func::FuncOp f, const KernelSchedule& s, int64_t arenaBytes)
      : f_(f), s_(s), arena_(arenaBytes), offset_(s.buffers().size(), -1),
        reuse_(s.buffers().size(), -1) {}

  LogicalResult run() {
    bool ok = succeeded(checkNumbers()) && succeeded(checkAliases());
    for (int step = 0; step < static_cast<int>(s_.kernels().size()); ++step)
      ok &= succeeded(checkKernel(step));
    // Overlaps are only meaningful once every offset is well formed.
    return success(ok && succeeded(checkOverlaps()));
  }

 private:
  std::string describe(size_t bi) const {
    const Buffer& b = s_.buffers()[bi];
    std::string s = "result " + std::to_string(b.result) + " of " + describeOp(b.kernel);
    if (offset_[bi] >= 0)
      s += " at bytes [" + std::to_string(offset_[bi]) + ", " +
           std::to_string(offset_[bi] + b.bytes) + ")";
    return s + ", live [" + std::to_string(b.firstStep) + ", " + std::to_string(b.lastStep) + "]";
  }

  size_t indexOf(const Buffer* b) const { return b - s_.buffers().data(); }

  LogicalResult checkNumbers() {
    std::optional<MemoryStats> stats = memoryStats(f_);
    if (!stats)
      return f_.emitError() << "has '" << kArenaBytesAttr << "' but no '" << kNaiveBytesAttr
                            << "' or '" << kLowerBoundBytesAttr << "'";
    if (stats->naiveBytes != s_.naiveBytes())
      return f_.emitError() << "'" << kNaiveBytesAttr << "' is " << stats->naiveBytes
                            << " but its intermediates take " << s_.naiveBytes() << " bytes";
    if (stats->lowerBoundBytes != s_.lowerBoundBytes())
      return f_.emitError() << "'" << kLowerBoundBytesAttr << "' is " << stats->lowerBoundBytes
                            << " but the most bytes live at one step is " << s_.lowerBoundBytes();
    return success();
  }

  LogicalResult checkAliases() {
    if (std::string problem = aliasRequestProblem(f_); !problem.empty())
      return f_.emitError() << problem;
    for (const SignatureAlias& a : signatureAliases(f_)) {
      if (a.mode.empty())
        return f_.emitError() << "result " << a.result << " has '" << kAliasArgAttr << "' but no '"
                              << kAliasModeAttr << "': run dlc-plan-memory first";
      if (a.mode != "in_place") continue;
      if (std::optional<std::string> why =
              aliasRefusal(s_, f_, a.result, static_cast<unsigned>(a.arg)))
        return f_.emitError() << "result " << a.result << " is written in place of argument "
                              << a.arg << ", but " << *why;
    }
    return success();
  }

  LogicalResult checkKernel(int step) {
    Operation* op = s_.kernels()[step];
    auto offsets = op->getAttrOfType<DenseI64ArrayAttr>(kOffsetsAttr);
    if (!offsets)
      return op->emitError() << describeOp(op) << " (step " << step << ") has no '"
                             << kOffsetsAttr << "'";
    if (offsets.size() != static_cast<int64_t>(op->getNumResults()))
      return op->emitError() << describeOp(op) << " (step " << step << ") has "
                             << offsets.size() << " '" << kOffsetsAttr << "' entries for "
                             << op->getNumResults() << " result(s)";
    auto reuses = op->getAttrOfType<DenseI64ArrayAttr>(kReusesAttr);
    if (reuses && reuses.size() != static_cast<int64_t>(op->getNumResults()))
      return op->emitError() << describeOp(op) << " (step " << step << ") has "
                             << reuses.size() << " '" << kReusesAttr << "' entries for "
                             << op->getNumResults() << " result(s)";

    for (unsigned r = 0; r < op->getNumResults(); ++r) {
      size_t bi = s_.firstBufferOf(step) + r;
      const Buffer& b = s_.buffers()[bi];
      int64_t off = offsets[r];
      offset_[bi] = off;
      if (!b.inArena) {
        if (off != -1)
          return op->emitError() << describe(bi)
                                 << " is returned by the function, so its offset must be -1, not "
                                 << off;
      } else if (off < 0) {
        return op->emitError() << describe(bi) << " is not returned by the function but has offset "
                               << off << " (an arena buffer needs an offset >= 0)";
      } else if (off % kBufferAlignment != 0) {
        return op->emitError() << describe(bi) << ": offset " << off << " is not a multiple of "
                               << kBufferAlignment;
      } else if (off + b.bytes > arena_) {
        return op->emitError() << describe(bi) << " ends beyond the arena of " << arena_
                               << " bytes";
      }
      if (reuses && reuses[r] != -1 && failed(checkReuse(step, r, reuses[r]))) return failure();
    }
    return success();
  }

  LogicalResult checkReuse(int step, unsigned r, int64_t operand) {
    Operation* op = s_.kernels()[step];
    size_t bi = s_.firstBufferOf(step) + r;
    auto fail = [&]() {
      return op->emitError() << describe(bi) << " takes over operand " << operand
                             << " in place ('" << kReusesAttr << "'), but ";
    };
    if (operand < 0) return fail() << "that is no operand index";
    if (std::optional<std::string> why = inPlaceRefusal(s_, step, r, operand))
      return fail() << *why;
    size_t xi = indexOf(s_.bufferOf(op->getOperand(operand)));
    if (offset_[xi] != offset_[bi])
      return fail() << "the operand, " << describe(xi) << ", is at another offset";
    auto [it, inserted] = takenBy_.try_emplace(xi, bi);
    if (!inserted)
      return fail() << describe(it->second) << " takes over that buffer too";
    reuse_[bi] = static_cast<int64_t>(xi);
    return success();
  }

  // Sorted by offset, each buffer meets only those that start before it
  // ends: the pairs that share bytes.
  LogicalResult checkOverlaps() {
    const std::vector<Buffer>& buffers = s_.buffers();
    std::vector<size_t> order;
    for (size_t i = 0; i < buffers.size(); ++i)
      if (buffers[i].inArena && buffers[i].bytes > 0) order.push_back(i);
    std::sort(order.begin(), order.end(),
              [&](size_t a, size_t b) { return offset_[a] < offset_[b]; });
    bool ok = true;
    for (size_t n = 0; n < order.size(); ++n) {
      size_t a = order[n];
      for (size_t m = n + 1; m < order.size() && offset_[order[m]] < offset_[a] + buffers[a].bytes;
           ++m) {
        size_t b = order[m];
        if (!buffers[a].liveWith(buffers[b]) || reuse_[a] == static_cast<int64_t>(b) ||
            reuse_[b] == static_cast<int64_t>(a))
          continue;
        // Reported at the later of the two (buffers are in kernel order),
        // where the second buffer starts overwriting the first.
        size_t later = std::max(a, b), other = std::min(a, b);
        buffers[later].kernel->emitError()
            << "memory plan overlap: " << describe(later) << ", and " << describe(other)
            << ", are live together at step "
            << std::max(buffers[a].firstStep, buffers[b].firstStep);
        ok = false;
      }
    }
    return success(ok);
  }

  func::FuncOp f_;
  const KernelSchedule& s_;
  int64_t arena_;
  std::vector<int64_t> offset_;  // per buffer, as the plan says
  std::vector<int64_t> reuse_;   // per buffer: the buffer it takes over, or -1
  llvm::DenseMap<size_t, size_t> takenBy_;  // buffer -> the result taking it over
};

LogicalResult verifyFunction(func::FuncOp f) {
  std::optional<KernelSchedule> s = KernelSchedule::build(f);
  if (!s) return failure();
  auto arena = f->getAttrOfType<IntegerAttr>(kArenaBytesAttr);
  if (!arena)
    return f.emitError() << "has no memory plan ('" << kArenaBytesAttr
                         << "' is missing): run dlc-plan-memory first";
  if (arena.getInt() % kBufferAlignment != 0 || arena.getInt() < 0)
    return f.emitError() << "'" << kArenaBytesAttr << "' is " << arena.getInt()
                         << ", not a multiple of " << kBufferAlignment;
  return PlanChecker(f, *s, arena.getInt()).run();
}

struct VerifyMemoryPlanPass : PassWrapper<VerifyMemoryPlanPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(VerifyMemoryPlanPass)
  StringRef getArgument() const override { return "dlc-verify-memory-plan"; }
  StringRef getDescription() const override {
    return "proves the memory plan: no two live buffers overlap in the arena";
  }
  void runOnOperation() override {
    bool ok = true;
    for (auto f : getOperation().getOps<func::FuncOp>())
      if (!f.isExternal()) ok &= succeeded(verifyFunction(f));
    if (!ok) signalPassFailure();
  }
};

}  // namespace

std::unique_ptr<Pass> createVerifyMemoryPlanPass() {
  return std::make_unique<VerifyMemoryPlanPass>();
}

}  // namespace dlc
