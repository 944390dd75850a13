// Recognising splat constants, for the folders (Ops.cpp) and the
// canonicalization patterns (Canonicalize.cpp).
#pragma once

#include <cstdint>

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Value.h"

namespace dlc {

// The value of v if it is defined by a constant, else null.
mlir::Attribute constantValue(mlir::Value v);

// A constant value (as a FoldAdaptor gives it, or constantValue) if it is a
// splat, else null.
mlir::DenseElementsAttr splatOf(mlir::Attribute value);

// Whether a constant value is a splat of the integer v. i1 never matches:
// the arithmetic ops are not defined on it (the host kernels refuse them),
// so a rewrite must not turn that error into a result.
bool isSplatInt(mlir::Attribute value, int64_t v);

// Whether a constant value is a splat of exactly the float v, the sign of
// zero included.
bool isSplatFloat(mlir::Attribute value, double v);

}  // namespace dlc
