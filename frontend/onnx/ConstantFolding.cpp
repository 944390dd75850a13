#include "frontend/onnx/ConstantFolding.h"

#include <algorithm>
#include <vector>

#include "codegen/host/EvaluateOnHost.h"
#include "ir/Dialect.h"
#include "passes/Passes.h"

#include "llvm/ADT/SmallPtrSet.h"

namespace dlc::onnx_import {

namespace {

// Shape arithmetic is small; anything larger is left to run time (the
// element limit is dlc-fold-constants' too).
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
      if (!type || !type.hasStaticShape() || type.getNumElements() > kFoldElementLimit)
        return std::nullopt;
    }
    for (mlir::Value operand : op->getOperands()) stack.push_back(operand);
  }
  std::sort(s.ops.begin(), s.ops.end(),
            [](mlir::Operation* a, mlir::Operation* b) { return a->isBeforeInBlock(b); });
  return s;
}

// Runs the slice on the host device with `inputs` bound to its graph inputs.
std::optional<rt::HostTensor> run(mlir::Value v, const Slice& s,
                                  const std::vector<rt::HostTensor>& inputs) {
  llvm::SmallVector<mlir::Value> args(s.args.begin(), s.args.end());
  std::string reason;  // a failure leaves the value to run time, which reports it
  return evaluateOnHost(v, s.ops, args, inputs, reason);
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
