// The compile driver shared by the dlc CLI and the C++ library: load a model
// (ONNX, the DSL, or dlc IR text), run the pass pipeline with the requested
// IR dumps.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "passes/Passes.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "runtime/Tensor.h"

namespace dlc::driver {

struct CompileOptions {
  std::map<std::string, std::vector<int64_t>> inputShapes;
  bool printIrAfterAll = false;
  std::vector<std::string> printIrAfter;  // pass names
  std::string dumpDir;                    // write the IR after each stage here
  bool optimize = true;                   // false: run no pass (differential tests)
  bool fuse = true;                       // false: stop before fusion (`--emit ir`)
  bool explainFusion = false;             // collect the fusion pass's remarks
  // --precision: fp16/bf16 run dlc-mixed-precision; tf32 changes no IR (the
  // CUDA target's allowTf32, CudaCompileOptions).
  PrecisionMode precision = PrecisionMode::F32;
  bool checkpoint = false;                // a training step: gradient checkpointing
  // Input values known at compile time (dlc run), by signature position:
  // ops that need an input as a constant are specialised to them.
  const std::vector<rt::HostTensor>* inputValues = nullptr;  // not owned
  // Import the forward pass of a training step (OnnxImportOptions::training).
  bool training = false;
};

// A failure with the exit code it maps to (1: the user's input, 2: ours) and
// a complete message.
struct Failure {
  int exitCode = 0;
  std::string message;
  explicit operator bool() const { return exitCode != 0; }
};

// Creates a context with the dialects dlc needs.
void initContext(mlir::MLIRContext& ctx);

// Loads MODEL by its extension: .mlir (dlc IR text), .dlc (the model DSL),
// anything else ONNX.
mlir::OwningOpRef<mlir::ModuleOp> loadModel(mlir::MLIRContext& ctx, const std::string& path,
                                            const CompileOptions& opts, Failure& failure);

// A model held in memory. `name` stands for it in messages; `baseDir` is
// where its external data (ONNX) or load("...") files (DSL) are read from.
enum class ModelFormat { Onnx, Dsl };
struct InMemoryModel {
  ModelFormat format = ModelFormat::Onnx;
  std::string bytes;  // a serialised onnx.ModelProto, or DSL source text
  std::string name;
  std::string baseDir;
};
mlir::OwningOpRef<mlir::ModuleOp> loadModel(mlir::MLIRContext& ctx, const InMemoryModel& model,
                                            const CompileOptions& opts, Failure& failure);

// What a pipeline run reports besides the IR: wall time per pass, in run
// order, and the remarks of --explain-fusion.
struct PipelineReport {
  std::vector<std::pair<std::string, double>> passMs;
  std::vector<std::string> remarks;
};

// Runs the inference pipeline on the module in place.
Failure runPipeline(mlir::ModuleOp module, const CompileOptions& opts,
                    PipelineReport* report = nullptr);

}  // namespace dlc::driver
