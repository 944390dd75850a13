// The DSL's entry points (Dsl.h): parse + translate, and importer errors
// mapped back to the DSL source.
#include "frontend/dsl/Dsl.h"

#include "frontend/dsl/Diagnostics.h"
#include "frontend/dsl/Translator.h"

#include "onnx/onnx_pb.h"

namespace dlc::dsl {

Translation translateToOnnx(const std::string& source, const std::string& name, const std::string& baseDir) {
  return translate(source, name, baseDir, Limits());
}

std::string describeImportError(const std::string& source, const std::string& name, const Translation& translation,
                                const std::string& message, const std::string& node, const std::string& reason) {
  auto it = translation.nodeLocations.find(node);
  if (node.empty() || it == translation.nodeLocations.end()) return message;
  std::string op;
  onnx::ModelProto model;
  if (model.ParseFromString(translation.modelBytes))
    for (const auto& n : model.graph().node())
      if (n.name() == node) op = n.op_type();
  std::string text = reason.empty() ? message : reason;
  // The reason may already start with the op ("MatMul: ...").
  if (!op.empty() && text.rfind(op + ":", 0) != 0) text = op + ": " + text;
  return formatDiagnostic(source, name, it->second, text);
}

}  // namespace dlc::dsl
