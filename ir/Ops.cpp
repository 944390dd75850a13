// Verifiers and folders of the dlc core ops. Shape rules live in
// ShapeRules.cpp; here they are applied to the declared types.
#include "ir/Dialect.h"
#include "ir/ShapeRules.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
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

// x + 0 -> x
OpFoldResult AddOp::fold(FoldAdaptor) {
  if (matchPattern(getRhs(), m_Zero()) || matchPattern(getRhs(), m_AnyZeroFloat()))
    return getLhs();
  return {};
}

// x * 1 -> x
OpFoldResult MulOp::fold(FoldAdaptor) {
  if (matchPattern(getRhs(), m_One()) || matchPattern(getRhs(), m_OneFloat())) return getLhs();
  return {};
}

OpFoldResult ConvertOp::fold(FoldAdaptor) {
  if (getOperand().getType() == getType()) return getOperand();
  return {};
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

OpFoldResult BroadcastInDimOp::fold(FoldAdaptor) {
  if (getOperand().getType() == getType() && isIota(getBroadcastDimensions()))
    return getOperand();
  return {};
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

OpFoldResult ReshapeOp::fold(FoldAdaptor) {
  if (getOperand().getType() == getType()) return getOperand();
  return {};
}

LogicalResult TransposeOp::verify() {
  if (failed(checkSameElementType(*this, getOperand(), getResult(), "operand", "result")))
    return failure();
  return checkShape(*this, inferTranspose(shapeOf(getOperand()), toDims(getPermutation())),
                    getResult());
}

OpFoldResult TransposeOp::fold(FoldAdaptor) {
  if (isIota(getPermutation())) return getOperand();
  return {};
}

LogicalResult SliceOp::verify() {
  if (failed(checkSameElementType(*this, getOperand(), getResult(), "operand", "result")))
    return failure();
  return checkShape(*this,
                    inferSlice(shapeOf(getOperand()), toDims(getStartIndices()),
                               toDims(getLimitIndices()), toDims(getStrides())),
                    getResult());
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
  if (failed(checkSameElementType(*this, getLhs(), getRhs(), "lhs", "rhs")) ||
      failed(checkSameElementType(*this, getLhs(), getResult(), "lhs", "result")))
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
