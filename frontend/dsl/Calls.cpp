// Calls (docs/dsl.md "Calls"): user functions expanded in place, the DSL
// builtins, and ONNX operators by name with ONNX's schemas deciding what a
// keyword argument is (an attribute of a given type, or a named input).
#include <algorithm>
#include <cmath>
#include <functional>
#include <optional>

#include "frontend/dsl/Translator.h"
#include "frontend/onnx/Importer.h"
#include "frontend/onnx/TensorProtoIO.h"

#include "onnx/defs/schema.h"
#include "onnx/onnx_pb.h"

namespace dlc::dsl {

namespace {

using onnx_io::Attr;

struct Builtin {
  const char* name;
  const char* op;
  int minArgs, maxArgs;  // positional arguments
  std::map<std::string, std::string> renames;
  std::vector<Attr> defaults;
};

const std::vector<Builtin>& builtins() {
  static const std::vector<Builtin> table = [] {
    std::vector<Builtin> t;
    const char* unary[][2] = {{"relu", "Relu"},   {"sigmoid", "Sigmoid"}, {"tanh", "Tanh"},
                              {"exp", "Exp"},     {"log", "Log"},         {"sqrt", "Sqrt"},
                              {"abs", "Abs"},     {"erf", "Erf"},         {"floor", "Floor"},
                              {"ceil", "Ceil"},   {"sin", "Sin"},         {"cos", "Cos"},
                              {"neg", "Neg"},     {"reciprocal", "Reciprocal"},
                              {"sign", "Sign"},   {"not", "Not"}};
    for (auto& u : unary) t.push_back({u[0], u[1], 1, 1, {}, {}});
    t.push_back({"softmax", "Softmax", 1, 1, {}, {Attr::integer("axis", -1)}});
    t.push_back({"log_softmax", "LogSoftmax", 1, 1, {}, {Attr::integer("axis", -1)}});
    t.push_back({"gelu", "Gelu", 1, 1, {}, {}});
    t.push_back({"matmul", "MatMul", 2, 2, {}, {}});
    t.push_back({"conv2d", "Conv", 2, 3, {{"groups", "group"}}, {}});
    t.push_back({"max_pool", "MaxPool", 1, 1, {{"kernel", "kernel_shape"}}, {}});
    t.push_back({"avg_pool", "AveragePool", 1, 1, {{"kernel", "kernel_shape"}}, {}});
    t.push_back({"global_avg_pool", "GlobalAveragePool", 1, 1, {}, {}});
    t.push_back({"batch_norm", "BatchNormalization", 5, 5, {}, {Attr::real("epsilon", 1e-5)}});
    t.push_back({"layer_norm", "LayerNormalization", 2, 3, {}, {Attr::integer("axis", -1), Attr::real("epsilon", 1e-5)}});
    t.push_back({"reshape", "Reshape", 2, 2, {}, {}});
    t.push_back({"transpose", "Transpose", 1, 1, {}, {}});
    t.push_back({"flatten", "Flatten", 1, 1, {}, {Attr::integer("axis", 1)}});
    t.push_back({"concat", "Concat", 1, 1 << 20, {}, {}});
    t.push_back({"sum", "ReduceSum", 1, 1, {}, {}});
    t.push_back({"mean", "ReduceMean", 1, 1, {}, {}});
    t.push_back({"max", "ReduceMax", 1, 1, {}, {}});
    t.push_back({"min", "ReduceMin", 1, 1, {}, {}});
    t.push_back({"cast", "Cast", 1, 1, {}, {}});
    t.push_back({"where", "Where", 3, 3, {}, {}});
    t.push_back({"maximum", "Max", 2, 2, {}, {}});
    t.push_back({"minimum", "Min", 2, 2, {}, {}});
    t.push_back({"pow", "Pow", 2, 2, {}, {}});
    return t;
  }();
  return table;
}

const Builtin* findBuiltin(const std::string& name) {
  for (const Builtin& b : builtins())
    if (name == b.name) return &b;
  return nullptr;
}

bool isSupportedOp(const std::string& op) {
  static const std::vector<std::string> ops = supportedOnnxOps();
  return std::binary_search(ops.begin(), ops.end(), op);
}

// "tensor(float)" -> F32; false for types dlc has no dtype for.
bool dtypeOfTypeStr(const std::string& s, rt::DType& out) {
  static const std::map<std::string, rt::DType> m = {
      {"tensor(float)", rt::DType::F32},   {"tensor(float16)", rt::DType::F16}, {"tensor(bfloat16)", rt::DType::BF16},
      {"tensor(double)", rt::DType::F64},  {"tensor(int64)", rt::DType::I64},   {"tensor(int32)", rt::DType::I32},
      {"tensor(int8)", rt::DType::I8},     {"tensor(bool)", rt::DType::I1},     {"tensor(int16)", rt::DType::I16},
      {"tensor(uint8)", rt::DType::U8},    {"tensor(uint16)", rt::DType::U16},  {"tensor(uint32)", rt::DType::U32},
      {"tensor(uint64)", rt::DType::U64}};
  auto it = m.find(s);
  if (it == m.end()) return false;
  out = it->second;
  return true;
}

// The one type a schema's type string allows, if it allows exactly one.
bool singleType(const onnx::OpSchema& schema, const std::string& typeStr, rt::DType& out) {
  if (dtypeOfTypeStr(typeStr, out)) return true;
  for (const auto& c : schema.typeConstraintParams())
    if (c.type_param_str == typeStr)
      return c.allowed_type_strs.size() == 1 && dtypeOfTypeStr(c.allowed_type_strs[0], out);
  return false;
}

// The schema's type string of input slot i ("" when unknown).
std::string inputTypeStr(const onnx::OpSchema* schema, size_t i) {
  if (!schema || schema->inputs().empty()) return "";
  const auto& ins = schema->inputs();
  if (i < ins.size()) return ins[i].GetTypeStr();
  return ins.back().GetOption() == onnx::OpSchema::Variadic ? ins.back().GetTypeStr() : "";
}

bool allOf(const Value& list, Value::Kind a, Value::Kind b) {
  for (const Value& v : list.items)
    if (v.kind != a && v.kind != b) return false;
  return true;
}

}  // namespace

Value Translator::call(const Expr& e, Scope& sc, const std::string& hint, int results) {
  if (tooBig_) return Value::none();
  auto fn = functions_.find(e.text);
  if (fn != functions_.end()) return callFunction(e, *fn->second, sc, hint, results);
  if (!e.asName.empty()) {
    error(e.asLoc, "'as' names the parameters of a user function's call; '" + e.text + "' is not a user function");
    return Value::none();
  }
  bool handled = false;
  Value v = callBuiltin(e, sc, hint, results, handled);
  if (handled) return v;
  if (onnx::OpSchemaRegistry::Schema(e.text, static_cast<int>(opset_), "") || isSupportedOp(e.text))
    return callOnnx(e, e.text, sc, hint, results);
  unknownCallee(e, sc);
  return Value::none();
}

void Translator::unknownCallee(const Expr& e, Scope& sc) {
  std::vector<std::string> candidates;
  for (const auto& [name, fn] : functions_) candidates.push_back(name);
  for (const Builtin& b : builtins()) candidates.push_back(b.name);
  for (const std::string& op : supportedOnnxOps()) candidates.push_back(op);
  std::string c = closest(e.text, candidates);
  std::string hint = c.empty() ? "" : "; did you mean '" + c + "'?";
  if (sc.lookup(e.text)) hint = " ('" + e.text + "' is a value, not a function)";
  error(e.loc, "unknown function '" + e.text + "'" + hint);
}

Value Translator::callFunction(const Expr& e, const Stmt& fn, Scope& sc, const std::string&, int results) {
  for (const std::string& active : callStack_)
    if (active == fn.name) {
      error(e.loc, "function '" + fn.name + "' calls itself" +
                       (callStack_.back() == fn.name ? "" : " (through '" + callStack_.back() + "')") +
                       "; recursion is not allowed");
      return Value::none();
    }
  if (static_cast<int>(callStack_.size()) >= limits_.maxCallDepth) {
    error(e.loc, "user functions nest more than " + std::to_string(limits_.maxCallDepth) + " calls deep here");
    return Value::none();
  }
  if (!e.kwargs.empty()) {
    error(e.kwargs[0].loc, "function '" + fn.name + "' takes positional arguments only");
    return Value::none();
  }
  if (e.args.size() != fn.params.size()) {
    error(e.loc, "function '" + fn.name + "' takes " + std::to_string(fn.params.size()) + " argument(s), given " +
                     std::to_string(e.args.size()));
    return Value::none();
  }
  std::vector<Value> args;
  bool ok = true;
  for (size_t i = 0; i < e.args.size(); ++i) {
    const FnParam& p = fn.params[i];
    Value v = eval(*e.args[i], sc);
    if (!v.ok()) {
      ok = false;
      continue;
    }
    bool fits = p.kind == FnParam::Kind::Int     ? v.kind == Value::Kind::Int
                : p.kind == FnParam::Kind::Float ? v.number()
                                                 : (v.kind == Value::Kind::Tensor || v.number());
    if (!fits) {
      std::string want = p.kind == FnParam::Kind::Int     ? "an integer known at compile time"
                         : p.kind == FnParam::Kind::Float ? "a number known at compile time"
                                                          : "a tensor";
      error(e.args[i]->loc, "argument '" + p.name + "' of '" + fn.name + "' must be " + want + "; this is " +
                                describeValue(v));
      ok = false;
      continue;
    }
    if (p.kind == FnParam::Kind::Float) v = Value::real(v.asDouble());
    args.push_back(v);
  }
  if (!ok) return Value::none();
  Scope* top = &sc;
  while (top->parent) top = top->parent;
  Scope body;
  body.parent = top;
  std::string prefix = e.asName.empty() ? fn.name + "_" + std::to_string(sc.callCounts[fn.name]++) : e.asName;
  body.prefix = prefixed(sc, prefix);
  for (size_t i = 0; i < args.size(); ++i) body.names[fn.params[i].name] = {args[i], fn.params[i].loc};
  callStack_.push_back(fn.name);
  Value result;
  bool returned = false;
  for (const StmtPtr& s : fn.body) {
    if (diags_.full() || tooBig_) break;
    if (s->kind != Stmt::Kind::Return) {
      statement(*s, body);
      continue;
    }
    returned = true;
    std::vector<Value> values;
    for (const ExprPtr& r : s->values) {
      Value v = eval(*r, body);
      if (v.ok() && v.kind != Value::Kind::Tensor && !v.number()) {
        error(r->loc, "a function returns tensors or numbers; this is " + describeValue(v));
        v = Value::none();
      }
      values.push_back(v);
    }
    int n = static_cast<int>(values.size());
    for (const Value& v : values)
      if (!v.ok()) n = -1;
    if (n < 0) break;
    if (n != results) {
      error(e.loc, "'" + fn.name + "' returns " + std::to_string(n) + " value(s), but " +
                       (results == 1 ? "one is used here" : std::to_string(results) + " names are bound"));
      break;
    }
    if (n == 1) result = values[0];
    else result.kind = Value::Kind::Tuple, result.items = values;
    break;
  }
  callStack_.pop_back();
  if (!returned) return Value::none();  // reported where the function is defined
  return result;
}

Value Translator::callBuiltin(const Expr& e, Scope& sc, const std::string& hint, int results, bool& handled) {
  const Builtin* b = findBuiltin(e.text);
  handled = b != nullptr;
  if (!b) return Value::none();
  int n = static_cast<int>(e.args.size());
  if (n < b->minArgs || n > b->maxArgs) {
    std::string want = b->minArgs == b->maxArgs ? std::to_string(b->minArgs)
                       : b->maxArgs > 100       ? "at least " + std::to_string(b->minArgs)
                                                : std::to_string(b->minArgs) + " to " + std::to_string(b->maxArgs);
    error(e.loc, "'" + e.text + "' takes " + want + " positional argument(s), given " + std::to_string(n));
    return Value::none();
  }
  if (e.text == "gelu" && opset_ < 20) return gelu(e, sc, hint);
  return callOnnx(e, b->op, sc, hint, results, b->renames, b->defaults);
}

Value Translator::gelu(const Expr& e, Scope& sc, const std::string& hint) {
  if (!e.kwargs.empty()) {
    error(e.kwargs[0].loc, "gelu takes no keyword arguments (it is the exact erf form)");
    return Value::none();
  }
  Value x = eval(*e.args[0], sc);
  if (!x.ok()) return x;
  if (x.kind != Value::Kind::Tensor) {
    error(e.args[0]->loc, "gelu needs a tensor; this is " + describeValue(x));
    return Value::none();
  }
  // 0.5 * x * (1 + erf(x / sqrt(2)))
  Value scaled = binary(BinOp::Div, x, Value::real(std::sqrt(2.0)), e.loc, sc, "");
  if (!scaled.ok()) return scaled;
  auto erf = node("Erf", {scaled.s}, 1, {}, "", e.loc, sc);
  if (erf.empty()) return Value::none();
  Value onePlus = binary(BinOp::Add, Value::tensor(erf[0], x.dtype), Value::real(1), e.loc, sc, "");
  Value prod = binary(BinOp::Mul, x, onePlus, e.loc, sc, "");
  return binary(BinOp::Mul, prod, Value::real(0.5), e.loc, sc, hint);
}

bool Translator::toAttr(const std::string& op, const std::string& name, int type, const Value& v, SourceLoc loc,
                        Attr& out) {
  auto fail = [&](const std::string& want) {
    error(loc, op + "'s attribute '" + name + "' is " + want + "; this is " + describeValue(v));
    return false;
  };
  auto integer = [](const Value& x, int64_t& i) {
    if (x.kind == Value::Kind::Int) return i = x.i, true;
    if (x.kind == Value::Kind::DType) return i = onnx_io::dtypeToOnnx(x.dtype), true;
    return false;
  };
  Value list = v;
  if (v.kind != Value::Kind::List) list.kind = Value::Kind::List, list.items = {v};
  switch (type) {
    case onnx::AttributeProto::INT: {
      int64_t i = 0;
      if (!integer(v, i)) return fail("an integer");
      return out = Attr::integer(name, i), true;
    }
    case onnx::AttributeProto::FLOAT:
      if (!v.number()) return fail("a number");
      return out = Attr::real(name, v.asDouble()), true;
    case onnx::AttributeProto::STRING:
      if (v.kind != Value::Kind::String) return fail("a string");
      return out = Attr::string(name, v.s), true;
    case onnx::AttributeProto::INTS: {
      std::vector<int64_t> ints;
      for (const Value& x : list.items) {
        int64_t i = 0;
        if (!integer(x, i)) return fail("a list of integers");
        ints.push_back(i);
      }
      return out = Attr::integers(name, ints), true;
    }
    case onnx::AttributeProto::FLOATS: {
      std::vector<double> fs;
      for (const Value& x : list.items) {
        if (!x.number()) return fail("a list of numbers");
        fs.push_back(x.asDouble());
      }
      return out = Attr::reals(name, fs), true;
    }
    case onnx::AttributeProto::STRINGS: {
      std::vector<std::string> ss;
      for (const Value& x : list.items) {
        if (x.kind != Value::Kind::String) return fail("a list of strings");
        ss.push_back(x.s);
      }
      return out = Attr::strs(name, ss), true;
    }
    case onnx::AttributeProto::TENSOR: {
      if (!v.number() && v.kind != Value::Kind::List) return fail("a tensor (a number or a list of numbers)");
      bool ints = v.kind == Value::Kind::Int || (v.kind == Value::Kind::List && allOf(v, Value::Kind::Int, Value::Kind::Int));
      // A number is a one-element tensor (ConstantOfShape's value).
      std::vector<double> vals;
      for (const Value& x : list.items) {
        if (!x.number()) return fail("a tensor (a list of numbers)");
        vals.push_back(x.asDouble());
      }
      rt::HostTensor t(rt::TensorType{ints ? rt::DType::I64 : rt::DType::F32, {int64_t(vals.size())}});
      for (size_t i = 0; i < vals.size(); ++i) {
        if (ints) t.as<int64_t>()[i] = list.items[i].i;
        else t.as<float>()[i] = static_cast<float>(vals[i]);
      }
      return out = Attr::tensorValue(name, std::move(t)), true;
    }
    default:
      error(loc, op + "'s attribute '" + name + "' has a type (graph, sparse tensor ...) the DSL cannot write");
      return false;
  }
}

bool Translator::untypedAttr(const std::string& name, const Value& v, SourceLoc loc, Attr& out) {
  switch (v.kind) {
    case Value::Kind::Int: return out = Attr::integer(name, v.i), true;
    case Value::Kind::DType: return out = Attr::integer(name, onnx_io::dtypeToOnnx(v.dtype)), true;
    case Value::Kind::Float: return out = Attr::real(name, v.f), true;
    case Value::Kind::String: return out = Attr::string(name, v.s), true;
    case Value::Kind::List:
      if (allOf(v, Value::Kind::Int, Value::Kind::DType)) return toAttr("", name, onnx::AttributeProto::INTS, v, loc, out);
      if (allOf(v, Value::Kind::Int, Value::Kind::Float)) return toAttr("", name, onnx::AttributeProto::FLOATS, v, loc, out);
      if (allOf(v, Value::Kind::String, Value::Kind::String)) return toAttr("", name, onnx::AttributeProto::STRINGS, v, loc, out);
      error(loc, "attribute '" + name + "': a list of mixed kinds");
      return false;
    default:
      error(loc, "attribute '" + name + "' needs a value known at compile time; this is " + describeValue(v));
      return false;
  }
}

std::vector<rt::DType> Translator::resultTypes(const std::string& op, const onnx::OpSchema* schema,
                                               const std::vector<Value>& inputs, const std::vector<Attr>& attrs,
                                               int n) {
  rt::DType first = rt::DType::F32;
  for (const Value& v : inputs)
    if (v.kind == Value::Kind::Tensor) {
      first = v.dtype;
      break;
    }
  // An explicit element type (Cast's `to`, the `dtype` of generators).
  std::optional<rt::DType> explicitType;
  for (const Attr& a : attrs)
    if ((a.name == "to" || a.name == "dtype") && a.kind == Attr::Kind::Int) {
      try {
        explicitType = onnx_io::dtypeFromOnnx(static_cast<int>(a.i));
      } catch (const std::exception&) {
      }
    }
  std::vector<rt::DType> out(n, explicitType.value_or(first));
  if (!schema || schema->outputs().empty()) return out;
  for (int k = 0; k < n; ++k) {
    const auto& outs = schema->outputs();
    const std::string& typeStr = static_cast<size_t>(k) < outs.size() ? outs[k].GetTypeStr() : outs.back().GetTypeStr();
    rt::DType t;
    bool found = false;
    for (size_t i = 0; i < inputs.size() && !found; ++i)
      if (inputs[i].kind == Value::Kind::Tensor && inputTypeStr(schema, i) == typeStr) t = inputs[i].dtype, found = true;
    if (!found) found = singleType(*schema, typeStr, t);
    if (found) out[k] = t;
  }
  (void)op;
  return out;
}

Value Translator::callOnnx(const Expr& e, const std::string& op, Scope& sc, const std::string& hint, int results,
                           const std::map<std::string, std::string>& renames, const std::vector<Attr>& defaults) {
  const onnx::OpSchema* schema = onnx::OpSchemaRegistry::Schema(op, static_cast<int>(opset_), "");
  std::string shown = e.text == op ? op : e.text + " (" + op + ")";
  bool ok = true;
  std::vector<Value> inputs;
  std::vector<SourceLoc> locs;
  for (const ExprPtr& a : e.args) {
    Value v = eval(*a, sc);
    if (v.ok() && v.kind != Value::Kind::Tensor && !v.number() && v.kind != Value::Kind::List) {
      error(a->loc, shown + "'s inputs are tensors, numbers or lists; this is " + describeValue(v));
      v = Value::none();
    }
    if (!v.ok()) ok = false;
    inputs.push_back(v);
    locs.push_back(a->loc);
  }
  std::vector<bool> given(inputs.size(), true);
  std::vector<Attr> attrs;
  for (const KwArg& k : e.kwargs) {
    auto r = renames.find(k.name);
    std::string name = r == renames.end() ? k.name : r->second;
    Value v = eval(*k.value, sc);
    if (!v.ok()) {
      ok = false;
      continue;
    }
    if (!schema) {
      Attr a;
      if (untypedAttr(name, v, k.loc, a)) attrs.push_back(a);
      else ok = false;
      continue;
    }
    auto attr = schema->attributes().find(name);
    if (attr != schema->attributes().end()) {
      if (v.kind == Value::Kind::Tensor || v.kind == Value::Kind::Tuple) {
        error(k.loc, shown + "'s attribute '" + k.name + "' needs a value known at compile time; this is " +
                         describeValue(v));
        ok = false;
        continue;
      }
      Attr a;
      if (toAttr(shown, name, attr->second.type, v, k.value->loc, a)) attrs.push_back(a);
      else ok = false;
      continue;
    }
    size_t slot = 0;
    const auto& formal = schema->inputs();
    while (slot < formal.size() && formal[slot].GetName() != name) ++slot;
    // Input names are matched ignoring case when nothing matches exactly
    // (TopK's input is `K`; `k=[5]` reads naturally).
    for (size_t i = 0; slot == formal.size() && i < formal.size(); ++i)
      if (formal[i].GetName().size() == name.size() &&
          std::equal(name.begin(), name.end(), formal[i].GetName().begin(),
                     [](char a, char b) { return std::tolower(a) == std::tolower(b); }))
        slot = i;
    if (slot == formal.size()) {
      std::vector<std::string> names;
      for (const auto& [n, a] : schema->attributes()) names.push_back(n);
      for (const auto& f : formal) names.push_back(f.GetName());
      for (const auto& [from, to] : renames) names.push_back(from);
      std::string c = closest(k.name, names);
      error(k.loc, shown + " has no attribute or input '" + k.name + "'" +
                       (c.empty() ? "" : "; did you mean '" + c + "'?"));
      ok = false;
      continue;
    }
    if (slot < given.size() && given[slot]) {
      error(k.loc, shown + "'s input '" + name + "' is given twice (positionally and by name)");
      ok = false;
      continue;
    }
    if (v.kind != Value::Kind::Tensor && !v.number() && v.kind != Value::Kind::List) {
      error(k.value->loc, shown + "'s input '" + name + "' must be a tensor, a number or a list; this is " +
                              describeValue(v));
      ok = false;
      continue;
    }
    if (slot >= inputs.size()) {
      inputs.resize(slot + 1), given.resize(slot + 1, false), locs.resize(slot + 1, e.loc);
    }
    inputs[slot] = v, given[slot] = true, locs[slot] = k.value->loc;
  }
  if (!ok) return Value::none();
  for (const Attr& d : defaults) {
    bool present = false;
    for (const Attr& a : attrs) present |= a.name == d.name;
    if (!present && (!schema || schema->attributes().count(d.name))) attrs.push_back(d);
  }
  if (schema) {
    for (const auto& [name, a] : schema->attributes()) {
      bool present = false;
      for (const Attr& x : attrs) present |= x.name == name;
      if (a.required && !present) {
        error(e.loc, shown + " needs the attribute '" + name + "'");
        ok = false;
      }
    }
    int n = static_cast<int>(inputs.size());
    if (n > schema->max_input()) {
      error(e.loc, shown + " takes at most " + std::to_string(schema->max_input()) + " input(s), given " +
                       std::to_string(n));
      return Value::none();
    }
    if (n < schema->min_input()) {
      error(e.loc, shown + " needs at least " + std::to_string(schema->min_input()) + " input(s), given " +
                       std::to_string(n));
      return Value::none();
    }
    for (size_t i = 0; i < given.size(); ++i)
      if (!given[i] && i < schema->inputs().size() && schema->inputs()[i].GetOption() == onnx::OpSchema::Single) {
        error(e.loc, shown + "'s input '" + schema->inputs()[i].GetName() + "' is missing");
        ok = false;
      }
    if (results > schema->max_output()) {
      error(e.loc, shown + " gives at most " + std::to_string(schema->max_output()) + " result(s); " +
                       std::to_string(results) + " are bound");
      return Value::none();
    }
  }
  if (!ok) return Value::none();
  // Numbers and lists become constants: of the element type of a tensor
  // input that shares their type constraint, else of the only type the
  // constraint allows, else int64 for integers and the first tensor
  // input's float type for floats.
  rt::DType firstFloat = rt::DType::F32;
  for (const Value& v : inputs)
    if (v.kind == Value::Kind::Tensor && rt::isFloat(v.dtype)) {
      firstFloat = v.dtype;
      break;
    }
  std::vector<Value> tensors = inputs;
  std::vector<std::string> names;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!given[i]) {
      names.push_back("");
      continue;
    }
    if (inputs[i].kind != Value::Kind::Tensor) {
      std::string typeStr = inputTypeStr(schema, i);
      rt::DType dtype;
      bool found = false;
      for (size_t j = 0; j < inputs.size() && !found && !typeStr.empty(); ++j)
        if (inputs[j].kind == Value::Kind::Tensor && inputTypeStr(schema, j) == typeStr)
          dtype = inputs[j].dtype, found = true;
      if (!found && schema && !typeStr.empty()) found = singleType(*schema, typeStr, dtype);
      if (!found) {
        bool ints = inputs[i].kind == Value::Kind::Int ||
                    (inputs[i].kind == Value::Kind::List && allOf(inputs[i], Value::Kind::Int, Value::Kind::List));
        std::function<bool(const Value&)> allInts = [&](const Value& v) {
          if (v.kind == Value::Kind::List) {
            for (const Value& x : v.items)
              if (!allInts(x)) return false;
            return true;
          }
          return v.kind == Value::Kind::Int;
        };
        ints = allInts(inputs[i]);
        dtype = ints ? rt::DType::I64 : firstFloat;
      }
      tensors[i] = constant(inputs[i], dtype, locs[i], sc);
      if (!tensors[i].ok()) return Value::none();
    }
    names.push_back(tensors[i].s);
  }
  int outputs = results;
  if (schema) outputs = std::max(outputs, schema->min_output());
  std::vector<rt::DType> types = resultTypes(op, schema, tensors, attrs, outputs);
  auto outs = node(op, names, outputs, attrs, hint, e.loc, sc);
  if (outs.empty()) return Value::none();
  if (results == 1) return Value::tensor(outs[0], types[0]);
  Value tuple;
  tuple.kind = Value::Kind::Tuple;
  for (int i = 0; i < results; ++i) tuple.items.push_back(Value::tensor(outs[i], types[i]));
  return tuple;
}

}  // namespace dlc::dsl
