// The dlc core ops. Every op: a verifier (via the shape rules in
// ShapeRules.h where the rule is not a trait), a short assembly format, and
// the DlcOp interface (op class for fusion, gradient rule slot).
#ifndef DLC_OPS_TD
#define DLC_OPS_TD

include "ir/DlcBase.td"
include "ir/DlcInterfaces.td"
include "mlir/IR/OpBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"

// opClass: Elementwise | Injective | Reduction | Contraction | Constant.
// `grad` = 1 declares the op's own gradient rule (DlcOp::buildGradient,
// defined in ir/Gradients*.cpp); ops without one keep the interface's
// default, which reports "has no gradient rule yet".
class Dlc_Op<string mnemonic, string opClass, list<Trait> traits = [], bit grad = 0>
    : Op<Dlc_Dialect, mnemonic,
         !listconcat(traits, [Pure, DeclareOpInterfaceMethods<Dlc_OpInterface,
                                        !if(grad, ["buildGradient"], [])>])> {
  let extraClassDeclaration = [{
    static constexpr ::dlc::OpClass kOpClass = ::dlc::OpClass::}] # opClass # [{;
  }];
}

//===----------------------------------------------------------------------===//
// Generators
//===----------------------------------------------------------------------===//

def Dlc_ConstantOp : Dlc_Op<"constant", "Constant",
    [ConstantLike, AllTypesMatch<["value", "output"]>]> {
  let summary = "a tensor literal";
  let description = [{
    `%c = dlc.constant dense<1.0> : tensor<4xf32>`. Model weights are
    constants too (dense resources for large ones).
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Dlc_Tensor:$output);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
}

def Dlc_IotaOp : Dlc_Op<"iota", "Injective"> {
  let summary = "indices along one dimension";
  let description = [{
    `%i = dlc.iota dim = 1 : tensor<2x3xi64>` has element [i, j] = j.
  }];
  let arguments = (ins I64Attr:$dim);
  let results = (outs Dlc_Tensor:$output);
  let assemblyFormat = "`dim` `=` $dim attr-dict `:` type($output)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

class Dlc_UnaryOp<string mnemonic, Type type, string summ>
    : Dlc_Op<mnemonic, "Elementwise", [SameOperandsAndResultType, Elementwise], 1> {
  let summary = summ;
  let arguments = (ins type:$operand);
  let results = (outs type:$result);
  let assemblyFormat = "$operand attr-dict `:` type($result)";
}

def Dlc_NegOp : Dlc_UnaryOp<"neg", Dlc_Tensor, "-x"> { let hasFolder = 1; }
def Dlc_AbsOp : Dlc_UnaryOp<"abs", Dlc_Tensor, "absolute value">;
def Dlc_ExpOp : Dlc_UnaryOp<"exp", Dlc_FloatTensor, "e^x">;
def Dlc_LogOp : Dlc_UnaryOp<"log", Dlc_FloatTensor, "natural logarithm">;
def Dlc_SqrtOp : Dlc_UnaryOp<"sqrt", Dlc_FloatTensor, "square root">;
def Dlc_RsqrtOp : Dlc_UnaryOp<"rsqrt", Dlc_FloatTensor, "1 / sqrt(x)">;
def Dlc_TanhOp : Dlc_UnaryOp<"tanh", Dlc_FloatTensor, "hyperbolic tangent">;
def Dlc_LogisticOp : Dlc_UnaryOp<"logistic", Dlc_FloatTensor, "1 / (1 + e^-x)">;
def Dlc_ErfOp : Dlc_UnaryOp<"erf", Dlc_FloatTensor, "error function">;
def Dlc_SinOp : Dlc_UnaryOp<"sin", Dlc_FloatTensor, "sine">;
def Dlc_CosOp : Dlc_UnaryOp<"cos", Dlc_FloatTensor, "cosine">;
def Dlc_FloorOp : Dlc_UnaryOp<"floor", Dlc_FloatTensor, "round toward -inf">;
def Dlc_CeilOp : Dlc_UnaryOp<"ceil", Dlc_FloatTensor, "round toward +inf">;
def Dlc_RoundOp : Dlc_UnaryOp<"round", Dlc_FloatTensor, "round half to even">;
def Dlc_SignOp : Dlc_UnaryOp<"sign", Dlc_Tensor, "-1, 0 or 1">;
def Dlc_NotOp : Dlc_UnaryOp<"not", Dlc_IntOrBoolTensor, "logical not (i1), bitwise not (integers)"> {
  let hasFolder = 1;
}

class Dlc_BinaryOp<string mnemonic, Type type, string summ, list<Trait> traits = []>
    : Dlc_Op<mnemonic, "Elementwise",
             !listconcat(traits, [SameOperandsAndResultType, Elementwise]), 1> {
  let summary = summ;
  let arguments = (ins type:$lhs, type:$rhs);
  let results = (outs type:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($result)";
}

def Dlc_AddOp : Dlc_BinaryOp<"add", Dlc_Tensor, "a + b", [Commutative]> { let hasFolder = 1; }
def Dlc_SubOp : Dlc_BinaryOp<"sub", Dlc_Tensor, "a - b"> { let hasFolder = 1; }
def Dlc_MulOp : Dlc_BinaryOp<"mul", Dlc_Tensor, "a * b", [Commutative]> { let hasFolder = 1; }
def Dlc_DivOp : Dlc_BinaryOp<"div", Dlc_Tensor, "a / b (integers truncate toward zero)"> {
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}
def Dlc_PowOp : Dlc_BinaryOp<"pow", Dlc_Tensor, "a ^ b"> {
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}
def Dlc_MaxOp : Dlc_BinaryOp<"max", Dlc_Tensor, "maximum (NaN propagates)", [Commutative]>;
def Dlc_MinOp : Dlc_BinaryOp<"min", Dlc_Tensor, "minimum (NaN propagates)", [Commutative]>;
def Dlc_RemOp : Dlc_BinaryOp<"rem", Dlc_Tensor, "remainder with the sign of the dividend">;
def Dlc_Atan2Op : Dlc_BinaryOp<"atan2", Dlc_FloatTensor, "four-quadrant arctangent of lhs / rhs"> {
  let description = [{
    `%a = dlc.atan2 %y, %x : tensor<4xf32>` is the angle of the point (x, y)
    in [-pi, pi], as C `atan2(y, x)`. The ONNX importer builds asin, acos
    and atan on it.
  }];
}
def Dlc_AndOp : Dlc_BinaryOp<"and", Dlc_IntOrBoolTensor, "logical/bitwise and", [Commutative]>;
def Dlc_OrOp : Dlc_BinaryOp<"or", Dlc_IntOrBoolTensor, "logical/bitwise or", [Commutative]>;
def Dlc_XorOp : Dlc_BinaryOp<"xor", Dlc_IntOrBoolTensor, "logical/bitwise xor", [Commutative]>;

// Shifts by a per-element amount; an amount outside [0, bit width) shifts
// every bit out (no undefined behaviour, unlike C).
def Dlc_ShiftLeftOp : Dlc_BinaryOp<"shift_left", Dlc_IntTensor,
    "a << b; 0 when b < 0 or b >= the bit width"> {
  let description = [{ Bits shifted past the top are lost (the result wraps). }];
}
def Dlc_ShiftRightOp : Dlc_BinaryOp<"shift_right", Dlc_IntTensor,
    "a >> b: arithmetic on signed, logical on unsigned integers"> {
  let description = [{
    Signed integers (i8..i64) shift in copies of the sign bit, unsigned ones
    (ui8..ui64) zeros. When b < 0 or b >= the bit width every bit is shifted
    out: the result is -1 for a negative signed a, else 0.
  }];
}

def Dlc_CompareOp : Dlc_Op<"compare", "Elementwise",
    [Elementwise, SameTypeOperands, SameOperandsAndResultShape], 1> {
  let summary = "elementwise comparison giving i1";
  let description = [{ `%p = dlc.compare lt, %a, %b : tensor<4xf32> -> tensor<4xi1>` }];
  let arguments = (ins Dlc_CompareDirectionAttr:$direction, Dlc_Tensor:$lhs, Dlc_Tensor:$rhs);
  let results = (outs Dlc_PredTensor:$result);
  let assemblyFormat = "$direction `,` $lhs `,` $rhs attr-dict `:` type($lhs) `->` type($result)";
}

def Dlc_SelectOp : Dlc_Op<"select", "Elementwise",
    [Elementwise, SameOperandsAndResultShape,
     AllTypesMatch<["on_true", "on_false", "result"]>], 1> {
  let summary = "pred ? on_true : on_false, elementwise";
  let arguments = (ins Dlc_PredTensor:$pred, Dlc_Tensor:$on_true, Dlc_Tensor:$on_false);
  let results = (outs Dlc_Tensor:$result);
  let assemblyFormat = "$pred `,` $on_true `,` $on_false attr-dict `:` type($pred) `,` type($result)";
  let hasFolder = 1;
}

def Dlc_ConvertOp : Dlc_Op<"convert", "Elementwise", [Elementwise, SameOperandsAndResultShape], 1> {
  let summary = "element type conversion";
  let description = [{
    Floats to integers truncate toward zero; anything to i1 is `x != 0`.
  }];
  let arguments = (ins Dlc_Tensor:$operand);
  let results = (outs Dlc_Tensor:$result);
  let assemblyFormat = "$operand attr-dict `:` type($operand) `->` type($result)";
  let hasFolder = 1;
}

def Dlc_BitcastConvertOp : Dlc_Op<"bitcast_convert", "Elementwise",
    [Elementwise, SameOperandsAndResultShape]> {
  let summary = "reinterpret each element's bits as another type of the same width";
  let description = [{
    `%y = dlc.bitcast_convert %x : tensor<4xf32> -> tensor<4xi32>`. The
    element types must have the same storage size (i1 counts as one byte and
    may only be the operand: a byte that is not 0 or 1 is no valid i1).
  }];
  let arguments = (ins Dlc_Tensor:$operand);
  let results = (outs Dlc_Tensor:$result);
  let assemblyFormat = "$operand attr-dict `:` type($operand) `->` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Data movement (injective)
//===----------------------------------------------------------------------===//

def Dlc_BroadcastInDimOp : Dlc_Op<"broadcast_in_dim", "Injective", [], 1> {
  let summary = "explicit broadcast";
  let description = [{
    `dims[i]` is the result dimension that operand dimension `i` maps to;
    operand dimensions of size 1 are repeated.
    `%y = dlc.broadcast_in_dim %b, dims = [1] : tensor<128xf32> -> tensor<8x128xf32>`
  }];
  let arguments = (ins Dlc_Tensor:$operand, DenseI64ArrayAttr:$broadcast_dimensions);
  let results = (outs Dlc_Tensor:$result);
  let assemblyFormat = [{
    $operand `,` `dims` `=` $broadcast_dimensions attr-dict `:` type($operand) `->` type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

def Dlc_ReshapeOp : Dlc_Op<"reshape", "Injective", [], 1> {
  let summary = "same elements, new shape (row-major order kept)";
  let arguments = (ins Dlc_Tensor:$operand);
  let results = (outs Dlc_Tensor:$result);
  let assemblyFormat = "$operand attr-dict `:` type($operand) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Dlc_TransposeOp : Dlc_Op<"transpose", "Injective", [], 1> {
  let summary = "permute dimensions: result dim i is operand dim perm[i]";
  let arguments = (ins Dlc_Tensor:$operand, DenseI64ArrayAttr:$permutation);
  let results = (outs Dlc_Tensor:$result);
  let assemblyFormat = [{
    $operand `,` `perm` `=` $permutation attr-dict `:` type($operand) `->` type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

def Dlc_SliceOp : Dlc_Op<"slice", "Injective", [], 1> {
  let summary = "strided slice [start, limit) per dimension";
  let arguments = (ins Dlc_Tensor:$operand, DenseI64ArrayAttr:$start_indices,
                       DenseI64ArrayAttr:$limit_indices, DenseI64ArrayAttr:$strides);
  let results = (outs Dlc_Tensor:$result);
  let assemblyFormat = [{
    $operand `,` `start` `=` $start_indices `,` `limit` `=` $limit_indices `,`
    `strides` `=` $strides attr-dict `:` type($operand) `->` type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Dlc_ConcatenateOp : Dlc_Op<"concatenate", "Injective", [], 1> {
  let summary = "join tensors along one dimension";
  let arguments = (ins Variadic<Dlc_Tensor>:$inputs, I64Attr:$dimension);
  let results = (outs Dlc_Tensor:$result);
  let assemblyFormat = [{
    $inputs `dim` `=` $dimension attr-dict `:` functional-type($inputs, $result)
  }];
  let hasVerifier = 1;
}

def Dlc_PadOp : Dlc_Op<"pad", "Injective", [], 1> {
  let summary = "edge (possibly negative) and interior padding with a scalar";
  let arguments = (ins Dlc_Tensor:$operand, Dlc_Tensor:$padding_value,
                       DenseI64ArrayAttr:$edge_padding_low,
                       DenseI64ArrayAttr:$edge_padding_high,
                       DenseI64ArrayAttr:$interior_padding);
  let results = (outs Dlc_Tensor:$result);
  let assemblyFormat = [{
    $operand `,` $padding_value `,` `low` `=` $edge_padding_low `,` `high` `=` $edge_padding_high
    `,` `interior` `=` $interior_padding attr-dict `:` functional-type(operands, $result)
  }];
  let hasVerifier = 1;
}

def Dlc_GatherOp : Dlc_Op<"gather", "Injective", [], 1> {
  let summary = "take slices along one axis by index (ONNX Gather)";
  let description = [{
    Result shape: operand.shape[:axis] + indices.shape + operand.shape[axis+1:].
    Negative indices count from the end; an index out of range is a run-time
    error.
  }];
  let arguments = (ins Dlc_Tensor:$operand, Dlc_IndexTensor:$indices, I64Attr:$axis);
  let results = (outs Dlc_Tensor:$result);
  let assemblyFormat = [{
    $operand `,` $indices `,` `axis` `=` $axis attr-dict `:` functional-type(operands, $result)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

def Dlc_ScatterOp : Dlc_Op<"scatter", "Injective", [], 1> {
  let summary = "base with updates combined in at gathered positions (gather's adjoint)";
  let description = [{
    `updates` has the shape that `dlc.gather %base, %indices, axis` would
    produce; slice j of it is combined into the slice of `base` at
    `indices[j]` along `axis`, in index order:
    `add` (gather's adjoint: duplicates accumulate), `mul`, `max`, `min`, or
    `replace` (a later duplicate wins). Negative indices count from the end;
    an index out of range is a run-time error.
    `%y = dlc.scatter add %base, %idx, %upd, axis = 0
         : (tensor<2x3xf32>, tensor<4xi64>, tensor<4x3xf32>) -> tensor<2x3xf32>`
  }];
  let arguments = (ins Dlc_ScatterKindAttr:$kind, Dlc_Tensor:$base, Dlc_IndexTensor:$indices,
                       Dlc_Tensor:$updates, I64Attr:$axis);
  let results = (outs Dlc_Tensor:$result);
  let assemblyFormat = [{
    $kind $base `,` $indices `,` $updates `,` `axis` `=` $axis attr-dict `:` functional-type(operands, $result)
  }];
  let hasVerifier = 1;
}

def Dlc_ReverseOp : Dlc_Op<"reverse", "Injective", [SameOperandsAndResultType], 1> {
  let summary = "reverse the order of elements along dimensions";
  let arguments = (ins Dlc_Tensor:$operand, DenseI64ArrayAttr:$dimensions);
  let results = (outs Dlc_Tensor:$result);
  let assemblyFormat = "$operand `,` `dims` `=` $dimensions attr-dict `:` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Reductions and contractions
//===----------------------------------------------------------------------===//

def Dlc_ReduceOp : Dlc_Op<"reduce", "Reduction", [], 1> {
  let summary = "sum/max/min/prod over dimensions, which are removed";
  let description = [{
    `%s = dlc.reduce sum %x, dims = [1] : tensor<8x128xf32> -> tensor<8xf32>`
  }];
  let arguments = (ins Dlc_ReduceKindAttr:$kind, Dlc_Tensor:$operand,
                       DenseI64ArrayAttr:$dimensions);
  let results = (outs Dlc_Tensor:$result);
  let assemblyFormat = [{
    $kind $operand `,` `dims` `=` $dimensions attr-dict `:` type($operand) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Dlc_DotGeneralOp : Dlc_Op<"dot_general", "Contraction", [], 1> {
  let summary = "batched contraction (matmul and friends)";
  let description = [{
    Result dimensions: batch, then lhs free, then rhs free.
    `%y = dlc.dot_general %a, %b, batch = [] x [], contract = [1] x [0]
         : (tensor<8x16xf32>, tensor<16x4xf32>) -> tensor<8x4xf32>`
  }];
  let arguments = (ins Dlc_Tensor:$lhs, Dlc_Tensor:$rhs,
                       DenseI64ArrayAttr:$lhs_batching_dimensions,
                       DenseI64ArrayAttr:$rhs_batching_dimensions,
                       DenseI64ArrayAttr:$lhs_contracting_dimensions,
                       DenseI64ArrayAttr:$rhs_contracting_dimensions);
  let results = (outs Dlc_Tensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs `,` `batch` `=` $lhs_batching_dimensions `x` $rhs_batching_dimensions `,`
    `contract` `=` $lhs_contracting_dimensions `x` $rhs_contracting_dimensions attr-dict
    `:` functional-type(operands, $result)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

def Dlc_ConvolutionOp : Dlc_Op<"convolution", "Contraction", [], 1> {
  let summary = "N-d grouped, strided, padded, dilated convolution (NCHW / OIHW)";
  let arguments = (ins Dlc_FloatTensor:$input, Dlc_FloatTensor:$filter,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pad_low,
                       DenseI64ArrayAttr:$pad_high, DenseI64ArrayAttr:$dilations,
                       I64Attr:$groups);
  let results = (outs Dlc_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $filter `,` `strides` `=` $strides `,` `pad` `=` $pad_low `x` $pad_high `,`
    `dilations` `=` $dilations `,` `groups` `=` $groups attr-dict
    `:` functional-type(operands, $result)
  }];
  let hasVerifier = 1;
}

def Dlc_ReduceWindowOp : Dlc_Op<"reduce_window", "Reduction", [], 1> {
  let summary = "a reduction over sliding windows (pooling)";
  let description = [{
    The window covers every dimension. Padding takes the reduction's identity
    (max-pooling ignores it, sum-pooling counts zeros).
  }];
  let arguments = (ins Dlc_ReduceKindAttr:$kind, Dlc_Tensor:$operand,
                       DenseI64ArrayAttr:$window, DenseI64ArrayAttr:$strides,
                       DenseI64ArrayAttr:$pad_low, DenseI64ArrayAttr:$pad_high,
                       DenseI64ArrayAttr:$dilations);
  let results = (outs Dlc_Tensor:$result);
  let assemblyFormat = [{
    $kind $operand `,` `window` `=` $window `,` `strides` `=` $strides `,`
    `pad` `=` $pad_low `x` $pad_high `,` `dilations` `=` $dilations attr-dict
    `:` type($operand) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Sorting
//===----------------------------------------------------------------------===//

// Each result element depends on the whole operand row along `dim`, as in a
// reduction; hence the Reduction class (it joins no loop fusion).
def Dlc_ArgsortOp : Dlc_Op<"argsort", "Reduction"> {
  let summary = "the stable sorting permutation along one dimension (i64 indices)";
  let description = [{
    Result element [.., j, ..] (j along `dim`) is the index along `dim` of the
    operand element that comes j-th in sorted order; the other dimensions
    are unchanged. Ascending unless `descending`. Stable in both directions:
    equal elements keep their index order. NaN orders above +inf (first when
    descending, last when ascending) and -0.0 equals 0.0; i1 orders false
    before true. TopK is an argsort, a slice and a gather.
    `%i = dlc.argsort %x, dim = 1, descending : tensor<3x4xf32> -> tensor<3x4xi64>`
  }];
  let arguments = (ins Dlc_Tensor:$operand, I64Attr:$dim, UnitAttr:$descending);
  let results = (outs StaticShapeTensorOf<[I64]>:$result);
  let assemblyFormat = [{
    $operand `,` `dim` `=` $dim (`descending` $descending^)? attr-dict
    `:` type($operand) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Kernels
//===----------------------------------------------------------------------===//

def Dlc_FusionOp : Op<Dlc_Dialect, "fusion",
    [Pure, IsolatedFromAbove, SingleBlockImplicitTerminator<"YieldOp">]> {
  let summary = "a group of core ops that compiles to exactly one kernel";
  let description = [{
    The fusion pass groups core ops into fusions (XLA's invariant: one fusion
    is one kernel, and no value inside it touches memory). The body is
    isolated: its block arguments are the `inputs`, `dlc.yield` lists the
    results, which are the only values the kernel writes. `kind` says how it
    runs: `loop` (one thread per output element), `reduction` (rows reduced
    with their prologue and epilogue), `gemm`/`conv` (a library contraction
    with its operand views and epilogue), `sort`, `scatter`.

    ```
    %y = dlc.fusion loop (%a, %b) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32> {
    ^bb0(%x: tensor<4xf32>, %z: tensor<4xf32>):
      %0 = dlc.add %x, %z : tensor<4xf32>
      %1 = dlc.exp %0 : tensor<4xf32>
      dlc.yield %1 : tensor<4xf32>
    }
    ```
  }];
  let arguments = (ins Dlc_FusionKindAttr:$kind, Variadic<Dlc_Tensor>:$inputs);
  let results = (outs Variadic<Dlc_Tensor>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $kind `(` $inputs `)` attr-dict `:` functional-type($inputs, $results) $body
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    ::mlir::Block& getBlock() { return getBody().front(); }
    // The op that gives the kernel its kind (the reduce, dot_general,
    // convolution, argsort or scatter); null for a loop fusion.
    ::mlir::Operation* getHero();
  }];
}

def Dlc_YieldOp : Op<Dlc_Dialect, "yield", [Pure, Terminator, HasParent<"FusionOp">]> {
  let summary = "the results of a dlc.fusion";
  let arguments = (ins Variadic<Dlc_Tensor>:$values);
  let assemblyFormat = "($values^ `:` type($values))? attr-dict";
  let builders = [OpBuilder<(ins), [{ /* an empty yield */ }]>];
}

#endif // DLC_OPS_TD
