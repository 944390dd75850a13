// The dlc dialect, its types and enums.
#ifndef DLC_BASE_TD
#define DLC_BASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/EnumAttr.td"

def Dlc_Dialect : Dialect {
  let name = "dlc";
  let cppNamespace = "::dlc";
  let summary = "The dlc deep-learning graph IR";
  let description = [{
    A small set of core ops on statically shaped ranked tensors with value
    semantics. Frontends decompose every model op (ONNX, the DSL) into these;
    the fusion pass groups them back into kernels.
  }];
  let hasConstantMaterializer = 1;
  let useFoldAPI = kEmitFoldAdaptorFolder;
}

// Element types of the IR (DESIGN.md "The IR"). Signless integers (i64 ..
// i8) are signed two's complement; ui8 .. ui64 are unsigned.
def Dlc_Tensor : StaticShapeTensorOf<[F32, F16, BF16, F64, I64, I32, I16, I8, I1,
                                      UI64, UI32, UI16, UI8]>;
def Dlc_FloatTensor : StaticShapeTensorOf<[F32, F16, BF16, F64]>;
def Dlc_IntOrBoolTensor : StaticShapeTensorOf<[I64, I32, I16, I8, I1, UI64, UI32, UI16, UI8]>;
def Dlc_IntTensor : StaticShapeTensorOf<[I64, I32, I16, I8, UI64, UI32, UI16, UI8]>;
def Dlc_IndexTensor : StaticShapeTensorOf<[I64, I32]>;
def Dlc_PredTensor : StaticShapeTensorOf<[I1]>;

// Enums print as bare keywords: `dlc.compare lt, ...`, `dlc.reduce sum ...`.
def Dlc_CompareDirectionAttr : I32EnumAttr<"CompareDirection", "comparison direction", [
    I32EnumAttrCase<"EQ", 0, "eq">, I32EnumAttrCase<"NE", 1, "ne">,
    I32EnumAttrCase<"LT", 2, "lt">, I32EnumAttrCase<"LE", 3, "le">,
    I32EnumAttrCase<"GT", 4, "gt">, I32EnumAttrCase<"GE", 5, "ge">]> {
  let cppNamespace = "::dlc";
}

def Dlc_ReduceKindAttr : I32EnumAttr<"ReduceKind", "reduction", [
    I32EnumAttrCase<"Sum", 0, "sum">, I32EnumAttrCase<"Max", 1, "max">,
    I32EnumAttrCase<"Min", 2, "min">, I32EnumAttrCase<"Prod", 3, "prod">]> {
  let cppNamespace = "::dlc";
}

// How dlc.scatter combines an update with the value already at its position.
def Dlc_ScatterKindAttr : I32EnumAttr<"ScatterKind", "scatter combiner", [
    I32EnumAttrCase<"Add", 0, "add">, I32EnumAttrCase<"Mul", 1, "mul">,
    I32EnumAttrCase<"Max", 2, "max">, I32EnumAttrCase<"Min", 3, "min">,
    I32EnumAttrCase<"Replace", 4, "replace">]> {
  let cppNamespace = "::dlc";
}

// What one kernel does (dlc.fusion): an elementwise/injective loop, a row
// reduction with its prologue and epilogue, a library contraction (GEMM or
// convolution) with a fused epilogue, or a sort / scatter, which run alone.
def Dlc_FusionKindAttr : I32EnumAttr<"FusionKind", "fusion kind", [
    I32EnumAttrCase<"Loop", 0, "loop">, I32EnumAttrCase<"Reduction", 1, "reduction">,
    I32EnumAttrCase<"Gemm", 2, "gemm">, I32EnumAttrCase<"Conv", 3, "conv">,
    I32EnumAttrCase<"Sort", 4, "sort">, I32EnumAttrCase<"Scatter", 5, "scatter">]> {
  let cppNamespace = "::dlc";
}

#endif // DLC_BASE_TD
