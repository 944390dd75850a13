// The fuzzer build links the DSL without the MLIR-based importer; this
// stands in for its op list (frontend/onnx/Importer.cpp). Every op that
// libonnx has a schema for is still callable; ops newer than libonnx's
// schemas are unknown functions in this build only.
#include <string>
#include <vector>

namespace dlc {
std::vector<std::string> supportedOnnxOps() { return {}; }
}  // namespace dlc
