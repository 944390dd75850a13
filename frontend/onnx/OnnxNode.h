// What an ONNX op's decomposition sees: the node's inputs as dlc values, its
// attributes, compile-time constants, and an Emitter to build core ops.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

#include "frontend/Emitter.h"

namespace dlc::onnx_import {

// Thrown by a decomposition; the importer prefixes FILE: node 'N' (Op, opset V).
struct NodeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Values of the graph seen so far, by ONNX name.
struct Scope {
  std::map<std::string, mlir::Value> values;
  std::map<std::string, rt::HostTensor> constants;  // values known at compile time
  // Graph inputs whose value is known for this compilation; constantInput()
  // specialises on them (and records which) when an op needs a constant.
  std::map<std::string, rt::HostTensor> inputValues;
  std::set<std::string> specialized;
  // Imports a graph-valued attribute's body in place, its inputs bound to
  // the given values and the enclosing graph's names visible (ONNX lexical
  // scoping); returns its outputs. Set by the importer.
  std::function<std::vector<mlir::Value>(const onnx::GraphProto&, const std::vector<mlir::Value>&)>
      inlineGraph;

  // Training import (OnnxImportOptions::training): ops take their training
  // form. State an op updates (BatchNormalization's running statistics) is
  // recorded as (graph input name, new value); the importer makes each new
  // value a result of @main that updates that input. rngKey gives the
  // training step's random key (tensor<2xui32>, an argument of @main the
  // importer adds on first use); dropoutCount numbers the Dropout nodes so
  // that each draws its own mask.
  bool training = false;
  std::vector<std::pair<std::string, mlir::Value>> stateUpdates;
  std::function<mlir::Value()> rngKey;
  uint32_t dropoutCount = 0;
};

class OnnxNode {
 public:
  OnnxNode(const onnx::NodeProto& proto, int64_t opset, Scope& scope, Emitter& e)
      : proto_(proto), opset_(opset), scope_(scope), e_(e) {}

  const onnx::NodeProto& proto() const { return proto_; }
  int64_t opset() const { return opset_; }
  Emitter& e() { return e_; }
  // The graph's scope: training-import state (Scope::training ...).
  Scope& scope() { return scope_; }

  // Inputs. An optional input may be absent (missing or named "").
  bool hasInput(size_t i) const;
  mlir::Value input(size_t i) const;
  std::vector<mlir::Value> inputs() const;  // every present input, in order
  // The input's value if it is known at compile time (initializer or
  // Constant), else null.
  const rt::HostTensor* constantInput(size_t i) const;
  // Any value's content if it is known at compile time (computed from
  // constants and graph inputs whose values are known, which it then
  // specialises on), else none: a Loop body's condition output.
  std::optional<rt::HostTensor> constantValue(mlir::Value v) const;
  // A compile-time integer tensor input as a list (Reshape's shape, ...).
  Dims intsInput(size_t i, const char* what) const;
  // A compile-time scalar input as a double (Clip's bounds, ...).
  double scalarInput(size_t i, const char* what) const;

  // Outputs the graph uses (a trailing optional output may be absent).
  bool hasOutput(size_t i) const {
    return i < static_cast<size_t>(proto_.output_size()) && !proto_.output(i).empty();
  }

  // Attributes.
  bool hasAttr(const std::string& name) const { return attr(name) != nullptr; }
  int64_t attrInt(const std::string& name, int64_t dflt) const;
  float attrFloat(const std::string& name, float dflt) const;
  std::string attrString(const std::string& name, const std::string& dflt) const;
  Dims attrInts(const std::string& name, const Dims& dflt) const;
  const onnx::TensorProto* attrTensor(const std::string& name) const;
  // The graph attribute `name` applied to `args`: its body imported inline
  // (FlexAttention's score_mod ...); one value per graph output.
  std::vector<mlir::Value> callGraphAttr(const std::string& name,
                                         const std::vector<mlir::Value>& args) const;
  // Fails on attributes the decomposition does not handle, so that nothing
  // is silently ignored.
  void onlyAttrs(std::initializer_list<const char*> known) const;

  // A negative axis counts from the end; out of range fails.
  int64_t axis(int64_t a, int64_t rank, const char* what = "axis") const;

  [[noreturn]] void fail(const std::string& reason) const { throw NodeError(reason); }

 private:
  const rt::HostTensor* computedConstant(size_t i) const;
  const onnx::AttributeProto* attr(const std::string& name) const;
  const onnx::AttributeProto& attrOfType(const std::string& name, int type) const;

  const onnx::NodeProto& proto_;
  int64_t opset_;
  Scope& scope_;
  Emitter& e_;
};

// A decomposition returns one value per node output it defines.
using ConvertFn = std::vector<mlir::Value> (*)(OnnxNode&);
using ConverterTable = std::map<std::string, ConvertFn>;

void registerElementwiseOps(ConverterTable& t);
void registerNNOps(ConverterTable& t);
void registerShapeOps(ConverterTable& t);
void registerMatMulOps(ConverterTable& t);
void registerLogicOps(ConverterTable& t);
void registerActivationOps(ConverterTable& t);
void registerNormalizationOps(ConverterTable& t);
void registerReduceOps(ConverterTable& t);
void registerLossOps(ConverterTable& t);
void registerEinsumOps(ConverterTable& t);
void registerIndexingOps(ConverterTable& t);
void registerConvPoolOps(ConverterTable& t);
void registerResizeOps(ConverterTable& t);
void registerRecurrentOps(ConverterTable& t);
void registerAttentionOps(ConverterTable& t);
void registerSignalOps(ConverterTable& t);
void registerQuantizeOps(ConverterTable& t);
void registerControlFlowOps(ConverterTable& t);

}  // namespace dlc::onnx_import
