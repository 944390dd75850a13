// dlc-fuse: groups the core ops of each function into kernels (dlc.fusion).
//
// Every non-constant op starts as a group of its own. Greedy merges then
// grow the groups, visiting consumers from the last op to the first (as
// XLA's instruction fusion does), each merge accepted only if the rules in
// FusionRules.cpp say the union is still one kernel:
//   1. producer into consumer, when the consumer is the producer's only
//      reader; a cheap producer with several readers is copied into each of
//      them when every one can take it;
//   2. producer into consumer with the producer's result also written out
//      (multi-output), when that creates no cycle between kernels;
//   3. siblings: two loop or two reduction kernels reading the same value,
//      unless one would wait for the other with a value of its own held
//      live (delaysSibling).
// Then each group becomes one dlc.fusion, in a topological order that
// follows the original program order (a group of scalars that an earlier
// one waits for comes just before it). With `explain`, every producer ->
// consumer edge left between two kernels gets a remark naming the rule.
#include "passes/FusionRules.h"
#include "passes/Liveness.h"
#include "passes/Passes.h"

#include <map>
#include <queue>

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Pass/Pass.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;

namespace dlc {
namespace {

using fusion::Refusal;

class Grouping {
 public:
  explicit Grouping(func::FuncOp f) : f_(f) {
    int i = 0;
    for (Operation& op : f.getBody().front()) {
      if (isa<ConstantOp, func::ReturnOp>(op)) continue;
      index_[&op] = i++;
      groupOf_[&op] = static_cast<int>(groups_.size());
      groups_.push_back({&op});
    }
  }

  void run() {
    sweep(/*multiOutput=*/false);
    sweep(/*multiOutput=*/true);
    siblings();
  }

  void explain();
  void materialize();

 private:
  bool alive(Operation* op) const { return index_.count(op) != 0; }
  bool frozen(int g) const {
    return llvm::any_of(groups_[g], [](Operation* op) { return isa<FusionOp>(op); });
  }
  std::vector<Operation*> liveOps() {
    std::vector<Operation*> ops;
    for (Operation& op : f_.getBody().front())
      if (alive(&op)) ops.push_back(&op);
    return ops;
  }

  void sweep(bool multiOutput) {
    for (bool changed = true; changed;) {
      changed = false;
      std::vector<Operation*> ops = liveOps();
      erased_.clear();
      for (auto it = ops.rbegin(); it != ops.rend(); ++it) {
        Operation* consumer = *it;
        // An op of the snapshot that duplicate() erased is gone even if a
        // clone made since took its address (alive() alone would then see
        // the clone, and the result would follow the heap).
        if (erased_.count(consumer) || !alive(consumer)) continue;
        for (unsigned i = 0; alive(consumer) && i < consumer->getNumOperands(); ++i) {
          Operation* producer = consumer->getOperand(i).getDefiningOp();
          if (!producer || !alive(producer)) continue;
          int a = groupOf_[producer], b = groupOf_[consumer];
          if (a == b) continue;
          if (!multiOutput && isDuplicableChain(a, producer) && readerGroups(producer).size() > 1) {
            changed |= duplicate(producer, consumer);
            continue;
          }
          changed |= tryMerge(a, b, producer, consumer, multiOutput);
        }
      }
    }
  }

  // Sibling (multi-output) fusion: kernels that read the same value.
  void siblings() {
    depth_.clear();
    for (Operation& op : f_.getBody().front()) {
      if (!alive(&op)) continue;
      int d = 1;
      for (Value v : op.getOperands())
        if (Operation* def = v.getDefiningOp(); def && alive(def)) d = std::max(d, depth_.lookup(def) + 1);
      depth_[&op] = d;
    }
    for (bool changed = true; changed;) {
      changed = false;
      llvm::SetVector<Value> values;
      for (BlockArgument arg : f_.getArguments()) values.insert(arg);
      for (Operation& op : f_.getBody().front())
        if (!isa<func::ReturnOp>(op) && !fusion::isSplatConstant(op.getResult(0)))
          values.insert(op.getResult(0));
      for (Value v : values) {
        llvm::SmallVector<int> readers = readerGroups(v);
        for (size_t i = 0; i < readers.size() && !changed; ++i)
          for (size_t j = i + 1; j < readers.size() && !changed; ++j) {
            FusionKind ka = fusion::kindOf(groups_[readers[i]]),
                       kb = fusion::kindOf(groups_[readers[j]]);
            if (ka != kb || (ka != FusionKind::Loop && ka != FusionKind::Reduction)) continue;
            if (delaysSibling(readers[i], readers[j])) continue;
            changed = tryMerge(readers[i], readers[j], nullptr, nullptr, /*multiOutput=*/true);
          }
        if (changed) break;
      }
    }
  }

  // One kernel of two siblings runs where the later of them could run. If
  // the earlier one reads a value computed by a kernel that the later one
  // does not read, that value would stay in memory until then: refused.
  // (In a training step, the updates of same-shaped parameters read the
  // same step count; fused into one multi-tensor kernel, each gradient, and
  // for biases each layer's output gradient, stayed live until the last
  // gradient was final, and that was the step's peak.) When both can run at
  // the same depth, nothing waits and they fuse.
  bool delaysSibling(int a, int b) const {
    auto inputsOf = [&](int g) {
      llvm::SmallPtrSet<Operation*, 32> set(groups_[g].begin(), groups_[g].end());
      return fusion::interfaceOf({groups_[g], set}).inputs;
    };
    // When a group can run at the earliest: after the deepest producer of
    // its inputs (depth in the dependency graph, not program order: a
    // training step computes the step count, which the updates read, after
    // the whole backward pass).
    auto readyAt = [&](const llvm::SetVector<Value>& inputs) {
      int at = 0;
      for (Value v : inputs)
        if (Operation* def = v.getDefiningOp(); def && alive(def)) at = std::max(at, depth_.lookup(def));
      return at;
    };
    llvm::SetVector<Value> ia = inputsOf(a), ib = inputsOf(b);
    int ra = readyAt(ia), rb = readyAt(ib);
    if (ra == rb) return false;
    const llvm::SetVector<Value>& waiting = ra < rb ? ia : ib;
    const llvm::SetVector<Value>& other = ra < rb ? ib : ia;
    int otherGroup = ra < rb ? b : a;
    for (Value v : waiting)
      if (Operation* def = v.getDefiningOp();
          def && alive(def) && groupOf_.lookup(def) != otherGroup && !other.contains(v))
        return true;
    return false;
  }

  llvm::SmallVector<int> readerGroups(Operation* op) { return readerGroups(op->getResult(0)); }
  llvm::SmallVector<int> readerGroups(Value v) {
    llvm::SmallVector<int> gs;
    for (Operation* user : v.getUsers())
      if (alive(user) && !llvm::is_contained(gs, groupOf_[user])) gs.push_back(groupOf_[user]);
    return gs;
  }

  void sortByIndex(std::vector<Operation*>& ops) const {
    llvm::stable_sort(ops, [&](Operation* x, Operation* y) { return index_.lookup(x) < index_.lookup(y); });
  }

  // The ops of groups a and b in program order.
  std::vector<Operation*> unite(int a, int b) const {
    std::vector<Operation*> ops = groups_[a];
    ops.insert(ops.end(), groups_[b].begin(), groups_[b].end());
    sortByIndex(ops);
    return ops;
  }

  // True if merging the ops in `set` into one kernel would make it depend
  // on itself through an op outside it.
  bool createsCycle(const llvm::SmallPtrSetImpl<Operation*>& set) const {
    int maxIndex = 0;
    for (Operation* op : set) maxIndex = std::max(maxIndex, index_.lookup(op));
    llvm::SmallVector<Operation*> stack;
    llvm::SmallPtrSet<Operation*, 32> seen;
    for (Operation* op : set)
      for (Operation* user : op->getUsers())
        if (alive(user) && !set.count(user)) stack.push_back(user);
    while (!stack.empty()) {
      Operation* op = stack.pop_back_val();
      if (set.count(op)) return true;
      if (index_.lookup(op) > maxIndex || !seen.insert(op).second) continue;
      for (Operation* user : op->getUsers())
        if (alive(user)) stack.push_back(user);
    }
    return false;
  }

  void refuse(Operation* producer, Operation* consumer, Refusal r) {
    if (producer && consumer) refusals_[{producer, consumer}] = std::move(r);
  }

  bool tryMerge(int a, int b, Operation* producer, Operation* consumer, bool multiOutput) {
    if (frozen(a) || frozen(b)) {
      refuse(producer, consumer, {"already-fused", "one of the two is a dlc.fusion already"});
      return false;
    }
    std::vector<Operation*> ops = unite(a, b);
    llvm::SmallPtrSet<Operation*, 32> set(ops.begin(), ops.end());
    fusion::Candidate candidate{ops, set};
    if (!multiOutput && producer) {
      // Phase 1 only takes producers whose results all stay inside.
      for (Operation* op : groups_[a])
        for (Operation* user : op->getUsers())
          if (!set.count(user)) return false;
    }
    if (auto r = fusion::checkKernel(candidate)) {
      refuse(producer, consumer, std::move(*r));
      return false;
    }
    if (createsCycle(set)) {
      refuse(producer, consumer,
             {"cycle", "fusing them would make the kernel depend on itself through another kernel"});
      return false;
    }
    for (Operation* op : groups_[b]) groupOf_[op] = a;
    groups_[a] = std::move(ops);
    groups_[b].clear();
    return true;
  }

  // A group that duplicate() may copy: a cheap producer alone, or a short
  // chain of cheap ops that ends in it and writes nothing else. (A training
  // step's Adam bias correction, 1 - beta^t broadcast to a parameter's
  // shape, is such a chain that every update of that shape reads; left as
  // one group, multi-output fusion joined it to one update and then chained
  // every other update of that shape to that kernel.)
  static constexpr size_t kMaxDuplicatedChain = 4;
  bool isDuplicableChain(int g, Operation* producer) const {
    const std::vector<Operation*>& ops = groups_[g];
    if (ops.empty() || ops.size() > kMaxDuplicatedChain || ops.back() != producer) return false;
    llvm::SmallPtrSet<Operation*, 8> set(ops.begin(), ops.end());
    for (Operation* op : ops) {
      if (op->getNumResults() != 1 || !fusion::isDuplicable(op)) return false;
      if (op == producer) continue;
      for (Operation* user : op->getUsers())
        if (!set.count(user)) return false;
    }
    for (Operation* user : producer->getUsers())
      if (set.count(user)) return false;
    return true;
  }

  // Copies a cheap producer (with the cheap chain of its group,
  // isDuplicableChain) into every kernel that reads it, if each of them can
  // take it; the originals then disappear.
  bool duplicate(Operation* producer, Operation* consumer) {
    Value result = producer->getResult(0);
    for (Operation* user : result.getUsers())
      if (isa<func::ReturnOp>(user)) return false;  // a model output needs its own kernel
    const std::vector<Operation*> chain = groups_[groupOf_[producer]];
    llvm::SmallVector<int> readers = readerGroups(producer);
    OpBuilder builder(producer);
    builder.setInsertionPointAfter(producer);
    llvm::SmallVector<std::pair<int, std::vector<Operation*>>> clones;
    llvm::SmallPtrSet<Operation*, 16> cloneSet;
    std::optional<Refusal> refusal;
    for (int g : readers) {
      IRMapping map;
      std::vector<Operation*> copies;
      for (Operation* op : chain) {
        Operation* clone = builder.clone(*op, map);
        index_[clone] = index_[op];
        copies.push_back(clone);
        cloneSet.insert(clone);
      }
      result.replaceUsesWithIf(copies.back()->getResult(0), [&](OpOperand& use) {
        Operation* owner = use.getOwner();
        return !cloneSet.count(owner) && alive(owner) && groupOf_.lookup(owner) == g;
      });
      clones.push_back({g, copies});
      if (frozen(g)) {
        refusal = Refusal{"already-fused", "a reader is a dlc.fusion already"};
        break;
      }
      std::vector<Operation*> ops = groups_[g];
      ops.insert(ops.end(), copies.begin(), copies.end());
      sortByIndex(ops);
      llvm::SmallPtrSet<Operation*, 32> set(ops.begin(), ops.end());
      if ((refusal = fusion::checkKernel({ops, set}))) break;
    }
    if (refusal) {
      for (auto& [g, copies] : clones) {
        copies.back()->getResult(0).replaceAllUsesWith(result);
        for (Operation* clone : llvm::reverse(copies)) {
          index_.erase(clone);
          clone->erase();
        }
      }
      refuse(producer, consumer, std::move(*refusal));
      return false;
    }
    for (auto& [g, copies] : clones) {
      for (Operation* clone : copies) {
        groupOf_[clone] = g;
        groups_[g].push_back(clone);
      }
      sortByIndex(groups_[g]);
    }
    groups_[groupOf_[producer]].clear();
    for (Operation* op : llvm::reverse(chain)) {
      index_.erase(op);
      groupOf_.erase(op);
      erased_.insert(op);
      op->erase();
    }
    return true;
  }

  func::FuncOp f_;
  llvm::DenseMap<Operation*, int> index_;    // program order of the kernel ops
  llvm::DenseMap<Operation*, int> groupOf_;
  llvm::DenseMap<Operation*, int> depth_;    // longest chain of ops to it (siblings())
  std::vector<std::vector<Operation*>> groups_;  // ops in program order; empty once merged away
  std::map<std::pair<Operation*, Operation*>, Refusal> refusals_;
  llvm::SmallPtrSet<Operation*, 8> erased_;  // by duplicate(), since sweep's snapshot
};

void Grouping::explain() {
  for (Operation& consumer : f_.getBody().front()) {
    if (!alive(&consumer)) continue;
    for (auto [i, v] : llvm::enumerate(consumer.getOperands())) {
      Operation* producer = v.getDefiningOp();
      if (!producer || !alive(producer) || groupOf_[producer] == groupOf_[&consumer]) continue;
      auto it = refusals_.find({producer, &consumer});
      InFlightDiagnostic d = consumer.emitRemark();
      d << fusion::describe(&consumer) << " not fused with its operand " << i << ", "
        << fusion::describe(producer) << ": ";
      if (it == refusals_.end())
        d << "[unvisited] no fusion was attempted across this edge";
      else
        d << "[" << it->second.rule << "] " << it->second.detail;
    }
  }
}

void Grouping::materialize() {
  Block& block = f_.getBody().front();
  Operation* ret = block.getTerminator();
  // Constants first: every kernel may read them.
  Operation* firstKernel = nullptr;
  for (Operation& op : block)
    if (alive(&op)) { firstKernel = &op; break; }
  if (!firstKernel) return;
  for (Operation& op : llvm::make_early_inc_range(block))
    if (isa<ConstantOp>(op) && firstKernel->isBeforeInBlock(&op)) op.moveBefore(firstKernel);

  // Topological order of the groups, earliest first op first.
  std::vector<int> live, indegree(groups_.size(), 0);
  std::vector<llvm::SmallVector<int>> succ(groups_.size());
  for (size_t g = 0; g < groups_.size(); ++g) {
    if (groups_[g].empty()) continue;
    live.push_back(static_cast<int>(g));
    llvm::SmallVector<int> seen;
    for (Operation* op : groups_[g])
      for (Value v : op->getOperands())
        if (Operation* def = v.getDefiningOp(); def && alive(def)) {
          int p = groupOf_[def];
          if (p == int(g) || llvm::is_contained(seen, p)) continue;
          seen.push_back(p);
          succ[p].push_back(static_cast<int>(g));
          ++indegree[g];
        }
  }
  // A group that writes only scalars is as urgent as the most urgent group
  // that waits for it: program order may put it late while an earlier
  // group reads it (a training step computes the step count and Adam's bias
  // corrections after the backward pass, and fusion puts a bias's update in
  // the kernel of its layer's gradient), and what it writes costs nothing
  // to keep. (Bigger results keep program order: moved up, they would stay
  // in memory longer.)
  auto writesScalars = [&](int g) {
    llvm::SmallPtrSet<Operation*, 32> set(groups_[g].begin(), groups_[g].end());
    for (Value v : fusion::interfaceOf({groups_[g], set}).outputs) {
      std::optional<int64_t> width = elementBytes(v.getType());
      if (!width || *width * v.getType().cast<RankedTensorType>().getNumElements() > kBufferAlignment)
        return false;
    }
    return true;
  };
  std::vector<int> urgency(groups_.size(), 0);
  {
    std::vector<int> in = indegree, topo, stack;
    for (int g : live)
      if (in[g] == 0) stack.push_back(g);
    while (!stack.empty()) {
      int g = stack.back();
      stack.pop_back();
      topo.push_back(g);
      for (int s : succ[g])
        if (--in[s] == 0) stack.push_back(s);
    }
    for (int g : llvm::reverse(topo)) {
      urgency[g] = index_[groups_[g].front()];
      if (writesScalars(g))
        for (int s : succ[g]) urgency[g] = std::min(urgency[g], urgency[s]);
    }
  }
  auto later = [&](int x, int y) {
    if (urgency[x] != urgency[y]) return urgency[x] > urgency[y];
    return index_[groups_[x].front()] > index_[groups_[y].front()];
  };
  std::priority_queue<int, std::vector<int>, decltype(later)> ready(later);
  for (int g : live)
    if (indegree[g] == 0) ready.push(g);

  OpBuilder builder(ret);
  while (!ready.empty()) {
    int g = ready.top();
    ready.pop();
    for (int s : succ[g])
      if (--indegree[s] == 0) ready.push(s);
    const std::vector<Operation*>& ops = groups_[g];
    if (ops.size() == 1 && isa<FusionOp>(ops.front())) {
      ops.front()->moveBefore(ret);
      continue;
    }
    llvm::SmallPtrSet<Operation*, 32> set(ops.begin(), ops.end());
    auto [inputs, outputs] = fusion::interfaceOf({ops, set});
    llvm::SmallVector<Location> locs;
    for (Operation* op : ops) locs.push_back(op->getLoc());
    if (outputs.empty()) continue;  // dead: erased with the originals below
    llvm::SmallVector<Type> resultTypes;
    for (Value v : outputs) resultTypes.push_back(v.getType());
    auto fusion = builder.create<FusionOp>(FusedLoc::get(f_.getContext(), locs), resultTypes,
                                           fusion::kindOf(ops), inputs.getArrayRef());
    Block* body = new Block();
    fusion.getBody().push_back(body);
    IRMapping map;
    for (Value v : inputs) map.map(v, body->addArgument(v.getType(), v.getLoc()));
    OpBuilder inner = OpBuilder::atBlockEnd(body);
    for (Operation* op : ops) {
      for (Value v : op->getOperands())
        if (fusion::isSplatConstant(v) && !map.contains(v)) map.map(v, inner.clone(*v.getDefiningOp())->getResult(0));
      inner.clone(*op, map);
    }
    llvm::SmallVector<Value> yielded;
    for (Value v : outputs) yielded.push_back(map.lookup(v));
    inner.create<YieldOp>(fusion.getLoc(), yielded);
    for (auto [v, r] : llvm::zip(outputs, fusion.getResults()))
      Value(v).replaceUsesWithIf(r, [&](OpOperand& use) { return !set.count(use.getOwner()); });
  }
  // The originals now only feed each other.
  llvm::SmallVector<Operation*> dead;
  for (Operation& op : block)
    if (alive(&op) && !isa<FusionOp>(op)) dead.push_back(&op);
  for (Operation* op : llvm::reverse(dead)) {
    op->dropAllUses();
    op->erase();
  }
  // Splat constants that only kernels read are now copied into them.
  for (Operation& op : llvm::make_early_inc_range(block))
    if (isa<ConstantOp>(op) && op.use_empty()) op.erase();
}

struct FusionPass : PassWrapper<FusionPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(FusionPass)
  FusionPass() = default;
  FusionPass(const FusionPass& other) : PassWrapper(other) {}
  explicit FusionPass(bool e) { explain = e; }

  StringRef getArgument() const override { return "dlc-fuse"; }
  StringRef getDescription() const override {
    return "group core ops into dlc.fusion kernels (loop, reduction, gemm, conv)";
  }
  void runOnOperation() override {
    getOperation().walk([&](func::FuncOp f) {
      if (f.isExternal() || !f.getBody().hasOneBlock()) return;
      Grouping grouping(f);
      grouping.run();
      if (explain) grouping.explain();
      grouping.materialize();
    });
  }

  Option<bool> explain{*this, "explain",
                       llvm::cl::desc("remark on every producer/consumer pair left in two kernels"),
                       llvm::cl::init(false)};
};

}  // namespace

std::unique_ptr<mlir::Pass> createFusionPass(bool explain) {
  return std::make_unique<FusionPass>(explain);
}

}  // namespace dlc
