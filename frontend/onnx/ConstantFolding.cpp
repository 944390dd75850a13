#include "frontend/onnx/ConstantFolding.h"

#include <algorithm>
#include <vector>

#include "codegen/host/LowerToHost.h"
#include "ir/Dialect.h"
#include "runtime/host/HostDevice.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/SmallPtrSet.h"

namespace dlc::onnx_import {

namespace {

// Shape arithmetic is small; anything larger is left to run time.
constexpr int64_t kMaxFoldElements = int64_t(1) << 16;
constexpr size_t kMaxFoldOps = 256;

// The ops that compute v, in block order, if every leaf is a dlc.constant
// and every other op is a dlc op created after `before`; else empty.
std::vector<mlir::Operation*> constantSlice(mlir::Value v, mlir::Operation* before) {
  std::vector<mlir::Operation*> ops, stack{v.getDefiningOp()};
  llvm::SmallPtrSet<mlir::Operation*, 16> seen;
  while (!stack.empty()) {
    mlir::Operation* op = stack.back();
    stack.pop_back();
    if (!op) return {};  // a block argument: a graph input
    if (!seen.insert(op).second) continue;
    ops.push_back(op);
    if (ops.size() > kMaxFoldOps) return {};
    if (mlir::isa<ConstantOp>(op)) continue;
    if (!mlir::isa<DlcDialect>(op->getDialect()) || op->getNumRegions() > 0) return {};
    if (before && !before->isBeforeInBlock(op)) return {};
    for (mlir::Value operand : op->getOperands()) stack.push_back(operand.getDefiningOp());
  }
  std::sort(ops.begin(), ops.end(),
            [](mlir::Operation* a, mlir::Operation* b) { return a->isBeforeInBlock(b); });
  return ops;
}

}  // namespace

std::optional<rt::HostTensor> foldConstantValue(mlir::Value v, mlir::Operation* before) {
  mlir::Operation* root = v.getDefiningOp();
  auto type = v.getType().dyn_cast<mlir::RankedTensorType>();
  if (!root || mlir::isa<ConstantOp>(root) || !type || !type.hasStaticShape() ||
      type.getNumElements() > kMaxFoldElements)
    return std::nullopt;
  std::vector<mlir::Operation*> ops = constantSlice(v, before);
  if (ops.empty()) return std::nullopt;

  // A module of its own: func @main() returning v, lowered and run on host.
  mlir::MLIRContext* ctx = v.getContext();
  mlir::Location loc = root->getLoc();
  mlir::OpBuilder b(ctx);
  mlir::OwningOpRef<mlir::ModuleOp> module = mlir::ModuleOp::create(loc);
  b.setInsertionPointToEnd(module->getBody());
  auto func = b.create<mlir::func::FuncOp>(loc, "main", b.getFunctionType({}, {type}));
  b.setInsertionPointToStart(func.addEntryBlock());
  mlir::IRMapping map;
  for (mlir::Operation* op : ops) b.clone(*op, map);
  b.create<mlir::func::ReturnOp>(loc, map.lookup(v));

  rt::Program program;
  std::string error;
  if (!lowerToHost(*module, program, error)) return std::nullopt;
  try {
    std::vector<rt::HostTensor> outs = rt::runOnHost(program, {});
    return std::move(outs.at(0));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace dlc::onnx_import
