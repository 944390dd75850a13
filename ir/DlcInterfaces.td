// Per-op behaviour that passes query without knowing the op.
#ifndef DLC_INTERFACES_TD
#define DLC_INTERFACES_TD

include "mlir/IR/OpBase.td"

def Dlc_OpInterface : OpInterface<"DlcOp"> {
  let cppNamespace = "::dlc";
  let description = [{
    Implemented by every dlc core op. It answers the questions that the
    generic passes ask of an op:
    - its op class, which decides what kind of fusion it can join
      (elementwise and injective ops fuse into loops, reductions start
      reduction fusions, contractions become library calls with epilogues);
    - its gradient rule, for the autodiff pass (ops without one yet say so).
  }];
  let methods = [
    InterfaceMethod<"The op's class for fusion.", "::dlc::OpClass", "getOpClass", (ins), [{}],
      [{ return ConcreteOp::kOpClass; }]>,
    InterfaceMethod<[{
        Builds the gradient of the op's operands from the gradients of its
        results (reverse mode). Appends one value per operand to
        `operandGrads` (a null Value where the operand has no gradient).
      }], "::mlir::LogicalResult", "buildGradient",
      (ins "::mlir::OpBuilder &":$builder, "::mlir::ValueRange":$resultGrads,
           "::llvm::SmallVectorImpl<::mlir::Value> &":$operandGrads), [{}],
      [{ return $_op->emitOpError("has no gradient rule yet"); }]>,
  ];
}

#endif // DLC_INTERFACES_TD
