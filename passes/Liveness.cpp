#include "passes/Liveness.h"

#include <algorithm>

#include "ir/Dialect.h"
#include "ir/TensorConversions.h"
#include "runtime/TensorLimits.h"

#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace dlc {

bool isKernel(Operation* op) {
  return !op->hasTrait<OpTrait::IsTerminator>() && !op->hasTrait<OpTrait::ConstantLike>();
}

std::optional<int64_t> elementBytes(Type type) {
  auto tensor = type.dyn_cast<RankedTensorType>();
  if (!tensor || !tensor.hasStaticShape() || !tensor.getElementType().isIntOrFloat())
    return std::nullopt;
  return (tensor.getElementType().getIntOrFloatBitWidth() + 7) / 8;
}

std::optional<KernelSchedule> KernelSchedule::build(func::FuncOp f) {
  KernelSchedule s;
  Block& body = f.getBody().front();
  DenseSet<Value> returned;
  for (Value v : body.getTerminator()->getOperands()) returned.insert(v);

  for (Operation& op : body) {
    if (!isKernel(&op)) continue;
    int step = static_cast<int>(s.kernels_.size());
    s.steps_[&op] = step;
    s.kernels_.push_back(&op);
    s.firstBuffer_.push_back(s.buffers_.size());
    for (OpResult r : op.getResults()) {
      std::optional<int64_t> width = elementBytes(r.getType());
      if (!width) {
        op.emitError() << "result " << r.getResultNumber() << " has type " << r.getType()
                       << ", which has no static size to plan memory for";
        return std::nullopt;
      }
      // IR text may declare any shape: one whose size overflows int64 or
      // passes what dlc supports would wrap the arena offsets around.
      auto type = r.getType().cast<RankedTensorType>();
      if (auto dtype = dtypeOf(type.getElementType())) {
        std::string problem =
            rt::tensorSizeProblem(*dtype, {type.getShape().begin(), type.getShape().end()});
        if (!problem.empty()) {
          op.emitError() << "result " << r.getResultNumber() << ": " << problem;
          return std::nullopt;
        }
      }
      Buffer b;
      b.value = r;
      b.kernel = &op;
      b.result = r.getResultNumber();
      b.bytes = alignBuffer(*width * r.getType().cast<RankedTensorType>().getNumElements());
      b.firstStep = b.lastStep = step;
      b.inArena = !returned.contains(r);
      s.bufferIndex_[r] = s.buffers_.size();
      s.buffers_.push_back(b);
    }
  }
  // A use inside a region of a top-level op counts at that op's step.
  for (Buffer& b : s.buffers_)
    for (Operation* user : b.value.getUsers())
      if (Operation* top = body.findAncestorOpInBlock(*user); top && s.steps_.count(top))
        b.lastStep = std::max(b.lastStep, s.steps_[top]);
  return s;
}

const Buffer* KernelSchedule::bufferOf(Value v) const {
  auto it = bufferIndex_.find(v);
  return it == bufferIndex_.end() ? nullptr : &buffers_[it->second];
}

int64_t KernelSchedule::naiveBytes() const {
  int64_t total = 0;
  for (const Buffer& b : buffers_)
    if (b.inArena) total += b.bytes;
  return total;
}

int64_t KernelSchedule::lowerBoundBytes() const {
  // Sizes enter at their first step and leave after their last.
  std::vector<int64_t> delta(kernels_.size() + 1, 0);
  for (const Buffer& b : buffers_) {
    if (!b.inArena) continue;
    delta[b.firstStep] += b.bytes;
    delta[b.lastStep + 1] -= b.bytes;
  }
  int64_t live = 0, peak = 0;
  for (int64_t d : delta) peak = std::max(peak, live += d);
  return peak;
}

namespace {

int64_t numElements(Value v) { return v.getType().cast<RankedTensorType>().getNumElements(); }

// Elementwise ops (select, compare and convert included) compute element i
// of their result from element i of their operands only.
bool isElementwise(Operation* op) {
  auto dlcOp = dyn_cast<DlcOp>(op);
  return dlcOp && dlcOp.getOpClass() == OpClass::Elementwise;
}

// Why kernel `op` may read its operand `operand` at an index other than the
// one where it writes `result` (nullopt: it reads it only there). With
// `reductions`, a reduction fusion passes too when what it computes from the
// operand keeps the result's element count and never reaches a reduce: its
// grid-stride loop over the result's elements (docs/cuda.md) then reads each
// element in the iteration that writes it. The arena's in-place reuse does
// not take that path (it keeps to loop kernels).
std::optional<std::string> readsElsewhere(Operation* op, unsigned operand, Value result,
                                          bool reductions = false) {
  int64_t count = numElements(result);
  auto fusion = dyn_cast<FusionOp>(op);
  if (!fusion) {
    if (!isElementwise(op))
      return "'" + op->getName().getStringRef().str() + "' is not an elementwise kernel";
    return std::nullopt;
  }
  bool reduction = reductions && fusion.getKind() == FusionKind::Reduction;
  if (fusion.getKind() != FusionKind::Loop && !reduction)
    return "a '" + stringifyFusionKind(fusion.getKind()).str() +
           "' fusion reads its inputs at other indices than it writes";
  if (!reduction)
    for (Value r : fusion.getResults())
      if (numElements(r) != count)
        return "the fusion has results of different element counts";
  // Everything computed from the input inside the body must stay at the
  // element index it was read at, up to the yield that writes it out (a
  // reshape keeps the row-major index).
  SmallVector<Value> work{fusion.getBlock().getArgument(operand)};
  DenseSet<Operation*> seen;
  while (!work.empty()) {
    Value v = work.pop_back_val();
    for (Operation* user : v.getUsers()) {
      if (isa<YieldOp>(user) || !seen.insert(user).second) continue;
      if (!isElementwise(user) && !isa<ReshapeOp>(user))
        return "'" + user->getName().getStringRef().str() + "' inside the fusion reads it";
      for (Value r : user->getResults()) {
        if (numElements(r) != count)
          return "'" + user->getName().getStringRef().str() +
                 "' inside the fusion changes the element count";
        work.push_back(r);
      }
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> inPlaceRefusal(const KernelSchedule& schedule, int step,
                                          unsigned result, unsigned operand) {
  Operation* op = schedule.kernels()[step];
  if (result >= op->getNumResults()) return "the kernel has no result " + std::to_string(result);
  if (operand >= op->getNumOperands())
    return "the kernel has no operand " + std::to_string(operand);
  const Buffer* r = schedule.bufferOf(op->getResult(result));
  const Buffer* x = schedule.bufferOf(op->getOperand(operand));
  if (!r->inArena) return std::string("the result is returned by the function");
  if (!x || !x->inArena)
    return std::string("the operand is not in the arena (a function input, constant or output)");
  if (x->lastStep != step)
    return "the operand is still used at step " + std::to_string(x->lastStep);
  if (elementBytes(r->value.getType()) != elementBytes(x->value.getType()) ||
      numElements(r->value) != numElements(x->value))  // so equal sizes
    return std::string("the result and the operand differ in element count or element size");
  // Every position at which the operand is used must pass.
  for (OpOperand& use : op->getOpOperands())
    if (use.get() == x->value)
      if (std::optional<std::string> why = readsElsewhere(op, use.getOperandNumber(), r->value))
        return why;
  return std::nullopt;
}

std::vector<int> stepsReading(const KernelSchedule& schedule, func::FuncOp f, unsigned arg) {
  Block& body = f.getBody().front();
  std::vector<int> steps;
  for (Operation* user : f.getArgument(arg).getUsers())
    if (Operation* top = body.findAncestorOpInBlock(*user); top && isKernel(top))
      steps.push_back(schedule.stepOf(top));
  std::sort(steps.begin(), steps.end());
  steps.erase(std::unique(steps.begin(), steps.end()), steps.end());
  return steps;
}

std::optional<std::string> aliasRefusal(const KernelSchedule& schedule, func::FuncOp f,
                                        unsigned result, unsigned arg) {
  auto ret = cast<func::ReturnOp>(f.getBody().front().getTerminator());
  if (result >= ret.getNumOperands()) return "the function has no result " + std::to_string(result);
  if (arg >= f.getNumArguments()) return "the function has no argument " + std::to_string(arg);
  Value v = ret.getOperand(result), a = f.getArgument(arg);
  if (v == a) return std::nullopt;  // returned unchanged: nothing to write
  for (auto [i, r] : llvm::enumerate(ret.getOperands())) {
    if (r == a) return "argument " + std::to_string(arg) + " is also returned as it is (result " +
                       std::to_string(i) + ")";
    if (r == v && i != result)
      return "the value is returned twice (results " + std::to_string(result) + " and " +
             std::to_string(i) + ")";
  }
  const Buffer* b = schedule.bufferOf(v);
  if (!b) return std::string("the result is not computed by a kernel (an argument or a constant)");
  int step = schedule.stepOf(b->kernel);
  for (int reader : stepsReading(schedule, f, arg))
    if (reader > step)
      return "argument " + std::to_string(arg) + " is still read at step " + std::to_string(reader) +
             ", after the kernel that writes the result (step " + std::to_string(step) + ")";
  for (OpOperand& use : b->kernel->getOpOperands())
    if (use.get() == a)
      if (std::optional<std::string> why =
              readsElsewhere(b->kernel, use.getOperandNumber(), v, /*reductions=*/true))
        return describeOp(b->kernel) + " reads the argument and writes the result: " + *why;
  return std::nullopt;
}

std::string describeOp(Operation* op) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << "'" << op->getName();
  if (auto fusion = dyn_cast<FusionOp>(op)) os << " " << stringifyFusionKind(fusion.getKind());
  os << "'";
  // The first name in the location is the model's node name; otherwise
  // the source position.
  std::string where;
  op->getLoc()->walk([&](Location loc) {
    if (auto name = loc.dyn_cast<NameLoc>()) {
      where = "node '" + name.getName().str() + "'";
      return WalkResult::interrupt();
    }
    if (auto pos = loc.dyn_cast<FileLineColLoc>(); pos && where.empty())
      where = llvm::sys::path::filename(pos.getFilename().getValue()).str() + ":" +
              std::to_string(pos.getLine()) + ":" + std::to_string(pos.getColumn());
    return WalkResult::advance();
  });
  if (!where.empty()) os << " (" << where << ")";
  return os.str();
}

}  // namespace dlc
