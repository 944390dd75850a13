// ONNX Resize/Upsample and grid sampling (GridSample, AffineGrid).
#include "frontend/onnx/OnnxNode.h"

namespace dlc::onnx_import {

void registerResizeOps(ConverterTable& t) { (void)t; }

}  // namespace dlc::onnx_import
