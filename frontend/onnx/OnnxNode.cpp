#include "frontend/onnx/OnnxNode.h"

#include "frontend/onnx/ConstantFolding.h"
#include "frontend/onnx/TensorProtoIO.h"

namespace dlc::onnx_import {

namespace {
const char* attrTypeName(int t) {
  switch (t) {
    case onnx::AttributeProto::FLOAT: return "float";
    case onnx::AttributeProto::INT: return "int";
    case onnx::AttributeProto::STRING: return "string";
    case onnx::AttributeProto::TENSOR: return "tensor";
    case onnx::AttributeProto::GRAPH: return "graph";
    case onnx::AttributeProto::FLOATS: return "floats";
    case onnx::AttributeProto::INTS: return "ints";
    case onnx::AttributeProto::STRINGS: return "strings";
    default: return "other";
  }
}
}  // namespace

bool OnnxNode::hasInput(size_t i) const {
  return i < static_cast<size_t>(proto_.input_size()) && !proto_.input(i).empty();
}

mlir::Value OnnxNode::input(size_t i) const {
  if (!hasInput(i)) fail("input " + std::to_string(i) + " is required but missing");
  auto it = scope_.values.find(proto_.input(i));
  if (it == scope_.values.end())
    fail("input '" + proto_.input(i) + "' is not defined by any earlier node, input or initializer");
  return it->second;
}

std::vector<mlir::Value> OnnxNode::inputs() const {
  std::vector<mlir::Value> vs;
  for (int i = 0; i < proto_.input_size(); ++i)
    if (hasInput(i)) vs.push_back(input(i));
  return vs;
}

const rt::HostTensor* OnnxNode::constantInput(size_t i) const {
  if (!hasInput(i)) return nullptr;
  auto it = scope_.constants.find(proto_.input(i));
  if (it != scope_.constants.end()) return &it->second;
  auto known = scope_.inputValues.find(proto_.input(i));
  if (known != scope_.inputValues.end()) {
    scope_.specialized.insert(proto_.input(i));
    return &known->second;
  }
  return computedConstant(i);
}

// A value computed from constants and graph inputs whose values are known
// (Pad's pads from CenterCropPad's shape input, in its expanded form): it is
// evaluated now, and the inputs it reads are specialised as if the op read
// them directly.
const rt::HostTensor* OnnxNode::computedConstant(size_t i) const {
  auto v = scope_.values.find(proto_.input(i));
  if (v == scope_.values.end()) return nullptr;
  std::optional<rt::HostTensor> t = constantValue(v->second);
  if (!t) return nullptr;
  return &(scope_.constants[proto_.input(i)] = std::move(*t));
}

std::optional<rt::HostTensor> OnnxNode::constantValue(mlir::Value v) const {
  std::set<std::string> used;
  auto knownInput = [&](mlir::BlockArgument arg) -> const rt::HostTensor* {
    // The input's own name (an Identity's output may name the same value).
    for (const auto& [name, value] : scope_.values) {
      auto it = scope_.inputValues.find(name);
      if (value != arg || it == scope_.inputValues.end()) continue;
      used.insert(name);
      return &it->second;
    }
    return nullptr;
  };
  std::optional<rt::HostTensor> t = evaluateForCompileTime(v, knownInput);
  if (t) scope_.specialized.insert(used.begin(), used.end());
  return t;
}

Dims OnnxNode::intsInput(size_t i, const char* what) const {
  input(i);  // defined at all?
  const rt::HostTensor* t = constantInput(i);
  if (!t)
    fail(std::string(what) + " (input " + std::to_string(i) + " '" + proto_.input(i) +
         "') must be a compile-time constant (an initializer, a Constant, or a graph input "
         "whose value dlc run is given)");
  if (t->dtype() != rt::DType::I64 && t->dtype() != rt::DType::I32)
    fail(std::string(what) + " must be int64 or int32, got " +
         std::string(rt::dtypeName(t->dtype())));
  // Read exactly: int64 bounds such as INT64_MAX (Slice's "to the end") do
  // not survive a trip through double.
  Dims out;
  for (int64_t k = 0; k < t->numElements(); ++k)
    out.push_back(t->dtype() == rt::DType::I64 ? t->cref().as<int64_t>()[k]
                                               : t->cref().as<int32_t>()[k]);
  return out;
}

double OnnxNode::scalarInput(size_t i, const char* what) const {
  input(i);
  const rt::HostTensor* t = constantInput(i);
  if (!t) fail(std::string(what) + " must be a compile-time constant");
  if (t->numElements() != 1) fail(std::string(what) + " must be a scalar");
  return rt::loadAsDouble(t->cref(), 0);
}

const onnx::AttributeProto* OnnxNode::attr(const std::string& name) const {
  for (const auto& a : proto_.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

const onnx::AttributeProto& OnnxNode::attrOfType(const std::string& name, int type) const {
  const onnx::AttributeProto* a = attr(name);
  if (a->type() != type && a->type() != onnx::AttributeProto::UNDEFINED)
    fail("attribute '" + name + "' must be of type " + attrTypeName(type) + ", got " +
         attrTypeName(a->type()));
  return *a;
}

int64_t OnnxNode::attrInt(const std::string& name, int64_t dflt) const {
  return hasAttr(name) ? attrOfType(name, onnx::AttributeProto::INT).i() : dflt;
}

float OnnxNode::attrFloat(const std::string& name, float dflt) const {
  return hasAttr(name) ? attrOfType(name, onnx::AttributeProto::FLOAT).f() : dflt;
}

std::string OnnxNode::attrString(const std::string& name, const std::string& dflt) const {
  return hasAttr(name) ? attrOfType(name, onnx::AttributeProto::STRING).s() : dflt;
}

Dims OnnxNode::attrInts(const std::string& name, const Dims& dflt) const {
  if (!hasAttr(name)) return dflt;
  const auto& a = attrOfType(name, onnx::AttributeProto::INTS);
  return Dims(a.ints().begin(), a.ints().end());
}

const onnx::TensorProto* OnnxNode::attrTensor(const std::string& name) const {
  return hasAttr(name) ? &attrOfType(name, onnx::AttributeProto::TENSOR).t() : nullptr;
}

std::vector<mlir::Value> OnnxNode::callGraphAttr(const std::string& name,
                                                 const std::vector<mlir::Value>& args) const {
  if (!hasAttr(name)) fail("attribute '" + name + "' is missing");
  const onnx::GraphProto& g = attrOfType(name, onnx::AttributeProto::GRAPH).g();
  if (g.input_size() != static_cast<int>(args.size()))
    fail("the graph attribute '" + name + "' takes " + std::to_string(g.input_size()) +
         " inputs, the op gives it " + std::to_string(args.size()));
  if (!scope_.inlineGraph) fail("graph attributes cannot be imported here");
  return scope_.inlineGraph(g, args);
}

void OnnxNode::onlyAttrs(std::initializer_list<const char*> known) const {
  for (const auto& a : proto_.attribute()) {
    bool ok = false;
    for (const char* k : known) ok |= a.name() == k;
    if (!ok) fail("attribute '" + a.name() + "' is not supported");
  }
}

int64_t OnnxNode::axis(int64_t a, int64_t rank, const char* what) const {
  int64_t r = a < 0 ? a + rank : a;
  if (r < 0 || r >= rank)
    fail(std::string(what) + " " + std::to_string(a) + " is out of range for rank " +
         std::to_string(rank));
  return r;
}

}  // namespace dlc::onnx_import
