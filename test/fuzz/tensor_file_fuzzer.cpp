// Fuzz target of the tensor-file reader (`dlc run --input-dir`, the DSL's
// load()): any bytes must become a tensor or a TensorError, never a crash,
// a hang or an allocation the bytes do not pay for. A tensor that loads must
// also survive a round trip through toTensorProto unchanged.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>

#include <onnx/onnx_pb.h>

#include "frontend/onnx/TensorProtoIO.h"

namespace {

// External data resolves inside an empty folder of its own.
const std::string& baseDir() {
  static const std::string dir = [] {
    std::error_code ec;
    auto d = std::filesystem::temp_directory_path(ec) / "dlc-tensor-fuzz";
    std::filesystem::create_directories(d, ec);
    return d.string();
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  dlc::rt::HostTensor t;
  try {
    t = dlc::onnx_io::parseTensorFile(bytes, "fuzz.pb", baseDir());
  } catch (const dlc::onnx_io::TensorError&) {
    return 0;
  }
  onnx::TensorProto p;
  dlc::onnx_io::toTensorProto(t, p);
  dlc::rt::HostTensor back = dlc::onnx_io::fromTensorProto(p, baseDir());
  if (back.type() != t.type() ||
      (t.byteSize() > 0 && std::memcmp(back.data(), t.data(), static_cast<size_t>(t.byteSize())) != 0))
    __builtin_trap();
  return 0;
}
