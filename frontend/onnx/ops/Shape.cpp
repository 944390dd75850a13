// ONNX ops that move or relabel data: reshapes, transposes, concatenation,
// constants, and the inference-time identities (Identity, Dropout).
#include "frontend/onnx/OnnxNode.h"
#include "frontend/onnx/TensorProtoIO.h"

namespace dlc::onnx_import {
namespace {

using mlir::Value;

std::vector<Value> identity(OnnxNode& n) {
  n.onlyAttrs({});
  return {n.input(0)};
}

std::vector<Value> flatten(OnnxNode& n) {
  n.onlyAttrs({"axis"});
  Value x = n.input(0);
  Dims xs = Emitter::shape(x);
  int64_t r = static_cast<int64_t>(xs.size());
  int64_t a = n.attrInt("axis", 1);
  if (a < 0) a += r;
  if (a < 0 || a > r) n.fail("axis " + std::to_string(n.attrInt("axis", 1)) +
                             " is out of range for rank " + std::to_string(r));
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < r; ++i) (i < a ? outer : inner) *= xs[i];
  return {n.e().reshape(x, {outer, inner})};
}

std::vector<Value> reshape(OnnxNode& n) {
  n.onlyAttrs({"allowzero"});
  Value x = n.input(0);
  Dims xs = Emitter::shape(x);
  Dims target = n.intsInput(1, "the shape");
  bool allowZero = n.attrInt("allowzero", 0) != 0;
  int64_t known = 1, inferAt = -1;
  for (size_t i = 0; i < target.size(); ++i) {
    if (target[i] == 0 && !allowZero) {
      if (i >= xs.size()) n.fail("shape entry " + std::to_string(i) + " is 0 (copy) but the input has rank " + std::to_string(xs.size()));
      target[i] = xs[i];
    }
    if (target[i] == -1) {
      if (inferAt >= 0) n.fail("shape " + dimsString(target) + " has more than one -1");
      inferAt = static_cast<int64_t>(i);
    } else if (target[i] < 0) {
      n.fail("shape " + dimsString(target) + " has a negative entry");
    } else {
      known *= target[i];
    }
  }
  int64_t total = rt::numElements(xs);
  if (inferAt >= 0) {
    if (known == 0 || total % known != 0)
      n.fail("cannot reshape " + dimsString(xs) + " to " + dimsString(target));
    target[inferAt] = total / known;
  }
  if (rt::numElements(target) != total)
    n.fail("cannot reshape " + dimsString(xs) + " (" + std::to_string(total) + " elements) to " +
           dimsString(target));
  return {n.e().reshape(x, target)};
}

std::vector<Value> transpose(OnnxNode& n) {
  n.onlyAttrs({"perm"});
  Value x = n.input(0);
  int64_t r = Emitter::rank(x);
  Dims reversed;
  for (int64_t i = r - 1; i >= 0; --i) reversed.push_back(i);
  return {n.e().transpose(x, n.attrInts("perm", reversed))};
}

std::vector<Value> concat(OnnxNode& n) {
  n.onlyAttrs({"axis"});
  if (!n.hasAttr("axis")) n.fail("attribute 'axis' is required");
  std::vector<Value> xs = n.inputs();
  if (xs.empty()) n.fail("needs at least one input");
  return {n.e().concatenate(xs, n.axis(n.attrInt("axis", 0), Emitter::rank(xs[0])))};
}

std::vector<Value> constant(OnnxNode& n) {
  Emitter& e = n.e();
  if (n.proto().attribute_size() != 1) n.fail("needs exactly one value attribute");
  const std::string& which = n.proto().attribute(0).name();
  if (which == "value") {
    try {
      return {e.constant(onnx_io::fromTensorProto(*n.attrTensor("value"), ""))};
    } catch (const onnx_io::TensorError& err) {
      n.fail(std::string("attribute 'value': ") + err.what());
    }
  }
  if (which == "value_float") return {e.splat(n.attrFloat("value_float", 0), e.builder().getF32Type())};
  if (which == "value_int")
    return {e.splat(static_cast<double>(n.attrInt("value_int", 0)), e.builder().getI64Type())};
  if (which == "value_ints") {
    Dims v = n.attrInts("value_ints", {});
    rt::HostTensor t({rt::DType::I64, {static_cast<int64_t>(v.size())}}, v.data());
    return {e.constant(t)};
  }
  if (which == "value_floats") {
    const auto& a = n.proto().attribute(0);
    std::vector<float> v(a.floats().begin(), a.floats().end());
    rt::HostTensor t({rt::DType::F32, {static_cast<int64_t>(v.size())}}, v.data());
    return {e.constant(t)};
  }
  n.fail("attribute '" + which + "' is not supported");
}

// Inference: Dropout is the identity and its mask all true.
std::vector<Value> dropout(OnnxNode& n) {
  n.onlyAttrs({"ratio", "is_test", "seed"});
  if (n.opset() >= 12 && n.hasInput(2)) {
    const rt::HostTensor* training = n.constantInput(2);
    if (!training) n.fail("training_mode must be a compile-time constant");
    if (rt::loadAsDouble(training->cref(), 0) != 0)
      n.fail("training_mode=true is not supported in inference");
  }
  Value x = n.input(0);
  std::vector<Value> out = {x};
  // The mask is bool from opset 10, the input's type before.
  if (n.hasOutput(1))
    out.push_back(n.e().splat(1.0, n.opset() >= 10 ? n.e().builder().getI1Type()
                                                   : Emitter::elementType(x),
                              Emitter::shape(x)));
  return out;
}

}  // namespace

void registerShapeOps(ConverterTable& t) {
  t["Identity"] = identity;
  t["Flatten"] = flatten;
  t["Reshape"] = reshape;
  t["Transpose"] = transpose;
  t["Concat"] = concat;
  t["Constant"] = constant;
  t["Dropout"] = dropout;
}

}  // namespace dlc::onnx_import
