// ONNX activations and elementwise math beyond the basic arithmetic (Gelu, Elu, HardSwish, trigonometry ...).
#include "frontend/onnx/OnnxNode.h"

namespace dlc::onnx_import {

void registerActivationOps(ConverterTable& t) { (void)t; }

}  // namespace dlc::onnx_import
