// dlc-fold-constants: every core op whose operands are all dlc.constant and
// whose result has at most kFoldElementLimit elements is evaluated on the
// host device (codegen/host/EvaluateOnHost.h: the reference kernels, so the
// folded value is exactly what the model would compute) and replaced by a
// constant. The dialect's folders and canonicalization patterns run in the
// same rewrite, so that what a fold exposes (a select on a predicate that is
// now constant, a gather at an index that is now constant) is simplified and
// folded in turn, to a fixed point.
//
// Not folded:
// - an op whose evaluation fails (an integer division by zero, a gather
//   index out of range): it stays, and the run-time kernel reports it;
// - broadcast_in_dim of a constant that is not a splat, and iota: they only
//   make data bigger, which a fused kernel computes for free but a constant
//   costs in memory (a splat broadcast is folded by the canonicalizer, into
//   a splat);
// - results over the limit: they would be stored in the executable.
#include "codegen/host/EvaluateOnHost.h"
#include "ir/Dialect.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Rewrite/FrozenRewritePatternSet.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace dlc {
namespace {

// Why `op` is not evaluated, or null when it is to be.
const char* whyNotFolded(Operation* op) {
  if (!isa<DlcDialect>(op->getDialect()) || isa<ConstantOp>(op) || op->getNumRegions() > 0 ||
      op->hasTrait<OpTrait::IsTerminator>() || op->getNumResults() != 1)
    return "not a core op with one result";
  if (op->getNumOperands() == 0) return "a generator (iota): cheaper than its constant";
  for (Value operand : op->getOperands())
    if (!operand.getDefiningOp<ConstantOp>()) return "an operand is not a constant";
  if (isa<BroadcastInDimOp>(op)) return "a broadcast makes a constant bigger";
  auto type = op->getResult(0).getType().dyn_cast<RankedTensorType>();
  if (!type || !type.hasStaticShape() || type.getNumElements() > kFoldElementLimit)
    return "the result is over the element limit";
  return nullptr;
}

struct EvaluateConstantOp : RewritePattern {
  explicit EvaluateConstantOp(MLIRContext* ctx)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, ctx) {}

  LogicalResult matchAndRewrite(Operation* op, PatternRewriter& rewriter) const override {
    if (const char* why = whyNotFolded(op)) return rewriter.notifyMatchFailure(op, why);
    std::string reason;
    std::optional<DenseElementsAttr> value = evaluateOpOnHost(op, reason);
    if (!value) return rewriter.notifyMatchFailure(op, reason);
    rewriter.replaceOpWithNewOp<ConstantOp>(op, *value);
    return success();
  }
};

struct FoldConstantsPass : PassWrapper<FoldConstantsPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(FoldConstantsPass)
  StringRef getArgument() const override { return "dlc-fold-constants"; }
  StringRef getDescription() const override {
    return "evaluate ops on constants on the host device (with canonicalization)";
  }

  LogicalResult initialize(MLIRContext* ctx) override {
    RewritePatternSet set(ctx);
    set.add<EvaluateConstantOp>(ctx);
    for (Dialect* dialect : ctx->getLoadedDialects()) dialect->getCanonicalizationPatterns(set);
    for (RegisteredOperationName op : ctx->getRegisteredOperations())
      op.getCanonicalizationPatterns(set, ctx);
    patterns_ = FrozenRewritePatternSet(std::move(set));
    return success();
  }

  void runOnOperation() override {
    // Like the canonicalizer, a rewrite that does not converge within the
    // driver's iteration limit leaves valid IR: not an error.
    (void)applyPatternsAndFoldGreedily(getOperation(), patterns_);
  }

  FrozenRewritePatternSet patterns_;
};

}  // namespace

std::unique_ptr<Pass> createFoldConstantsPass() { return std::make_unique<FoldConstantsPass>(); }

}  // namespace dlc
