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

// The computation of a value: its ops in block order and the graph inputs
// (block arguments) it reads.
struct Slice {
  std::vector<mlir::Operation*> ops;
  std::vector<mlir::BlockArgument> args;
};

// The ops that compute v, if every leaf is a dlc.constant (or, with
// allowArgs, a block argument) and every other op is a small dlc op created
// after `before` (any op if null).
std::optional<Slice> sliceOf(mlir::Value v, mlir::Operation* before, bool allowArgs) {
  Slice s;
  std::vector<mlir::Value> stack{v};
  llvm::SmallPtrSet<mlir::Operation*, 16> seen;
  while (!stack.empty()) {
    mlir::Value value = stack.back();
    stack.pop_back();
    if (auto arg = value.dyn_cast<mlir::BlockArgument>()) {
      if (!allowArgs) return std::nullopt;
      if (std::find(s.args.begin(), s.args.end(), arg) == s.args.end()) s.args.push_back(arg);
      continue;
    }
    mlir::Operation* op = value.getDefiningOp();
    if (!seen.insert(op).second) continue;
    s.ops.push_back(op);
    if (s.ops.size() > kMaxFoldOps) return std::nullopt;
    if (mlir::isa<ConstantOp>(op)) continue;
    if (!mlir::isa<DlcDialect>(op->getDialect()) || op->getNumRegions() > 0) return std::nullopt;
    if (before && !before->isBeforeInBlock(op)) return std::nullopt;
    for (mlir::Value result : op->getResults()) {
      auto type = result.getType().dyn_cast<mlir::RankedTensorType>();
      if (!type || !type.hasStaticShape() || type.getNumElements() > kMaxFoldElements)
        return std::nullopt;
    }
    for (mlir::Value operand : op->getOperands()) stack.push_back(operand);
  }
  std::sort(s.ops.begin(), s.ops.end(),
            [](mlir::Operation* a, mlir::Operation* b) { return a->isBeforeInBlock(b); });
  return s;
}

// Runs the slice as a module of its own (func @main(args) -> v), lowered and
// run on the host device.
std::optional<rt::HostTensor> run(mlir::Value v, const Slice& s,
                                  const std::vector<rt::HostTensor>& inputs) {
  mlir::MLIRContext* ctx = v.getContext();
  mlir::Location loc = v.getLoc();
  mlir::OpBuilder b(ctx);
  mlir::OwningOpRef<mlir::ModuleOp> module = mlir::ModuleOp::create(loc);
  b.setInsertionPointToEnd(module->getBody());
  llvm::SmallVector<mlir::Type> argTypes;
  for (mlir::BlockArgument a : s.args) argTypes.push_back(a.getType());
  auto func = b.create<mlir::func::FuncOp>(loc, "main", b.getFunctionType(argTypes, {v.getType()}));
  mlir::Block* body = func.addEntryBlock();
  b.setInsertionPointToStart(body);
  mlir::IRMapping map;
  for (size_t i = 0; i < s.args.size(); ++i) map.map(s.args[i], body->getArgument(i));
  for (mlir::Operation* op : s.ops) b.clone(*op, map);
  b.create<mlir::func::ReturnOp>(loc, map.lookup(v));

  rt::Program program;
  std::string error;
  if (!lowerToHost(*module, program, error)) return std::nullopt;
  try {
    std::vector<rt::HostTensor> outs = rt::runOnHost(program, inputs);
    return std::move(outs.at(0));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace

std::optional<rt::HostTensor> foldConstantValue(mlir::Value v, mlir::Operation* before) {
  if (!v.getDefiningOp() || mlir::isa<ConstantOp>(v.getDefiningOp())) return std::nullopt;
  std::optional<Slice> s = sliceOf(v, before, /*allowArgs=*/false);
  if (!s) return std::nullopt;
  return run(v, *s, {});
}

std::optional<rt::HostTensor> evaluateForCompileTime(mlir::Value v, const KnownInput& known) {
  std::optional<Slice> s = sliceOf(v, nullptr, /*allowArgs=*/true);
  if (!s) return std::nullopt;
  std::vector<rt::HostTensor> inputs;
  for (mlir::BlockArgument a : s->args) {
    const rt::HostTensor* t = known(a);
    if (!t) return std::nullopt;
    inputs.emplace_back(t->type(), t->data());
  }
  return run(v, *s, inputs);
}

}  // namespace dlc::onnx_import
