// onnx.TensorProto <-> HostTensor: initializers, Constant nodes and the
// input_N.pb / output_N.pb files of `dlc run`.
#pragma once

#include <stdexcept>
#include <string>

#include "runtime/Tensor.h"

namespace onnx {
class TensorProto;
}

namespace dlc::onnx_io {

// A malformed tensor; the message says what is wrong (the caller adds where).
struct TensorError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Converts a TensorProto. External data is read from files inside
// `baseDir` only: an absolute location, a '..' component or a symlink that
// leaves baseDir is refused, as are offsets/lengths outside the file. Sizes
// are validated before anything is allocated.
rt::HostTensor fromTensorProto(const onnx::TensorProto& t, const std::string& baseDir);

// HostTensor -> TensorProto (dtype, dims, raw_data); the name is left as is.
void toTensorProto(const rt::HostTensor& t, onnx::TensorProto& p);

// Reads / writes a file holding one serialised TensorProto.
rt::HostTensor loadTensorFile(const std::string& path);
// The same for the file's bytes in memory (the tensor-file fuzzer); `name`
// starts the messages, external data is read from inside `baseDir`.
rt::HostTensor parseTensorFile(const std::string& bytes, const std::string& name,
                               const std::string& baseDir);
void saveTensorFile(const std::string& path, const rt::HostTensor& t);

// ONNX TensorProto.DataType code -> dlc dtype; throws TensorError naming the
// type for those dlc does not support.
rt::DType dtypeFromOnnx(int onnxType);
int dtypeToOnnx(rt::DType t);
std::string onnxTypeName(int onnxType);

}  // namespace dlc::onnx_io
