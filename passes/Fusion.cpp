// STUB (being written): the dlc-fuse pass.
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace dlc {
namespace {

struct FusionPass : mlir::PassWrapper<FusionPass, mlir::OperationPass<mlir::ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(FusionPass)
  llvm::StringRef getArgument() const override { return "dlc-fuse"; }
  llvm::StringRef getDescription() const override { return "(stub)"; }
  void runOnOperation() override {}
};

}  // namespace

std::unique_ptr<mlir::Pass> createFusionPass(bool) { return std::make_unique<FusionPass>(); }

}  // namespace dlc
