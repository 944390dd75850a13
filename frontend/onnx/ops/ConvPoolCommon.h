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

// Pool attributes over the spatial dims, extended to the whole tensor
// (N and C get window 1), with ceil_mode turned into extra high padding.
struct PoolWindow {
  Dims window, strides, dilations, padLow, padHigh, extra;  // all rank entries
};
PoolWindow poolAttrs(OnnxNode& n, mlir::Value x);

// Core ops built directly (gather/scatter/reverse/iota with inferred types).
mlir::Value gatherOp(Emitter& e, mlir::Value x, mlir::Value indices, int64_t axis);
mlir::Value scatterAddOp(Emitter& e, mlir::Value base, mlir::Value indices, mlir::Value updates,
                         int64_t axis);
mlir::Value reverseOp(Emitter& e, mlir::Value x, const Dims& dims);
// An i64 tensor along dimension `dim` of `shape` counting 0, 1, ...
mlir::Value iotaOp(Emitter& e, const Dims& shape, int64_t dim, mlir::Type element);

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
