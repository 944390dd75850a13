// Verifiers and folders of the dlc core ops. Shape rules live in
// ShapeRules.cpp; here they are applied to the declared types.
#include "ir/Dialect.h"
#include "ir/ShapeRules.h"
#include "ir/SplatConstants.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;

namespace dlc {
namespace {

RankedTensorType tensorType(Value v) { return v.getType().cast<RankedTensorType>(); }

Dims shapeOf(Value v) {
  auto s = tensorType(v).getShape();
  return Dims(s.begin(), s.end());
}

Dims toDims(ArrayRef<int64_t> a) { return Dims(a.begin(), a.end()); }

// Checks a shape rule's verdict against the op's declared result.
LogicalResult checkShape(Operation* op, const ShapeOr& inferred, Value result) {
  if (!inferred.ok()) return op->emitOpError() << inferred.message();
  Dims declared = shapeOf(result);
  if (declared != inferred.shape())
    return op->emitOpError() << "result type " << result.getType()
                             << " does not match the inferred shape "
                             << dimsString(inferred.shape());
  return success();
}

LogicalResult checkSameElementType(Operation* op, Value a, Value b, StringRef aName,
                                   StringRef bName) {
  Type ea = tensorType(a).getElementType(), eb = tensorType(b).getElementType();
  if (ea == eb) return success();
  return op->emitOpError() << aName << " element type " << ea << " differs from " << bName
                           << " element type " << eb;
}

bool isIota(ArrayRef<int64_t> v) {
  for (size_t i = 0; i < v.size(); ++i)
    if (v[i] != static_cast<int64_t>(i)) return false;
  return true;
}

// The identities of the arithmetic folders. For floats, x + (+0.0) is not x
// (-0.0 + 0.0 = +0.0) but x + (-0.0) is; x - (+0.0) is x (-0.0 - 0.0 = -0.0).
bool isAddIdentity(Attribute v) { return isSplatInt(v, 0) || isSplatFloat(v, -0.0); }
bool isSubIdentity(Attribute v) { return isSplatInt(v, 0) || isSplatFloat(v, 0.0); }
bool isMulIdentity(Attribute v) { return isSplatInt(v, 1) || isSplatFloat(v, 1.0); }

bool isBool(Value v) { return tensorType(v).getElementType().isSignlessInteger(1); }

// Whether every value of element type `from` is exactly a value of `to`, so
// that converting through `to` loses nothing: wider floats (precision and
// exponent range), integers into integers with room for their magnitude
// and sign, integers into floats whose precision holds their magnitude.
// The convert kernel maps values, not bits, so convert(convert(x, to), dst)
// then equals convert(x, dst).
bool holdsExactly(Type from, Type to) {
  if (from == to) return true;
  auto toFloat = to.dyn_cast<FloatType>();
  if (auto fromFloat = from.dyn_cast<FloatType>()) {
    if (!toFloat) return false;
    const llvm::fltSemantics &f = fromFloat.getFloatSemantics(), &t = toFloat.getFloatSemantics();
    return APFloat::semanticsPrecision(t) >= APFloat::semanticsPrecision(f) &&
           APFloat::semanticsMaxExponent(t) >= APFloat::semanticsMaxExponent(f) &&
           APFloat::semanticsMinExponent(t) <= APFloat::semanticsMinExponent(f);
  }
  // Integers: i1 is 0 or 1; the signless ones are signed (DESIGN.md).
  auto fromInt = from.cast<IntegerType>();
  bool fromSigned = !fromInt.isUnsigned() && fromInt.getWidth() > 1;
  unsigned magnitudeBits = fromInt.getWidth() - (fromSigned ? 1 : 0);
  if (toFloat) return APFloat::semanticsPrecision(toFloat.getFloatSemantics()) >= magnitudeBits;
  auto toInt = to.cast<IntegerType>();
  bool toSigned = !toInt.isUnsigned() && toInt.getWidth() > 1;
  if (fromSigned && !toSigned) return false;
  return toInt.getWidth() - (toSigned ? 1 : 0) >= magnitudeBits;
}

}  // namespace

//===--- generators -------------------------------------------------------===//

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

LogicalResult IotaOp::verify() {
  int64_t rank = getType().getRank();
  if (getDim() < 0 || getDim() >= std::max<int64_t>(rank, 1) || rank == 0)
    return emitOpError() << "dim " << getDim() << " out of range for rank " << rank;
  return success();
}

//===--- elementwise ------------------------------------------------------===//

// Constant operands are folded by dlc-fold-constants, which evaluates them
// with the host kernels (one definition of every op's arithmetic); the
// folders here are identities that hold for every value of the types they
// match, NaN, infinities and signed zeros included.

// neg(neg x) -> x (integers wrap both ways; neg is not defined on i1)
OpFoldResult NegOp::fold(FoldAdaptor) {
  auto inner = getOperand().getDefiningOp<NegOp>();
  if (inner && !isBool(getOperand())) return inner.getOperand();
  return {};
}

// not(not x) -> x (logical on i1, bitwise on integers)
OpFoldResult NotOp::fold(FoldAdaptor) {
  if (auto inner = getOperand().getDefiningOp<NotOp>()) return inner.getOperand();
  return {};
}

// x + 0 -> x (floats: only -0.0, see isAddIdentity). For 0 + x, MLIR's
// folding of commutative ops moves the constant to the right first.
OpFoldResult AddOp::fold(FoldAdaptor a) {
  if (isAddIdentity(a.getRhs())) return getLhs();
  return {};
}

// x - 0 -> x (floats: only +0.0)
OpFoldResult SubOp::fold(FoldAdaptor a) {
  if (isSubIdentity(a.getRhs())) return getLhs();
  return {};
}

// x * 1 -> x (1 * x: see AddOp)
OpFoldResult MulOp::fold(FoldAdaptor a) {
  if (isMulIdentity(a.getRhs())) return getLhs();
  return {};
}

// x / 1 -> x
OpFoldResult DivOp::fold(FoldAdaptor a) {
  if (isMulIdentity(a.getRhs())) return getLhs();
  return {};
}

// pow(x, 1) -> x for floats (pow(-0.0, 1) = -0.0, pow(NaN, 1) = NaN)
OpFoldResult PowOp::fold(FoldAdaptor a) {
  if (isSplatFloat(a.getRhs(), 1.0)) return getLhs();
  return {};
}

// select(true, a, b) -> a, select(false, a, b) -> b, select(p, a, a) -> a
OpFoldResult SelectOp::fold(FoldAdaptor a) {
  if (getOnTrue() == getOnFalse()) return getOnTrue();
  if (DenseElementsAttr pred = splatOf(a.getPred()))
    return pred.getSplatValue<bool>() ? getOnTrue() : getOnFalse();
  return {};
}

// convert to the same type -> x; convert(convert x) -> convert x when the
// middle type holds every value of x's type exactly (f16 -> f32 -> f64, not
// f32 -> f16 -> f32).
OpFoldResult ConvertOp::fold(FoldAdaptor) {
  if (getOperand().getType() == getType()) return getOperand();
  auto inner = getOperand().getDefiningOp<ConvertOp>();
  if (!inner || !holdsExactly(tensorType(inner.getOperand()).getElementType(),
                              tensorType(inner.getResult()).getElementType()))
    return {};
  if (inner.getOperand().getType() == getType()) return inner.getOperand();
  getOperandMutable().assign(inner.getOperand());
  return getResult();
}

LogicalResult BitcastConvertOp::verify() {
  Type in = tensorType(getOperand()).getElementType();
  Type out = tensorType(getResult()).getElementType();
  if (out.isSignlessInteger(1))
    return emitOpError() << "cannot produce i1: a byte that is not 0 or 1 is no valid i1";
  // i1 is stored in one byte, so it bitcasts to the 8-bit types.
  auto storageBits = [](Type t) { return t.isSignlessInteger(1) ? 8u : t.getIntOrFloatBitWidth(); };
  if (storageBits(in) != storageBits(out))
    return emitOpError() << "element types " << in << " and " << out
                         << " have different bit widths";
  return success();
}

//===--- data movement ----------------------------------------------------===//

LogicalResult BroadcastInDimOp::verify() {
  if (failed(checkSameElementType(*this, getOperand(), getResult(), "operand", "result")))
    return failure();
  return checkShape(*this,
                    checkBroadcastInDim(shapeOf(getOperand()), toDims(getBroadcastDimensions()),
                                        shapeOf(getResult())),
                    getResult());
}

// identity -> x; splat -> splat; broadcast(broadcast x) -> one broadcast
// (operand dim i goes to inner dims[i], which goes to outer dims[that]).
OpFoldResult BroadcastInDimOp::fold(FoldAdaptor a) {
  if (getOperand().getType() == getType() && isIota(getBroadcastDimensions()))
    return getOperand();
  if (DenseElementsAttr s = splatOf(a.getOperand())) return s.resizeSplat(getType());
  auto inner = getOperand().getDefiningOp<BroadcastInDimOp>();
  if (!inner) return {};
  SmallVector<int64_t> dims;
  for (int64_t d : inner.getBroadcastDimensions()) dims.push_back(getBroadcastDimensions()[d]);
  if (inner.getOperand().getType() == getType() && isIota(dims)) return inner.getOperand();
  getOperandMutable().assign(inner.getOperand());
  setBroadcastDimensions(dims);
  return getResult();
}

LogicalResult ReshapeOp::verify() {
  if (failed(checkSameElementType(*this, getOperand(), getResult(), "operand", "result")))
    return failure();
  RankedTensorType in = tensorType(getOperand()), out = tensorType(getResult());
  if (in.getNumElements() != out.getNumElements())
    return emitOpError() << "cannot reshape " << in << " (" << in.getNumElements()
                         << " elements) to " << out << " (" << out.getNumElements()
                         << " elements)";
  return success();
}

// identity -> x; splat -> splat; reshape(reshape x) -> reshape x
OpFoldResult ReshapeOp::fold(FoldAdaptor a) {
  if (getOperand().getType() == getType()) return getOperand();
  if (DenseElementsAttr s = splatOf(a.getOperand())) return s.resizeSplat(getType());
  auto inner = getOperand().getDefiningOp<ReshapeOp>();
  if (!inner) return {};
  if (inner.getOperand().getType() == getType()) return inner.getOperand();
  getOperandMutable().assign(inner.getOperand());
  return getResult();
}

LogicalResult TransposeOp::verify() {
  if (failed(checkSameElementType(*this, getOperand(), getResult(), "operand", "result")))
    return failure();
  return checkShape(*this, inferTranspose(shapeOf(getOperand()), toDims(getPermutation())),
                    getResult());
}

// identity -> x; splat -> splat; transpose(transpose x) -> one transpose
// (result dim i is the inner result's dim perm[i], x's dim innerPerm[perm[i]]).
OpFoldResult TransposeOp::fold(FoldAdaptor a) {
  if (isIota(getPermutation())) return getOperand();
  if (DenseElementsAttr s = splatOf(a.getOperand())) return s.resizeSplat(getType());
  auto inner = getOperand().getDefiningOp<TransposeOp>();
  if (!inner) return {};
  SmallVector<int64_t> perm;
  for (int64_t p : getPermutation()) perm.push_back(inner.getPermutation()[p]);
  if (isIota(perm)) return inner.getOperand();
  getOperandMutable().assign(inner.getOperand());
  setPermutation(perm);
  return getResult();
}

LogicalResult SliceOp::verify() {
  if (failed(checkSameElementType(*this, getOperand(), getResult(), "operand", "result")))
    return failure();
  return checkShape(*this,
                    inferSlice(shapeOf(getOperand()), toDims(getStartIndices()),
                               toDims(getLimitIndices()), toDims(getStrides())),
                    getResult());
}

// the whole operand -> x; splat -> splat (other constants: dlc-fold-constants)
OpFoldResult SliceOp::fold(FoldAdaptor a) {
  auto isZero = [](int64_t v) { return v == 0; };
  auto isOne = [](int64_t v) { return v == 1; };
  if (getOperand().getType() == getType() && llvm::all_of(getStartIndices(), isZero) &&
      llvm::all_of(getStrides(), isOne))
    return getOperand();
  if (DenseElementsAttr s = splatOf(a.getOperand())) return s.resizeSplat(getType());
  return {};
}

LogicalResult ConcatenateOp::verify() {
  std::vector<Dims> shapes;
  for (Value in : getInputs()) {
    if (failed(checkSameElementType(*this, in, getResult(), "input", "result")))
      return failure();
    shapes.push_back(shapeOf(in));
  }
  return checkShape(*this, inferConcatenate(shapes, getDimension()), getResult());
}

LogicalResult PadOp::verify() {
  if (failed(checkSameElementType(*this, getOperand(), getResult(), "operand", "result")) ||
      failed(checkSameElementType(*this, getPaddingValue(), getResult(), "padding value",
                                  "result")))
    return failure();
  if (tensorType(getPaddingValue()).getRank() != 0)
    return emitOpError() << "padding value must be a rank-0 tensor, got "
                         << getPaddingValue().getType();
  return checkShape(*this,
                    inferPad(shapeOf(getOperand()), toDims(getEdgePaddingLow()),
                             toDims(getEdgePaddingHigh()), toDims(getInteriorPadding())),
                    getResult());
}

LogicalResult GatherOp::verify() {
  if (failed(checkSameElementType(*this, getOperand(), getResult(), "operand", "result")))
    return failure();
  return checkShape(*this, inferGather(shapeOf(getOperand()), shapeOf(getIndices()), getAxis()),
                    getResult());
}

LogicalResult ScatterOp::verify() {
  if (getBase().getType() != getType())
    return emitOpError() << "result type " << getType() << " differs from base type "
                         << getBase().getType();
  if (failed(checkSameElementType(*this, getUpdates(), getBase(), "updates", "base")))
    return failure();
  return checkShape(*this, inferGather(shapeOf(getBase()), shapeOf(getIndices()), getAxis()),
                    getUpdates());
}

LogicalResult ReverseOp::verify() {
  // Reverse keeps the shape; the dims must be a valid dimension set.
  ShapeOr r = inferReduce(shapeOf(getOperand()), toDims(getDimensions()));
  if (!r.ok()) return emitOpError() << r.message();
  return success();
}

//===--- reductions and contractions --------------------------------------===//

LogicalResult ReduceOp::verify() {
  if (failed(checkSameElementType(*this, getOperand(), getResult(), "operand", "result")))
    return failure();
  return checkShape(*this, inferReduce(shapeOf(getOperand()), toDims(getDimensions())),
                    getResult());
}

LogicalResult DotGeneralOp::verify() {
  // The result has the operands' type, or f32 for f16/bf16 operands (an f32
  // accumulation rounded once to f32: mixed precision, as StableHLO's
  // dot_general with a preferred element type).
  Type operand = tensorType(getLhs()).getElementType(), result = tensorType(getResult()).getElementType();
  bool widened = result.isF32() && (operand.isF16() || operand.isBF16());
  if (failed(checkSameElementType(*this, getLhs(), getRhs(), "lhs", "rhs")) ||
      (!widened && failed(checkSameElementType(*this, getLhs(), getResult(), "lhs", "result"))))
    return failure();
  return checkShape(*this,
                    inferDotGeneral(shapeOf(getLhs()), shapeOf(getRhs()),
                                    toDims(getLhsBatchingDimensions()),
                                    toDims(getRhsBatchingDimensions()),
                                    toDims(getLhsContractingDimensions()),
                                    toDims(getRhsContractingDimensions())),
                    getResult());
}

LogicalResult ConvolutionOp::verify() {
  if (failed(checkSameElementType(*this, getInput(), getFilter(), "input", "filter")) ||
      failed(checkSameElementType(*this, getInput(), getResult(), "input", "result")))
    return failure();
  return checkShape(*this,
                    inferConvolution(shapeOf(getInput()), shapeOf(getFilter()),
                                     toDims(getStrides()), toDims(getPadLow()),
                                     toDims(getPadHigh()), toDims(getDilations()), getGroups()),
                    getResult());
}

LogicalResult ReduceWindowOp::verify() {
  if (failed(checkSameElementType(*this, getOperand(), getResult(), "operand", "result")))
    return failure();
  return checkShape(*this,
                    inferReduceWindow(shapeOf(getOperand()), toDims(getWindow()),
                                      toDims(getStrides()), toDims(getPadLow()),
                                      toDims(getPadHigh()), toDims(getDilations())),
                    getResult());
}

//===--- sorting ----------------------------------------------------------===//

LogicalResult ArgsortOp::verify() {
  int64_t rank = tensorType(getOperand()).getRank();
  if (getDim() < 0 || getDim() >= rank)
    return emitOpError() << "dim " << getDim() << " out of range for rank " << rank;
  return checkShape(*this, shapeOf(getOperand()), getResult());
}

}  // namespace dlc

#define GET_OP_CLASSES
#include "ir/DlcOps.cpp.inc"
