// Statements and expressions of the DSL -> ModelBuilder calls.
#include "frontend/dsl/Translator.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <optional>

#include "frontend/dsl/Init.h"
#include "frontend/dsl/Parser.h"
#include "frontend/onnx/ContainedFile.h"
#include "frontend/onnx/TensorProtoIO.h"
#include "runtime/TensorLimits.h"

#include "onnx/onnx_pb.h"

namespace fs = std::filesystem;

namespace dlc::dsl {

std::string dslTypeName(rt::DType t) {
  return t == rt::DType::I1 ? "bool" : std::string(rt::dtypeName(t));
}

std::string describeValue(const Value& v) {
  switch (v.kind) {
    case Value::Kind::None: return "an invalid value";
    case Value::Kind::Int: return "the number " + std::to_string(v.i);
    case Value::Kind::Float: return "a number";
    case Value::Kind::String: return "a string";
    case Value::Kind::DType: return "an element type";
    case Value::Kind::List: return "a list";
    case Value::Kind::Tensor: return "a " + dslTypeName(v.dtype) + " tensor";
    case Value::Kind::Tuple: return std::to_string(v.items.size()) + " results";
  }
  return "a value";
}

std::string closest(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t bestDist = std::max<size_t>(1, word.size() / 3) + 1;
  for (const std::string& c : candidates) {
    if (c.size() > word.size() + bestDist || word.size() > c.size() + bestDist) continue;
    // Levenshtein distance, case-insensitive (LayerNorm vs layernorm).
    std::vector<size_t> row(c.size() + 1);
    for (size_t j = 0; j <= c.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= word.size(); ++i) {
      size_t diag = row[0];
      row[0] = i;
      for (size_t j = 1; j <= c.size(); ++j) {
        size_t up = row[j];
        bool same = std::tolower(static_cast<unsigned char>(word[i - 1])) ==
                    std::tolower(static_cast<unsigned char>(c[j - 1]));
        row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (same ? 0 : 1)});
        diag = up;
      }
    }
    if (row[c.size()] < bestDist) bestDist = row[c.size()], best = c;
  }
  return best;
}

namespace {

std::string didYouMean(const std::string& word, const std::vector<std::string>& candidates) {
  std::string c = closest(word, candidates);
  return c.empty() ? "" : "; did you mean '" + c + "'?";
}

// The names of the scope of a similar length, as suggestion candidates
// (copying every name of a large model at each error would be quadratic).
std::vector<std::string> scopeNames(const Scope& sc, const std::string& near) {
  std::vector<std::string> out;
  size_t slack = near.size() / 3 + 2;
  for (const Scope* s = &sc; s; s = s->parent)
    for (const auto& [n, b] : s->names)
      if (n.size() + slack >= near.size() && n.size() <= near.size() + slack) out.push_back(n);
  return out;
}

std::string where(SourceLoc loc) { return std::to_string(loc.line) + ":" + std::to_string(loc.col); }

}  // namespace

Translator::Translator(const std::string& source, Diagnostics& diags, const std::string& name,
                       std::string baseDir, const Limits& limits)
    : source_(source), diags_(diags), name_(name), baseDir_(std::move(baseDir)), limits_(limits) {}

Translator::~Translator() = default;

void Translator::run(const File& file, Translation& out) {
  // The header: model, opset, seed, before anything else.
  std::string graphName = fs::path(name_).stem().string();
  if (graphName.empty()) graphName = "main";
  size_t first = 0;
  std::set<Stmt::Kind> seen;
  for (; first < file.stmts.size(); ++first) {
    const Stmt& s = *file.stmts[first];
    if (s.kind != Stmt::Kind::Model && s.kind != Stmt::Kind::Opset && s.kind != Stmt::Kind::Seed) break;
    if (!seen.insert(s.kind).second) {
      error(s.loc, "'" + std::string(s.kind == Stmt::Kind::Model ? "model" : s.kind == Stmt::Kind::Opset ? "opset" : "seed") +
                       "' is given twice");
      continue;
    }
    if (s.kind == Stmt::Kind::Model) graphName = s.name;
    if (s.kind == Stmt::Kind::Seed) seed_ = static_cast<uint64_t>(s.intValue);
    if (s.kind == Stmt::Kind::Opset) {
      if (s.intValue < 7 || s.intValue > 30)
        error(s.nameLoc, "opset " + std::to_string(s.intValue) + " is not supported (7 to 30)");
      else
        opset_ = s.intValue;
    }
  }
  builder_ = std::make_unique<onnx_io::ModelBuilder>(graphName, opset_);
  Scope top;
  for (size_t i = first; i < file.stmts.size() && !diags_.full(); ++i) statement(*file.stmts[i], top);
  if (diags_.count() == 0 && outputs_.empty())
    error({1, 1}, "the model has no outputs (declare one with 'output NAME = ...')");
  if (diags_.count() != 0) return;
  out.modelBytes = builder_->serialize();
  out.nodeLocations = nodeLocations_;
}

void Translator::define(Scope& sc, const std::string& name, SourceLoc loc, Value v) {
  auto it = sc.names.find(name);
  if (it != sc.names.end()) {
    error(loc, "'" + name + "' is already defined at " + where(it->second.loc));
    return;
  }
  sc.names[name] = {std::move(v), loc};
}

bool Translator::dtypeOf(const Type& t, rt::DType& out) {
  if (t.dtype == "bool") return out = rt::DType::I1, true;
  auto d = rt::dtypeFromName(t.dtype);
  if (!d) {
    error(t.loc, "unknown element type '" + t.dtype + "'");
    return false;
  }
  out = *d;
  return true;
}

void Translator::statement(const Stmt& s, Scope& sc) {
  switch (s.kind) {
    case Stmt::Kind::Model:
    case Stmt::Kind::Opset:
    case Stmt::Kind::Seed:
      error(s.loc, "'model', 'opset' and 'seed' come before every other statement");
      return;
    case Stmt::Kind::Const: {
      Value v = eval(*s.value, sc);
      if (v.ok() && !v.number()) {
        error(s.value->loc, "a const is a number known at compile time; this is " + describeValue(v));
        v = Value::none();
      }
      define(sc, s.name, s.nameLoc, v);
      return;
    }
    case Stmt::Kind::Input: return input(s, sc);
    case Stmt::Kind::Param: return param(s, sc);
    case Stmt::Kind::Fn: {
      auto it = functions_.find(s.name);
      if (it != functions_.end()) {
        error(s.nameLoc, "function '" + s.name + "' is already defined at " + where(it->second->nameLoc));
        return;
      }
      std::set<std::string> params;
      for (const FnParam& p : s.params)
        if (!params.insert(p.name).second) error(p.loc, "parameter '" + p.name + "' is given twice");
      bool returned = false;
      for (const StmtPtr& b : s.body) {
        if (returned) {
          error(b->loc, "a statement after 'return' is never reached");
          break;
        }
        returned = b->kind == Stmt::Kind::Return;
      }
      if (!returned) error(s.nameLoc, "function '" + s.name + "' does not end with 'return'");
      functions_[s.name] = &s;
      return;
    }
    case Stmt::Kind::Let: return let(s, sc);
    case Stmt::Kind::Output: return output(s, sc);
    case Stmt::Kind::Train: return train(s, sc);
    case Stmt::Kind::Return:
    case Stmt::Kind::Label:
    case Stmt::Kind::Setting:
      error(s.loc, "this statement is not allowed here");  // the parser refuses these first
      return;
  }
}

std::vector<onnx_io::Dim> Translator::inputDims(const Type& t, Scope& sc, bool& ok) {
  std::vector<onnx_io::Dim> dims;
  for (const ExprPtr& d : t.dims) {
    // An identifier that names no constant is a symbolic dimension.
    if (d->kind == Expr::Kind::Name && !sc.lookup(d->text)) {
      dims.push_back(onnx_io::Dim::symbolic(d->text));
      continue;
    }
    int64_t n = 0;
    if (!compileTimeInt(*d, sc, "a dimension", n)) {
      ok = false;
      continue;
    }
    dims.push_back(onnx_io::Dim::fixed(n));
  }
  return dims;
}

bool Translator::compileTimeInt(const Expr& e, Scope& sc, const std::string& what, int64_t& out) {
  Value v = eval(e, sc);
  if (!v.ok()) return false;
  if (v.kind != Value::Kind::Int) {
    error(e.loc, what + " must be an integer known at compile time; this is " + describeValue(v));
    return false;
  }
  if (v.i < 0) {
    error(e.loc, what + " must not be negative (" + std::to_string(v.i) + ")");
    return false;
  }
  out = v.i;
  return true;
}

void Translator::input(const Stmt& s, Scope& sc) {
  rt::DType dtype;
  bool ok = dtypeOf(s.type, dtype);
  std::vector<onnx_io::Dim> dims = inputDims(s.type, sc, ok);
  if (sc.lookup(s.name)) return define(sc, s.name, s.nameLoc, Value::none());  // reports the clash
  if (!ok) return define(sc, s.name, s.nameLoc, Value::none());
  if (builder_->defined(s.name)) {
    error(s.nameLoc, "'" + s.name + "' is already the name of a value of the model");
    return define(sc, s.name, s.nameLoc, Value::none());
  }
  // The fixed dims' size, checked here so that the error points at the
  // declaration (symbolic dims are checked once --input-shape fixes them).
  rt::Shape fixed;
  for (const auto& d : dims) fixed.push_back(d.symbol.empty() ? d.size : 1);
  std::string problem = rt::tensorSizeProblem(dtype, fixed);
  if (!problem.empty()) {
    error(s.nameLoc, "input '" + s.name + "': " + problem);
    return define(sc, s.name, s.nameLoc, Value::none());
  }
  builder_->addInput(s.name, dtype, dims);
  define(sc, s.name, s.nameLoc, Value::tensor(s.name, dtype));
}

void Translator::param(const Stmt& s, Scope& sc) {
  std::string full = prefixed(sc, s.name);
  rt::DType dtype;
  bool ok = dtypeOf(s.type, dtype);
  rt::Shape shape;
  for (const ExprPtr& d : s.type.dims) {
    int64_t n = 0;
    if (!compileTimeInt(*d, sc, "a parameter's dimension", n)) ok = false;
    shape.push_back(n);
  }
  if (!ok) return define(sc, s.name, s.nameLoc, Value::none());
  if (sc.names.count(s.name)) return define(sc, s.name, s.nameLoc, Value::none());
  if (builder_->defined(full)) {
    error(s.nameLoc, "parameter '" + full + "' is already defined" +
                         (sc.prefix.empty() ? "" : " (two calls with the same 'as' prefix?)"));
    return define(sc, s.name, s.nameLoc, Value::none());
  }
  // Sizes are checked before anything is allocated.
  int64_t elements = 1;
  for (int64_t n : shape) {
    if (n != 0 && elements > limits_.maxParamElements / n) {
      elements = limits_.maxParamElements + 1;
      break;
    }
    elements *= n;
  }
  if (elements > limits_.maxParamElements - paramElements_) {
    error(s.nameLoc, "parameter '" + full + "' is too large: the parameters of a model hold at most " +
                         std::to_string(limits_.maxParamElements) + " elements");
    return define(sc, s.name, s.nameLoc, Value::none());
  }
  paramElements_ += elements;
  rt::HostTensor value;
  if (!initSpec(s, sc, dtype, shape, value)) return define(sc, s.name, s.nameLoc, Value::none());
  builder_->addInitializer(full, value);
  paramNames_.insert(full);
  define(sc, s.name, s.nameLoc, Value::tensor(full, dtype));
}

bool Translator::initSpec(const Stmt& s, Scope& sc, rt::DType dtype, const rt::Shape& shape, rt::HostTensor& value) {
  std::string full = prefixed(sc, s.name);
  const Expr* init = s.value.get();
  std::string kind = init ? init->text : "zeros";
  SourceLoc loc = init ? init->loc : s.nameLoc;
  if (kind == "load") {
    if (init->kind != Expr::Kind::Call) {
      error(loc, "load needs a file: load(\"w.pb\")");
      return false;
    }
    return loadInit(*init, sc, full, dtype, shape, value);
  }
  struct Known {
    const char* name;
    InitKind kind;
    std::vector<std::string> params;
    std::vector<double> defaults;  // NaN: required
  };
  static const std::vector<Known> table = {
      {"zeros", InitKind::Zeros, {}, {}},
      {"ones", InitKind::Ones, {}, {}},
      {"constant", InitKind::Constant, {"value"}, {NAN}},
      {"normal", InitKind::Normal, {"mean", "std"}, {0, 1}},
      {"uniform", InitKind::Uniform, {"low", "high"}, {0, 1}},
      {"xavier", InitKind::Xavier, {"gain"}, {1}},
      {"kaiming", InitKind::Kaiming, {"gain"}, {std::sqrt(2.0)}},
  };
  const Known* known = nullptr;
  std::vector<std::string> names = {"load"};
  for (const Known& k : table) {
    names.push_back(k.name);
    if (kind == k.name) known = &k;
  }
  if (!known) {
    error(loc, "unknown initialiser '" + kind + "'" + didYouMean(kind, names) +
                   " (zeros, ones, constant, normal, uniform, xavier, kaiming, load)");
    return false;
  }
  std::vector<double> args = known->defaults;
  bool ok = true;
  if (init && init->kind == Expr::Kind::Call) {
    if (init->args.size() > known->params.size()) {
      error(init->args[known->params.size()]->loc,
            kind + " takes " + std::to_string(known->params.size()) + " argument(s), given " +
                std::to_string(init->args.size()));
      return false;
    }
    auto number = [&](const Expr& e, size_t slot) {
      Value v = eval(e, sc);
      if (!v.ok()) return ok = false, void();
      if (!v.number()) {
        error(e.loc, kind + "'s " + known->params[slot] + " must be a number; this is " + describeValue(v));
        return ok = false, void();
      }
      args[slot] = v.asDouble();
    };
    for (size_t i = 0; i < init->args.size(); ++i) number(*init->args[i], i);
    for (const KwArg& k : init->kwargs) {
      size_t slot = 0;
      while (slot < known->params.size() && known->params[slot] != k.name) ++slot;
      if (slot == known->params.size()) {
        error(k.loc, kind + " has no argument '" + k.name + "'" + didYouMean(k.name, known->params));
        return false;
      }
      if (slot < init->args.size()) {
        error(k.loc, kind + "'s " + k.name + " is given twice");
        return false;
      }
      number(*k.value, slot);
    }
  }
  if (!ok) return false;
  for (size_t i = 0; i < args.size(); ++i)
    if (std::isnan(args[i])) {
      error(loc, kind + " needs its " + known->params[i] + ": " + kind + "(" + known->params[i] + ")");
      return false;
    }
  InitSpec spec;
  spec.kind = known->kind;
  if (!args.empty()) spec.a = args[0];
  if (args.size() > 1) spec.b = args[1];
  bool random = spec.kind != InitKind::Zeros && spec.kind != InitKind::Ones && spec.kind != InitKind::Constant;
  if (random && !rt::isFloat(dtype)) {
    error(loc, "parameter '" + full + "' is " + dslTypeName(dtype) +
                   ": integer and bool parameters accept zeros, ones, constant and load only");
    return false;
  }
  for (double a : args)
    if (!std::isfinite(a)) {
      error(loc, kind + "'s arguments must be finite numbers");
      return false;
    }
  if (spec.kind == InitKind::Normal && spec.b < 0) {
    error(loc, "normal's std must not be negative");
    return false;
  }
  if (spec.kind == InitKind::Uniform && spec.b < spec.a) {
    error(loc, "uniform's low must not be above its high");
    return false;
  }
  value = rt::HostTensor(rt::TensorType{dtype, shape});
  fillInit(value, spec, seed_, full);
  return true;
}

bool Translator::loadInit(const Expr& init, Scope& sc, const std::string& fullName, rt::DType dtype,
                          const rt::Shape& shape, rt::HostTensor& value) {
  if (init.args.size() != 1 || !init.kwargs.empty()) {
    error(init.loc, "load takes one argument, the file: load(\"w.pb\")");
    return false;
  }
  Value path = eval(*init.args[0], sc);
  if (!path.ok()) return false;
  if (path.kind != Value::Kind::String) {
    error(init.args[0]->loc, "load's file must be a string; this is " + describeValue(path));
    return false;
  }
  SourceLoc loc = init.args[0]->loc;
  fs::path rel(path.s);
  if (path.s.empty() || rel.is_absolute() || rel.has_root_name() || rel.has_root_directory()) {
    error(loc, "load: '" + path.s + "' must be a path relative to the model's folder");
    return false;
  }
  for (const fs::path& part : rel)
    if (part == "..") {
      error(loc, "load: '" + path.s + "' leaves the model's folder ('..' is not allowed)");
      return false;
    }
  if (baseDir_.empty()) {
    error(loc, "load: this model has no folder to load files from");
    return false;
  }
  // Opened inside the folder (frontend/onnx/ContainedFile.h): a symlink
  // may point elsewhere inside it, never out, even if swapped meanwhile.
  fs::path file = fs::path(baseDir_) / rel;
  std::string bytes;
  try {
    onnx_io::FileDescriptor fd = onnx_io::openContained(baseDir_, path.s);
    bytes = onnx_io::readRange(fd.get(), 0, onnx_io::fileSize(fd.get()));
  } catch (const onnx_io::ContainedFileError& e) {
    using Kind = onnx_io::ContainedFileError::Kind;
    if (e.kind == Kind::Leaves || e.kind == Kind::DotDot) {
      error(loc, "load: '" + path.s + "' leaves the model's folder");
    } else if (e.kind == Kind::Missing) {
      std::error_code ec;
      error(loc, "load: no file '" + path.s + "' in " + fs::weakly_canonical(fs::absolute(baseDir_, ec), ec).string());
    } else {
      error(loc, "load: '" + path.s + "' " + e.what());
    }
    return false;
  }
  try {
    value = onnx_io::parseTensorFile(bytes, file.string(), file.parent_path().string());
  } catch (const std::exception& e) {
    error(loc, std::string("load: ") + e.what());
    return false;
  }
  if (value.dtype() != dtype || value.shape() != shape) {
    error(loc, "load: '" + path.s + "' holds a " + dslTypeName(value.dtype()) + "[" +
                   rt::shapeString(value.shape()) + "] tensor; parameter '" + fullName + "' is declared " +
                   dslTypeName(dtype) + "[" + rt::shapeString(shape) + "]");
    return false;
  }
  return true;
}

void Translator::let(const Stmt& s, Scope& sc) {
  int n = static_cast<int>(s.names.size());
  Value v = s.value ? eval(*s.value, sc, n == 1 ? s.names[0] : "", n) : Value::none();
  if (n == 1) return define(sc, s.names[0], s.nameLocs[0], v);
  if (v.ok() && (v.kind != Value::Kind::Tuple || static_cast<int>(v.items.size()) != n)) {
    error(s.value->loc, "'let' binds " + std::to_string(n) + " names, but the expression gives " +
                            (v.kind == Value::Kind::Tuple ? std::to_string(v.items.size()) + " results" : "one value"));
    v = Value::none();
  }
  for (int i = 0; i < n; ++i) define(sc, s.names[i], s.nameLocs[i], v.ok() ? v.items[i] : Value::none());
}

void Translator::output(const Stmt& s, Scope& sc) {
  Value v;
  if (s.value) {
    v = eval(*s.value, sc, s.name);
    if (v.ok() && v.number()) v = constant(v, v.kind == Value::Kind::Int ? rt::DType::I64 : rt::DType::F32, s.value->loc, sc);
  } else {
    const Binding* b = sc.lookup(s.name);
    if (!b) {
      error(s.nameLoc, "'" + s.name + "' is not defined; write 'output " + s.name + " = EXPR' or define it first" +
                           didYouMean(s.name, scopeNames(sc, s.name)));
      return;
    }
    v = b->value;
  }
  if (!v.ok()) return;
  if (v.kind != Value::Kind::Tensor) {
    error(s.value ? s.value->loc : s.nameLoc, "an output must be a tensor; this is " + describeValue(v));
    return;
  }
  if (outputSet_.count(s.name)) {
    error(s.nameLoc, "output '" + s.name + "' is declared twice");
    return;
  }
  if (s.value && sc.lookup(s.name)) return define(sc, s.name, s.nameLoc, Value::none());
  if (v.s != s.name && builder_->defined(s.name)) {
    error(s.nameLoc, "'" + s.name + "' is already the name of a value of the model; choose another output name");
    return;
  }
  size_t before = static_cast<size_t>(builder_->model().graph().node_size());
  builder_->addOutput(v.s, s.name, v.dtype);
  if (static_cast<size_t>(builder_->model().graph().node_size()) > before)
    nodeLocations_[builder_->model().graph().node(static_cast<int>(before)).name()] = s.nameLoc;
  outputs_.push_back(s.name);
  outputSet_.insert(s.name);
  if (s.value) define(sc, s.name, s.nameLoc, v);
}

// --- expressions ---------------------------------------------------------

Value Translator::eval(const Expr& e, Scope& sc, const std::string& hint, int results) {
  // Expressions nest at most kMaxExprDepth levels, but function bodies
  // expanded inside expressions nest further: the whole evaluation is
  // bounded too, so that no input exhausts the stack.
  struct Depth {
    int& d;
    explicit Depth(int& depth) : d(++depth) {}
    ~Depth() { --d; }
  } depth(evalDepth_);
  if (evalDepth_ > kMaxEvalDepth) {
    error(e.loc, "expressions and function calls nest too deeply here (more than " +
                     std::to_string(kMaxEvalDepth) + " levels)");
    return Value::none();
  }
  if (results != 1 && e.kind != Expr::Kind::Call) {
    error(e.loc, "only a call can give " + std::to_string(results) + " results");
    return Value::none();
  }
  switch (e.kind) {
    case Expr::Kind::Int: return Value::integer(e.intValue);
    case Expr::Kind::Float: return Value::real(e.floatValue);
    case Expr::Kind::String: {
      Value v;
      v.kind = Value::Kind::String, v.s = e.text;
      return v;
    }
    case Expr::Kind::DType: {
      Value v;
      v.kind = Value::Kind::DType;
      v.dtype = e.text == "bool" ? rt::DType::I1 : rt::dtypeFromName(e.text).value_or(rt::DType::F32);
      return v;
    }
    case Expr::Kind::Name: {
      const Binding* b = sc.lookup(e.text);
      if (b) return b->value;
      if (diags_.repeatAt(e.loc)) return Value::none();
      if (functions_.count(e.text)) {
        error(e.loc, "'" + e.text + "' is a function; call it: " + e.text + "(...)");
        return Value::none();
      }
      error(e.loc, "'" + e.text + "' is not defined" + didYouMean(e.text, scopeNames(sc, e.text)));
      return Value::none();
    }
    case Expr::Kind::List: {
      Value v;
      v.kind = Value::Kind::List;
      for (const ExprPtr& item : e.args) {
        Value x = eval(*item, sc);
        if (!x.ok()) return Value::none();
        if (x.kind == Value::Kind::Tensor || x.kind == Value::Kind::Tuple) {
          error(item->loc, "a list holds numbers, strings or element types known at compile time; this is " +
                               describeValue(x) + " (concat joins tensors)");
          return Value::none();
        }
        v.items.push_back(std::move(x));
      }
      return v;
    }
    case Expr::Kind::Neg: return neg(eval(*e.args[0], sc), e.loc, sc, hint);
    case Expr::Kind::Binary: {
      Value l = eval(*e.args[0], sc);
      Value r = eval(*e.args[1], sc);
      return binary(e.op, std::move(l), std::move(r), e.loc, sc, hint);
    }
    case Expr::Kind::Call: return call(e, sc, hint, results);
  }
  return Value::none();
}

Value Translator::neg(Value v, SourceLoc loc, Scope& sc, const std::string& hint) {
  if (!v.ok()) return v;
  if (v.kind == Value::Kind::Int) {
    if (v.i == std::numeric_limits<int64_t>::min()) {
      error(loc, "the negation overflows 64 bits");
      return Value::none();
    }
    return Value::integer(-v.i);
  }
  if (v.kind == Value::Kind::Float) return Value::real(-v.f);
  if (v.kind != Value::Kind::Tensor) {
    error(loc, "'-' needs a number or a tensor; this is " + describeValue(v));
    return Value::none();
  }
  auto outs = node("Neg", {v.s}, 1, {}, hint, loc, sc);
  return outs.empty() ? Value::none() : Value::tensor(outs[0], v.dtype);
}

namespace {

// A comparison of two numbers as 0/1, exact for two integers; nullopt for
// an arithmetic operator.
template <typename T>
std::optional<int64_t> compareNumbers(BinOp op, T a, T b) {
  switch (op) {
    case BinOp::Eq: return a == b;
    case BinOp::Ne: return a != b;
    case BinOp::Lt: return a < b;
    case BinOp::Le: return a <= b;
    case BinOp::Gt: return a > b;
    case BinOp::Ge: return a >= b;
    default: return std::nullopt;
  }
}

}  // namespace

Value Translator::foldBinary(BinOp op, const Value& l, const Value& r, SourceLoc loc) {
  if (op == BinOp::MatMul) {
    error(loc, "'@' multiplies tensors, not numbers");
    return Value::none();
  }
  bool ints = l.kind == Value::Kind::Int && r.kind == Value::Kind::Int;
  if (auto c = ints ? compareNumbers(op, l.i, r.i) : compareNumbers(op, l.asDouble(), r.asDouble()))
    return Value::integer(*c);
  if (ints) {
    int64_t a = l.i, b = r.i, out = 0;
    bool overflow = false;
    switch (op) {
      case BinOp::Add: overflow = __builtin_add_overflow(a, b, &out); break;
      case BinOp::Sub: overflow = __builtin_sub_overflow(a, b, &out); break;
      case BinOp::Mul: overflow = __builtin_mul_overflow(a, b, &out); break;
      case BinOp::Div:
      case BinOp::Mod:
        if (b == 0) {
          error(loc, op == BinOp::Div ? "division by zero" : "'%' by zero");
          return Value::none();
        }
        if (a == std::numeric_limits<int64_t>::min() && b == -1) {
          overflow = true;
          break;
        }
        // Integer division truncates (ONNX Div on integers); '%' takes the
        // divisor's sign (ONNX Mod with fmod=0, Python's %).
        out = op == BinOp::Div ? a / b : ((a % b) + b) % b;
        if (op == BinOp::Mod && b < 0 && a % b == 0) out = 0;
        break;
      case BinOp::Pow:
        if (b < 0) return Value::real(std::pow(double(a), double(b)));
        if (a == 0 || a == 1) out = (b == 0) ? 1 : a;
        else if (a == -1) out = (b % 2) ? -1 : 1;
        else {  // |a| >= 2 overflows within 63 steps
          out = 1;
          for (int64_t k = 0; k < b && !overflow; ++k) overflow = __builtin_mul_overflow(out, a, &out);
        }
        break;
      default:  // '@' and the comparisons: handled above
        break;
    }
    if (overflow) {
      error(loc, "the integer arithmetic overflows 64 bits");
      return Value::none();
    }
    return Value::integer(out);
  }
  double a = l.asDouble(), b = r.asDouble(), out = 0;
  switch (op) {
    case BinOp::Add: out = a + b; break;
    case BinOp::Sub: out = a - b; break;
    case BinOp::Mul: out = a * b; break;
    case BinOp::Div: out = a / b; break;
    case BinOp::Mod: out = std::fmod(a, b); break;
    case BinOp::Pow: out = std::pow(a, b); break;
    default:  // '@' and the comparisons: handled above
      break;
  }
  return Value::real(out);
}

Value Translator::constant(const Value& v, rt::DType dtype, SourceLoc loc, Scope& sc) {
  // A number is a scalar; a list of lists a tensor of their shape.
  rt::Shape shape;
  std::vector<const Value*> flat;
  std::vector<const Value*> level = {&v};
  while (!level.empty() && level[0]->kind == Value::Kind::List) {
    size_t n = level[0]->items.size();
    std::vector<const Value*> next;
    for (const Value* l : level) {
      if (l->kind != Value::Kind::List || l->items.size() != n) {
        error(loc, "a nested list must be rectangular to become a tensor");
        return Value::none();
      }
      for (const Value& item : l->items) next.push_back(&item);
    }
    shape.push_back(static_cast<int64_t>(n));
    level = std::move(next);
    if (n == 0) break;
  }
  for (const Value* x : level) {
    if (!x->number()) {
      error(loc, "a tensor constant is made of numbers; this list holds " + describeValue(*x));
      return Value::none();
    }
    if (x->kind == Value::Kind::Float && !rt::isFloat(dtype)) {
      if (std::floor(x->f) != x->f) {
        error(loc, "the number " + std::to_string(x->f) + " is not an integer, and the other operand is " +
                       dslTypeName(dtype));
        return Value::none();
      }
    }
    flat.push_back(x);
  }
  rt::HostTensor t(rt::TensorType{dtype, shape});
  rt::TensorRef ref = t.ref();
  for (size_t i = 0; i < flat.size(); ++i) {
    if (flat[i]->kind == Value::Kind::Int && (dtype == rt::DType::I64))
      ref.as<int64_t>()[i] = flat[i]->i;  // exact beyond 2^53
    else
      rt::storeFromDouble(ref, static_cast<int64_t>(i), flat[i]->asDouble());
  }
  std::string name = builder_->addConstant(t, prefixed(sc, "const"));
  return Value::tensor(name, dtype);
}

Value Translator::asTensor(const Value& v, rt::DType dtype, SourceLoc loc, Scope& sc) {
  if (v.kind == Value::Kind::Tensor) return v;
  return constant(v, dtype, loc, sc);
}

Value Translator::binary(BinOp op, Value l, Value r, SourceLoc loc, Scope& sc, const std::string& hint) {
  if (!l.ok() || !r.ok()) return Value::none();
  for (const Value* v : {&l, &r})
    if (!v->number() && v->kind != Value::Kind::Tensor) {
      error(loc, std::string("'") + spelling(op) + "' needs numbers or tensors; this operand is " + describeValue(*v));
      return Value::none();
    }
  if (l.number() && r.number()) return foldBinary(op, l, r, loc);
  // A number takes the element type of the tensor it meets.
  rt::DType dtype = l.kind == Value::Kind::Tensor ? l.dtype : r.dtype;
  l = asTensor(l, dtype, loc, sc);
  r = asTensor(r, dtype, loc, sc);
  if (!l.ok() || !r.ok()) return Value::none();
  const char* opName = nullptr;
  std::vector<onnx_io::Attr> attrs;
  rt::DType result = l.dtype;
  switch (op) {
    case BinOp::Add: opName = "Add"; break;
    case BinOp::Sub: opName = "Sub"; break;
    case BinOp::Mul: opName = "Mul"; break;
    case BinOp::Div: opName = "Div"; break;
    case BinOp::Mod:
      opName = "Mod";
      if (rt::isFloat(l.dtype)) attrs.push_back(onnx_io::Attr::integer("fmod", 1));
      break;
    case BinOp::Pow: opName = "Pow"; break;
    case BinOp::MatMul: opName = "MatMul"; break;
    case BinOp::Eq:
    case BinOp::Ne: opName = "Equal"; result = rt::DType::I1; break;
    case BinOp::Lt: opName = "Less"; result = rt::DType::I1; break;
    case BinOp::Le: opName = "LessOrEqual"; result = rt::DType::I1; break;
    case BinOp::Gt: opName = "Greater"; result = rt::DType::I1; break;
    case BinOp::Ge: opName = "GreaterOrEqual"; result = rt::DType::I1; break;
  }
  if (op == BinOp::Ne) {
    auto eq = node("Equal", {l.s, r.s}, 1, {}, "", loc, sc);
    if (eq.empty()) return Value::none();
    auto outs = node("Not", {eq[0]}, 1, {}, hint, loc, sc);
    return outs.empty() ? Value::none() : Value::tensor(outs[0], rt::DType::I1);
  }
  auto outs = node(opName, {l.s, r.s}, 1, attrs, hint, loc, sc);
  return outs.empty() ? Value::none() : Value::tensor(outs[0], result);
}

std::vector<std::string> Translator::node(const std::string& op, const std::vector<std::string>& inputs, int outputs,
                                          const std::vector<onnx_io::Attr>& attrs, const std::string& hint,
                                          SourceLoc loc, Scope& sc) {
  if (tooBig_) return {};
  if (builder_->model().graph().node_size() >= limits_.maxNodes) {
    tooBig_ = true;
    error(loc, "the model grows past " + std::to_string(limits_.maxNodes) + " nodes here");
    return {};
  }
  std::vector<std::string> outs =
      builder_->addNode(op, inputs, outputs, attrs, prefixed(sc, hint.empty() ? op : hint));
  const auto& graph = builder_->model().graph();
  nodeLocations_[graph.node(graph.node_size() - 1).name()] = loc;
  return outs;
}

Translation translate(const std::string& source, const std::string& name, const std::string& baseDir,
                      const Limits& limits) {
  Translation t;
  Diagnostics diags(source, name);
  try {
    File file = parse(source, diags);
    if (diags.count() == 0) Translator(source, diags, name, baseDir, limits).run(file, t);
  } catch (const std::bad_alloc&) {
    t = Translation();
    return t.errors = name + ": error: out of memory while translating the model", t;
  } catch (const std::exception& e) {
    t = Translation();
    return t.errors = name + ": error: internal error in the DSL translator: " + e.what(), t;
  }
  if (diags.count() != 0) {
    t.modelBytes.clear();
    t.nodeLocations.clear();
    t.errors = diags.text();
  }
  return t;
}

}  // namespace dlc::dsl
