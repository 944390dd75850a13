// Conversions between IR types/attributes and the runtime's MLIR-free
// tensors: the one bridge the frontends and backends share.
#pragma once

#include <optional>

#include "runtime/Tensor.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"

namespace dlc {

// The dlc dtype of an element type; nullopt for types outside the IR.
std::optional<rt::DType> dtypeOf(mlir::Type element);
mlir::Type elementTypeOf(mlir::MLIRContext* ctx, rt::DType t);
// A static ranked tensor type as a runtime TensorType.
rt::TensorType tensorTypeOf(mlir::Type tensor);

// Dense elements (splat or not, i1 included) as a host tensor, and back.
rt::HostTensor hostTensorFromAttr(mlir::DenseElementsAttr attr);
// The one element of a splat (attr.isSplat()) as a rank-0 host tensor,
// without expanding it.
rt::HostTensor splatElementFromAttr(mlir::DenseElementsAttr attr);
mlir::DenseElementsAttr attrFromHostTensor(mlir::MLIRContext* ctx, const rt::HostTensor& t);

}  // namespace dlc
