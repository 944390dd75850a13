// ONNX convolution and pooling variants beyond NN.cpp (ConvTranspose, LpPool, MaxUnpool ...).
#include "frontend/onnx/OnnxNode.h"

namespace dlc::onnx_import {

void registerConvPoolOps(ConverterTable& t) { (void)t; }

}  // namespace dlc::onnx_import
