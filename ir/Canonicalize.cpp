// Canonicalization patterns of the dlc core ops: rewrites that create new
// ops (the ones that only return an existing value, an attribute or update
// the op in place are folders, in Ops.cpp). MLIR's canonicalizer applies
// both, with dead-code removal, until nothing changes.
//
// Every rewrite is exact for every value of every type it matches: NaN,
// infinities, signed zeros and integer wrap-around included.
#include "ir/Dialect.h"
#include "ir/SplatConstants.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;

namespace dlc {
namespace {

RankedTensorType tensorType(Value v) { return v.getType().cast<RankedTensorType>(); }

// A splat constant of `type` holding v (of the element type's semantics).
Value splatConstant(PatternRewriter& rewriter, Location loc, RankedTensorType type,
                    const APFloat& v) {
  return rewriter.create<ConstantOp>(loc, DenseElementsAttr::get(type, v));
}

bool contains(ArrayRef<int64_t> v, int64_t x) { return llvm::is_contained(v, x); }

//===--- elementwise ------------------------------------------------------===//

// x / c -> x * (1/c) for a float splat c whose reciprocal is exact and normal
// (c a power of two): both round the same real number once.
struct DivByPowerOfTwo : OpRewritePattern<DivOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DivOp op, PatternRewriter& rewriter) const override {
    DenseElementsAttr c = splatOf(constantValue(op.getRhs()));
    APFloat inverse(0.0);
    if (!c || !c.getElementType().isa<FloatType>() ||
        !c.getSplatValue<APFloat>().getExactInverse(&inverse))
      return failure();
    Value reciprocal = splatConstant(rewriter, op.getLoc(), tensorType(op.getRhs()), inverse);
    rewriter.replaceOpWithNewOp<MulOp>(op, op.getLhs(), reciprocal);
    return success();
  }
};

// pow(x, 2) -> x * x for floats: pow(-0.0, 2) = +0.0 = -0.0 * -0.0, and
// NaN and infinities agree too.
struct PowOfTwo : OpRewritePattern<PowOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(PowOp op, PatternRewriter& rewriter) const override {
    if (!isSplatFloat(constantValue(op.getRhs()), 2.0)) return failure();
    rewriter.replaceOpWithNewOp<MulOp>(op, op.getLhs(), op.getLhs());
    return success();
  }
};

// pow(x, 0.5) -> sqrt for floats. sqrt alone differs from pow at two points
// (C's pow, which the host kernel is): pow(-0.0, 0.5) = +0.0 where
// sqrt(-0.0) = -0.0, and pow(-inf, 0.5) = +inf where sqrt(-inf) = NaN. So:
// select(x == -inf, +inf, sqrt(x + 0.0)) (adding +0.0 turns -0.0 into +0.0
// and changes nothing else). Four cheap elementwise ops that fuse into one
// loop replace a pow (a log and an exp).
struct PowOfHalf : OpRewritePattern<PowOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(PowOp op, PatternRewriter& rewriter) const override {
    if (!isSplatFloat(constantValue(op.getRhs()), 0.5)) return failure();
    Location loc = op.getLoc();
    Value x = op.getLhs();
    RankedTensorType type = tensorType(x);
    const llvm::fltSemantics& sem = type.getElementType().cast<FloatType>().getFloatSemantics();
    Value positiveZero = splatConstant(rewriter, loc, type, APFloat::getZero(sem));
    Value root = rewriter.create<SqrtOp>(loc, rewriter.create<AddOp>(loc, x, positiveZero));
    Value negInf = splatConstant(rewriter, loc, type, APFloat::getInf(sem, /*Negative=*/true));
    auto predType = RankedTensorType::get(type.getShape(), rewriter.getI1Type());
    Value isNegInf = rewriter.create<CompareOp>(loc, predType, CompareDirection::EQ, x, negInf);
    Value posInf = splatConstant(rewriter, loc, type, APFloat::getInf(sem));
    rewriter.replaceOpWithNewOp<SelectOp>(op, isNegInf, posInf, root);
    return success();
  }
};

//===--- data movement ----------------------------------------------------===//

// A broadcast_in_dim that only inserts size-1 dimensions (dims increasing,
// every operand dimension keeps its size) moves no data: a reshape.
struct BroadcastAsReshape : OpRewritePattern<BroadcastInDimOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BroadcastInDimOp op, PatternRewriter& rewriter) const override {
    ArrayRef<int64_t> in = tensorType(op.getOperand()).getShape();
    ArrayRef<int64_t> out = op.getType().getShape();
    ArrayRef<int64_t> dims = op.getBroadcastDimensions();
    for (size_t i = 0; i < dims.size(); ++i)
      if (in[i] != out[dims[i]] || (i > 0 && dims[i] < dims[i - 1])) return failure();
    for (size_t d = 0; d < out.size(); ++d)
      if (out[d] != 1 && !contains(dims, static_cast<int64_t>(d))) return failure();
    rewriter.replaceOpWithNewOp<ReshapeOp>(op, op.getType(), op.getOperand());
    return success();
  }
};

// broadcast_in_dim(reshape x) -> broadcast_in_dim x when the reshape only
// inserts size-1 dimensions (keepdims reductions, Unsqueeze): x's
// dimensions are, in order, some of the reshape's, and the others are 1.
struct BroadcastOfUnitReshape : OpRewritePattern<BroadcastInDimOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BroadcastInDimOp op, PatternRewriter& rewriter) const override {
    auto reshape = op.getOperand().getDefiningOp<ReshapeOp>();
    if (!reshape) return failure();
    ArrayRef<int64_t> x = tensorType(reshape.getOperand()).getShape();
    ArrayRef<int64_t> mid = tensorType(reshape.getResult()).getShape();
    // Match x's dimensions to the reshape's in order; the earliest match
    // finds an embedding if there is one.
    SmallVector<int64_t> dims;
    size_t i = 0;
    for (size_t j = 0; j < mid.size(); ++j) {
      if (i < x.size() && x[i] == mid[j]) {
        dims.push_back(op.getBroadcastDimensions()[j]);
        ++i;
      } else if (mid[j] != 1) {
        return failure();
      }
    }
    if (i != x.size()) return failure();
    rewriter.replaceOpWithNewOp<BroadcastInDimOp>(op, op.getType(), reshape.getOperand(),
                                                  rewriter.getDenseI64ArrayAttr(dims));
    return success();
  }
};

// A transpose that keeps the order of the dimensions larger than 1 moves no
// data: a reshape.
struct TransposeAsReshape : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op, PatternRewriter& rewriter) const override {
    ArrayRef<int64_t> in = tensorType(op.getOperand()).getShape();
    int64_t last = -1;
    for (int64_t p : op.getPermutation()) {
      if (in[p] == 1) continue;
      if (p < last) return failure();
      last = p;
    }
    rewriter.replaceOpWithNewOp<ReshapeOp>(op, op.getType(), op.getOperand());
    return success();
  }
};

// gather(x, constant index i) with one index -> a slice [i, i+1) along the
// axis, reshaped to the gather's result (exporters' x[:, 0]). A negative
// index counts from the end; one out of range stays a gather, whose kernel
// reports it at run time.
struct GatherOfOneIndex : OpRewritePattern<GatherOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(GatherOp op, PatternRewriter& rewriter) const override {
    DenseIntElementsAttr indices;
    if (!matchPattern(op.getIndices(), m_Constant(&indices)) || indices.getNumElements() != 1)
      return failure();
    RankedTensorType xType = tensorType(op.getOperand());
    int64_t axis = op.getAxis(), size = xType.getDimSize(axis);
    int64_t index = (*indices.getValues<APInt>().begin()).getSExtValue();
    if (index < 0) index += size;
    if (index < 0 || index >= size) return failure();
    SmallVector<int64_t> start(xType.getRank(), 0), limit(xType.getShape()),
        strides(xType.getRank(), 1), shape(xType.getShape());
    start[axis] = index;
    limit[axis] = index + 1;
    shape[axis] = 1;
    Value slice = rewriter.create<SliceOp>(
        op.getLoc(), RankedTensorType::get(shape, xType.getElementType()), op.getOperand(),
        rewriter.getDenseI64ArrayAttr(start), rewriter.getDenseI64ArrayAttr(limit),
        rewriter.getDenseI64ArrayAttr(strides));
    rewriter.replaceOpWithNewOp<ReshapeOp>(op, op.getType(), slice);
    return success();
  }
};

//===--- contractions -----------------------------------------------------===//

// dot_general(transpose(a), b) -> dot_general(a, b) with a's batching and
// contracting dimensions renamed through the permutation; likewise for b.
// The result lists each side's free dimensions in increasing order, so this
// holds only when the permutation keeps the free dimensions in order.
struct TransposeIntoDotGeneral : OpRewritePattern<DotGeneralOp> {
  using OpRewritePattern::OpRewritePattern;

  // The transposed operand's dims renamed to the transpose's operand, if the
  // free dims stay in order.
  static bool absorb(TransposeOp t, ArrayRef<int64_t> batch, ArrayRef<int64_t> contract,
                     SmallVector<int64_t>& newBatch, SmallVector<int64_t>& newContract) {
    ArrayRef<int64_t> perm = t.getPermutation();
    int64_t last = -1;
    for (int64_t d = 0; d < static_cast<int64_t>(perm.size()); ++d) {
      if (contains(batch, d) || contains(contract, d)) continue;
      if (perm[d] < last) return false;
      last = perm[d];
    }
    for (int64_t d : batch) newBatch.push_back(perm[d]);
    for (int64_t d : contract) newContract.push_back(perm[d]);
    return true;
  }

  LogicalResult matchAndRewrite(DotGeneralOp op, PatternRewriter& rewriter) const override {
    SmallVector<int64_t> batch, contract;
    if (auto t = op.getLhs().getDefiningOp<TransposeOp>();
        t && absorb(t, op.getLhsBatchingDimensions(), op.getLhsContractingDimensions(), batch,
                    contract)) {
      rewriter.updateRootInPlace(op, [&] {
        op.getLhsMutable().assign(t.getOperand());
        op.setLhsBatchingDimensions(batch);
        op.setLhsContractingDimensions(contract);
      });
      return success();
    }
    if (auto t = op.getRhs().getDefiningOp<TransposeOp>();
        t && absorb(t, op.getRhsBatchingDimensions(), op.getRhsContractingDimensions(), batch,
                    contract)) {
      rewriter.updateRootInPlace(op, [&] {
        op.getRhsMutable().assign(t.getOperand());
        op.setRhsBatchingDimensions(batch);
        op.setRhsContractingDimensions(contract);
      });
      return success();
    }
    return failure();
  }
};

}  // namespace

void DivOp::getCanonicalizationPatterns(RewritePatternSet& results, MLIRContext* ctx) {
  results.add<DivByPowerOfTwo>(ctx);
}

void PowOp::getCanonicalizationPatterns(RewritePatternSet& results, MLIRContext* ctx) {
  results.add<PowOfTwo, PowOfHalf>(ctx);
}

void BroadcastInDimOp::getCanonicalizationPatterns(RewritePatternSet& results,
                                                   MLIRContext* ctx) {
  results.add<BroadcastAsReshape, BroadcastOfUnitReshape>(ctx);
}

void TransposeOp::getCanonicalizationPatterns(RewritePatternSet& results, MLIRContext* ctx) {
  results.add<TransposeAsReshape>(ctx);
}

void GatherOp::getCanonicalizationPatterns(RewritePatternSet& results, MLIRContext* ctx) {
  results.add<GatherOfOneIndex>(ctx);
}

void DotGeneralOp::getCanonicalizationPatterns(RewritePatternSet& results, MLIRContext* ctx) {
  results.add<TransposeIntoDotGeneral>(ctx);
}

}  // namespace dlc
