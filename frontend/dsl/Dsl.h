// The model DSL (docs/dsl.md) -> an ONNX model in memory, which the ONNX
// importer lowers to the dlc dialect like any .onnx file. The header is free
// of MLIR, ONNX and protobuf types.
#pragma once

#include <map>
#include <string>

namespace dlc::dsl {

// Where in the DSL source something came from (1-based).
struct SourceLoc {
  int line = 0;
  int col = 0;
};

struct Translation {
  std::string modelBytes;  // a serialised onnx.ModelProto
  // Diagnostics, each "NAME:LINE:COL: error: MESSAGE" + the source line + a
  // caret line; empty when the translation succeeded.
  std::string errors;
  // The generated ONNX node names -> the DSL expression that made each node.
  std::map<std::string, SourceLoc> nodeLocations;
  bool ok() const { return errors.empty(); }
};

// Parses and translates `source`. `name` stands for the file in messages;
// load("...") paths are resolved inside `baseDir`. Never throws.
Translation translateToOnnx(const std::string& source, const std::string& name,
                            const std::string& baseDir);

// Turns an ONNX importer failure on a translated model into a DSL
// diagnostic: when `node` is one the translation generated, the error is
// reported at its source location with `reason`; otherwise `message` as is.
std::string describeImportError(const std::string& source, const std::string& name,
                                const Translation& translation, const std::string& message,
                                const std::string& node, const std::string& reason);

}  // namespace dlc::dsl
