#include "frontend/onnx/ModelBuilder.h"

#include "frontend/onnx/TensorProtoIO.h"

#include "onnx/onnx_pb.h"

#include <algorithm>

namespace dlc::onnx_io {

Attr Attr::integer(std::string name, int64_t v) {
  Attr a;
  a.name = std::move(name), a.kind = Kind::Int, a.i = v;
  return a;
}
Attr Attr::real(std::string name, double v) {
  Attr a;
  a.name = std::move(name), a.kind = Kind::Float, a.f = v;
  return a;
}
Attr Attr::string(std::string name, std::string v) {
  Attr a;
  a.name = std::move(name), a.kind = Kind::String, a.s = std::move(v);
  return a;
}
Attr Attr::integers(std::string name, std::vector<int64_t> v) {
  Attr a;
  a.name = std::move(name), a.kind = Kind::Ints, a.ints = std::move(v);
  return a;
}
Attr Attr::reals(std::string name, std::vector<double> v) {
  Attr a;
  a.name = std::move(name), a.kind = Kind::Floats, a.floats = std::move(v);
  return a;
}
Attr Attr::strs(std::string name, std::vector<std::string> v) {
  Attr a;
  a.name = std::move(name), a.kind = Kind::Strings, a.strings = std::move(v);
  return a;
}
Attr Attr::tensorValue(std::string name, rt::HostTensor v) {
  Attr a;
  a.name = std::move(name), a.kind = Kind::Tensor;
  a.tensor = std::make_shared<const rt::HostTensor>(std::move(v));
  return a;
}

namespace {

void setAttribute(const Attr& a, onnx::AttributeProto& p) {
  p.set_name(a.name);
  switch (a.kind) {
    case Attr::Kind::Int:
      p.set_type(onnx::AttributeProto::INT), p.set_i(a.i);
      break;
    case Attr::Kind::Float:
      p.set_type(onnx::AttributeProto::FLOAT), p.set_f(static_cast<float>(a.f));
      break;
    case Attr::Kind::String:
      p.set_type(onnx::AttributeProto::STRING), p.set_s(a.s);
      break;
    case Attr::Kind::Ints:
      p.set_type(onnx::AttributeProto::INTS);
      for (int64_t v : a.ints) p.add_ints(v);
      break;
    case Attr::Kind::Floats:
      p.set_type(onnx::AttributeProto::FLOATS);
      for (double v : a.floats) p.add_floats(static_cast<float>(v));
      break;
    case Attr::Kind::Strings:
      p.set_type(onnx::AttributeProto::STRINGS);
      for (const std::string& v : a.strings) p.add_strings(v);
      break;
    case Attr::Kind::Tensor:
      p.set_type(onnx::AttributeProto::TENSOR);
      toTensorProto(*a.tensor, *p.mutable_t());
      break;
  }
}

}  // namespace

ModelBuilder::ModelBuilder(std::string graphName, int64_t opset)
    : model_(std::make_unique<onnx::ModelProto>()), opset_(opset) {
  // IR version 8 goes with opsets up to 18 and is what Debian's libonnx
  // (1.12) checks; newer opsets need a newer IR version.
  model_->set_ir_version(opset <= 18 ? 8 : opset <= 21 ? 9 : 10);
  model_->set_producer_name("dlc");
  auto* op = model_->add_opset_import();
  op->set_domain("");
  op->set_version(opset);
  model_->mutable_graph()->set_name(std::move(graphName));
}

ModelBuilder::~ModelBuilder() = default;

bool ModelBuilder::defined(const std::string& value) const { return values_.count(value) != 0; }

void ModelBuilder::define(const std::string& value) {
  if (value.empty()) throw BuildError("a value needs a name");
  if (!values_.insert(value).second) throw BuildError("'" + value + "' is defined twice");
}

std::string ModelBuilder::freshIn(std::set<std::string>& used, const std::string& hint) {
  std::string base = hint.empty() ? "v" : hint;
  if (!used.count(base)) return base;
  // Names are never released, so the search resumes where the last one for
  // this base ended: n nodes of one op type cost O(n), not O(n^2).
  int& next = nextSuffix_[&used == &nodes_ ? 1 : 0][base];
  for (int i = std::max(next, 1);; ++i) {
    std::string name = base + "_" + std::to_string(i);
    if (!used.count(name)) {
      next = i + 1;
      return name;
    }
  }
}

std::string ModelBuilder::freshName(const std::string& hint) { return freshIn(values_, hint); }

void ModelBuilder::addInput(const std::string& name, rt::DType dtype, const std::vector<Dim>& dims) {
  define(name);
  auto* in = model_->mutable_graph()->add_input();
  in->set_name(name);
  auto* tt = in->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(dtypeToOnnx(dtype));
  auto* shape = tt->mutable_shape();
  for (const Dim& d : dims) {
    auto* dim = shape->add_dim();
    if (d.symbol.empty()) dim->set_dim_value(d.size);
    else dim->set_dim_param(d.symbol);
  }
}

void ModelBuilder::addInitializer(const std::string& name, const rt::HostTensor& value) {
  define(name);
  auto* t = model_->mutable_graph()->add_initializer();
  toTensorProto(value, *t);
  t->set_name(name);
}

std::string ModelBuilder::addConstant(const rt::HostTensor& value, const std::string& hint) {
  return addNode("Constant", {}, 1, {Attr::tensorValue("value", rt::HostTensor(value.type(), value.data()))},
                 hint)[0];
}

std::vector<std::string> ModelBuilder::addNode(const std::string& opType,
                                               const std::vector<std::string>& inputs,
                                               int numOutputs, const std::vector<Attr>& attrs,
                                               const std::string& nodeName) {
  for (const std::string& in : inputs)
    if (!in.empty() && !defined(in))
      throw BuildError(opType + ": input '" + in + "' is not defined");
  auto* node = model_->mutable_graph()->add_node();
  node->set_op_type(opType);
  std::string name = freshIn(nodes_, nodeName.empty() ? opType : nodeName);
  nodes_.insert(name);
  node->set_name(name);
  for (const std::string& in : inputs) node->add_input(in);
  std::vector<std::string> outs;
  for (int i = 0; i < numOutputs; ++i) {
    std::string out = freshName(numOutputs == 1 ? name : name + "_" + std::to_string(i));
    define(out);
    node->add_output(out);
    outs.push_back(out);
  }
  for (const Attr& a : attrs) setAttribute(a, *node->add_attribute());
  return outs;
}

void ModelBuilder::addOutput(const std::string& value, const std::string& name, rt::DType dtype) {
  if (!defined(value)) throw BuildError("output '" + name + "': value '" + value + "' is not defined");
  auto* graph = model_->mutable_graph();
  if (!outputs_.insert(name).second) throw BuildError("output '" + name + "' is declared twice");
  if (value != name) {
    define(name);
    auto* node = graph->add_node();
    node->set_op_type("Identity");
    std::string nodeName = freshIn(nodes_, name);
    nodes_.insert(nodeName);
    node->set_name(nodeName);
    node->add_input(value);
    node->add_output(name);
  }
  auto* out = graph->add_output();
  out->set_name(name);
  out->mutable_type()->mutable_tensor_type()->set_elem_type(dtypeToOnnx(dtype));
}

void ModelBuilder::setMetadata(const std::string& key, const std::string& value) {
  for (auto& p : *model_->mutable_metadata_props())
    if (p.key() == key) return p.set_value(value);
  auto* p = model_->add_metadata_props();
  p->set_key(key);
  p->set_value(value);
}

std::string ModelBuilder::serialize() const { return model_->SerializeAsString(); }

}  // namespace dlc::onnx_io
