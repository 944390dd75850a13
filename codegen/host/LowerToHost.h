// dlc dialect -> the host device's Program (runtime/Program.h): one kernel
// per top-level op of @main (a dlc.fusion, or an unfused core op), one
// instruction per core op, in program order, with the memory plan the
// dlc.offsets / dlc.arena_bytes attributes hold.
#pragma once

#include <string>

#include "runtime/Program.h"

#include "mlir/IR/BuiltinOps.h"

namespace dlc {

// Lowers `func.func @main` of the module. Returns false and sets `error` if
// the module holds something the host device cannot run.
bool lowerToHost(mlir::ModuleOp module, rt::Program& program, std::string& error);

}  // namespace dlc
