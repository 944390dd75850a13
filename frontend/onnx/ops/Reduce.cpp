// ONNX reductions (ReduceSum ... ReduceLogSumExp, ArgMax/ArgMin) and scans (CumSum).
#include "frontend/onnx/OnnxNode.h"

namespace dlc::onnx_import {

void registerReduceOps(ConverterTable& t) { (void)t; }

}  // namespace dlc::onnx_import
