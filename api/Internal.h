// What the public API's implementation files share: the Impl structs behind
// the public classes, conversions to the runtime's types, and the one place
// that turns any exception into a dlc::Error. Never installed.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "dlc/Compile.h"
#include "dlc/Error.h"
#include "dlc/Model.h"
#include "dlc/Tensor.h"
#include "runtime/Executable.h"
#include "runtime/Program.h"
#include "runtime/Tensor.h"

namespace dlc {

struct Tensor::Impl {
  DType dtype = DType::F32;
  Shape shape;
  Device device = Device::Host;
  void* data = nullptr;
  bool view = false;
  bool readOnly = false;
  std::shared_ptr<rt::HostTensor> owned;  // null for a view
};

// Where a model comes from; compile() loads it through api/Driver.h exactly
// as the dlc tool does (files by path, so that messages name the path).
struct Model::Impl {
  enum class Source { OnnxFile, OnnxBytes, DslFile, DslString, IrFile, Built };
  Source source = Source::OnnxFile;
  std::string name;     // the path for files
  std::string text;     // OnnxBytes/Built: the ModelProto; DslString: the source
  std::string baseDir;  // in-memory models: where external files are read
  std::string onnx;     // DSL models: the translation (toOnnx)
};

struct Executable::Impl {
  std::string modelName;
  Target target = Target::Host;
  std::shared_ptr<const rt::Executable> file;  // what save() writes
  std::shared_ptr<const rt::Program> program;  // file->program
  std::vector<TensorSpec> inputs, outputs;
  CompileStats stats;
};

namespace api {

// The public Executable over a runtime one: the signature and the statistics
// the Program holds (naive and lower-bound bytes are -1: only the compiler
// knows them).
std::shared_ptr<Executable::Impl> executableImpl(std::shared_ptr<const rt::Executable> file);

inline rt::DType toRt(DType t) { return static_cast<rt::DType>(t); }
inline DType fromRt(rt::DType t) { return static_cast<DType>(t); }

// The runtime's view of a host tensor (no copy).
rt::ConstTensorRef constRef(const Tensor& t);
rt::TensorRef mutableRef(Tensor& t);
// Copies into a new owning host tensor / from one (moved in, no copy).
rt::HostTensor toHostTensor(const Tensor& t);
Tensor fromHostTensor(rt::HostTensor t);

// Runs `fn`; an Error passes through, a std::bad_alloc becomes
// Error(1, "out of memory"), any other exception Error(2, "internal error: ...").
void translateExceptions(const std::function<void()>& fn);
// As translateExceptions, returning a Status instead of throwing.
Status catchStatus(const std::function<void()>& fn);

// The error for `what` ("writeTensorFile") given a tensor in device memory.
[[noreturn]] void cudaNotAvailable(const std::string& what);

}  // namespace api
}  // namespace dlc
