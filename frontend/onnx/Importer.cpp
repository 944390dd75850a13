// Loads an ONNX model and imports its main graph into the dlc dialect, one
// decomposition per node (ops/*.cpp).
#include "frontend/onnx/Importer.h"

#include <filesystem>
#include <set>

#include <sstream>

#include <algorithm>
#include <limits>

#include <onnx/checker.h>
#include <onnx/defs/schema.h>

#include "frontend/onnx/ConstantFolding.h"
#include "frontend/onnx/ModelFile.h"
#include "frontend/onnx/OnnxNode.h"
#include "frontend/onnx/TensorProtoIO.h"
#include "ir/TensorConversions.h"
#include "runtime/TensorLimits.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Verifier.h"

namespace dlc {
namespace {

using namespace onnx_import;
namespace fs = std::filesystem;

// An error about the model as a whole (not one node); the message is final.
struct ModelError : std::runtime_error {
  using std::runtime_error::runtime_error;
  // Set when one node is at fault: its name and the reason alone, so that a
  // frontend that generated the node (the DSL) can point at its source.
  ModelError(const std::string& message, std::string node, std::string reason)
      : std::runtime_error(message), node(std::move(node)), reason(std::move(reason)) {}
  std::string node, reason;
};

const ConverterTable& converters() {
  static const ConverterTable table = [] {
    ConverterTable t;
    registerElementwiseOps(t);
    registerNNOps(t);
    registerShapeOps(t);
    registerMatMulOps(t);
    registerLogicOps(t);
    registerActivationOps(t);
    registerNormalizationOps(t);
    registerReduceOps(t);
    registerLossOps(t);
    registerEinsumOps(t);
    registerIndexingOps(t);
    registerConvPoolOps(t);
    registerResizeOps(t);
    registerRecurrentOps(t);
    registerAttentionOps(t);
    registerSignalOps(t);
    registerQuantizeOps(t);
    registerControlFlowOps(t);
    return t;
  }();
  return table;
}

// Splat constants up to this many elements are kept as host tensors for
// the ops that need compile-time values (importNode).
constexpr int64_t kMaxExpandedSplat = int64_t{1} << 20;

// The newest default-domain opset whose operator specifications the
// converters follow: that of the onnx package pinned for the tests
// (scripts/requirements-test.txt), whose node tests check them. A newer
// opset may have changed an op's meaning, so it is refused, not guessed.
constexpr int64_t kNewestSupportedOpset = 28;

// The newest default-domain opset that the linked ONNX library knows.
int64_t newestKnownOpset() {
  const auto& m = onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map();
  auto it = m.find("");
  return it == m.end() ? 0 : it->second.second;
}

class Importer {
 public:
  // `bytes` null: read the model from the file `path`; else `path` only names
  // the model in messages and `baseDir` holds its external data.
  Importer(mlir::MLIRContext& ctx, std::string path, std::string baseDir, const std::string* bytes,
           const OnnxImportOptions& options)
      : ctx_(ctx), path_(std::move(path)), baseDir_(std::move(baseDir)), bytes_(bytes),
        options_(options), builder_(&ctx), emitter_(builder_, mlir::UnknownLoc::get(&ctx)) {}

  mlir::OwningOpRef<mlir::ModuleOp> run() {
    loadModel();
    checkModel();
    return importGraph();
  }

 private:
  void loadModel() {
    try {
      if (bytes_) onnx_io::parseModel(*bytes_, path_, model_);
      else onnx_io::parseModel(onnx_io::readFileBytes(path_, path_ + ": no such model file"), path_, model_);
    } catch (const onnx_io::ModelFileError& e) {
      throw ModelError(e.what());
    }
    for (const auto& op : model_.opset_import())
      if (op.domain().empty() || op.domain() == "ai.onnx") opset_ = op.version();
    if (opset_ > kNewestSupportedOpset)
      throw ModelError(path_ + ": the model imports opset " + std::to_string(opset_) +
                       " of the default ONNX domain; dlc supports opsets up to " +
                       std::to_string(kNewestSupportedOpset));
    // A model without the default opset may still be all other domains'
    // ops (ai.onnx.ml, training): the node that needs it reports it.
  }

  // Whether any tensor of the model (initializers, attributes, subgraphs,
  // functions) keeps its data in an external file.
  static bool usesExternalData(const onnx::TensorProto& t) {
    return t.data_location() == onnx::TensorProto::EXTERNAL || t.external_data_size() > 0;
  }
  static bool usesExternalData(const onnx::GraphProto& g) {
    for (const auto& t : g.initializer())
      if (usesExternalData(t)) return true;
    for (const auto& t : g.sparse_initializer())
      if (usesExternalData(t.values()) || usesExternalData(t.indices())) return true;
    for (const auto& n : g.node())
      if (usesExternalData(n)) return true;
    return false;
  }
  static bool usesExternalData(const onnx::NodeProto& n) {
    for (const auto& a : n.attribute()) {
      if (a.has_t() && usesExternalData(a.t())) return true;
      for (const auto& t : a.tensors())
        if (usesExternalData(t)) return true;
      if (a.has_sparse_tensor() && (usesExternalData(a.sparse_tensor().values()) ||
                                    usesExternalData(a.sparse_tensor().indices())))
        return true;
      for (const auto& t : a.sparse_tensors())
        if (usesExternalData(t.values()) || usesExternalData(t.indices())) return true;
      if (a.has_g() && usesExternalData(a.g())) return true;
      for (const auto& g : a.graphs())
        if (usesExternalData(g)) return true;
    }
    return false;
  }
  static bool usesExternalData(const onnx::ModelProto& m) {
    if (usesExternalData(m.graph())) return true;
    for (const auto& f : m.functions())
      for (const auto& n : f.node())
        if (usesExternalData(n)) return true;
    return false;
  }

  // ONNX's checker, where the library knows the opset and the IR version
  // (Debian's libonnx 1.12: opset 17, IR version 8); beyond them dlc's own
  // per-op rules are the only check. ONNX's shape inference is not used as
  // a gate: dlc computes every shape with its own rules (whose errors name
  // the node), and 1.12's inference has known disagreements with the spec
  // (ceil_mode pooling), so it would reject correct models. Declared output
  // shapes are checked against dlc's instead (checkDeclaredOutput).
  void checkModel() {
    if (opset_ <= 0 || opset_ > newestKnownOpset() || model_.ir_version() > onnx::Version::IR_VERSION)
      return;
    // ONNX 1.12's checker requires a shape on every graph output; later
    // versions (and the ONNX spec) allow an output with an element type
    // only, which is what generating frontends such as the DSL write (dlc's
    // own shape rules give the output its shape). Such outputs are left out
    // of the copy that the checker sees.
    bool shapeless = std::any_of(model_.graph().output().begin(), model_.graph().output().end(),
                                 [](const onnx::ValueInfoProto& o) {
                                   return o.type().has_tensor_type() && !o.type().tensor_type().has_shape();
                                 });
    try {
      if (shapeless) {
        onnx::ModelProto copy = model_;
        auto* outs = copy.mutable_graph()->mutable_output();
        for (int i = outs->size() - 1; i >= 0; --i)
          if (outs->Get(i).type().has_tensor_type() && !outs->Get(i).type().tensor_type().has_shape())
            outs->DeleteSubrange(i, 1);
        onnx::checker::check_model(copy);
      } else if (bytes_ || !usesExternalData(model_)) {
        // The path overload also checks external data files; in memory
        // there is no file to check. Without external data the two check
        // the same, and the path overload would read and parse the whole
        // file a second time (a sixth of ResNet-50's compile time).
        onnx::checker::check_model(model_);
      } else {
        onnx::checker::check_model(path_);
      }
    } catch (const std::exception& e) {
      throw ModelError(path_ + ": the ONNX checker rejects the model: " + oneLine(e.what()));
    }
  }

  // ONNX's shape inference is not run at all. dlc computes every shape with
  // its own rules; inference was run only to add ONNX's view of a refused
  // node's outputs to the message, and libonnx 1.12's inference functions
  // crash on hostile nodes the checker lets through (SIGFPE on Conv strides
  // 0; a SEGV in STFT's on a scalar signal, found by onnx_loader_fuzzer,
  // even on the node alone with well-typed inputs and type checks on).
  // A diagnostic is not worth a crash (docs/robustness.md).

  // The checker's messages span lines (the node is on the second); errors
  // are one line each.
  static std::string oneLine(const std::string& s) {
    std::string out;
    for (char c : s) {
      if (c == '\n') c = ' ';
      if (!(c == ' ' && (out.empty() || out.back() == ' '))) out += c;
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out.empty() ? "unknown reason" : out;
  }

  // A declared output type (where the model gives one) must be what the
  // graph computes: a disagreement means the model or dlc is wrong, and
  // either way the user must know.
  void checkDeclaredOutput(const onnx::ValueInfoProto& out, mlir::Value v) {
    if (!out.type().has_tensor_type()) return;
    const auto& tt = out.type().tensor_type();
    auto type = v.getType().cast<mlir::RankedTensorType>();
    std::string computed;
    llvm::raw_string_ostream(computed) << type;
    auto mismatch = [&](const std::string& what) {
      throw ModelError(path_ + ": graph output '" + out.name() + "' is declared with " + what +
                       ", but the graph computes " + computed);
    };
    if (tt.elem_type() != 0) {
      try {
        if (elementTypeOf(&ctx_, onnx_io::dtypeFromOnnx(tt.elem_type())) != type.getElementType())
          mismatch("element type " + onnx_io::onnxTypeName(tt.elem_type()));
      } catch (const onnx_io::TensorError&) {
        mismatch("element type " + onnx_io::onnxTypeName(tt.elem_type()));
      }
    }
    if (!tt.has_shape()) return;
    if (tt.shape().dim_size() != type.getRank())
      mismatch("rank " + std::to_string(tt.shape().dim_size()));
    for (int i = 0; i < tt.shape().dim_size(); ++i) {
      const auto& d = tt.shape().dim(i);
      if (d.has_dim_value() && d.dim_value() != type.getDimSize(i))
        mismatch("size " + std::to_string(d.dim_value()) + " in dimension " + std::to_string(i));
    }
  }

  mlir::Location fileLoc() { return mlir::FileLineColLoc::get(&ctx_, path_, 0, 0); }

  mlir::Type inputType(const onnx::ValueInfoProto& in) {
    const std::string& name = in.name();
    if (!in.type().has_tensor_type()) {
      const auto& t = in.type();
      std::string kind = t.has_sequence_type()   ? "a sequence"
                         : t.has_optional_type() ? "an optional"
                         : t.has_map_type()      ? "a map"
                                                 : "not a tensor";
      throw ModelError(path_ + ": input '" + name + "' is " + kind +
                       "; dlc supports tensor inputs only (dtype not supported)");
    }
    const auto& tt = in.type().tensor_type();
    rt::DType dtype;
    try {
      dtype = onnx_io::dtypeFromOnnx(tt.elem_type());
    } catch (const onnx_io::TensorError& e) {
      throw ModelError(path_ + ": input '" + name + "': " + e.what());
    }
    Dims shape;
    auto fixed = options_.inputShapes.find(name);
    if (fixed != options_.inputShapes.end()) {
      shape = fixed->second;
      if (tt.has_shape() && tt.shape().dim_size() != static_cast<int>(shape.size()))
        throw ModelError(path_ + ": --input-shape " + name + " gives rank " +
                         std::to_string(shape.size()) + ", the model declares rank " +
                         std::to_string(tt.shape().dim_size()));
      for (int i = 0; tt.has_shape() && i < tt.shape().dim_size(); ++i) {
        const auto& d = tt.shape().dim(i);
        if (d.has_dim_value() && d.dim_value() != shape[i])
          throw ModelError(path_ + ": --input-shape " + name + " gives dimension " +
                           std::to_string(i) + " size " + std::to_string(shape[i]) +
                           ", the model fixes it to " + std::to_string(d.dim_value()));
      }
    } else {
      if (!tt.has_shape())
        throw ModelError(path_ + ": input '" + name +
                         "' has no shape; give one with --input-shape " + name + "=D0xD1...");
      for (int i = 0; i < tt.shape().dim_size(); ++i) {
        const auto& d = tt.shape().dim(i);
        auto bound = d.has_dim_param() ? boundDims_.find(d.dim_param()) : boundDims_.end();
        if (bound != boundDims_.end()) {
          shape.push_back(bound->second);
          continue;
        }
        if (d.has_dim_value() && d.dim_value() < 0)
          throw ModelError(path_ + ": input '" + name + "' has a negative dimension " +
                           std::to_string(i) + " (" + std::to_string(d.dim_value()) + ")");
        if (!d.has_dim_value())
          throw ModelError(path_ + ": input '" + name + "' has symbolic dimension " +
                           std::to_string(i) +
                           (d.has_dim_param() ? " ('" + d.dim_param() + "')" : std::string()) +
                           "; fix it with --input-shape " + name + "=D0xD1...");
        shape.push_back(d.dim_value());
      }
    }
    std::string problem = rt::tensorSizeProblem(dtype, shape);
    if (!problem.empty()) throw ModelError(path_ + ": input '" + name + "': " + problem);
    return mlir::RankedTensorType::get(shape, emitter_.elementTypeOf(dtype));
  }

  // A named symbolic dimension fixed by --input-shape on one input fixes it
  // on every input that shares the name (N of x[N,K] and y[N]); two flags
  // that disagree on it are refused.
  void bindSymbolicDims(const std::set<std::string>& initializerNames) {
    std::map<std::string, std::string> boundBy;
    for (const auto& in : model_.graph().input()) {
      auto fixed = options_.inputShapes.find(in.name());
      if (fixed == options_.inputShapes.end() || initializerNames.count(in.name()) ||
          !in.type().tensor_type().has_shape())
        continue;
      const auto& shape = in.type().tensor_type().shape();
      for (int i = 0; i < shape.dim_size() && i < static_cast<int>(fixed->second.size()); ++i) {
        if (!shape.dim(i).has_dim_param()) continue;
        const std::string& param = shape.dim(i).dim_param();
        int64_t size = fixed->second[i];
        auto [it, inserted] = boundDims_.emplace(param, size);
        if (!inserted && it->second != size)
          throw ModelError(path_ + ": symbolic dimension '" + param + "' is " +
                           std::to_string(it->second) + " in --input-shape " + boundBy[param] +
                           " but " + std::to_string(size) + " in --input-shape " + in.name());
        boundBy.emplace(param, in.name());
      }
    }
  }

  mlir::OwningOpRef<mlir::ModuleOp> importGraph() {
    const onnx::GraphProto& g = model_.graph();
    const std::string& baseDir = baseDir_;
    mlir::OwningOpRef<mlir::ModuleOp> module = mlir::ModuleOp::create(fileLoc());

    std::set<std::string> initializerNames;
    for (const auto& t : g.initializer()) initializerNames.insert(t.name());
    for (const auto& [name, dims] : options_.inputShapes) {
      bool found = false;
      for (const auto& in : g.input()) found |= in.name() == name && !initializerNames.count(name);
      if (!found) throw ModelError(path_ + ": --input-shape names '" + name + "', which is not an input of the model");
    }

    bindSymbolicDims(initializerNames);

    // Signature: graph inputs that are not initializers.
    std::vector<const onnx::ValueInfoProto*> inputs;
    llvm::SmallVector<mlir::Type> argTypes;
    for (const auto& in : g.input()) {
      if (initializerNames.count(in.name())) continue;
      inputs.push_back(&in);
      argTypes.push_back(inputType(in));
    }
    builder_.setInsertionPointToEnd(module->getBody());
    auto func = builder_.create<mlir::func::FuncOp>(fileLoc(), "main",
                                                    builder_.getFunctionType(argTypes, {}));
    mlir::Block* body = func.addEntryBlock();
    builder_.setInsertionPointToStart(body);
    for (size_t i = 0; i < inputs.size(); ++i) {
      scope_.values[inputs[i]->name()] = body->getArgument(i);
      func.setArgAttr(i, "dlc.name", builder_.getStringAttr(inputs[i]->name()));
      // Only a value of the argument's exact type can stand for it; any
      // other is refused by the runtime's signature check anyway.
      const auto* known = options_.inputValues;
      if (known && i < known->size() && tensorTypeOf(argTypes[i]) == (*known)[i].type())
        scope_.inputValues.emplace(inputs[i]->name(),
                                   rt::HostTensor((*known)[i].type(), (*known)[i].data()));
    }

    scope_.inlineGraph = [this](const onnx::GraphProto& sub, const std::vector<mlir::Value>& args) {
      return inlineSubgraph(sub, args);
    };
    scope_.training = options_.training;
    int64_t keyArg = -1;
    scope_.rngKey = [&, func, body]() mutable -> mlir::Value {
      if (keyArg < 0) {
        keyArg = static_cast<int64_t>(argTypes.size());
        argTypes.push_back(mlir::RankedTensorType::get({2}, builder_.getIntegerType(32, false)));
        func.insertArgument(static_cast<unsigned>(keyArg), argTypes.back(),
                            builder_.getDictionaryAttr(builder_.getNamedAttr(
                                "dlc.name", builder_.getStringAttr(kRngKeyName))),
                            fileLoc());
      }
      return body->getArgument(static_cast<unsigned>(keyArg));
    };
    emitter_.setLoc(fileLoc());
    for (const auto& t : g.initializer()) addInitializer(t, baseDir, path_ + ": ");

    for (int i = 0; i < g.node_size(); ++i) importNode(g.node(i), i);

    llvm::SmallVector<mlir::Value> results;
    llvm::SmallVector<mlir::Type> resultTypes;
    if (g.output_size() == 0) throw ModelError(path_ + ": the graph has no outputs");
    for (const auto& out : g.output()) {
      auto it = scope_.values.find(out.name());
      if (it == scope_.values.end())
        throw ModelError(path_ + ": graph output '" + out.name() + "' is not produced by any node");
      checkDeclaredOutput(out, it->second);
      results.push_back(it->second);
      resultTypes.push_back(it->second.getType());
    }
    std::vector<std::pair<std::string, int64_t>> updates = stateResults(inputs, body, results, resultTypes);
    for (size_t i = 0; i < inputs.size(); ++i)
      if (scope_.specialized.count(inputs[i]->name()))
        func.setArgAttr(i, "dlc.specialized", attrFromHostTensor(&ctx_, scope_.inputValues[inputs[i]->name()]));
    builder_.setInsertionPointToEnd(body);
    builder_.create<mlir::func::ReturnOp>(fileLoc(), results);
    func.setType(builder_.getFunctionType(argTypes, resultTypes));
    for (int i = 0; i < g.output_size(); ++i)
      func.setResultAttr(i, "dlc.name", builder_.getStringAttr(g.output(i).name()));
    for (size_t i = 0; i < updates.size(); ++i) {
      unsigned r = static_cast<unsigned>(g.output_size() + static_cast<int>(i));
      func.setResultAttr(r, "dlc.name", builder_.getStringAttr(updates[i].first));
      func.setResultAttr(r, "dlc.updates", builder_.getI64IntegerAttr(updates[i].second));
    }
    scope_.rngKey = nullptr;  // it refers to this frame's locals
    return module;
  }

  // The training import's state updates (Scope::stateUpdates) of graph
  // inputs, appended to the results: (input name, argument index) of each.
  // An update of an initializer (a constant: a frozen statistic) is dropped;
  // two updates of one input are refused.
  std::vector<std::pair<std::string, int64_t>> stateResults(
      const std::vector<const onnx::ValueInfoProto*>& inputs, mlir::Block* body,
      llvm::SmallVector<mlir::Value>& results, llvm::SmallVector<mlir::Type>& resultTypes) {
    std::vector<std::pair<std::string, int64_t>> out;
    std::set<std::string> seen;
    for (const auto& update : scope_.stateUpdates) {
      // Named, not a structured binding: C++17 lambdas cannot capture those
      // (clang refuses; GCC accepts).
      const std::string& name = update.first;
      mlir::Value value = update.second;
      auto it = std::find_if(inputs.begin(), inputs.end(), [&](const auto* in) { return in->name() == name; });
      if (it == inputs.end()) continue;
      if (!seen.insert(name).second)
        throw ModelError(path_ + ": input '" + name +
                         "' is updated by two nodes in training (a running statistic of two BatchNormalizations)");
      int64_t arg = it - inputs.begin();
      if (value.getType() != body->getArgument(static_cast<unsigned>(arg)).getType())
        throw ModelError(path_ + ": the update of input '" + name + "' changes its type");
      out.emplace_back(name, arg);
      results.push_back(value);
      resultTypes.push_back(value.getType());
    }
    return out;
  }

  // An initializer as a constant, known at compile time; `where` starts its errors.
  void addInitializer(const onnx::TensorProto& t, const std::string& baseDir,
                      const std::string& where) {
    try {
      rt::HostTensor h = onnx_io::fromTensorProto(t, baseDir);
      scope_.values[t.name()] = emitter_.constant(h);
      scope_.constants[t.name()] = std::move(h);
    } catch (const std::exception& e) {
      throw ModelError(where + "initializer '" + t.name() + "': " + e.what());
    }
  }

  // A graph attribute's body imported in place (OnnxNode::callGraphAttr):
  // its inputs and initializers are added to the current scope, which keeps
  // the enclosing names visible, and the scope is restored afterwards so
  // that the body's names do not leak.
  std::vector<mlir::Value> inlineSubgraph(const onnx::GraphProto& g,
                                          const std::vector<mlir::Value>& args) {
    auto values = scope_.values;  // Values are handles: a cheap copy
    std::map<std::string, rt::HostTensor> shadowed;  // outer constants the body hides
    std::set<std::string> bound;                      // the body's inputs and initializers
    auto hide = [&](const std::string& name) {
      bound.insert(name);
      auto it = scope_.constants.find(name);
      if (it == scope_.constants.end()) return;
      shadowed.emplace(name, std::move(it->second));
      scope_.constants.erase(it);
    };
    mlir::Location loc = emitter_.loc();
    const std::string& baseDir = baseDir_;
    std::string where = path_ + ": graph '" + g.name() + "': ";
    for (size_t i = 0; i < args.size(); ++i) {
      hide(g.input(static_cast<int>(i)).name());
      scope_.values[g.input(static_cast<int>(i)).name()] = args[i];
    }
    for (const auto& t : g.initializer()) {
      hide(t.name());
      addInitializer(t, baseDir, where);
    }
    try {
      for (int i = 0; i < g.node_size(); ++i) importNode(g.node(i), i);
    } catch (const ModelError& e) {
      throw ModelError(std::string(e.what()) + " (in graph '" + g.name() + "')");
    }
    std::vector<mlir::Value> results;
    for (const auto& out : g.output()) {
      auto it = scope_.values.find(out.name());
      if (it == scope_.values.end())
        throw ModelError(where + "output '" + out.name() + "' is not produced by any node");
      results.push_back(it->second);
    }
    for (const auto& [name, v] : scope_.values)
      if (!values.count(name) || bound.count(name)) scope_.constants.erase(name);
    for (auto& [name, h] : shadowed) scope_.constants[name] = std::move(h);
    scope_.values = std::move(values);
    emitter_.setLoc(loc);
    return results;
  }

  // The number of inputs and outputs against the op's schema where libonnx
  // has the model's opset (the checker does the same, but only for IR
  // versions it knows); converters read the inputs they expect and would
  // silently ignore extra ones.
  template <typename Where>
  void checkArity(const onnx::NodeProto& node, const std::string& name, const Where& where) {
    bool defaultDomain = node.domain().empty() || node.domain() == "ai.onnx";
    if (!defaultDomain || opset_ > newestKnownOpset()) return;
    const onnx::OpSchema* schema =
        onnx::OpSchemaRegistry::Schema(node.op_type(), static_cast<int>(opset_), "");
    if (!schema) return;
    auto range = [](int lo, int hi) {
      return hi == std::numeric_limits<int>::max() ? "at least " + std::to_string(lo)
             : lo == hi                              ? std::to_string(lo)
                                                     : std::to_string(lo) + " to " + std::to_string(hi);
    };
    std::string reason;
    if (node.input_size() < schema->min_input() || node.input_size() > schema->max_input())
      reason = "has " + std::to_string(node.input_size()) + " input(s); " + node.op_type() +
               " takes " + range(schema->min_input(), schema->max_input());
    else if (node.output_size() < schema->min_output() || node.output_size() > schema->max_output())
      reason = "has " + std::to_string(node.output_size()) + " output(s); " + node.op_type() +
               " gives " + range(schema->min_output(), schema->max_output());
    if (!reason.empty()) throw ModelError(where() + reason, name, reason);
  }

  void importNode(const onnx::NodeProto& node, int index) {
    std::string name = node.name().empty() ? node.op_type() + "_" + std::to_string(index) : node.name();
    auto where = [&] {
      bool defaultDomain = node.domain().empty() || node.domain() == "ai.onnx";
      return path_ + ": node '" + name + "' (" + node.op_type() + ", " +
             (defaultDomain ? "opset " + std::to_string(opset_) : "domain " + node.domain()) + "): ";
    };
    // ai.onnx.preview holds ops on their way into the default domain
    // (FlexAttention); their converters are registered by op type like the rest.
    if (!node.domain().empty() && node.domain() != "ai.onnx" && node.domain() != "ai.onnx.preview")
      throw ModelError(where() + "the domain is not supported (dlc imports ai.onnx and ai.onnx.preview)");
    if (opset_ <= 0)
      throw ModelError(where() + "the model imports no version of the default ONNX opset");
    auto conv = converters().find(node.op_type());
    if (conv == converters().end())
      throw ModelError(where() + "op '" + node.op_type() + "' is not supported");
    checkArity(node, name, where);
    for (const auto& out : node.output())
      if (!out.empty() && scope_.values.count(out))
        throw ModelError(where() + "output '" + out + "' is already defined by an earlier node, input or initializer");

    emitter_.setLoc(mlir::NameLoc::get(builder_.getStringAttr(name), fileLoc()));
    OnnxNode n(node, opset_, scope_, emitter_);
    mlir::Block* block = builder_.getInsertionBlock();
    mlir::Operation* lastBefore = block->empty() ? nullptr : &block->back();
    std::vector<mlir::Value> outs;
    try {
      outs = conv->second(n);
    } catch (const NodeError& e) {
      throw ModelError(where() + e.what(), name, e.what());
    } catch (const EmitError& e) {
      throw ModelError(where() + e.what(), name, e.what());
    } catch (const onnx_io::TensorError& e) {
      throw ModelError(where() + e.what(), name, e.what());
    }
    for (int i = 0; i < node.output_size(); ++i) {
      if (node.output(i).empty()) continue;
      if (static_cast<size_t>(i) >= outs.size() || !outs[i])
        throw ModelError(where() + "output " + std::to_string(i) + " ('" + node.output(i) +
                         "') is not supported");
      // Shape arithmetic on constants becomes a constant now (ConstantFolding.h).
      if (auto folded = foldConstantValue(outs[i], lastBefore)) outs[i] = emitter_.constant(*folded);
      scope_.values[node.output(i)] = outs[i];
    }
    // Keep compile-time values for ops that need constants (Reshape's shape).
    // A large splat (ConstantOfShape of a big shape) is a few bytes in the
    // IR; expanding it here would allocate the whole tensor, and no op needs
    // a value that large at compile time.
    for (int i = 0; i < node.output_size(); ++i) {
      if (node.output(i).empty()) continue;
      if (auto c = scope_.values[node.output(i)].getDefiningOp<ConstantOp>())
        if (auto dense = c.getValue().dyn_cast<mlir::DenseElementsAttr>())
          if (!dense.isSplat() || dense.getNumElements() <= kMaxExpandedSplat)
            scope_.constants[node.output(i)] = hostTensorFromAttr(dense);
    }
  }

  mlir::MLIRContext& ctx_;
  std::string path_;
  std::string baseDir_;
  const std::string* bytes_;  // not owned; null: read path_
  const OnnxImportOptions& options_;
  onnx::ModelProto model_;
  int64_t opset_ = 0;
  mlir::OpBuilder builder_;
  Emitter emitter_;
  Scope scope_;
  std::map<std::string, int64_t> boundDims_;
};

}  // namespace

std::vector<std::string> supportedOnnxOps() {
  std::vector<std::string> names;
  for (const auto& [name, fn] : converters()) names.push_back(name);
  return names;  // the table is a std::map: already sorted
}

namespace {

mlir::OwningOpRef<mlir::ModuleOp> import(mlir::MLIRContext& ctx, const std::string& path,
                                         const std::string& baseDir, const std::string* bytes,
                                         const OnnxImportOptions& options, ImportError& error) {
  ctx.loadDialect<DlcDialect, mlir::func::FuncDialect>();
  try {
    return Importer(ctx, path, baseDir, bytes, options).run();
  } catch (const ModelError& e) {
    error = {e.what(), e.node, e.reason};
  } catch (const std::exception& e) {
    error = {path + ": " + e.what(), "", ""};
  }
  return nullptr;
}

}  // namespace

mlir::OwningOpRef<mlir::ModuleOp> importOnnxFile(mlir::MLIRContext& ctx, const std::string& path,
                                                 const OnnxImportOptions& options,
                                                 std::string& error) {
  ImportError e;
  auto module = import(ctx, path, fs::path(path).parent_path().string(), nullptr, options, e);
  if (!module) error = e.message;
  return module;
}

mlir::OwningOpRef<mlir::ModuleOp> importOnnxBytes(mlir::MLIRContext& ctx, const std::string& bytes,
                                                  const std::string& name, const std::string& baseDir,
                                                  const OnnxImportOptions& options,
                                                  ImportError& error) {
  return import(ctx, name, baseDir, &bytes, options, error);
}

}  // namespace dlc
