// GraphBuilder: constructs a model in C++, op by op. The ops are ONNX's (of
// the default domain, at the builder's opset) with ONNX's semantics: any op
// that `dlc ops` lists can be called by name, and the common ones have
// methods. The result is an ONNX model in memory (Model::toOnnx() returns
// it), compiled like any other.
//
//   dlc::GraphBuilder g("mlp");
//   auto x = g.input("x", dlc::DType::F32, {"N", 784});
//   auto w = g.parameter("fc.w", weights);            // a Tensor [784, 10]
//   auto y = g.softmax(g.add(g.matmul(x, w), g.parameter("fc.b", bias)));
//   g.output(y, "probs");
//   dlc::Model model = g.build();
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "dlc/Export.h"
#include "dlc/Model.h"
#include "dlc/Tensor.h"

namespace dlc {

// One input dimension: a size, or a symbol (fixed at compile time by
// CompileOptions::inputShapes; inputs that share a symbol share the size).
struct DLC_API Dim {
  int64_t size = 0;
  std::string symbol;  // non-empty: symbolic
  template <typename I, std::enable_if_t<std::is_integral_v<I>, int> = 0>
  Dim(I n) : size(static_cast<int64_t>(n)) {}
  Dim(const char* s) : symbol(s) {}
  Dim(std::string s) : symbol(std::move(s)) {}
};

// A node attribute (ONNX's attribute types).
class DLC_API Attribute {
 public:
  enum class Kind : uint8_t { Int, Float, String, Ints, Floats, Strings, Tensor };
  static Attribute integer(std::string name, int64_t v);
  static Attribute real(std::string name, double v);
  static Attribute string(std::string name, std::string v);
  static Attribute integers(std::string name, std::vector<int64_t> v);
  static Attribute reals(std::string name, std::vector<double> v);
  static Attribute strings(std::string name, std::vector<std::string> v);
  static Attribute tensor(std::string name, Tensor v);

  const std::string& name() const { return name_; }
  Kind kind() const { return kind_; }
  int64_t intValue() const { return i_; }
  double floatValue() const { return f_; }
  const std::string& stringValue() const { return s_; }
  const std::vector<int64_t>& intsValue() const { return ints_; }
  const std::vector<double>& floatsValue() const { return floats_; }
  const std::vector<std::string>& stringsValue() const { return strings_; }
  const Tensor& tensorValue() const { return tensor_; }

 private:
  std::string name_;
  Kind kind_ = Kind::Int;
  int64_t i_ = 0;
  double f_ = 0;
  std::string s_;
  std::vector<int64_t> ints_;
  std::vector<double> floats_;
  std::vector<std::string> strings_;
  Tensor tensor_;
};

// A value of the graph under construction: an input, a parameter, a
// constant or an op's result. A default-constructed Value is "absent" (an
// omitted optional input of an op).
class DLC_API Value {
 public:
  Value() = default;
  bool isAbsent() const { return name_.empty(); }
  // The value's name in the ONNX graph.
  const std::string& name() const { return name_; }
  // The element type as far as the builder can tell (outputs of ops it does
  // not know the typing of take their first input's).
  DType dtype() const { return dtype_; }

 private:
  friend class GraphBuilder;
  Value(std::string name, DType dtype) : name_(std::move(name)), dtype_(dtype) {}
  std::string name_;
  DType dtype_ = DType::F32;
};

class DLC_API GraphBuilder {
 public:
  // `name`: the graph's (and the model's, in messages); `opset`: the ONNX
  // default-domain version the ops follow.
  explicit GraphBuilder(std::string name, int64_t opset = 17);
  ~GraphBuilder();
  GraphBuilder(const GraphBuilder&) = delete;
  GraphBuilder& operator=(const GraphBuilder&) = delete;

  // Graph inputs, in call order (the compiled signature's order).
  Value input(const std::string& name, DType dtype, const std::vector<Dim>& dims);
  // A named weight (an ONNX initializer); the data is copied.
  Value parameter(const std::string& name, const Tensor& value);
  // An anonymous constant; the data is copied.
  Value constant(const Tensor& value, const std::string& hint = "const");
  // Any ONNX op by name, with one result / `numOutputs` results. Node names
  // are made unique from `nodeName` (default: the op type); errors at
  // compile time name the node.
  Value op(const std::string& opType, const std::vector<Value>& inputs,
           const std::vector<Attribute>& attrs = {}, const std::string& nodeName = "");
  std::vector<Value> ops(const std::string& opType, const std::vector<Value>& inputs, int numOutputs,
                         const std::vector<Attribute>& attrs = {}, const std::string& nodeName = "");
  // Makes `value` a graph output named `name` (default: the value's name),
  // in call order. `dtype` overrides the element type the builder assumes.
  void output(const Value& value, const std::string& name = "",
              std::optional<DType> dtype = std::nullopt);
  // A model-level metadata entry (ONNX metadata_props).
  void setMetadata(const std::string& key, const std::string& value);

  // The common ops (ONNX's names in brackets).
  Value add(const Value& a, const Value& b);         // [Add], numpy broadcasting
  Value sub(const Value& a, const Value& b);         // [Sub]
  Value mul(const Value& a, const Value& b);         // [Mul]
  Value div(const Value& a, const Value& b);         // [Div]
  Value pow(const Value& a, const Value& b);         // [Pow]
  Value matmul(const Value& a, const Value& b);      // [MatMul], numpy semantics
  // alpha * A' @ B' + beta * C, ' = transposed when asked [Gemm].
  Value gemm(const Value& a, const Value& b, const Value& c = Value(), bool transA = false,
             bool transB = false, double alpha = 1.0, double beta = 1.0);
  Value relu(const Value& x);
  Value sigmoid(const Value& x);
  Value tanh(const Value& x);
  Value exp(const Value& x);
  Value log(const Value& x);
  Value sqrt(const Value& x);
  Value neg(const Value& x);
  Value softmax(const Value& x, int64_t axis = -1);
  Value logSoftmax(const Value& x, int64_t axis = -1);
  // NCHW input, OIHW weights; pads = [top, left, bottom, right] [Conv].
  Value conv2d(const Value& x, const Value& w, const Value& bias = Value(),
               std::vector<int64_t> strides = {1, 1}, std::vector<int64_t> pads = {0, 0, 0, 0},
               std::vector<int64_t> dilations = {1, 1}, int64_t groups = 1);
  // strides default to the kernel; pads as conv2d [MaxPool, AveragePool].
  Value maxPool2d(const Value& x, std::vector<int64_t> kernel, std::vector<int64_t> strides = {},
                  std::vector<int64_t> pads = {0, 0, 0, 0});
  Value avgPool2d(const Value& x, std::vector<int64_t> kernel, std::vector<int64_t> strides = {},
                  std::vector<int64_t> pads = {0, 0, 0, 0});
  Value globalAvgPool(const Value& x);
  // shape may hold one -1 (inferred) and 0s (copy the input's dim) [Reshape].
  Value reshape(const Value& x, const std::vector<int64_t>& shape);
  Value transpose(const Value& x, std::vector<int64_t> perm);
  Value flatten(const Value& x, int64_t axis = 1);
  Value concat(const std::vector<Value>& xs, int64_t axis);
  Value layerNorm(const Value& x, const Value& scale, const Value& bias = Value(), int64_t axis = -1,
                  double epsilon = 1e-5);  // [LayerNormalization]
  Value cast(const Value& x, DType to);

  // The model; the builder can go on and build more.
  Model build() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dlc
