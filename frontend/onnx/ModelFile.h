// Reading a model's bytes and parsing them as an ONNX model: one place for
// these checks and their messages, shared by the importer, the compile
// driver and the C++ API (which checks at load what the importer would
// refuse at compile time). MLIR-free.
#pragma once

#include <stdexcept>
#include <string>

namespace onnx {
class ModelProto;
}

namespace dlc::onnx_io {

// The message is complete ("PATH: ...").
struct ModelFileError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The bytes of the file at `path`; `missing` is the message when it is not
// a regular file.
std::string readFileBytes(const std::string& path, const std::string& missing);

// Parses `bytes` into `model`; `name` stands for the model in messages. A
// model must be non-empty, parse as onnx.ModelProto and have a graph.
void parseModel(const std::string& bytes, const std::string& name, onnx::ModelProto& model);

}  // namespace dlc::onnx_io
