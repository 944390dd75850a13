// `dlc export`: a DSL model -> the equivalent ONNX model, with the shapes
// of its outputs (ONNX's checker requires them; the DSL tracks element
// types only, so the shapes come from importing the model).
#pragma once

#include <string>

#include "api/Driver.h"

namespace dlc::driver {

// Translates and imports `source` (the file `path`); on success returns the
// serialised ModelProto, else sets `failure` (the DSL's diagnostics).
std::string exportDsl(const std::string& source, const std::string& path, Failure& failure);

}  // namespace dlc::driver
