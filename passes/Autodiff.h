// Reverse-mode automatic differentiation of a function (passes/Autodiff.cpp).
#pragma once

#include <vector>

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace dlc {

// Appends to `f` the gradients of its result `lossResult` (a float tensor of
// one element) with respect to its arguments `wrt` (float tensors), as new
// results after the existing ones, in the order of `wrt`. The backward ops
// are built by each op's gradient rule (DlcOp::buildGradient) in reverse
// order and appended before the return; a gradient that reaches an argument
// along several uses is summed. An argument the loss does not depend on gets
// a zero gradient. Fails (with an error at the op) on an op without a rule
// on a path from a `wrt` argument to the loss.
mlir::LogicalResult appendGradients(mlir::func::FuncOp f, unsigned lossResult,
                                    const std::vector<unsigned>& wrt);

}  // namespace dlc
