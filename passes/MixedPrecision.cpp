// dlc-mixed-precision: runs matrix products and convolutions on 16-bit
// operands (tensor cores) and everything else in f32.
//
// For `type=fp16` (f16) or `type=bf16`:
// - dot_general on f32 operands with an f32 result reads its operands
//   converted to the 16-bit type and keeps the f32 result: the product
//   accumulates in f32 and is rounded once, to f32 (cuBLASLt: A/B 16-bit,
//   C/D f32, compute 32F), so the epilogue (bias, residual, activation) and
//   everything after it stays f32;
// - convolution on f32 operands runs entirely in the 16-bit type and its
//   result is converted back to f32: cuDNN's legacy API computes 16-bit
//   data with f32 accumulation but writes the result in the data's type
//   (PSEUDO_HALF_CONFIG, PSEUDO_BFLOAT16_CONFIG), so the rounding to 16 bits
//   is part of what the op computes, on every device;
// - reductions, softmax, normalisation statistics and elementwise chains are
//   untouched (f32).
//
// Each operand is converted once, as early as possible: the convert goes
// above the reshapes, transposes, slices and broadcasts that lead to the
// contraction (which are recreated in the 16-bit type), so that the views
// stay next to the contraction (the library call reads them through
// strides) and the convert lands next to the op that produced the value,
// whose kernel writes it (fusion absorbs it: no kernel of its own). A
// constant operand (a weight) is converted at compile time, on the host
// device (round to nearest even), whatever its size; a value converted from
// the 16-bit type is used unconverted.
//
// `type=fp32` and `type=tf32` change nothing (TF32 is a property of the
// library calls, CudaTarget::allowTf32).
#include "codegen/host/EvaluateOnHost.h"
#include "ir/Dialect.h"
#include "passes/Passes.h"

#include "llvm/ADT/DenseMap.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

using namespace mlir;

namespace dlc {

std::optional<PrecisionMode> parsePrecision(llvm::StringRef s) {
  if (s == "fp32") return PrecisionMode::F32;
  if (s == "tf32") return PrecisionMode::TF32;
  if (s == "fp16") return PrecisionMode::F16;
  if (s == "bf16") return PrecisionMode::BF16;
  return std::nullopt;
}

const char* precisionName(PrecisionMode p) {
  switch (p) {
    case PrecisionMode::F32: return "fp32";
    case PrecisionMode::TF32: return "tf32";
    case PrecisionMode::F16: return "fp16";
    case PrecisionMode::BF16: return "bf16";
  }
  return "?";
}

namespace {

bool isF32Tensor(Value v) {
  auto t = v.getType().dyn_cast<RankedTensorType>();
  return t && t.getElementType().isF32();
}

RankedTensorType withElement(Value v, Type element) {
  return RankedTensorType::get(v.getType().cast<RankedTensorType>().getShape(), element);
}

class Rewriter {
 public:
  explicit Rewriter(Type low) : low_(low) {}

  // `v` (f32) as a value of the low type, computed once per value.
  Value lowered(Value v) {
    auto it = cache_.find(v);
    if (it != cache_.end()) return it->second;
    Value result = lower(v);
    cache_[v] = result;
    return result;
  }

  // Rewrites one contraction; false if it is not an f32 one.
  bool rewrite(Operation* op) {
    if (auto dot = dyn_cast<DotGeneralOp>(op)) {
      if (!isF32Tensor(dot.getLhs()) || !isF32Tensor(dot.getRhs()) || !isF32Tensor(dot.getResult()))
        return false;
      Value lhs = lowered(dot.getLhs()), rhs = lowered(dot.getRhs());
      dot.getLhsMutable().assign(lhs);
      dot.getRhsMutable().assign(rhs);
      return true;
    }
    if (auto conv = dyn_cast<ConvolutionOp>(op)) {
      if (!isF32Tensor(conv.getInput()) || !isF32Tensor(conv.getFilter()) || !isF32Tensor(conv.getResult()))
        return false;
      Value input = lowered(conv.getInput()), filter = lowered(conv.getFilter());
      OpBuilder b(conv);
      b.setInsertionPointAfter(conv);
      Value result = conv.getResult();
      auto widen = b.create<ConvertOp>(conv.getLoc(), result.getType(), result);
      result.replaceAllUsesExcept(widen.getResult(), widen);
      conv.getInputMutable().assign(input);
      conv.getFilterMutable().assign(filter);
      result.setType(withElement(result, low_));
      return true;
    }
    return false;
  }

 private:
  Value lower(Value v) {
    Operation* def = v.getDefiningOp();
    // Already 16-bit data widened: use it as it is (the round trip is exact).
    if (auto c = dyn_cast_or_null<ConvertOp>(def))
      if (c.getOperand().getType() == withElement(v, low_)) return c.getOperand();
    // A view: convert its source and redo the view in the low type.
    if (def && isa<ReshapeOp, TransposeOp, SliceOp, BroadcastInDimOp, ReverseOp>(def) &&
        isF32Tensor(def->getOperand(0))) {
      Value source = lowered(def->getOperand(0));
      OpBuilder b(def);
      b.setInsertionPointAfter(def);
      if (Operation* sd = source.getDefiningOp(); sd && def->isBeforeInBlock(sd)) b.setInsertionPointAfter(sd);
      Operation* view = b.clone(*def);
      view->setOperand(0, source);
      view->getResult(0).setType(withElement(v, low_));
      return view->getResult(0);
    }
    OpBuilder b(v.getContext());
    if (def) b.setInsertionPointAfter(def);
    else b.setInsertionPointToStart(v.cast<BlockArgument>().getOwner());
    Location loc = def ? def->getLoc() : b.getUnknownLoc();
    auto convert = b.create<ConvertOp>(loc, withElement(v, low_), v);
    // A weight: convert it now, on the host device, exactly as a run would.
    if (isa_and_nonnull<ConstantOp>(def)) {
      std::string reason;
      if (std::optional<DenseElementsAttr> value = evaluateOpOnHost(convert, reason)) {
        auto constant = b.create<ConstantOp>(loc, *value);
        convert.erase();
        return constant.getResult();
      }
    }
    return convert.getResult();
  }

  Type low_;
  llvm::DenseMap<Value, Value> cache_;
};

struct MixedPrecisionPass : PassWrapper<MixedPrecisionPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(MixedPrecisionPass)
  MixedPrecisionPass() = default;
  MixedPrecisionPass(const MixedPrecisionPass& other) : PassWrapper(other) {}
  explicit MixedPrecisionPass(PrecisionMode p) { type = precisionName(p); }

  StringRef getArgument() const override { return "dlc-mixed-precision"; }
  StringRef getDescription() const override {
    return "run dot_general and convolution on f16/bf16 operands, the rest in f32";
  }

  void runOnOperation() override {
    std::optional<PrecisionMode> p = parsePrecision(type);
    if (fp16 && bf16) {
      getOperation().emitError() << "dlc-mixed-precision: fp16 and bf16 both given";
      return signalPassFailure();
    }
    if (fp16) p = PrecisionMode::F16;
    if (bf16) p = PrecisionMode::BF16;
    if (!p) {
      getOperation().emitError() << "dlc-mixed-precision: unknown type '" << type
                                 << "' (fp32, tf32, fp16 or bf16)";
      return signalPassFailure();
    }
    if (*p == PrecisionMode::F32 || *p == PrecisionMode::TF32) return markAllAnalysesPreserved();
    Builder b(&getContext());
    Type low = *p == PrecisionMode::F16 ? Type(b.getF16Type()) : Type(b.getBF16Type());
    bool changed = false;
    getOperation().walk([&](func::FuncOp f) {
      if (f.isExternal()) return;
      Rewriter rewriter(low);
      llvm::SmallVector<Operation*> contractions;
      f.walk([&](Operation* op) {
        if (isa<DotGeneralOp, ConvolutionOp>(op)) contractions.push_back(op);
      });
      for (Operation* op : contractions) changed |= rewriter.rewrite(op);
      // The f32 views and weights that only the contractions read are dead
      // now (dlc ops are pure): fusion must not see them.
      for (Operation& op : llvm::make_early_inc_range(llvm::reverse(f.getBody().front())))
        if (isa<DlcDialect>(op.getDialect()) && op.use_empty() && op.getNumRegions() == 0) op.erase();
    });
    if (!changed) markAllAnalysesPreserved();
  }

  Option<std::string> type{*this, "type", llvm::cl::desc("fp16 | bf16 (fp32, tf32: no change)"),
                           llvm::cl::init("fp16")};
  // `--dlc-mixed-precision=fp16` / `=bf16`: shorthands for type=...
  Option<bool> fp16{*this, "fp16", llvm::cl::desc("type=fp16"), llvm::cl::init(false)};
  Option<bool> bf16{*this, "bf16", llvm::cl::desc("type=bf16"), llvm::cl::init(false)};
};

}  // namespace

std::unique_ptr<Pass> createMixedPrecisionPass(PrecisionMode p) { return std::make_unique<MixedPrecisionPass>(p); }

}  // namespace dlc
