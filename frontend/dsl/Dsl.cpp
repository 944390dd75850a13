// Placeholder until the DSL frontend lands (issue 7): every translation fails
// with a clear message.
#include "frontend/dsl/Dsl.h"

namespace dlc::dsl {

Translation translateToOnnx(const std::string&, const std::string& name, const std::string&) {
  Translation t;
  t.errors = name + ": the model DSL is not implemented in this build yet";
  return t;
}

std::string describeImportError(const std::string&, const std::string&, const Translation&,
                                const std::string& message, const std::string&, const std::string&) {
  return message;
}

}  // namespace dlc::dsl
