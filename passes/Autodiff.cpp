// dlc-autodiff: appends to @main the reverse-mode gradients of a scalar loss
// (one of its results) with respect to chosen arguments (the parameters, for
// training). Options: `loss=N` (the result index, default 0) and
// `wrt=I,J,...` (argument indices; default every float argument).
//
// Reverse mode over the function's single block: the ops that lie on a path
// from a chosen argument to the loss are visited in reverse order, and each
// builds its operands' gradients from its result's through its gradient
// rule (DlcOp::buildGradient, ir/Gradients*.cpp). Gradients of a value with
// several uses are summed. Only float values carry gradients.
#include "passes/Autodiff.h"

#include "ir/GraphBuild.h"
#include "passes/Passes.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

using namespace mlir;

namespace dlc {

LogicalResult appendGradients(func::FuncOp f, unsigned lossResult, const std::vector<unsigned>& wrt) {
  if (!f.getBody().hasOneBlock()) return f.emitError("autodiff needs a function with one block");
  Block& block = f.getBody().front();
  auto ret = dyn_cast<func::ReturnOp>(block.getTerminator());
  if (!ret) return f.emitError("autodiff needs a func.return");
  if (lossResult >= ret.getNumOperands())
    return f.emitError("autodiff: the loss is result ") << lossResult << ", but the function has "
                                                         << ret.getNumOperands() << " results";
  Value loss = ret.getOperand(lossResult);
  auto lossType = loss.getType().dyn_cast<RankedTensorType>();
  if (!GraphBuild::isFloatTensor(loss.getType()) || lossType.getNumElements() != 1)
    return f.emitError("autodiff: the loss (result ") << lossResult << ") must be a float tensor of one element, not "
                                                      << loss.getType();
  for (unsigned a : wrt) {
    if (a >= f.getNumArguments())
      return f.emitError("autodiff: argument ") << a << " does not exist (" << f.getNumArguments() << " arguments)";
    if (!GraphBuild::isFloatTensor(f.getArgument(a).getType()))
      return f.emitError("autodiff: argument ") << a << " is not a float tensor: " << f.getArgument(a).getType();
  }

  // Forward: the values that depend on a chosen argument.
  llvm::DenseSet<Value> active;
  for (unsigned a : wrt) active.insert(f.getArgument(a));
  std::vector<Operation*> ops;
  for (Operation& op : block.without_terminator()) {
    bool dependent = llvm::any_of(op.getOperands(), [&](Value v) { return active.count(v); });
    if (!dependent) continue;
    ops.push_back(&op);
    for (Value r : op.getResults())
      if (GraphBuild::isFloatTensor(r.getType())) active.insert(r);
  }

  OpBuilder builder(ret);
  GraphBuild gb(builder, f.getLoc());
  llvm::DenseMap<Value, Value> grads;
  if (active.count(loss)) grads[loss] = gb.splatLike(1.0, loss);
  for (auto it = ops.rbegin(); it != ops.rend(); ++it) {
    Operation* op = *it;
    SmallVector<Value> resultGrads;
    bool any = false;
    for (Value r : op->getResults()) {
      Value g = grads.lookup(r);
      any |= static_cast<bool>(g);
      resultGrads.push_back(g);
    }
    if (!any) continue;  // does not reach the loss
    auto dlcOp = dyn_cast<DlcOp>(op);
    if (!dlcOp) return op->emitOpError("has no gradient rule (not a dlc core op)");
    for (size_t i = 0; i < resultGrads.size(); ++i)
      if (!resultGrads[i]) resultGrads[i] = GraphBuild(builder, op->getLoc()).zerosLike(op->getResult(i));
    SmallVector<Value> operandGrads;
    builder.setInsertionPoint(ret);
    if (failed(dlcOp.buildGradient(builder, resultGrads, operandGrads))) return failure();
    if (operandGrads.size() != op->getNumOperands())
      return op->emitOpError("gradient rule gave ") << operandGrads.size() << " gradients for "
                                                     << op->getNumOperands() << " operands";
    GraphBuild acc(builder, op->getLoc());
    for (size_t i = 0; i < operandGrads.size(); ++i) {
      Value operand = op->getOperand(i), g = operandGrads[i];
      if (!g || !active.count(operand)) continue;
      if (g.getType() != operand.getType())
        return op->emitOpError("gradient rule gave type ") << g.getType() << " for operand " << i << " of type "
                                                           << operand.getType();
      grads[operand] = acc.accumulate(grads.lookup(operand), g);
    }
  }

  SmallVector<Value> results(ret.getOperands());
  SmallVector<Type> types(f.getFunctionType().getResults());
  for (unsigned a : wrt) {
    Value arg = f.getArgument(a);
    Value g = grads.lookup(arg);
    if (!g) g = gb.zerosLike(arg);
    results.push_back(g);
    types.push_back(arg.getType());
  }
  unsigned first = ret.getNumOperands();
  ret->setOperands(results);
  // The result attributes are one array: keep the old entries, add the new.
  SmallVector<DictionaryAttr> resultAttrs;
  for (unsigned i = 0; i < first; ++i) resultAttrs.push_back(f.getResultAttrDict(i));
  f->removeAttr("res_attrs");
  f.setType(FunctionType::get(f.getContext(), f.getFunctionType().getInputs(), types));
  for (unsigned i = 0; i < first; ++i)
    if (resultAttrs[i]) f.setResultAttrs(i, resultAttrs[i]);
  // Name the gradients after their arguments where those have names.
  for (size_t i = 0; i < wrt.size(); ++i)
    if (auto name = f.getArgAttrOfType<StringAttr>(wrt[i], "dlc.name"))
      f.setResultAttr(first + static_cast<unsigned>(i), "dlc.name",
                      builder.getStringAttr("grad_" + name.getValue().str()));
  return success();
}

namespace {

struct AutodiffPass : PassWrapper<AutodiffPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(AutodiffPass)
  AutodiffPass() = default;
  AutodiffPass(const AutodiffPass& other) : PassWrapper(other) {}
  StringRef getArgument() const override { return "dlc-autodiff"; }
  StringRef getDescription() const override {
    return "append to @main the reverse-mode gradients of a scalar loss result with respect to its arguments";
  }
  Option<unsigned> loss{*this, "loss", llvm::cl::desc("the index of the loss among @main's results"),
                        llvm::cl::init(0)};
  ListOption<unsigned> wrt{*this, "wrt", llvm::cl::desc("the argument indices (default: every float argument)")};

  void runOnOperation() override {
    auto f = getOperation().lookupSymbol<func::FuncOp>("main");
    if (!f) {
      getOperation().emitError("dlc-autodiff: the module has no func.func @main");
      return signalPassFailure();
    }
    std::vector<unsigned> args(wrt.begin(), wrt.end());
    if (args.empty())
      for (unsigned i = 0; i < f.getNumArguments(); ++i)
        if (GraphBuild::isFloatTensor(f.getArgument(i).getType())) args.push_back(i);
    if (failed(appendGradients(f, loss, args))) signalPassFailure();
  }
};

}  // namespace

std::unique_ptr<Pass> createAutodiffPass() { return std::make_unique<AutodiffPass>(); }

}  // namespace dlc
