// Tensor files through the ONNX frontend's TensorProto reader and writer,
// the ones `dlc run` uses for input_N.pb / output_N.pb.
#include "api/Internal.h"
#include "dlc/TensorIO.h"
#include "frontend/onnx/TensorProtoIO.h"

namespace dlc {

Tensor readTensorFile(const std::string& path) {
  Tensor t;
  api::translateExceptions([&] {
    try {
      t = api::fromHostTensor(onnx_io::loadTensorFile(path));
    } catch (const onnx_io::TensorError& e) {
      throw Error(1, e.what());
    }
  });
  return t;
}

void writeTensorFile(const std::string& path, const Tensor& tensor) {
  api::translateExceptions([&] {
    if (tensor.device() != Device::Host) api::cudaNotAvailable("writeTensorFile");
    try {
      onnx_io::saveTensorFile(path, api::toHostTensor(tensor));
    } catch (const onnx_io::TensorError& e) {
      throw Error(1, e.what());
    }
  });
}

}  // namespace dlc
