// STUB (being written): the dlc-verify-memory-plan pass.
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace dlc {
namespace {

struct VerifyMemoryPlanPass : mlir::PassWrapper<VerifyMemoryPlanPass, mlir::OperationPass<mlir::ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(VerifyMemoryPlanPass)
  llvm::StringRef getArgument() const override { return "dlc-verify-memory-plan"; }
  llvm::StringRef getDescription() const override { return "(stub)"; }
  void runOnOperation() override {}
};

}  // namespace

std::unique_ptr<mlir::Pass> createVerifyMemoryPlanPass() { return std::make_unique<VerifyMemoryPlanPass>(); }

}  // namespace dlc
