// Shared by the convolution, pooling and resampling decompositions
// (NN.cpp, ConvPool.cpp, Resize.cpp): window attributes and small builders of
// the core ops these decompositions need beyond the Emitter's.
#pragma once

#include "frontend/onnx/OnnxNode.h"

namespace dlc::onnx_import {

// The spatial window of Conv and the pools, with auto_pad resolved.
struct Window {
  Dims kernel, strides, dilations, padLow, padHigh;
};
Window windowAttrs(OnnxNode& n, const Dims& spatial, const Dims& kernel);
// Conv's window for input x [N, C, D1..Dn] and weight w [M, C/g, K1..Kn]:
// checks the ranks and kernel_shape against the weight (Conv, ConvInteger,
// QLinearConv).
Window convWindow(OnnxNode& n, mlir::Value x, mlir::Value w);
// The kernel of a weight [M, C/g, K1..Kn] (its spatial dims), which a
// kernel_shape attribute, if given, must equal.
Dims weightKernel(OnnxNode& n, const Dims& weightShape);

// Pool attributes over the spatial dims, extended to the whole tensor
// (N and C get window 1), with ceil_mode turned into extra high padding.
struct PoolWindow {
  Dims window, strides, dilations, padLow, padHigh, extra;  // all rank entries
};
PoolWindow poolAttrs(OnnxNode& n, mlir::Value x);


// Compile-time tables as constants: i64 indices, or values of `element` type.
mlir::Value indexConstant(Emitter& e, const std::vector<int64_t>& values, const Dims& shape);
mlir::Value valueConstant(Emitter& e, const std::vector<double>& values, const Dims& shape,
                          mlir::Type element);

// A compile-time numeric input as doubles (Resize's scales and roi); empty
// when the input is absent or has no elements.
std::vector<double> floatsInput(OnnxNode& n, size_t i, const char* what);

// Spatial dims of an N x C x D1 ... Dk input, or a clear error.
Dims spatialDims(OnnxNode& n, mlir::Value x);

}  // namespace dlc::onnx_import
