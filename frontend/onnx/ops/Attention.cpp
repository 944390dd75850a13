// ONNX Attention and its companions (RotaryEmbedding ...).
#include "frontend/onnx/OnnxNode.h"

namespace dlc::onnx_import {

void registerAttentionOps(ConverterTable& t) { (void)t; }

}  // namespace dlc::onnx_import
