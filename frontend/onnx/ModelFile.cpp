#include "frontend/onnx/ModelFile.h"

#include <filesystem>
#include <fstream>

#include "onnx/onnx_pb.h"

namespace dlc::onnx_io {

std::string readFileBytes(const std::string& path, const std::string& missing) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw ModelFileError(missing);
  // One read of the whole file (a 100 MB model byte by byte through
  // istreambuf_iterator took a tenth of ResNet-50's compile time).
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw ModelFileError(path + ": cannot read the file");
  std::streamoff size = in.tellg();
  if (size < 0) throw ModelFileError(path + ": cannot read the file");
  std::string bytes(static_cast<size_t>(size), '\0');
  in.seekg(0);
  if (size > 0 && !in.read(bytes.data(), size)) throw ModelFileError(path + ": cannot read the file");
  return bytes;
}

void parseModel(const std::string& bytes, const std::string& name, onnx::ModelProto& model) {
  if (bytes.empty()) throw ModelFileError(name + ": the model is empty, not an ONNX model");
  if (!model.ParseFromString(bytes))
    throw ModelFileError(name + ": not an ONNX model (it does not parse as onnx.ModelProto)");
  if (!model.has_graph()) throw ModelFileError(name + ": the model has no graph");
}

}  // namespace dlc::onnx_io
