// STUB (being written): the dlc-fold-constants pass.
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace dlc {
namespace {

struct FoldConstantsPass : mlir::PassWrapper<FoldConstantsPass, mlir::OperationPass<mlir::ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(FoldConstantsPass)
  llvm::StringRef getArgument() const override { return "dlc-fold-constants"; }
  llvm::StringRef getDescription() const override { return "(stub)"; }
  void runOnOperation() override {}
};

}  // namespace

std::unique_ptr<mlir::Pass> createFoldConstantsPass() { return std::make_unique<FoldConstantsPass>(); }

}  // namespace dlc
