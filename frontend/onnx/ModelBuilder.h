// Builds an onnx.ModelProto node by node: what the model DSL translates into
// and what the C++ library's GraphBuilder wraps. Building through ONNX means
// that every op the importer supports is available to both, with ONNX's
// semantics, and that an exported model is exactly what dlc compiled.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "runtime/Tensor.h"

namespace onnx {
class ModelProto;
}

namespace dlc::onnx_io {

// A misuse of the builder (a name defined twice, an undefined input); the
// message names the value.
struct BuildError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// One input dimension: a size, or a symbol (ONNX dim_param) fixed later by
// --input-shape.
struct Dim {
  int64_t size = 0;
  std::string symbol;  // non-empty: symbolic
  static Dim fixed(int64_t n) { return {n, ""}; }
  static Dim symbolic(std::string s) { return {0, std::move(s)}; }
};

// A node attribute, one of ONNX's attribute types.
struct Attr {
  enum class Kind { Int, Float, String, Ints, Floats, Strings, Tensor };
  std::string name;
  Kind kind = Kind::Int;
  int64_t i = 0;
  double f = 0;
  std::string s;
  std::vector<int64_t> ints;
  std::vector<double> floats;
  std::vector<std::string> strings;
  std::shared_ptr<const rt::HostTensor> tensor;

  static Attr integer(std::string name, int64_t v);
  static Attr real(std::string name, double v);
  static Attr string(std::string name, std::string v);
  static Attr integers(std::string name, std::vector<int64_t> v);
  static Attr reals(std::string name, std::vector<double> v);
  static Attr strs(std::string name, std::vector<std::string> v);
  static Attr tensorValue(std::string name, rt::HostTensor v);
};

class ModelBuilder {
 public:
  // `opset`: the version of the default ONNX domain the model imports.
  explicit ModelBuilder(std::string graphName, int64_t opset = 17);
  ~ModelBuilder();
  ModelBuilder(const ModelBuilder&) = delete;
  ModelBuilder& operator=(const ModelBuilder&) = delete;

  int64_t opset() const { return opset_; }

  // Graph inputs, in call order.
  void addInput(const std::string& name, rt::DType dtype, const std::vector<Dim>& dims);
  // A named initializer (a parameter: trainable, exported under its name).
  void addInitializer(const std::string& name, const rt::HostTensor& value);
  // An anonymous constant (a shape, a number literal): a Constant node, so
  // that the initializers are exactly the parameters (what training updates
  // and export names). Returns the value's fresh name.
  std::string addConstant(const rt::HostTensor& value, const std::string& hint = "const");
  // A node; returns its `numOutputs` output names (fresh names from
  // `nodeName` or the op type). `nodeName` empty: a fresh one.
  std::vector<std::string> addNode(const std::string& opType, const std::vector<std::string>& inputs,
                                   int numOutputs, const std::vector<Attr>& attrs = {},
                                   const std::string& nodeName = "");
  // Makes `value` a graph output called `name` (through an Identity node when
  // the names differ) of element type `dtype` (ONNX's checker requires one;
  // the shape is left to the importer). Outputs are in call order.
  void addOutput(const std::string& value, const std::string& name, rt::DType dtype);
  // A model-level metadata_props entry.
  void setMetadata(const std::string& key, const std::string& value);

  bool defined(const std::string& value) const;
  // A name not used yet, derived from `hint`.
  std::string freshName(const std::string& hint);

  const onnx::ModelProto& model() const { return *model_; }
  std::string serialize() const;

 private:
  void define(const std::string& value);
  std::string freshIn(std::set<std::string>& used, const std::string& hint);

  std::unique_ptr<onnx::ModelProto> model_;
  int64_t opset_;
  std::set<std::string> values_;  // every value name in use
  std::set<std::string> nodes_;   // every node name in use
  std::set<std::string> outputs_;  // graph output names
  std::map<std::string, int> nextSuffix_[2];  // per base: where freshIn resumes (values, nodes)
};

}  // namespace dlc::onnx_io
