#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

namespace dlc {

void buildInferencePipeline(mlir::OpPassManager& pm) {
  // MLIR's canonicalizer applies the dlc folders (x+0, x*1, identity
  // transposes/reshapes/broadcasts, constants) and removes dead ops; CSE
  // merges duplicates that ONNX exporters leave behind.
  pm.addPass(mlir::createCanonicalizerPass());
  pm.addPass(mlir::createCSEPass());
}

void registerPasses() {
  static mlir::PassPipelineRegistration<> pipeline(
      "dlc-pipeline", "the dlc compile pipeline (what `dlc compile` runs)",
      [](mlir::OpPassManager& pm) { buildInferencePipeline(pm); });
}

}  // namespace dlc
