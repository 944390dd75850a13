// AST -> onnx_io::ModelBuilder (docs/dsl.md "Meaning"). Internal to
// frontend/dsl: Dsl.h is the public entry point. The translator tracks each
// value's element type (not its shape: the importer computes shapes), so
// that number literals take their partner's type and outputs get one.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "frontend/dsl/Ast.h"
#include "frontend/dsl/Diagnostics.h"
#include "frontend/dsl/Dsl.h"
#include "frontend/onnx/ModelBuilder.h"

namespace onnx {
class OpSchema;
}

namespace dlc::dsl {

// Bounds that keep any input, however odd, from exhausting time or memory.
struct Limits {
  int64_t maxParamElements = int64_t(1) << 28;  // all parameters together
  int64_t maxNodes = 200000;                    // generated ONNX nodes
  int maxCallDepth = 64;                        // nested user-function calls
};

// Parses and translates with explicit limits (the fuzzer uses small ones).
Translation translate(const std::string& source, const std::string& name, const std::string& baseDir,
                      const Limits& limits);

// What an expression evaluates to.
struct Value {
  enum class Kind { None, Int, Float, String, DType, List, Tensor, Tuple };
  Kind kind = Kind::None;  // None: an error was already reported
  int64_t i = 0;
  double f = 0;
  std::string s;  // String: the text; Tensor: the ONNX value name
  rt::DType dtype = rt::DType::F32;  // Tensor, DType
  std::vector<Value> items;          // List, Tuple

  bool ok() const { return kind != Kind::None; }
  bool number() const { return kind == Kind::Int || kind == Kind::Float; }
  double asDouble() const { return kind == Kind::Int ? double(i) : f; }
  static Value none() { return {}; }
  static Value integer(int64_t v) { Value r; r.kind = Kind::Int, r.i = v; return r; }
  static Value real(double v) { Value r; r.kind = Kind::Float, r.f = v; return r; }
  static Value tensor(std::string name, rt::DType t) { Value r; r.kind = Kind::Tensor, r.s = std::move(name), r.dtype = t; return r; }
};

// The DSL's spelling of an element type (bool for i1).
std::string dslTypeName(rt::DType t);
// "a tensor", "the number 3", "a string" ... for messages.
std::string describeValue(const Value& v);
// The closest of `candidates` to `word` when it is close enough, else "".
std::string closest(const std::string& word, const std::vector<std::string>& candidates);

struct Binding {
  Value value;
  SourceLoc loc;
};

// Names visible in a function body or at the top level.
struct Scope {
  Scope* parent = nullptr;  // a function body sees the top level
  std::string prefix;       // parameter and node name prefix ("" at the top)
  std::map<std::string, Binding> names;
  std::map<std::string, int> callCounts;  // FN -> calls made here (FN_K prefixes)
  const Binding* lookup(const std::string& name) const {
    for (const Scope* s = this; s; s = s->parent) {
      auto it = s->names.find(name);
      if (it != s->names.end()) return &it->second;
    }
    return nullptr;
  }
};

class Translator {
 public:
  Translator(const std::string& source, Diagnostics& diags, const std::string& name, std::string baseDir,
             const Limits& limits);
  ~Translator();
  // Translates the file; the model is serialised into `out` when no error
  // was reported.
  void run(const File& file, Translation& out);

 private:
  // Statements (Translate.cpp).
  void statement(const Stmt& s, Scope& sc);
  void input(const Stmt& s, Scope& sc);
  void param(const Stmt& s, Scope& sc);
  void output(const Stmt& s, Scope& sc);
  void let(const Stmt& s, Scope& sc);
  void define(Scope& sc, const std::string& name, SourceLoc loc, Value v);
  bool initSpec(const Stmt& s, Scope& sc, rt::DType dtype, const rt::Shape& shape, rt::HostTensor& value);
  bool loadInit(const Expr& init, Scope& sc, const std::string& fullName, rt::DType dtype,
                const rt::Shape& shape, rt::HostTensor& value);
  std::vector<onnx_io::Dim> inputDims(const Type& t, Scope& sc, bool& ok);
  bool dtypeOf(const Type& t, rt::DType& out);

  // Expressions (Translate.cpp).
  Value eval(const Expr& e, Scope& sc, const std::string& hint = "", int results = 1);
  Value binary(BinOp op, Value l, Value r, SourceLoc loc, Scope& sc, const std::string& hint);
  Value foldBinary(BinOp op, const Value& l, const Value& r, SourceLoc loc);
  Value neg(Value v, SourceLoc loc, Scope& sc, const std::string& hint);
  bool compileTimeInt(const Expr& e, Scope& sc, const std::string& what, int64_t& out);
  // A number or list as a constant tensor of `dtype`.
  Value constant(const Value& v, rt::DType dtype, SourceLoc loc, Scope& sc);
  // Makes a tensor of a number (the partner's dtype) or returns v itself.
  Value asTensor(const Value& v, rt::DType dtype, SourceLoc loc, Scope& sc);

  // Calls (Calls.cpp).
  Value call(const Expr& e, Scope& sc, const std::string& hint, int results);
  Value callFunction(const Expr& e, const Stmt& fn, Scope& sc, const std::string& hint, int results);
  Value callBuiltin(const Expr& e, Scope& sc, const std::string& hint, int results, bool& handled);
  // An ONNX operator call: positional inputs, keyword attributes or named
  // inputs; `renames` maps the builtin's keywords to ONNX's.
  Value callOnnx(const Expr& e, const std::string& op, Scope& sc, const std::string& hint, int results,
                 const std::map<std::string, std::string>& renames = {},
                 const std::vector<onnx_io::Attr>& defaults = {});
  Value gelu(const Expr& e, Scope& sc, const std::string& hint);
  bool toAttr(const std::string& op, const std::string& name, int type, const Value& v, SourceLoc loc,
              onnx_io::Attr& out);
  bool untypedAttr(const std::string& name, const Value& v, SourceLoc loc, onnx_io::Attr& out);
  std::vector<rt::DType> resultTypes(const std::string& op, const onnx::OpSchema* schema,
                                     const std::vector<Value>& inputs, const std::vector<onnx_io::Attr>& attrs,
                                     int n);
  void unknownCallee(const Expr& e, Scope& sc);

  // Train section (Train.cpp).
  void train(const Stmt& s, Scope& sc);

  // Nodes: the name derived from the hint and the scope's prefix; records
  // its source location. Empty on failure (reported).
  std::vector<std::string> node(const std::string& op, const std::vector<std::string>& inputs, int outputs,
                                const std::vector<onnx_io::Attr>& attrs, const std::string& hint, SourceLoc loc,
                                Scope& sc);
  std::string prefixed(const Scope& sc, const std::string& name) const {
    return sc.prefix.empty() ? name : sc.prefix + "." + name;
  }
  void error(SourceLoc loc, const std::string& message) { diags_.error(loc, message); }

  const std::string& source_;
  Diagnostics& diags_;
  std::string name_, baseDir_;
  Limits limits_;
  int64_t opset_ = 17;
  uint64_t seed_ = 0;
  std::unique_ptr<onnx_io::ModelBuilder> builder_;
  std::map<std::string, const Stmt*> functions_;
  std::vector<std::string> callStack_;  // user functions being expanded
  std::set<std::string> paramNames_;    // full names of every parameter
  std::vector<std::string> outputs_;    // output names, in order
  std::map<std::string, SourceLoc> nodeLocations_;
  int64_t paramElements_ = 0;
  bool tooBig_ = false;
  bool sawTrain_ = false;
};

}  // namespace dlc::dsl
