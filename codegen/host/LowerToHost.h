// dlc dialect -> the host device's Program (runtime/Program.h): one
// instruction per core op, in program order.
#pragma once

#include <string>

#include "runtime/Program.h"

#include "mlir/IR/BuiltinOps.h"

namespace dlc {

// Lowers `func.func @main` of the module. Returns false and sets `error` if
// the module holds something the host device cannot run.
bool lowerToHost(mlir::ModuleOp module, rt::Program& program, std::string& error);

// Lowers a self-contained list of ops (every operand is a result of an op in
// the list, constants included) into a program with no inputs whose outputs
// are `results`: how the frontends evaluate constant subgraphs at import time
// with the same reference kernels the host device runs.
bool lowerOpsToHost(llvm::ArrayRef<mlir::Operation*> ops, llvm::ArrayRef<mlir::Value> results,
                    rt::Program& program, std::string& error);

}  // namespace dlc
