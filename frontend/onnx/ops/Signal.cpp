// ONNX signal-processing ops (DFT, STFT, window functions, MelWeightMatrix).
#include "frontend/onnx/OnnxNode.h"

namespace dlc::onnx_import {

void registerSignalOps(ConverterTable& t) { (void)t; }

}  // namespace dlc::onnx_import
