// The dlc dialect: include this to use the ops.
#pragma once

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace dlc {
// What kind of fusion an op can join (see DlcInterfaces.td).
enum class OpClass { Elementwise, Injective, Reduction, Contraction, Constant };
llvm::StringRef opClassName(OpClass c);
}  // namespace dlc

#include "ir/DlcDialect.h.inc"
#include "ir/DlcEnums.h.inc"
#include "ir/DlcInterfaces.h.inc"
#define GET_OP_CLASSES
#include "ir/DlcOps.h.inc"

namespace dlc {
// The kind an op gives the kernel it is in: reduce -> reduction,
// dot_general -> gemm, convolution -> conv, argsort -> sort, scatter ->
// scatter (the "hero" ops); nullopt for the others, which join any kernel.
std::optional<FusionKind> heroKind(mlir::Operation* op);
// The kind of the kernel `op` is when it stands alone at the top level: a
// fusion's kind, a hero's kind, else loop.
FusionKind fusionKindOf(mlir::Operation* op);
}  // namespace dlc
