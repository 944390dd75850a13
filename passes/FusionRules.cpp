#include "passes/FusionRules.h"

#include "passes/MemoryPlan.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;

namespace dlc::fusion {
namespace {

using Dims = llvm::SmallVector<int64_t, 6>;

Dims shapeOf(Value v) {
  auto s = v.getType().cast<RankedTensorType>().getShape();
  return Dims(s.begin(), s.end());
}

int64_t numElements(Value v) { return v.getType().cast<RankedTensorType>().getNumElements(); }

Refusal refuse(std::string rule, std::string detail) { return {std::move(rule), std::move(detail)}; }

bool isElementwise(Operation* op) { return op->hasTrait<OpTrait::Elementwise>(); }

// Ops of the candidate that (transitively) use `root`'s results, in program order.
llvm::SmallPtrSet<Operation*, 16> dependents(const Candidate& c, ArrayRef<Operation*> roots) {
  llvm::SmallPtrSet<Operation*, 16> deps(roots.begin(), roots.end());
  for (Operation* op : c.ops)
    for (Value v : op->getOperands())
      if (Operation* def = v.getDefiningOp(); def && deps.count(def)) {
        deps.insert(op);
        break;
      }
  return deps;
}

//===--- strided views (GEMM/convolution prologues) -------------------------===//

// A library call reads an operand from memory through strides; an operand
// computed by reshapes, transposes, slices and broadcasts of a kernel input
// is fine as long as the composition is still such a view.
struct View {
  Dims shape, strides;
};

View contiguous(Value v) {
  View view{shapeOf(v), {}};
  view.strides.resize(view.shape.size());
  int64_t s = 1;
  for (size_t d = view.shape.size(); d-- > 0;) {
    view.strides[d] = s;
    s *= view.shape[d];
  }
  return view;
}

// Reshape as a view: each group of old dims that maps onto a group of new
// dims must be contiguous in memory (size-1 dims do not matter).
bool reshapeView(View& v, ArrayRef<int64_t> to) {
  Dims oldSize, oldStride;
  for (size_t d = 0; d < v.shape.size(); ++d)
    if (v.shape[d] != 1) oldSize.push_back(v.shape[d]), oldStride.push_back(v.strides[d]);
  Dims strides(to.size(), 0);
  size_t i = 0, j = 0;
  while (j < to.size()) {
    if (to[j] == 1) { ++j; continue; }
    if (i >= oldSize.size()) return false;
    // Grow the two groups until their element counts agree.
    size_t i0 = i, j0 = j;
    int64_t po = oldSize[i++], pn = to[j++];
    while (po != pn) {
      if (po < pn) {
        if (i >= oldSize.size()) return false;
        po *= oldSize[i++];
      } else {
        while (j < to.size() && to[j] == 1) ++j;
        if (j >= to.size()) return false;
        pn *= to[j++];
      }
    }
    for (size_t k = i0; k + 1 < i; ++k)
      if (oldStride[k] != oldStride[k + 1] * oldSize[k + 1]) return false;
    int64_t s = oldStride[i - 1];
    for (size_t k = j; k-- > j0;) {
      if (to[k] == 1) continue;
      strides[k] = s;
      s *= to[k];
    }
  }
  if (i != oldSize.size()) return false;
  v.shape.assign(to.begin(), to.end());
  v.strides = strides;
  return true;
}

// Applies one view op; false if `op` is not a view op or breaks the view.
bool applyView(Operation* op, View& v, bool allowBroadcast) {
  if (auto r = dyn_cast<ReshapeOp>(op)) return reshapeView(v, r.getType().getShape());
  if (auto t = dyn_cast<TransposeOp>(op)) {
    View out;
    for (int64_t p : t.getPermutation()) {
      out.shape.push_back(v.shape[p]);
      out.strides.push_back(v.strides[p]);
    }
    v = out;
    return true;
  }
  if (auto s = dyn_cast<SliceOp>(op)) {
    for (size_t d = 0; d < v.shape.size(); ++d) {
      int64_t step = s.getStrides()[d];
      v.shape[d] = (s.getLimitIndices()[d] - s.getStartIndices()[d] + step - 1) / step;
      v.strides[d] *= step;
    }
    return true;
  }
  if (auto b = dyn_cast<BroadcastInDimOp>(op); b && allowBroadcast) {
    View out{shapeOf(b.getResult()), {}};
    out.strides.assign(out.shape.size(), 0);
    for (auto [i, d] : llvm::enumerate(b.getBroadcastDimensions()))
      out.strides[d] = v.shape[i] == out.shape[d] ? v.strides[i] : 0;
    v = out;
    return true;
  }
  return false;
}

// Checks that operand `value` of a contraction is a strided view of a
// kernel input: the chain of candidate ops that computes it must be views.
std::optional<Refusal> checkOperandView(const Candidate& c, Value value, StringRef what,
                                        bool allowBroadcast) {
  llvm::SmallVector<Operation*, 4> chain;
  for (Value v = value; Operation* def = v.getDefiningOp();) {
    if (!c.set.count(def)) break;
    if (!isa<ReshapeOp, TransposeOp, SliceOp, BroadcastInDimOp>(def))
      return refuse(what.str() + "-prologue",
                    describe(def) + " computes an operand of the " + what.str() +
                        "; a library call reads its operands from memory, so only "
                        "reshapes, transposes, slices and broadcasts fuse in front of it");
    chain.push_back(def);
    v = def->getOperand(0);
  }
  if (chain.empty()) return std::nullopt;
  View view = contiguous(chain.back()->getOperand(0));
  for (auto it = chain.rbegin(); it != chain.rend(); ++it)
    if (!applyView(*it, view, allowBroadcast))
      return refuse(what.str() + "-prologue",
                    describe(*it) + " does not leave the " + what.str() +
                        " operand a strided view of a kernel input");
  return std::nullopt;
}

// The function argument `op` reads that one of the function's results is
// written over (a signature alias: a parameter or optimizer state the step
// updates), if any.
std::optional<unsigned> readsAliasedArgument(Operation* op) {
  for (Value v : op->getOperands()) {
    auto arg = v.dyn_cast<BlockArgument>();
    auto f = arg ? dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp()) : nullptr;
    if (!f) continue;
    for (const SignatureAlias& a : signatureAliases(f))
      if (a.arg == arg.getArgNumber()) return arg.getArgNumber();
  }
  return std::nullopt;
}

// An in-place update reads the argument it overwrites only at the index it
// writes (aliasRefusal, Liveness.h). A kernel that also reads that argument
// through data movement (the flipped, transposed filter that a
// convolution's data gradient reads, fused into the filter's update as a
// second output) would make the update a copy: refused.
std::optional<Refusal> checkInPlaceUpdate(const Candidate& c) {
  for (Operation* op : c.ops) {
    if (!isElementwise(op) || !readsAliasedArgument(op)) continue;
    for (Value v : op->getOperands()) {
      auto arg = v.dyn_cast<BlockArgument>();
      if (!arg || !isa<func::FuncOp>(arg.getOwner()->getParentOp())) continue;
      // Through reshapes (they keep the row-major index) to the first op
      // that reads it otherwise.
      llvm::SmallVector<Value, 4> work{arg};
      while (!work.empty()) {
        Value x = work.pop_back_val();
        for (Operation* user : x.getUsers()) {
          if (!c.set.count(user) || isElementwise(user)) continue;
          if (isa<ReshapeOp>(user)) {
            work.push_back(user->getResult(0));
            continue;
          }
          return refuse("in-place-update",
                        describe(user) + " reads argument " + std::to_string(arg.getArgNumber()) +
                            " at other indices than " + describe(op) +
                            ", which reads it to update it in place; the update stays a kernel of its own");
        }
      }
    }
  }
  return std::nullopt;
}

//===--- kinds --------------------------------------------------------------===//

std::optional<Refusal> checkContraction(const Candidate& c, Operation* hero, StringRef what) {
  bool isConv = isa<ConvolutionOp>(hero);
  for (Value operand : hero->getOperands())
    if (auto r = checkOperandView(c, operand, what, /*allowBroadcast=*/!isConv)) return r;

  // The epilogue: everything computed from the contraction's result runs per
  // element of that result (bias, activation, residual, scaling), then may
  // be stored through transposes and reshapes (the library call writes its
  // result through strides, e.g. attention heads back into [batch, seq, d]).
  llvm::SmallPtrSet<Operation*, 16> epilogue = dependents(c, {hero});
  Value last = hero->getResult(0);
  llvm::SmallVector<Operation*, 4> store;
  // An optimizer update (SGD's momentum buffer = dW + m * buf) stays out of
  // the gradient's library call: fused there it would be split from the
  // rest of its update, and the library call cannot write over the state
  // it reads; in one loop kernel the whole update runs in place. (Data
  // movement of such an argument, a bias broadcast, still fuses.)
  for (Operation* op : c.ops)
    if (op != hero && isElementwise(op))
      if (std::optional<unsigned> arg = readsAliasedArgument(op))
        return refuse("in-place-update",
                      describe(op) + " reads argument " + std::to_string(*arg) +
                          ", which the function updates in place; the update stays one loop kernel");
  for (Operation* op : c.ops) {
    if (op == hero || !epilogue.count(op)) continue;
    if (store.empty() && isElementwise(op) &&
        shapeOf(op->getResult(0)) == shapeOf(hero->getResult(0))) {
      last = op->getResult(0);
      continue;
    }
    if (isa<TransposeOp, ReshapeOp>(op) && op->getOperand(0) == last) {
      store.push_back(op);
      last = op->getResult(0);
      continue;
    }
    return refuse(what.str() + "-epilogue",
                  describe(op) + " is not elementwise over the " + what.str() +
                      "'s result; an epilogue runs per output element");
  }
  // Walk the store back from the contiguous result: it must stay a strided
  // layout of the contraction's result.
  View view = contiguous(last);
  for (Operation* op : llvm::reverse(store)) {
    if (auto t = dyn_cast<TransposeOp>(op)) {
      View in = view;
      for (auto [d, p] : llvm::enumerate(t.getPermutation())) {
        in.shape[p] = view.shape[d];
        in.strides[p] = view.strides[d];
      }
      view = in;
    } else if (!reshapeView(view, op->getOperand(0).getType().cast<RankedTensorType>().getShape())) {
      return refuse(what.str() + "-epilogue",
                    describe(op) + " does not leave the " + what.str() +
                        "'s result a strided layout of the output");
    }
  }
  for (Operation* op : c.ops)
    for (Value v : op->getResults())
      if (c.escapes(v) && v != last)
        return refuse("one-output", "the " + what.str() + " kernel would also have to write the result of " +
                                        describe(op) + "; a library call writes one");
  return std::nullopt;
}

// A reduction kernel processes rows: all its reductions reduce the same dims
// of the same shape, and every value computed from a reduction stays aligned
// with its row (a value per row element, or one per row).
std::optional<Refusal> checkReduction(const Candidate& c, llvm::SmallVectorImpl<ReduceOp>& reduces) {
  Dims full = shapeOf(reduces.front().getOperand());
  llvm::SmallVector<int64_t> dims(reduces.front().getDimensions());
  for (ReduceOp r : reduces)
    if (shapeOf(r.getOperand()) != full || llvm::ArrayRef<int64_t>(r.getDimensions()) != llvm::ArrayRef<int64_t>(dims))
      return refuse("reduction-rows", describe(r) + " reduces other rows than " +
                                          describe(reduces.front()));
  llvm::SmallVector<bool, 6> reduced(full.size(), false);
  for (int64_t d : dims) reduced[d] = true;
  Dims kept, keptNoOnes, keepDims;
  int64_t rowLength = 1;
  for (size_t d = 0; d < full.size(); ++d) {
    keepDims.push_back(reduced[d] ? 1 : full[d]);
    if (reduced[d]) { rowLength *= full[d]; continue; }
    kept.push_back(static_cast<int64_t>(d));
    if (full[d] != 1) keptNoOnes.push_back(full[d]);
  }
  auto isRow = [&](Value v) {
    Dims s;
    for (int64_t x : shapeOf(v))
      if (x != 1) s.push_back(x);
    return s == keptNoOnes;
  };
  auto isFull = [&](Value v) { return shapeOf(v) == full; };

  if (reduces.size() > 1 && rowLength * 4 > kMaxCachedRowBytes)
    return refuse("shared-memory", "a chain of " + std::to_string(reduces.size()) +
                                       " reductions over rows of " + std::to_string(rowLength) +
                                       " elements would not keep its row in shared memory");

  llvm::SmallVector<Operation*, 4> roots;
  for (ReduceOp r : reduces) roots.push_back(r);
  llvm::SmallPtrSet<Operation*, 16> rowDependent = dependents(c, roots);
  for (Operation* op : c.ops) {
    if (!rowDependent.count(op) || isa<ReduceOp>(op)) continue;
    Value result = op->getResult(0);
    bool aligned = false;
    if (isElementwise(op)) {
      aligned = isFull(result) || isRow(result);
    } else if (auto r = dyn_cast<ReshapeOp>(op)) {
      aligned = isRow(r.getOperand()) && isRow(result);
    } else if (auto b = dyn_cast<BroadcastInDimOp>(op)) {
      Dims from = shapeOf(b.getOperand());
      llvm::ArrayRef<int64_t> bd = b.getBroadcastDimensions();
      bool reducedForm = llvm::ArrayRef<int64_t>(kept) == bd;
      bool keepDimsForm = from == keepDims && bd.size() == full.size();
      for (size_t i = 0; keepDimsForm && i < bd.size(); ++i) keepDimsForm = bd[i] == int64_t(i);
      aligned = isFull(result) && (reducedForm || keepDimsForm);
    }
    if (!aligned)
      return refuse("reduction-epilogue",
                    describe(op) + " uses a reduced value but does not keep it aligned with "
                                   "its row (a row kernel writes per row element or per row)");
  }
  for (Operation* op : c.ops)
    for (Value v : op->getResults())
      if (c.escapes(v) && !isFull(v) && !isRow(v))
        return refuse("reduction-outputs",
                      "the result of " + describe(op) + " would be an output of a row kernel but is "
                                     "neither per row element nor per row");
  return std::nullopt;
}

std::optional<Refusal> checkLoop(const Candidate& c) {
  std::optional<int64_t> size;
  for (Operation* op : c.ops)
    for (Value v : op->getResults()) {
      if (!c.escapes(v)) continue;
      if (size && *size != numElements(v))
        return refuse("loop-outputs", "the outputs of one loop kernel must have the same "
                                      "number of elements; the result of " + describe(op) + " has " +
                                      std::to_string(numElements(v)) + ", another output " +
                                      std::to_string(*size));
      size = numElements(v);
    }
  return std::nullopt;
}

// An op that reads each element of `operand` several times, so a fused
// producer of it runs several times per element.
bool rereads(Operation* op, unsigned operand) {
  if (auto b = dyn_cast<BroadcastInDimOp>(op)) return numElements(b.getResult()) > numElements(b.getOperand());
  if (isa<ReduceWindowOp>(op)) return true;
  if (isa<GatherOp>(op)) return operand == 0;
  return false;
}

}  // namespace

std::string describe(Operation* op) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << "'" << op->getName() << "'";
  if (auto name = op->getLoc().dyn_cast<NameLoc>()) os << " (node '" << name.getName().getValue() << "')";
  return os.str();
}

bool Candidate::escapes(Value v) const {
  for (Operation* user : v.getUsers())
    if (!set.count(user)) return true;
  return false;
}

KernelInterface interfaceOf(const Candidate& c) {
  KernelInterface io;
  for (Operation* op : c.ops) {
    for (Value v : op->getOperands())
      if (!isSplatConstant(v) && (!v.getDefiningOp() || !c.set.count(v.getDefiningOp())))
        io.inputs.insert(v);
    for (Value v : op->getResults())
      if (c.escapes(v)) io.outputs.insert(v);
  }
  return io;
}

FusionKind kindOf(ArrayRef<Operation*> ops) {
  for (Operation* op : ops)
    if (std::optional<FusionKind> k = heroKind(op)) return *k;
  return FusionKind::Loop;
}

bool isExpensive(Operation* op) {
  return isa<ExpOp, LogOp, TanhOp, LogisticOp, ErfOp, SinOp, CosOp, PowOp, Atan2Op, DivOp, RemOp,
             SqrtOp, RsqrtOp>(op);
}

bool isSplatConstant(Value v) {
  auto c = v.getDefiningOp<ConstantOp>();
  if (!c) return false;
  auto dense = c.getValue().dyn_cast<DenseElementsAttr>();
  return dense && dense.isSplat();
}

bool isDuplicable(Operation* op) {
  if (isa<BroadcastInDimOp, ReshapeOp, TransposeOp, SliceOp, ConvertOp, IotaOp, ReverseOp>(op))
    return true;
  if (!isElementwise(op) || isExpensive(op)) return false;
  int tensors = 0;
  for (Value v : op->getOperands()) tensors += !isSplatConstant(v);
  return tensors <= 1;
}

std::optional<Refusal> checkKernel(const Candidate& c) {
  // Heroes: at most one library call / sort / scatter, which runs alone or
  // with its prologue and epilogue; reductions may chain.
  Operation* contraction = nullptr;
  llvm::SmallVector<ReduceOp, 4> reduces;
  for (Operation* op : c.ops) {
    if (isa<ArgsortOp, dlc::ScatterOp>(op) && c.ops.size() > 1)
      return refuse("runs-alone", describe(op) + " is a kernel of its own");
    if (isa<DotGeneralOp, ConvolutionOp>(op)) {
      if (contraction)
        return refuse("one-library-call", describe(contraction) + " and " + describe(op) +
                                              " are two library calls");
      contraction = op;
    }
    if (auto r = dyn_cast<ReduceOp>(op)) reduces.push_back(r);
  }
  if (contraction && !reduces.empty())
    return refuse("reduction-and-library-call",
                  describe(reduces.front()) + " is a row kernel and " + describe(contraction) +
                      " a library call: a reduction neither feeds nor follows a library call "
                      "in one kernel");

  // Budgets.
  if (c.ops.size() > size_t(kMaxOpsPerKernel))
    return refuse("kernel-size", "more than " + std::to_string(kMaxOpsPerKernel) +
                                     " ops in one kernel would exceed its register budget");
  KernelInterface io = interfaceOf(c);
  size_t args = io.inputs.size() + io.outputs.size();
  if (args > size_t(kMaxKernelArgs))
    return refuse("kernel-args", std::to_string(args) + " inputs and outputs exceed the " +
                                     std::to_string(kMaxKernelArgs) + " a kernel takes");

  // Expensive work recomputed per re-read. Values computed from a reduction
  // are computed once per row, so they do not count.
  llvm::SmallVector<Operation*, 4> roots(reduces.begin(), reduces.end());
  llvm::SmallPtrSet<Operation*, 16> perRow = dependents(c, roots);
  llvm::SmallPtrSet<Operation*, 16> expensive;
  for (Operation* op : c.ops) {
    if (perRow.count(op)) continue;
    bool carries = isExpensive(op);
    for (auto [i, v] : llvm::enumerate(op->getOperands())) {
      Operation* def = v.getDefiningOp();
      if (!def || !expensive.count(def)) continue;
      if (rereads(op, i))
        return refuse("expensive-recompute",
                      describe(op) + " reads each element of its operand several times, so the "
                                     "fused " + describe(def) + " chain would run several times");
      carries = true;
    }
    if (carries) expensive.insert(op);
  }

  if (auto r = checkInPlaceUpdate(c)) return r;
  if (auto* op = contraction)
    return checkContraction(c, op, isa<ConvolutionOp>(op) ? "conv" : "gemm");
  if (!reduces.empty()) return checkReduction(c, reduces);
  return checkLoop(c);
}

}  // namespace dlc::fusion
