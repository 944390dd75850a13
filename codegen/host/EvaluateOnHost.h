// Compile-time evaluation on the host device: a computation of the IR is
// lowered (LowerToHost.h) and run with the host reference kernels, the ones
// that would compute it at run time, so a folded value is exactly the value
// the model would compute. The ONNX importer folds shape arithmetic with it,
// dlc-fold-constants the small ops on constants.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "runtime/Tensor.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Operation.h"
#include "mlir/IR/Value.h"

namespace dlc {

// The value of `result`, computed by `ops` (in block order; every operand of
// each op is a result of an earlier op of `ops` or one of `args`) with
// `inputs` bound to `args`. None, with `reason`, when the host device cannot
// run an op or a kernel fails on these values (an integer division by zero,
// an index out of range: the message names the op's location).
std::optional<rt::HostTensor> evaluateOnHost(mlir::Value result,
                                             llvm::ArrayRef<mlir::Operation*> ops,
                                             llvm::ArrayRef<mlir::Value> args,
                                             const std::vector<rt::HostTensor>& inputs,
                                             std::string& reason);

// The value of `op`'s single result, every operand of `op` being a
// dlc.constant. None, with `reason`, as above.
std::optional<mlir::DenseElementsAttr> evaluateOpOnHost(mlir::Operation* op, std::string& reason);

}  // namespace dlc
