// ONNX elementwise ops: arithmetic with numpy broadcasting and activations.
#include "frontend/onnx/OnnxNode.h"

namespace dlc::onnx_import {
namespace {

using mlir::Value;

template <typename OpT>
std::vector<Value> binaryOp(OnnxNode& n) {
  n.onlyAttrs({});
  return {n.e().binary<OpT>(n.input(0), n.input(1))};
}

template <typename OpT>
std::vector<Value> unaryOp(OnnxNode& n) {
  n.onlyAttrs({});
  return {n.e().unary<OpT>(n.input(0))};
}

// Max, Min, Sum: variadic with broadcasting.
template <typename OpT>
std::vector<Value> variadicOp(OnnxNode& n) {
  n.onlyAttrs({});
  std::vector<Value> xs = n.inputs();
  if (xs.empty()) n.fail("needs at least one input");
  Value acc = xs[0];
  for (size_t i = 1; i < xs.size(); ++i) acc = n.e().binary<OpT>(acc, xs[i]);
  return {acc};
}

std::vector<Value> relu(OnnxNode& n) {
  n.onlyAttrs({});
  Value x = n.input(0);
  return {n.e().max(x, n.e().splatLike(0.0, x))};
}

// Since opset 12 the exponent may have another type; the result has the base's.
std::vector<Value> pow(OnnxNode& n) {
  n.onlyAttrs({});
  Value x = n.input(0);
  return {n.e().binary<PowOp>(x, n.e().convert(n.input(1), Emitter::elementType(x)))};
}

std::vector<Value> clip(OnnxNode& n) {
  Value x = n.input(0);
  Emitter& e = n.e();
  Value y = x;
  if (n.opset() < 11) {
    // Bounds are attributes before opset 11.
    n.onlyAttrs({"min", "max"});
    if (n.hasAttr("min")) y = e.max(y, e.splatLike(n.attrFloat("min", 0), x));
    if (n.hasAttr("max")) y = e.min(y, e.splatLike(n.attrFloat("max", 0), x));
    return {y};
  }
  n.onlyAttrs({});
  // Bounds are optional scalar inputs; broadcasting handles rank 0.
  if (n.hasInput(1)) y = e.max(y, e.convert(n.input(1), Emitter::elementType(x)));
  if (n.hasInput(2)) y = e.min(y, e.convert(n.input(2), Emitter::elementType(x)));
  return {y};
}

}  // namespace

void registerElementwiseOps(ConverterTable& t) {
  t["Add"] = binaryOp<AddOp>;
  t["Sub"] = binaryOp<SubOp>;
  t["Mul"] = binaryOp<MulOp>;
  t["Div"] = binaryOp<DivOp>;
  t["Pow"] = pow;
  t["Max"] = variadicOp<MaxOp>;
  t["Min"] = variadicOp<MinOp>;
  t["Sum"] = variadicOp<AddOp>;
  t["Relu"] = relu;
  t["Sigmoid"] = unaryOp<LogisticOp>;
  t["Tanh"] = unaryOp<TanhOp>;
  t["Exp"] = unaryOp<ExpOp>;
  t["Log"] = unaryOp<LogOp>;
  t["Sqrt"] = unaryOp<SqrtOp>;
  t["Neg"] = unaryOp<NegOp>;
  t["Abs"] = unaryOp<AbsOp>;
  t["Erf"] = unaryOp<ErfOp>;
  t["Clip"] = clip;
}

}  // namespace dlc::onnx_import
