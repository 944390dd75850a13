// Built with -fexceptions: the runtime reports a failing kernel by throwing.
#include "codegen/host/EvaluateOnHost.h"

#include <exception>

#include "codegen/host/LowerToHost.h"
#include "ir/Dialect.h"
#include "ir/TensorConversions.h"
#include "runtime/host/HostDevice.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/SetVector.h"

namespace dlc {

std::optional<rt::HostTensor> evaluateOnHost(mlir::Value result,
                                             llvm::ArrayRef<mlir::Operation*> ops,
                                             llvm::ArrayRef<mlir::Value> args,
                                             const std::vector<rt::HostTensor>& inputs,
                                             std::string& reason) {
  // The computation as a module of its own: func @main(args) -> result.
  mlir::MLIRContext* ctx = result.getContext();
  mlir::Location loc = result.getLoc();
  mlir::OpBuilder b(ctx);
  mlir::OwningOpRef<mlir::ModuleOp> module = mlir::ModuleOp::create(loc);
  b.setInsertionPointToEnd(module->getBody());
  llvm::SmallVector<mlir::Type> argTypes;
  for (mlir::Value a : args) argTypes.push_back(a.getType());
  auto func = b.create<mlir::func::FuncOp>(loc, "main",
                                           b.getFunctionType(argTypes, {result.getType()}));
  mlir::Block* body = func.addEntryBlock();
  b.setInsertionPointToStart(body);
  mlir::IRMapping map;
  for (size_t i = 0; i < args.size(); ++i) map.map(args[i], body->getArgument(i));
  for (mlir::Operation* op : ops) b.clone(*op, map);
  b.create<mlir::func::ReturnOp>(loc, map.lookup(result));

  rt::Program program;
  if (!lowerToHost(*module, program, reason)) return std::nullopt;
  try {
    std::vector<rt::HostTensor> outs = rt::runOnHost(program, inputs);
    return std::move(outs.at(0));
  } catch (const std::exception& e) {
    reason = e.what();
    return std::nullopt;
  }
}

std::optional<mlir::DenseElementsAttr> evaluateOpOnHost(mlir::Operation* op, std::string& reason) {
  llvm::SetVector<mlir::Operation*> ops;
  for (mlir::Value operand : op->getOperands()) {
    auto constant = operand.getDefiningOp<ConstantOp>();
    if (!constant) {
      reason = "an operand is not a dlc.constant";
      return std::nullopt;
    }
    ops.insert(constant);
  }
  ops.insert(op);
  std::optional<rt::HostTensor> value =
      evaluateOnHost(op->getResult(0), ops.getArrayRef(), {}, {}, reason);
  if (!value) return std::nullopt;
  return attrFromHostTensor(op->getContext(), *value);
}

}  // namespace dlc
