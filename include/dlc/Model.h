// Models: what compile() takes. A model is loaded from an ONNX file or
// serialised bytes, a DSL file or string (docs/dsl.md), dlc IR text, or
// built in C++ with GraphBuilder (GraphBuilder.h).
//
// Loading reads and parses the model: a missing file, bytes that are not an
// ONNX model, or DSL syntax errors are reported here. Whether dlc supports
// every op of the model, and the shapes, are found by compile(), which can
// also fix symbolic input dimensions (CompileOptions::inputShapes).
// Errors carry the dlc tool's messages for the same failure.
#pragma once

#include <memory>
#include <string>

#include "dlc/Error.h"
#include "dlc/Export.h"

namespace dlc {

enum class ModelFormat : uint8_t { Onnx, Dsl, Ir };

class DLC_API Model {
 public:
  // An empty model; compile() refuses it.
  Model();
  ~Model();
  Model(const Model&);
  Model& operator=(const Model&);
  Model(Model&&) noexcept;
  Model& operator=(Model&&) noexcept;

  // By the file's extension, as the dlc tool does: .dlc (the DSL), .mlir
  // (dlc IR text), anything else ONNX.
  static Model fromFile(const std::string& path);
  // An ONNX model file; its external data is read from its folder.
  static Model fromOnnxFile(const std::string& path);
  // A serialised onnx.ModelProto. `name` stands for the model in messages;
  // external data (if any) is read from files inside `baseDir`.
  static Model fromOnnxBytes(std::string bytes, const std::string& name = "model.onnx",
                             const std::string& baseDir = ".");
  // A model in the DSL; load("...") paths are relative to the file's folder.
  static Model fromDslFile(const std::string& path);
  // DSL source text. `name` stands for the file in messages
  // ("NAME:LINE:COL: error: ..."); load("...") paths are read inside `baseDir`.
  static Model fromDslString(std::string source, const std::string& name = "model.dlc",
                             const std::string& baseDir = ".");

  // The same, without exceptions: on failure `out` is left unchanged.
  static Status tryFromFile(const std::string& path, Model& out);
  static Status tryFromOnnxFile(const std::string& path, Model& out);
  static Status tryFromOnnxBytes(std::string bytes, const std::string& name, const std::string& baseDir,
                                 Model& out);
  static Status tryFromDslFile(const std::string& path, Model& out);
  static Status tryFromDslString(std::string source, const std::string& name, const std::string& baseDir,
                                 Model& out);

  bool isEmpty() const;
  // The name used in messages: the path, or the name given.
  const std::string& name() const;
  ModelFormat format() const;
  // The model as a serialised onnx.ModelProto: ONNX and GraphBuilder models
  // as they are, a DSL model translated (what `dlc export` writes). IR text
  // has no ONNX form: an Error.
  std::string toOnnx() const;

  struct Impl;
  const Impl* impl() const { return impl_.get(); }
  explicit Model(std::shared_ptr<const Impl> impl);

 private:
  std::shared_ptr<const Impl> impl_;
};

}  // namespace dlc
