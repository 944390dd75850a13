// dlc-schedule: runs every kernel whose results all leave the function (a
// training step's optimizer updates, the loss, a model output) as soon as it
// can, instead of where program order left it.
//
// Why: such a kernel puts nothing in the arena (the function's results get
// buffers of their own, or are written over an argument), so running it
// earlier can only end the live ranges of its operands earlier. A training
// step appends the updates after the whole backward pass; run there, every
// gradient stays live to the end of the step, which is then the peak
// (docs/training.md, "Memory"). Run right after its gradient is final, an
// update frees the gradient (and, for a bias whose gradient reduction is
// fused into it, the layer's output gradient) while the backward pass goes on.
//
// "As soon as it can" is after
//   - the kernels that compute its operands (uses inside a fusion's region
//     count at the fusion), and
//   - for a result written over argument A (dlc.alias_arg), every other
//     kernel that reads A and came before it in program order: an in-place
//     update must not overwrite a value that is still to be read
//     (aliasRefusal, Liveness.h).
// A kernel it waits for that could already run (its own operands are
// computed) and whose results in the arena are scalars, or read by it
// alone, runs just before it, pulled along. Every other kernel keeps its place relative to the
// others; the hoisted ones are placed, in program order among themselves,
// right after the kernel that made them ready. Every dependency points forward in program
// order, so the result is a valid order; kernels are deterministic, so the
// results are the same values.
//
// It runs after fusion and before memory planning (the kernel order is what
// the planner's liveness reads); `dlc-opt --dlc-schedule`.
#include <queue>

#include "passes/Liveness.h"
#include "passes/MemoryPlan.h"
#include "passes/Passes.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

using namespace mlir;

namespace dlc {
namespace {

void scheduleFunction(func::FuncOp f) {
  Block& body = f.getBody().front();
  Operation* ret = body.getTerminator();
  std::vector<Operation*> kernels;
  llvm::DenseMap<Operation*, int> index;
  for (Operation& op : body)
    if (isKernel(&op)) {
      index[&op] = static_cast<int>(kernels.size());
      kernels.push_back(&op);
    }
  const int n = static_cast<int>(kernels.size());
  if (n < 2) return;
  llvm::DenseSet<Value> returned;
  for (Value v : ret->getOperands()) returned.insert(v);

  auto kernelOf = [&](Operation* op) -> int {
    Operation* top = op ? body.findAncestorOpInBlock(*op) : nullptr;
    auto it = top ? index.find(top) : index.end();
    return it == index.end() ? -1 : it->second;
  };
  std::vector<llvm::SmallVector<int, 4>> preds(n);
  auto addEdge = [&](int from, int to) {
    if (from >= 0 && from < to && !llvm::is_contained(preds[to], from)) preds[to].push_back(from);
  };
  std::vector<bool> hoist(n);
  // Kernels that a hoisted kernel may pull along (below), as they cost no
  // memory when run earlier: `pullable`, what they put in the arena is at
  // most one smallest buffer per result (scalars); `feeds[i] = h`, the
  // only kernel that reads their arena results is hoisted kernel h (a
  // weight gradient that only its update reads), so those results die at
  // once when h runs right after.
  std::vector<bool> pullable(n);
  std::vector<int> feeds(n, -1);
  for (int i = 0; i < n; ++i) {
    Operation* k = kernels[i];
    k->walk([&](Operation* inner) {
      for (Value operand : inner->getOperands()) addEdge(kernelOf(operand.getDefiningOp()), i);
    });
    hoist[i] = llvm::all_of(k->getResults(), [&](Value r) { return returned.contains(r); });
    pullable[i] = !hoist[i] && llvm::all_of(k->getResults(), [&](Value r) {
      auto type = r.getType().dyn_cast<RankedTensorType>();
      std::optional<int64_t> width = elementBytes(r.getType());
      return returned.contains(r) ||
             (type && width && alignBuffer(*width * type.getNumElements()) <= kBufferAlignment);
    });
  }
  for (int i = 0; i < n; ++i) {
    if (hoist[i]) continue;
    int reader = -1;
    bool one = true;
    for (Value r : kernels[i]->getResults()) {
      if (returned.contains(r)) continue;
      for (Operation* user : r.getUsers()) {
        int k = kernelOf(user);
        if (k < 0 || (reader >= 0 && k != reader)) one = false;
        reader = k;
      }
    }
    if (one && reader >= 0 && hoist[reader]) feeds[i] = reader;
  }
  for (const SignatureAlias& a : signatureAliases(f)) {
    if (a.arg < 0 || a.arg >= f.getNumArguments() || a.result >= ret->getNumOperands()) continue;
    int writer = kernelOf(ret->getOperand(a.result).getDefiningOp());
    if (writer < 0) continue;
    for (Operation* user : f.getArgument(static_cast<unsigned>(a.arg)).getUsers())
      if (int reader = kernelOf(user); reader != writer) addEdge(reader, writer);
  }

  std::vector<llvm::SmallVector<int, 4>> succs(n);
  std::vector<int> waiting(n);  // preds not placed yet
  for (int i = 0; i < n; ++i) {
    waiting[i] = static_cast<int>(preds[i].size());
    for (int p : preds[i]) succs[p].push_back(i);
  }
  std::vector<bool> placed(n);
  std::vector<Operation*> order;
  // Hoisted kernels to look at, earliest in program order first.
  std::priority_queue<int, std::vector<int>, std::greater<int>> candidates;
  auto place = [&](int i) {
    placed[i] = true;
    order.push_back(kernels[i]);
    for (int s : succs[i]) {
      --waiting[s];
      if (hoist[s]) candidates.push(s);
      else if (waiting[s] == 0)  // s can run now: a hoisted kernel may only wait for it
        for (int t : succs[s])
          if (hoist[t]) candidates.push(t);
    }
  };
  // A hoisted kernel runs once what it reads is computed. A pullable kernel
  // it waits for that could already run (its own operands are computed) is
  // pulled along, just before it: the step count and the bias corrections
  // that every Adam update reads are computed after the backward pass in
  // program order, from the step argument alone; a convolution's filter
  // gradient comes after its data gradient in program order, but pulled
  // ahead of it with its update, the layer's input dies before the data
  // gradient is written. Other kernels keep their place: pulled early,
  // what they write would stay in memory longer (and pulling them would
  // drag the backward pass along in the order the updates want).
  auto drain = [&] {
    while (!candidates.empty()) {
      int h = candidates.top();
      candidates.pop();
      if (placed[h]) continue;
      llvm::SmallVector<int, 4> pull;
      bool canRun = true;
      for (int p : preds[h]) {
        if (placed[p]) continue;
        if (!(pullable[p] || feeds[p] == h) || waiting[p] != 0) {
          canRun = false;
          break;
        }
        pull.push_back(p);
      }
      if (!canRun) continue;
      llvm::sort(pull);
      for (int p : pull)
        if (!placed[p] && waiting[p] == 0) place(p);
      if (waiting[h] == 0) place(h);
    }
  };
  for (int i = 0; i < n; ++i)
    if (hoist[i]) candidates.push(i);
  drain();
  for (int i = 0; i < n; ++i) {
    if (placed[i] || hoist[i]) continue;
    // Every dependency points forward, so what this kernel waits for has
    // been placed; anything else would be a bug here: keep program order.
    if (waiting[i] != 0) return;
    place(i);
    drain();
  }
  if (static_cast<int>(order.size()) != n) return;
  for (Operation* op : order) op->moveBefore(ret);
}

struct SchedulePass : PassWrapper<SchedulePass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(SchedulePass)
  StringRef getArgument() const override { return "dlc-schedule"; }
  StringRef getDescription() const override {
    return "run each kernel whose results all leave the function (optimizer updates, outputs) as soon as "
           "its operands are ready and the arguments it overwrites have been read";
  }
  void runOnOperation() override {
    for (auto f : getOperation().getOps<func::FuncOp>())
      if (!f.isExternal() && f.getBody().hasOneBlock()) scheduleFunction(f);
  }
};

}  // namespace

std::unique_ptr<Pass> createSchedulePass() { return std::make_unique<SchedulePass>(); }

}  // namespace dlc
