// Tensor files: a serialised onnx.TensorProto, the format of the ONNX
// backend tests and of `dlc run --input-dir/--output-dir` (input_0.pb ...).
#pragma once

#include <string>

#include "dlc/Export.h"
#include "dlc/Tensor.h"

namespace dlc {

// Errors name the file and say what is wrong with it (code 1).
DLC_API Tensor readTensorFile(const std::string& path);
DLC_API void writeTensorFile(const std::string& path, const Tensor& tensor);

}  // namespace dlc
