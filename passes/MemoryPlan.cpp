// STUB (being written): the dlc-plan-memory pass.
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace dlc {
namespace {

struct PlanMemoryPass : mlir::PassWrapper<PlanMemoryPass, mlir::OperationPass<mlir::ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(PlanMemoryPass)
  llvm::StringRef getArgument() const override { return "dlc-plan-memory"; }
  llvm::StringRef getDescription() const override { return "(stub)"; }
  void runOnOperation() override {}
};

}  // namespace

std::unique_ptr<mlir::Pass> createPlanMemoryPass() { return std::make_unique<PlanMemoryPass>(); }

}  // namespace dlc
