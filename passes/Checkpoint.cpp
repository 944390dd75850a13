// dlc-checkpoint: gradient checkpointing. The backward pass reads forward
// values (activations) that would otherwise stay live from the forward pass
// until their gradient is taken; this pass recomputes most of them in the
// backward pass instead, so that only segment boundaries stay live.
//
// Policy (Chen et al.'s sqrt(n) split): the forward ops, those the loss
// (result `loss`) depends on, are cut in program order into `segments`
// contiguous segments (default ceil(sqrt(n)) for n forward ops, constants
// not counted). A forward value is kept when a later segment's forward ops,
// or the function's return, read it: the boundaries. Every other forward
// value that a non-forward op (the backward pass, the optimizer update)
// reads is recomputed: the ops of its segment that it needs, from the kept
// values, are cloned just before the first non-forward op that reads any
// of the segment's recomputed values, and the non-forward ops read the
// clones. The last segment is not recomputed (its backward runs right after
// it). Each forward op runs at most twice; the results are the same values
// (every dlc op is deterministic, rng included).
//
// It runs after canonicalisation and CSE (which would merge the clones back
// into the originals) and before fusion: `dlc train --checkpoint` and the
// pipeline option `checkpoint`; `dlc-opt --dlc-checkpoint="loss=0 segments=4"`.
#include <cmath>

#include "passes/Liveness.h"
#include "passes/Passes.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Pass/Pass.h"

using namespace mlir;

namespace dlc {
namespace {

LogicalResult checkpointFunction(func::FuncOp f, unsigned lossResult, unsigned segmentsWanted) {
  if (!f.getBody().hasOneBlock()) return f.emitError("dlc-checkpoint needs a function of one block");
  Block& body = f.getBody().front();
  Operation* ret = body.getTerminator();
  if (lossResult >= ret->getNumOperands())
    return f.emitError("dlc-checkpoint: the loss is result ")
           << lossResult << ", but the function has " << ret->getNumOperands() << " results";

  // The forward ops: those the loss depends on (top-level ops of the body).
  llvm::DenseSet<Operation*> forward;
  SmallVector<Value> work{ret->getOperand(lossResult)};
  while (!work.empty()) {
    Operation* def = work.pop_back_val().getDefiningOp();
    if (!def || !forward.insert(def).second) continue;
    for (Value v : def->getOperands()) work.push_back(v);
  }
  std::vector<Operation*> order;  // forward kernels in program order
  for (Operation& op : body.without_terminator())
    if (forward.count(&op) && isKernel(&op)) order.push_back(&op);
  const size_t n = order.size();
  size_t segments = segmentsWanted ? segmentsWanted : static_cast<size_t>(std::ceil(std::sqrt(double(n))));
  if (n < 2 || segments < 2) return success();
  const size_t perSegment = (n + segments - 1) / segments;
  llvm::DenseMap<Operation*, size_t> segmentOf;
  for (size_t i = 0; i < n; ++i) segmentOf[order[i]] = i / perSegment;
  const size_t last = (n - 1) / perSegment;

  auto top = [&](Operation* user) { return body.findAncestorOpInBlock(*user); };
  auto isConsumer = [&](Operation* t) { return t && t != ret && !forward.count(t); };

  // Per segment: the values to recompute and the first op that reads one.
  std::vector<SmallVector<Value>> recompute(last + 1);
  std::vector<Operation*> firstReader(last + 1, nullptr);
  llvm::DenseSet<Value> kept;
  for (Operation* op : order) {
    size_t s = segmentOf[op];
    for (Value v : op->getResults()) {
      bool keep = false, consumed = false;
      Operation* first = nullptr;
      for (Operation* user : v.getUsers()) {
        Operation* t = top(user);
        if (!t) continue;
        if (t == ret || (forward.count(t) && segmentOf.count(t) && segmentOf[t] > s)) keep = true;
        if (isConsumer(t)) {
          consumed = true;
          if (!first || t->isBeforeInBlock(first)) first = t;
        }
      }
      if (keep || s == last) {
        kept.insert(v);
        continue;
      }
      if (!consumed) continue;
      recompute[s].push_back(v);
      if (!firstReader[s] || first->isBeforeInBlock(firstReader[s])) firstReader[s] = first;
    }
  }

  for (size_t s = 0; s < last; ++s) {
    if (recompute[s].empty()) continue;
    Operation* at = firstReader[s];
    // The segment's ops that the recomputed values need, up to kept values.
    llvm::DenseSet<Operation*> needed;
    SmallVector<Value> stack(recompute[s].begin(), recompute[s].end());
    bool placeable = true;
    while (!stack.empty()) {
      Value v = stack.pop_back_val();
      Operation* def = v.getDefiningOp();
      if (!def || !segmentOf.count(def) || segmentOf[def] != s || kept.count(v)) {
        // Read as it is: it must exist where the clones go.
        if (def && !def->isBeforeInBlock(at)) placeable = false;
        continue;
      }
      if (!needed.insert(def).second) continue;
      for (Value operand : def->getOperands()) stack.push_back(operand);
    }
    if (!placeable) continue;
    OpBuilder b(at);
    IRMapping map;
    for (Operation* op : order) {
      if (!needed.count(op)) continue;
      Operation* clone = b.clone(*op, map);
      for (auto [from, to] : llvm::zip(op->getResults(), clone->getResults())) map.map(from, to);
    }
    for (Value v : recompute[s])
      v.replaceUsesWithIf(map.lookup(v), [&](OpOperand& use) { return isConsumer(top(use.getOwner())); });
  }
  return success();
}

struct CheckpointPass : PassWrapper<CheckpointPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(CheckpointPass)
  CheckpointPass() = default;
  CheckpointPass(const CheckpointPass& other) : PassWrapper(other) {}
  StringRef getArgument() const override { return "dlc-checkpoint"; }
  StringRef getDescription() const override {
    return "gradient checkpointing: recompute forward values in the backward pass, keeping sqrt(n) "
           "segment boundaries";
  }
  Option<unsigned> loss{*this, "loss", llvm::cl::desc("the index of the loss among @main's results"),
                        llvm::cl::init(0)};
  Option<unsigned> segments{*this, "segments",
                            llvm::cl::desc("how many segments (default: ceil(sqrt(forward ops)))"),
                            llvm::cl::init(0)};

  void runOnOperation() override {
    auto f = getOperation().lookupSymbol<func::FuncOp>("main");
    if (!f) {
      getOperation().emitError("dlc-checkpoint: the module has no func.func @main");
      return signalPassFailure();
    }
    if (failed(checkpointFunction(f, loss, segments))) signalPassFailure();
  }
};

}  // namespace

std::unique_ptr<Pass> createCheckpointPass() { return std::make_unique<CheckpointPass>(); }

}  // namespace dlc
