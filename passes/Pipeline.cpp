#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

namespace dlc {

void buildInferencePipeline(mlir::OpPassManager& pm, const PipelineOptions& opts) {
  // MLIR's canonicalizer applies the dlc folders and canonicalization
  // patterns (x+0, x*1, double transposes/reshapes, transposes into
  // dot_general ...) and removes dead ops; CSE merges duplicates that ONNX
  // exporters leave behind.
  pm.addPass(mlir::createCanonicalizerPass());
  pm.addPass(createFoldConstantsPass());
  pm.addPass(mlir::createCSEPass());
  if (opts.precision == PrecisionMode::F16 || opts.precision == PrecisionMode::BF16)
    pm.addPass(createMixedPrecisionPass(opts.precision));
  if (!opts.fuse) return;
  if (opts.checkpoint) pm.addPass(createCheckpointPass());
  pm.addPass(createFusionPass(opts.explainFusion));
  pm.addPass(createSchedulePass());
  pm.addPass(createPlanMemoryPass());
  pm.addPass(createVerifyMemoryPlanPass());
}

void registerPasses() {
  static mlir::PassPipelineRegistration<> pipeline(
      "dlc-pipeline", "the dlc compile pipeline (what `dlc compile` runs)",
      [](mlir::OpPassManager& pm) { buildInferencePipeline(pm); });
  mlir::registerPass([] { return createFoldConstantsPass(); });
  mlir::registerPass([] { return createFusionPass(); });
  mlir::registerPass([] { return createPlanMemoryPass(); });
  mlir::registerPass([] { return createVerifyMemoryPlanPass(); });
  mlir::registerPass([] { return createAutodiffPass(); });
  mlir::registerPass([] { return createMixedPrecisionPass(); });
  mlir::registerPass([] { return createCheckpointPass(); });
  mlir::registerPass([] { return createTrainingStepPass(); });
  mlir::registerPass([] { return createSchedulePass(); });
}

}  // namespace dlc
