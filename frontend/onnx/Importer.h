// ONNX model -> dlc dialect. The header is free of ONNX and protobuf types so
// that MLIR-side code (built without exceptions) can include it.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "runtime/Tensor.h"

namespace dlc {

struct OnnxImportOptions {
  // Fixes symbolic (or overrides) input dimensions: name -> dims.
  std::map<std::string, std::vector<int64_t>> inputShapes;
  // Values of the inputs, by signature position, when they are known at
  // compile time (dlc run compiles with its inputs in hand). An op that needs
  // an input as a compile-time constant (Reshape's shape, Slice's starts,
  // TopK's k) is specialised to its value; the argument then records the
  // value (`dlc.specialized`) and the runtime refuses any other.
  const std::vector<rt::HostTensor>* inputValues = nullptr;  // not owned
  // The forward pass of a training step (dlc train; docs/training.md):
  // BatchNormalization normalises with the batch statistics and Dropout
  // drops, as torch's modules do in model.train(). What the model updates
  // itself becomes results of @main after the graph outputs: each new
  // running mean and variance of a BatchNormalization whose mean and var
  // are graph inputs, with the result attributes dlc.name (the input's
  // name) and dlc.updates (the index of the argument it replaces at the
  // next step). Dropout reads the step's random key, an argument
  // tensor<2xui32> named dlc.rng_key added after the graph inputs (see
  // frontend/CounterRng.h).
  bool training = false;
};

// The argument name of the training import's random key.
inline constexpr const char* kRngKeyName = "dlc.rng_key";

// Loads `path` (with external data from its directory), checks it with ONNX's
// checker and shape inference where the model's opset is within what the
// ONNX library knows, and imports the main graph as `func.func @main`.
// On failure returns null and sets `error` to one line:
//   FILE: node 'NAME' (OpType, opset N): reason
// The ONNX ops (default domain) the importer decomposes, sorted.
std::vector<std::string> supportedOnnxOps();

mlir::OwningOpRef<mlir::ModuleOp> importOnnxFile(mlir::MLIRContext& ctx, const std::string& path,
                                                 const OnnxImportOptions& options,
                                                 std::string& error);

// Why an import failed: the one-line message above and, when one node is at
// fault, its name and the reason alone (what a generating frontend such as
// the DSL needs to point at its own source).
struct ImportError {
  std::string message;
  std::string node;    // empty: not one node's fault
  std::string reason;  // the message without the "FILE: node ..." prefix
};

// As importOnnxFile, for a serialised ModelProto in memory. `name` stands for
// the model in messages; external data is read from files inside `baseDir`,
// under the same containment rules as for a model file.
mlir::OwningOpRef<mlir::ModuleOp> importOnnxBytes(mlir::MLIRContext& ctx, const std::string& bytes,
                                                  const std::string& name, const std::string& baseDir,
                                                  const OnnxImportOptions& options,
                                                  ImportError& error);

}  // namespace dlc
