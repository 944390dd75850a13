// The spatial window attributes of Conv-like ONNX ops (kernel, strides,
// dilations, pads or auto_pad), shared by Conv and the pools (NN.cpp) and the
// quantized convolutions (Quantize.cpp).
#pragma once

#include "frontend/onnx/OnnxNode.h"

namespace dlc::onnx_import {

// One entry per spatial dimension, with auto_pad resolved into pads.
struct Window {
  Dims kernel, strides, dilations, padLow, padHigh;
};

// Reads strides, dilations, pads and auto_pad for an input whose spatial
// dimensions are `spatial`, failing on values that make no sense.
Window windowAttrs(OnnxNode& n, const Dims& spatial, const Dims& kernel);

}  // namespace dlc::onnx_import
