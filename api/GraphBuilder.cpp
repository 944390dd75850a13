// GraphBuilder on the ONNX frontend's ModelBuilder: a built model is an ONNX
// model in memory, compiled through the same importer as a .onnx file.
#include "dlc/GraphBuilder.h"

#include <set>

#include "api/Internal.h"
#include "frontend/onnx/ModelBuilder.h"
#include "frontend/onnx/TensorProtoIO.h"

namespace dlc {

// ---- Attribute ----------------------------------------------------------

Attribute Attribute::integer(std::string name, int64_t v) {
  Attribute a;
  a.name_ = std::move(name), a.kind_ = Kind::Int, a.i_ = v;
  return a;
}
Attribute Attribute::real(std::string name, double v) {
  Attribute a;
  a.name_ = std::move(name), a.kind_ = Kind::Float, a.f_ = v;
  return a;
}
Attribute Attribute::string(std::string name, std::string v) {
  Attribute a;
  a.name_ = std::move(name), a.kind_ = Kind::String, a.s_ = std::move(v);
  return a;
}
Attribute Attribute::integers(std::string name, std::vector<int64_t> v) {
  Attribute a;
  a.name_ = std::move(name), a.kind_ = Kind::Ints, a.ints_ = std::move(v);
  return a;
}
Attribute Attribute::reals(std::string name, std::vector<double> v) {
  Attribute a;
  a.name_ = std::move(name), a.kind_ = Kind::Floats, a.floats_ = std::move(v);
  return a;
}
Attribute Attribute::strings(std::string name, std::vector<std::string> v) {
  Attribute a;
  a.name_ = std::move(name), a.kind_ = Kind::Strings, a.strings_ = std::move(v);
  return a;
}
Attribute Attribute::tensor(std::string name, Tensor v) {
  Attribute a;
  a.name_ = std::move(name), a.kind_ = Kind::Tensor, a.tensor_ = std::move(v);
  return a;
}

// ---- GraphBuilder -------------------------------------------------------

struct GraphBuilder::Impl {
  std::string name;
  onnx_io::ModelBuilder builder;
  Impl(std::string n, int64_t opset) : name(n), builder(std::move(n), opset) {}
};

namespace {

onnx_io::Attr toAttr(const Attribute& a) {
  using K = Attribute::Kind;
  switch (a.kind()) {
    case K::Int: return onnx_io::Attr::integer(a.name(), a.intValue());
    case K::Float: return onnx_io::Attr::real(a.name(), a.floatValue());
    case K::String: return onnx_io::Attr::string(a.name(), a.stringValue());
    case K::Ints: return onnx_io::Attr::integers(a.name(), a.intsValue());
    case K::Floats: return onnx_io::Attr::reals(a.name(), a.floatsValue());
    case K::Strings: return onnx_io::Attr::strs(a.name(), a.stringsValue());
    case K::Tensor: break;
  }
  if (a.tensorValue().isEmpty()) throw Error(1, "attribute '" + a.name() + "': an empty Tensor");
  return onnx_io::Attr::tensorValue(a.name(), api::toHostTensor(a.tensorValue()));
}

// The element type of an op's result i, as far as ONNX's typing rules are
// simple: comparisons and logic give bool, index-valued ops i64, Cast its
// `to`; everything else its first input's (the model's output dtype can
// always be given to output()).
DType resultType(const std::string& op, int i, const std::vector<Value>& inputs,
                 const std::vector<Attribute>& attrs) {
  static const std::set<std::string> kBool = {"Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual",
                                              "Not", "And", "Or", "Xor", "IsNaN", "IsInf"};
  static const std::set<std::string> kIndex = {"ArgMax", "ArgMin", "Shape", "Size", "NonZero"};
  if (kBool.count(op)) return DType::Bool;
  if (kIndex.count(op) || (op == "TopK" && i == 1)) return DType::I64;
  if (op == "Cast")
    for (const Attribute& a : attrs)
      if (a.name() == "to" && a.kind() == Attribute::Kind::Int)
        return api::fromRt(onnx_io::dtypeFromOnnx(static_cast<int>(a.intValue())));
  for (const Value& v : inputs)
    if (!v.isAbsent()) return v.dtype();
  return DType::F32;
}

// Runs a ModelBuilder call; its misuse errors (a name defined twice, an
// undefined input) are the caller's.
template <typename F>
auto building(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const onnx_io::BuildError& e) {
    throw Error(1, e.what());
  } catch (const onnx_io::TensorError& e) {
    throw Error(1, e.what());
  }
}

template <typename F>
auto guarded(F&& f) -> decltype(f()) {
  decltype(f()) result;
  api::translateExceptions([&] { result = building(f); });
  return result;
}

}  // namespace

GraphBuilder::GraphBuilder(std::string name, int64_t opset) {
  if (name.empty()) throw Error(1, "GraphBuilder: the graph needs a name");
  api::translateExceptions([&] { impl_ = std::make_unique<Impl>(std::move(name), opset); });
}

GraphBuilder::~GraphBuilder() = default;

Value GraphBuilder::input(const std::string& name, DType dtype, const std::vector<Dim>& dims) {
  return guarded([&] {
    std::vector<onnx_io::Dim> ds;
    for (const Dim& d : dims) {
      if (d.symbol.empty() && d.size < 0)
        throw Error(1, "input '" + name + "': dimension " + std::to_string(d.size) + " is negative");
      ds.push_back(d.symbol.empty() ? onnx_io::Dim::fixed(d.size) : onnx_io::Dim::symbolic(d.symbol));
    }
    impl_->builder.addInput(name, api::toRt(dtype), ds);
    return Value(name, dtype);
  });
}

Value GraphBuilder::parameter(const std::string& name, const Tensor& value) {
  return guarded([&] {
    if (value.isEmpty()) throw Error(1, "parameter '" + name + "': an empty Tensor");
    impl_->builder.addInitializer(name, api::toHostTensor(value));
    return Value(name, value.dtype());
  });
}

Value GraphBuilder::constant(const Tensor& value, const std::string& hint) {
  return guarded([&] {
    if (value.isEmpty()) throw Error(1, "constant '" + hint + "': an empty Tensor");
    return Value(impl_->builder.addConstant(api::toHostTensor(value), hint), value.dtype());
  });
}

std::vector<Value> GraphBuilder::ops(const std::string& opType, const std::vector<Value>& inputs, int numOutputs,
                                     const std::vector<Attribute>& attrs, const std::string& nodeName) {
  return guarded([&] {
    if (numOutputs < 1) throw Error(1, opType + ": an op has at least one result");
    std::vector<std::string> ins;
    for (const Value& v : inputs) ins.push_back(v.name());
    std::vector<onnx_io::Attr> as;
    for (const Attribute& a : attrs) as.push_back(toAttr(a));
    std::vector<std::string> outs = impl_->builder.addNode(opType, ins, numOutputs, as, nodeName);
    std::vector<Value> values;
    for (size_t i = 0; i < outs.size(); ++i)
      values.push_back(Value(outs[i], resultType(opType, static_cast<int>(i), inputs, attrs)));
    return values;
  });
}

Value GraphBuilder::op(const std::string& opType, const std::vector<Value>& inputs,
                       const std::vector<Attribute>& attrs, const std::string& nodeName) {
  return ops(opType, inputs, 1, attrs, nodeName)[0];
}

void GraphBuilder::output(const Value& value, const std::string& name, std::optional<DType> dtype) {
  guarded([&] {
    if (value.isAbsent()) throw Error(1, "output '" + name + "': an absent Value");
    impl_->builder.addOutput(value.name(), name.empty() ? value.name() : name,
                             api::toRt(dtype.value_or(value.dtype())));
    return 0;
  });
}

void GraphBuilder::setMetadata(const std::string& key, const std::string& value) {
  guarded([&] {
    impl_->builder.setMetadata(key, value);
    return 0;
  });
}

Model GraphBuilder::build() const {
  return guarded([&] {
    Model::Impl m;
    m.source = Model::Impl::Source::Built;
    m.name = impl_->name;
    m.text = impl_->builder.serialize();
    m.baseDir = ".";
    return Model(std::make_shared<const Model::Impl>(std::move(m)));
  });
}

// ---- the common ops -----------------------------------------------------

Value GraphBuilder::add(const Value& a, const Value& b) { return op("Add", {a, b}); }
Value GraphBuilder::sub(const Value& a, const Value& b) { return op("Sub", {a, b}); }
Value GraphBuilder::mul(const Value& a, const Value& b) { return op("Mul", {a, b}); }
Value GraphBuilder::div(const Value& a, const Value& b) { return op("Div", {a, b}); }
Value GraphBuilder::pow(const Value& a, const Value& b) { return op("Pow", {a, b}); }
Value GraphBuilder::matmul(const Value& a, const Value& b) { return op("MatMul", {a, b}); }

Value GraphBuilder::gemm(const Value& a, const Value& b, const Value& c, bool transA, bool transB,
                         double alpha, double beta) {
  std::vector<Value> ins = {a, b};
  if (!c.isAbsent()) ins.push_back(c);
  return op("Gemm", ins,
            {Attribute::integer("transA", transA), Attribute::integer("transB", transB),
             Attribute::real("alpha", alpha), Attribute::real("beta", beta)});
}

Value GraphBuilder::relu(const Value& x) { return op("Relu", {x}); }
Value GraphBuilder::sigmoid(const Value& x) { return op("Sigmoid", {x}); }
Value GraphBuilder::tanh(const Value& x) { return op("Tanh", {x}); }
Value GraphBuilder::exp(const Value& x) { return op("Exp", {x}); }
Value GraphBuilder::log(const Value& x) { return op("Log", {x}); }
Value GraphBuilder::sqrt(const Value& x) { return op("Sqrt", {x}); }
Value GraphBuilder::neg(const Value& x) { return op("Neg", {x}); }
Value GraphBuilder::softmax(const Value& x, int64_t axis) {
  return op("Softmax", {x}, {Attribute::integer("axis", axis)});
}
Value GraphBuilder::logSoftmax(const Value& x, int64_t axis) {
  return op("LogSoftmax", {x}, {Attribute::integer("axis", axis)});
}

Value GraphBuilder::conv2d(const Value& x, const Value& w, const Value& bias, std::vector<int64_t> strides,
                           std::vector<int64_t> pads, std::vector<int64_t> dilations, int64_t groups) {
  std::vector<Value> ins = {x, w};
  if (!bias.isAbsent()) ins.push_back(bias);
  return op("Conv", ins,
            {Attribute::integers("strides", std::move(strides)), Attribute::integers("pads", std::move(pads)),
             Attribute::integers("dilations", std::move(dilations)), Attribute::integer("group", groups)});
}

namespace {
std::vector<Attribute> poolAttrs(std::vector<int64_t> kernel, std::vector<int64_t> strides,
                                 std::vector<int64_t> pads) {
  if (strides.empty()) strides = kernel;
  return {Attribute::integers("kernel_shape", std::move(kernel)), Attribute::integers("strides", std::move(strides)),
          Attribute::integers("pads", std::move(pads))};
}
}  // namespace

Value GraphBuilder::maxPool2d(const Value& x, std::vector<int64_t> kernel, std::vector<int64_t> strides,
                              std::vector<int64_t> pads) {
  return op("MaxPool", {x}, poolAttrs(std::move(kernel), std::move(strides), std::move(pads)));
}
Value GraphBuilder::avgPool2d(const Value& x, std::vector<int64_t> kernel, std::vector<int64_t> strides,
                              std::vector<int64_t> pads) {
  return op("AveragePool", {x}, poolAttrs(std::move(kernel), std::move(strides), std::move(pads)));
}
Value GraphBuilder::globalAvgPool(const Value& x) { return op("GlobalAveragePool", {x}); }

Value GraphBuilder::reshape(const Value& x, const std::vector<int64_t>& shape) {
  Value s = constant(Tensor::fromVector<int64_t>({static_cast<int64_t>(shape.size())}, shape), "shape");
  return op("Reshape", {x, s});
}
Value GraphBuilder::transpose(const Value& x, std::vector<int64_t> perm) {
  return op("Transpose", {x}, {Attribute::integers("perm", std::move(perm))});
}
Value GraphBuilder::flatten(const Value& x, int64_t axis) {
  return op("Flatten", {x}, {Attribute::integer("axis", axis)});
}
Value GraphBuilder::concat(const std::vector<Value>& xs, int64_t axis) {
  return op("Concat", xs, {Attribute::integer("axis", axis)});
}
Value GraphBuilder::layerNorm(const Value& x, const Value& scale, const Value& bias, int64_t axis,
                              double epsilon) {
  std::vector<Value> ins = {x, scale};
  if (!bias.isAbsent()) ins.push_back(bias);
  return op("LayerNormalization", ins, {Attribute::integer("axis", axis), Attribute::real("epsilon", epsilon)});
}
Value GraphBuilder::cast(const Value& x, DType to) {
  return op("Cast", {x}, {Attribute::integer("to", onnx_io::dtypeToOnnx(api::toRt(to)))});
}

}  // namespace dlc
