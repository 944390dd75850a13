// Import-time evaluation of values computed only from constants.
//
// ONNX models compute shapes with ops (Shape -> Slice -> Mul -> Concat ->
// Reshape: the body of the expanded function tests, and what exporters
// emit), and the ops that need such a value at compile time (Reshape's
// shape, Slice's starts, Expand's shape ...) can only see it if it is folded
// while the graph is imported. A value whose every leaf is a dlc.constant
// (initializers, Constant nodes, the Shape of a static type) is evaluated
// with the host reference kernels (the ones that would otherwise compute it
// at run time) and replaced by a constant. Graph inputs are never folded,
// even when dlc run knows their values.
#pragma once

#include <functional>
#include <optional>

#include "runtime/Tensor.h"

#include "mlir/IR/Operation.h"
#include "mlir/IR/Value.h"

namespace dlc::onnx_import {

// v's value, if v is computed from dlc.constant ops only, through ops created
// after `before` (the ops of the node being imported; a value of an earlier
// node was folded then or is not foldable; null: every op is new). None when
// it is not, when it is large (folding is for shape arithmetic, not for
// precomputing weights), or when evaluating it fails (an index out of range:
// that error is left to run time, where it names the op).
std::optional<rt::HostTensor> foldConstantValue(mlir::Value v, mlir::Operation* before);

// The value of a graph input whose value is known for this compilation (dlc
// run's), or null; the callback records that the input was used.
using KnownInput = std::function<const rt::HostTensor*(mlir::BlockArgument)>;

// v's value for an op that needs it at compile time (Pad's pads computed from
// a graph input by an expanded CenterCropPad), through ops of any earlier
// node and graph inputs whose values are known: the same specialisation as
// when the op reads such an input directly. None where a leaf is an unknown
// input or the computation is large.
std::optional<rt::HostTensor> evaluateForCompileTime(mlir::Value v, const KnownInput& known);

}  // namespace dlc::onnx_import
