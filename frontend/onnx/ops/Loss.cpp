// ONNX loss ops (SoftmaxCrossEntropyLoss, NegativeLogLikelihoodLoss).
#include "frontend/onnx/OnnxNode.h"

namespace dlc::onnx_import {

void registerLossOps(ConverterTable& t) { (void)t; }

}  // namespace dlc::onnx_import
