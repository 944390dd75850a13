// ONNX normalisations (LayerNormalization, RMSNormalization, InstanceNormalization, GroupNormalization, LRN ...).
#include "frontend/onnx/OnnxNode.h"

namespace dlc::onnx_import {

void registerNormalizationOps(ConverterTable& t) { (void)t; }

}  // namespace dlc::onnx_import
