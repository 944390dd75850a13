// The dlc pass pipeline. Each pass has a name (its dlc-opt flag), and the
// pass manager runs the verifier after every pass.
//
//   canonicalize           MLIR's canonicalizer with the dlc folders and patterns
//   dlc-fold-constants     evaluates ops whose operands are all constants
//   cse                    merges duplicates
//   dlc-fuse               groups core ops into dlc.fusion kernels
//   dlc-schedule           runs kernels whose results all leave the function
//                          (optimizer updates, outputs) as early as they can
//   dlc-plan-memory        liveness + arena offsets over the kernel order
//   dlc-verify-memory-plan proves the plan: no two live buffers overlap
//   dlc-mixed-precision    dot_general/convolution on f16|bf16 operands, f32 elsewhere
//   dlc-autodiff           appends a scalar loss's gradients (training; not in the
//                          inference pipeline)
//   dlc-training-step      the training step of passes/TrainingStep.h (lit tests)
//   dlc-checkpoint         gradient checkpointing: recomputes forward values in the
//                          backward pass (training, `checkpoint` below)
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "llvm/ADT/StringRef.h"

namespace mlir {
class OpPassManager;
class Pass;
}  // namespace mlir

namespace dlc {

// Registers dlc's passes and pipelines with the global registry (dlc-opt).
void registerPasses();

// The arithmetic of matrix products and convolutions (`--precision`):
// F32 everywhere; TF32: f32 tensors, TF32 tensor-core math in the library
// calls (CudaTarget::allowTf32), no IR change; F16/BF16: dlc-mixed-precision.
// (The same order as the public dlc::Precision, include/dlc/Compile.h.)
enum class PrecisionMode : uint8_t { F32, TF32, F16, BF16 };
std::optional<PrecisionMode> parsePrecision(llvm::StringRef s);  // fp32|tf32|fp16|bf16
const char* precisionName(PrecisionMode p);

// The inference pipeline: canonicalize -> fold constants -> CSE ->
// [mixed precision] -> fusion -> scheduling -> memory planning -> plan
// verification.
struct PipelineOptions {
  PrecisionMode precision = PrecisionMode::F32;
  bool fuse = true;        // false: stop after canonicalisation (`--emit ir`)
  bool explainFusion = false;  // the fusion pass emits a remark per unfused edge
  // A training step (loss = result 0): dlc-checkpoint after CSE, before fusion.
  bool checkpoint = false;
};
void buildInferencePipeline(mlir::OpPassManager& pm, const PipelineOptions& opts = {});

// Constants with more elements than this are not folded (the folded result
// would be stored in the executable).
constexpr int64_t kFoldElementLimit = 1 << 16;

std::unique_ptr<mlir::Pass> createFoldConstantsPass();
std::unique_ptr<mlir::Pass> createFusionPass(bool explain = false);
std::unique_ptr<mlir::Pass> createPlanMemoryPass();
std::unique_ptr<mlir::Pass> createVerifyMemoryPlanPass();
std::unique_ptr<mlir::Pass> createAutodiffPass();
std::unique_ptr<mlir::Pass> createMixedPrecisionPass(PrecisionMode p = PrecisionMode::F16);
std::unique_ptr<mlir::Pass> createCheckpointPass();
// buildTrainingStep as a pass (dlc-opt and lit tests; `dlc train` calls it directly).
std::unique_ptr<mlir::Pass> createTrainingStepPass();
std::unique_ptr<mlir::Pass> createSchedulePass();

}  // namespace dlc
