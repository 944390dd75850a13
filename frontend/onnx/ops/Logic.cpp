// ONNX comparison, logical, bitwise and conversion ops (Equal, Less, And, BitShift, Cast, Where, Mod, IsNaN ...).
#include "frontend/onnx/OnnxNode.h"

namespace dlc::onnx_import {

void registerLogicOps(ConverterTable& t) { (void)t; }

}  // namespace dlc::onnx_import
