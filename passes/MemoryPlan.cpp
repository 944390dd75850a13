// dlc-plan-memory: places every intermediate buffer of a function in one
// arena, over the kernel order (see Liveness.h):
//   1. in place: walking the kernels in order, a result takes over the
//      buffer of an operand that dies at its kernel when the kernel reads that
//      operand only at the index it writes (elementwise kernels); the two then
//      share one placement, and chains of such kernels share one too;
//   2. offsets: the placements, largest first, each at the lowest offset
//      where it overlaps no placed buffer whose lifetime meets its own
//      ("greedy by size"), the same in two other orders and, while the
//      arena is above what is live at the busiest step, in randomly
//      perturbed orders; the smallest arena wins.
//   0. signature aliases first (MemoryPlan.h): the kernel that writes an
//      aliased result is moved after the last kernel that reads its argument
//      where no kernel in between reads its results; then each alias is
//      in_place where aliasRefusal allows it, copy otherwise.
// Writes the plan as attributes (MemoryPlan.h).
#include "passes/MemoryPlan.h"

#include <algorithm>
#include <functional>
#include <numeric>
#include <random>
#include <tuple>

#include "passes/Liveness.h"
#include "passes/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

using namespace mlir;

namespace dlc {
namespace {

// Buffers that share one placement: a buffer and the results that take it
// over in place, one after another.
struct Placement {
  int64_t bytes = 0;
  int first = 0, last = 0;  // the union of the members' live ranges
  int64_t offset = 0;
};

struct Plan {
  std::vector<int> placementOf;  // per buffer; -1 outside the arena
  std::vector<int64_t> reuses;   // per buffer: operand taken over, or -1
  std::vector<Placement> placements;
  int64_t arenaBytes = 0;
};

// Step 1: decides which results run in place (the first operand that the
// rule allows, in kernel order) and gathers the placements.
Plan groupInPlace(const KernelSchedule& s) {
  const std::vector<Buffer>& buffers = s.buffers();
  Plan plan;
  plan.placementOf.assign(buffers.size(), -1);
  plan.reuses.assign(buffers.size(), -1);
  std::vector<bool> takenOver(buffers.size(), false);
  for (int step = 0; step < static_cast<int>(s.kernels().size()); ++step) {
    Operation* op = s.kernels()[step];
    for (unsigned r = 0; r < op->getNumResults(); ++r) {
      size_t bi = s.firstBufferOf(step) + r;
      const Buffer& b = buffers[bi];
      if (!b.inArena) continue;
      for (unsigned k = 0; k < op->getNumOperands() && plan.placementOf[bi] < 0; ++k) {
        const Buffer* x = s.bufferOf(op->getOperand(k));
        if (!x || takenOver[x - buffers.data()] || inPlaceRefusal(s, step, r, k))
          continue;
        takenOver[x - buffers.data()] = true;
        plan.reuses[bi] = k;
        plan.placementOf[bi] = plan.placementOf[x - buffers.data()];
      }
      if (plan.placementOf[bi] < 0) {
        plan.placementOf[bi] = static_cast<int>(plan.placements.size());
        plan.placements.push_back({0, b.firstStep, b.lastStep, 0});
      }
      Placement& p = plan.placements[plan.placementOf[bi]];
      p.bytes = std::max(p.bytes, b.bytes);
      p.first = std::min(p.first, b.firstStep);
      p.last = std::max(p.last, b.lastStep);
    }
  }
  return plan;
}

// Places `ps` in `order`, each at the lowest offset that leaves it clear of
// the placed ones it is live with; returns the arena size.
int64_t placeInOrder(std::vector<Placement>& ps, const std::vector<size_t>& order) {
  int64_t arena = 0;
  std::vector<size_t> placed;
  std::vector<const Placement*> live;
  for (size_t i : order) {
    Placement& p = ps[i];
    live.clear();
    for (size_t j : placed)
      if (ps[j].first <= p.last && p.first <= ps[j].last && ps[j].bytes > 0)
        live.push_back(&ps[j]);
    std::sort(live.begin(), live.end(),
              [](const Placement* a, const Placement* b) { return a->offset < b->offset; });
    int64_t offset = 0;
    for (const Placement* q : live) {
      if (q->offset >= offset + p.bytes) break;
      offset = std::max(offset, q->offset + q->bytes);
    }
    p.offset = offset;
    arena = std::max(arena, offset + p.bytes);
    placed.push_back(i);
  }
  return arena;
}

// The least arena any placement of `ps` needs: the most bytes live at one
// step.
int64_t liveBound(const std::vector<Placement>& ps) {
  std::vector<std::pair<int, int64_t>> events;  // (step, +bytes at first, -bytes after last)
  for (const Placement& p : ps) {
    events.push_back({p.first, p.bytes});
    events.push_back({p.last + 1, -p.bytes});
  }
  std::sort(events.begin(), events.end());  // at one step, frees come first
  int64_t live = 0, peak = 0;
  for (const auto& [step, bytes] : events) peak = std::max(peak, live += bytes);
  return peak;
}

// Greedy placement in three orders, keeping the smallest arena: largest
// first (the classic), largest size x lifetime first, and longest-lived
// first; none wins everywhere. Where the best is still above liveBound, a
// few large buffers are usually boxed in by small long-lived ones: placing
// in the size order with random swaps finds most such cases a better fit
// (on the conformance models it brought the two worst from 25% and 15%
// above the bound to 0% and 2.5%). The search is deterministic (fixed seed)
// and bounded: at most 200 tries and about 2e7 overlap checks in all.
void assignOffsets(Plan& plan) {
  std::vector<Placement>& ps = plan.placements;
  const size_t n = ps.size();
  auto span = [&](size_t i) { return static_cast<int64_t>(ps[i].last - ps[i].first + 1); };
  using Key = std::function<std::tuple<int64_t, int64_t>(size_t)>;
  const Key keys[] = {
      [&](size_t i) { return std::make_tuple(ps[i].bytes, int64_t{0}); },
      [&](size_t i) { return std::make_tuple(ps[i].bytes * span(i), ps[i].bytes); },
      [&](size_t i) { return std::make_tuple(span(i), ps[i].bytes); },
  };
  std::vector<Placement> best;
  plan.arenaBytes = -1;
  auto tryOrder = [&](const std::vector<size_t>& order) {
    int64_t arena = placeInOrder(ps, order);
    if (plan.arenaBytes < 0 || arena < plan.arenaBytes) {
      plan.arenaBytes = arena;
      best = ps;
    }
  };
  std::vector<size_t> bySize;
  for (const Key& key : keys) {
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    // Descending by key; earlier buffers first among equals.
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return key(a) > key(b); });
    tryOrder(order);
    if (bySize.empty()) bySize = order;
  }
  const int64_t bound = liveBound(ps);
  const int64_t tries = std::min<int64_t>(200, 20'000'000 / std::max<int64_t>(1, n * n));
  std::mt19937 rng(1);  // mt19937's sequence is fixed by the standard
  for (int64_t t = 0; t < tries && plan.arenaBytes > bound; ++t) {
    std::vector<size_t> order = bySize;
    for (size_t k = 0; k <= n / 10; ++k) std::swap(order[rng() % n], order[rng() % n]);
    tryOrder(order);
  }
  ps = std::move(best);
}

// The top-level op of `f` that holds `op` (itself, or the fusion around it).
Operation* topLevel(func::FuncOp f, Operation* op) {
  return f.getBody().front().findAncestorOpInBlock(*op);
}

// Step 0a: delays the kernel that writes an aliased result until its
// argument's other readers have run, where that is legal: no op between the
// two reads the kernel's results (its operands are all defined before it, so
// they still are).
void orderAliasWriters(func::FuncOp f) {
  Block& body = f.getBody().front();
  Operation* ret = body.getTerminator();
  for (const SignatureAlias& a : signatureAliases(f)) {
    Value v = ret->getOperand(a.result);
    Operation* writer = v.getDefiningOp();
    if (!writer || !isKernel(writer)) continue;
    Operation* last = nullptr;
    for (Operation* user : f.getArgument(a.arg).getUsers()) {
      Operation* top = topLevel(f, user);
      if (top && top != writer && isKernel(top) && writer->isBeforeInBlock(top) &&
          (!last || last->isBeforeInBlock(top)))
        last = top;
    }
    if (!last) continue;
    bool blocked = false;
    for (Operation* op = writer->getNextNode(); op && !blocked; op = op->getNextNode()) {
      op->walk([&](Operation* inner) {
        for (Value operand : inner->getOperands())
          if (operand.getDefiningOp() == writer) blocked = true;
      });
      if (op == last) break;
    }
    if (!blocked) writer->moveAfter(last);
  }
}

// Step 0b: the mode of every alias.
void decideAliasModes(func::FuncOp f, const KernelSchedule& s) {
  Builder b(f.getContext());
  for (const SignatureAlias& a : signatureAliases(f)) {
    bool inPlace = !aliasRefusal(s, f, a.result, static_cast<unsigned>(a.arg));
    f.setResultAttr(a.result, kAliasModeAttr, b.getStringAttr(inPlace ? "in_place" : "copy"));
  }
}

LogicalResult planFunction(func::FuncOp f) {
  if (std::string problem = aliasRequestProblem(f); !problem.empty())
    return f.emitError() << problem;
  orderAliasWriters(f);
  std::optional<KernelSchedule> s = KernelSchedule::build(f);
  if (!s) return failure();
  decideAliasModes(f, *s);
  Plan plan = groupInPlace(*s);
  assignOffsets(plan);

  Builder b(f.getContext());
  for (int step = 0; step < static_cast<int>(s->kernels().size()); ++step) {
    Operation* op = s->kernels()[step];
    SmallVector<int64_t> offsets, reuses;
    for (unsigned r = 0; r < op->getNumResults(); ++r) {
      size_t bi = s->firstBufferOf(step) + r;
      offsets.push_back(plan.placementOf[bi] < 0 ? -1
                                                 : plan.placements[plan.placementOf[bi]].offset);
      reuses.push_back(plan.reuses[bi]);
    }
    op->setAttr(kOffsetsAttr, b.getDenseI64ArrayAttr(offsets));
    if (llvm::any_of(reuses, [](int64_t k) { return k >= 0; }))
      op->setAttr(kReusesAttr, b.getDenseI64ArrayAttr(reuses));
    else
      op->removeAttr(kReusesAttr);
  }
  f->setAttr(kArenaBytesAttr, b.getI64IntegerAttr(plan.arenaBytes));
  f->setAttr(kNaiveBytesAttr, b.getI64IntegerAttr(s->naiveBytes()));
  f->setAttr(kLowerBoundBytesAttr, b.getI64IntegerAttr(s->lowerBoundBytes()));
  return success();
}

struct PlanMemoryPass : PassWrapper<PlanMemoryPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(PlanMemoryPass)
  StringRef getArgument() const override { return "dlc-plan-memory"; }
  StringRef getDescription() const override {
    return "liveness over the kernel order, in-place reuse and arena offsets";
  }
  void runOnOperation() override {
    for (auto f : getOperation().getOps<func::FuncOp>())
      if (!f.isExternal() && failed(planFunction(f))) return signalPassFailure();
  }
};

}  // namespace

std::unique_ptr<Pass> createPlanMemoryPass() { return std::make_unique<PlanMemoryPass>(); }

}  // namespace dlc
