#include "codegen/cuda/KernelEmitter.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "codegen/cuda/CudaTypes.h"

namespace dlc::codegen::cuda {

using rt::DType;
using rt::OpCode;

namespace {

bool isNumber(const std::string& s) {
  if (s.empty()) return false;
  size_t i = s[0] == '-' ? 1 : 0;
  if (i == s.size()) return false;
  for (; i < s.size(); ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}
std::string num(int64_t v) { return std::to_string(v); }
bool isIdentifier(const std::string& s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  return true;
}
std::string shapeKey(const rt::Shape& shape, const Index& index) {
  std::string k;
  for (int64_t d : shape) k += num(d) + "x";
  k += "|";
  for (const std::string& i : index) k += i + ",";
  return k;
}
// Index arithmetic that folds the 0 and 1 cases, so contiguous and size-1
// dimensions leave simple expressions.
std::string add(const std::string& a, const std::string& b) {
  if (a == "0") return b;
  if (b == "0") return a;
  if (isNumber(a) && isNumber(b)) return num(std::stoll(a) + std::stoll(b));
  return a + " + " + b;
}
std::string addConst(const std::string& a, int64_t c) {
  if (c == 0) return a;
  if (isNumber(a)) return num(std::stoll(a) + c);
  return c < 0 ? a + " - " + num(-c) : a + " + " + num(c);
}
std::string paren(const std::string& a) {
  return (isNumber(a) || a.find_first_of(" ") == std::string::npos) ? a : "(" + a + ")";
}
std::string mul(const std::string& a, int64_t c) {
  if (c == 0 || a == "0") return "0";
  if (c == 1) return a;
  if (isNumber(a)) return num(std::stoll(a) * c);
  return paren(a) + " * " + num(c);
}

const char* unaryFloat(rt::UnaryKind k) {
  using U = rt::UnaryKind;
  switch (k) {
    case U::Abs: return "dlc_fabs";
    case U::Exp: return "dlc_exp";
    case U::Log: return "dlc_log";
    case U::Sqrt: return "dlc_sqrt";
    case U::Rsqrt: return "dlc_rsqrt";
    case U::Tanh: return "dlc_tanh";
    case U::Logistic: return "dlc_logistic";
    case U::Erf: return "dlc_erf";
    case U::Sin: return "dlc_sin";
    case U::Cos: return "dlc_cos";
    case U::Floor: return "dlc_floor";
    case U::Ceil: return "dlc_ceil";
    case U::Round: return "dlc_rint";
    case U::Sign: return "dlc_fsign";
    default: return nullptr;
  }
}

}  // namespace

std::string dropUnusedIndices(const std::string& body) {
  std::vector<std::string> lines;
  for (size_t at = 0; at < body.size();) {
    size_t end = body.find('\n', at);
    if (end == std::string::npos) end = body.size();
    lines.push_back(body.substr(at, end - at));
    at = end + 1;
  }
  // The name an index declaration declares, or "".
  auto declared = [](const std::string& line) -> std::string {
    size_t s = line.find_first_not_of(' ');
    for (const char* head : {"const int ", "const dlc_i64 "}) {
      std::string h(head);
      if (s == std::string::npos || line.compare(s, h.size(), h) != 0) continue;
      size_t name = s + h.size(), end = line.find(' ', name);
      if (end == std::string::npos || line.compare(end, 3, " = ") != 0) return "";
      return line.substr(name, end - name);
    }
    return "";
  };
  auto indent = [](const std::string& l) { return l.find_first_not_of(' '); };
  auto mentions = [](const std::string& l, const std::string& name) {
    for (size_t at = l.find(name); at != std::string::npos; at = l.find(name, at + 1)) {
      auto part = [&](size_t i) { return i < l.size() && (std::isalnum(static_cast<unsigned char>(l[i])) || l[i] == '_'); };
      if (!(at > 0 && part(at - 1)) && !part(at + name.size())) return true;
    }
    return false;
  };
  // A declaration is used when a later line of its block (up to the first
  // line indented less) names it; removing one may leave another unused.
  std::vector<bool> keep(lines.size(), true);
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t i = lines.size(); i-- > 0;) {
      std::string name = keep[i] ? declared(lines[i]) : "";
      if (name.empty()) continue;
      size_t depth = indent(lines[i]);
      bool used = false;
      for (size_t j = i + 1; j < lines.size() && !used; ++j) {
        if (!keep[j]) continue;
        size_t d = indent(lines[j]);
        if (d != std::string::npos && d < depth) break;
        used = mentions(lines[j], name);
      }
      if (!used) keep[i] = false, changed = true;
    }
  }
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i)
    if (keep[i] && !(i + 1 == lines.size() && lines[i].empty())) out += lines[i] + "\n";
  return out;
}

KernelEmitter::KernelEmitter(const rt::Program& p, const rt::Kernel& k, CodeWriter& w,
                             std::string idxType)
    : p_(p), k_(k), w_(w), idx_(std::move(idxType)) {
  for (int32_t i = k.begin; i < k.end; ++i) definer_[p.instrs[i].result] = i;
  scopes_.emplace_back();
}

std::string KernelEmitter::let(const std::string& type, const std::string& expr, const char* prefix) {
  std::string key = std::string("=") + type + ":" + expr;
  for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it)
    if (auto f = it->find(key); f != it->end()) return f->second;
  std::string name = prefix + std::to_string(next_++);
  w_.line("const " + type + " " + name + " = " + expr + ";");
  scopes_.back()[key] = name;
  return name;
}

Index KernelEmitter::unflatten(const std::string& flat, const rt::Shape& shape) {
  Index out(shape.size(), "0");
  int64_t inner = 1;
  for (size_t d = shape.size(); d-- > 0;) {
    if (shape[d] != 1) {
      std::string e = inner == 1 ? paren(flat) : paren(flat) + " / " + num(inner);
      // The outermost non-1 dimension needs no modulo when flat < numElements.
      bool outermost = true;
      for (size_t o = 0; o < d; ++o) outermost = outermost && shape[o] == 1;
      if (!outermost) e = paren(e) + " % " + num(shape[d]);
      if (isNumber(flat)) out[d] = num((std::stoll(flat) / inner) % shape[d]);
      else if (e == flat && isIdentifier(flat)) out[d] = flat;
      else out[d] = let(idx_, e, "i");
    }
    inner *= shape[d];
  }
  // Remembered only when the index names this call's variables (an index of
  // literals alone is the same for every flat index of an all-1 shape).
  bool named = false;
  for (const std::string& i : out) named = named || !isNumber(i);
  if (named) flatOf_[shapeKey(shape, out)] = flat;
  return out;
}

std::string KernelEmitter::flatten(const Index& index, const rt::Shape& shape) {
  if (auto f = flatOf_.find(shapeKey(shape, index)); f != flatOf_.end()) return f->second;
  std::string e = "0";
  int64_t stride = 1;
  std::vector<std::string> terms;
  for (size_t d = shape.size(); d-- > 0;) {
    if (shape[d] != 1) e = add(mul(index[d], stride), e);
    stride *= shape[d];
  }
  return isNumber(e) || e.find(' ') == std::string::npos ? e : let(idx_, e, "i");
}

std::string KernelEmitter::load(int32_t v, const Index& index) {
  if (readSet_.insert(v).second) reads_.push_back(v);
  std::string flat = flatten(index, type(v).shape);
  if (auto o = loadOverrides_.find(num(v) + "@" + flat); o != loadOverrides_.end()) return o->second;
  return "dlc_ld(" + ptr(v) + ", " + flat + ")";
}

bool KernelEmitter::isSplat(const rt::ValueInfo& info) {
  if (info.kind != rt::ValueKind::Constant || info.constant.numElements() == 0) return false;
  if (info.splat) return true;
  int64_t bytes = rt::dtypeSize(info.type.dtype);
  auto* data = static_cast<const unsigned char*>(info.constant.data());
  for (int64_t i = 1; i < info.constant.numElements(); ++i)
    if (!std::equal(data, data + bytes, data + i * bytes)) return false;
  return true;
}

std::string KernelEmitter::cacheKey(int32_t v, const Index& index) {
  std::string key = "v" + num(v) + "@";
  for (const std::string& i : index) key += i + ",";
  return key;
}

void KernelEmitter::preset(int32_t value, const Index& index, const std::string& name) {
  scopes_.back()[cacheKey(value, index)] = name;
}

std::string KernelEmitter::emit(int32_t v, const Index& index) {
  if (auto b = bound_.find(v); b != bound_.end()) return b->second;
  std::string key = cacheKey(v, index);
  for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it)
    if (auto f = it->find(key); f != it->end()) return f->second;
  const rt::ValueInfo& info = p_.values[v];
  std::string result;
  // Splat constants (a fusion's scalars) become literals.
  if (isSplat(info)) return literal(info.constant, 0);
  auto def = definer_.find(v);
  if (def == definer_.end()) {
    result = let(registerType(info.type.dtype), load(v, index));
  } else {
    result = compute(p_.instrs[def->second], index);
  }
  scopes_.back()[key] = result;
  return result;
}

std::string KernelEmitter::compute(const rt::Instr& in, const Index& m) {
  const rt::TensorType& rt = type(in.result);
  auto operandAt = [&](size_t i, const Index& idx) { return emit(in.operands[i], idx); };
  switch (in.op) {
    case OpCode::Unary: case OpCode::Binary: case OpCode::Compare: case OpCode::Select:
      return elementwise(in, m);
    case OpCode::Convert:
      return let(registerType(rt.dtype),
                 convertExpr(type(in.operands[0]).dtype, rt.dtype, operandAt(0, m)));
    case OpCode::BitcastConvert:
      return let(registerType(rt.dtype),
                 bitcastExpr(type(in.operands[0]).dtype, rt.dtype, operandAt(0, m)));
    case OpCode::Iota:
      return let(registerType(rt.dtype),
                 convertExpr(DType::I64, rt.dtype, "static_cast<dlc_i64>(" + m[in.axis] + ")"));
    case OpCode::BroadcastInDim: {
      const rt::Shape& xs = type(in.operands[0]).shape;
      Index x(xs.size(), "0");
      for (size_t i = 0; i < xs.size(); ++i)
        if (xs[i] != 1) x[i] = m[in.dims[i]];
      return operandAt(0, x);
    }
    case OpCode::Reshape: {
      if (type(in.operands[0]).shape == rt.shape) return operandAt(0, m);
      return operandAt(0, unflatten(flatten(m, rt.shape), type(in.operands[0]).shape));
    }
    case OpCode::Transpose: {
      Index x(m.size());
      for (size_t i = 0; i < m.size(); ++i) x[in.dims[i]] = m[i];
      return operandAt(0, x);
    }
    case OpCode::Slice: {
      Index x(m.size());
      for (size_t d = 0; d < m.size(); ++d) x[d] = addConst(mul(m[d], in.strides[d]), in.start[d]);
      return operandAt(0, x);
    }
    case OpCode::Reverse: {
      Index x = m;
      for (int64_t d : in.dims)
        if (rt.shape[d] != 1) x[d] = let(idx_, num(rt.shape[d] - 1) + " - " + paren(m[d]), "i");
      return operandAt(0, x);
    }
    case OpCode::Concatenate: return concatenate(in, m);
    case OpCode::Pad: return pad(in, m);
    case OpCode::Gather: return gather(in, m);
    case OpCode::Reduce: return reduce(in, m);
    case OpCode::DotGeneral: return dot(in, m);
    case OpCode::Convolution: return conv(in, m);
    case OpCode::ReduceWindow: return reduceWindow(in, m);
    case OpCode::Scatter: case OpCode::Argsort:
      throw std::logic_error("scatter and argsort are kernels of their own");
  }
  throw std::logic_error("unknown opcode");
}

std::string KernelEmitter::elementwise(const rt::Instr& in, const Index& m) {
  DType t = type(in.operands[0]).dtype;
  DType rtype = type(in.result).dtype;
  std::vector<std::string> a;
  for (size_t i = 0; i < in.operands.size(); ++i) a.push_back(emit(in.operands[i], m));
  std::string reg = registerType(rtype), e;
  bool isF = rt::isFloat(t), isBool = t == DType::I1;
  if (in.op == OpCode::Select) return let(reg, a[0] + " ? " + a[1] + " : " + a[2]);
  if (in.op == OpCode::Compare) {
    static const char* ops[] = {"==", "!=", "<", "<=", ">", ">="};
    return let("bool", a[0] + " " + ops[in.kind] + " " + a[1]);
  }
  if (in.op == OpCode::Unary) {
    auto k = static_cast<rt::UnaryKind>(in.kind);
    if (isBool) {
      e = "!" + a[0];
    } else if (isF) {
      e = k == rt::UnaryKind::Neg ? "-" + a[0] : std::string(unaryFloat(k)) + "(" + a[0] + ")";
      e = roundTo(t, e);
    } else {
      switch (k) {
        case rt::UnaryKind::Neg: e = "dlc_wneg(" + a[0] + ")"; break;
        case rt::UnaryKind::Abs: e = "dlc_iabs(" + a[0] + ")"; break;
        case rt::UnaryKind::Sign: e = "dlc_isign(" + a[0] + ")"; break;
        default: e = "static_cast<" + reg + ">(~" + a[0] + ")"; break;
      }
    }
    return let(reg, e);
  }
  using B = rt::BinaryKind;
  auto k = static_cast<B>(in.kind);
  const std::string &x = a[0], &y = a[1];
  if (isBool) {
    switch (k) {
      case B::And: case B::Min: e = x + " && " + y; break;
      case B::Or: case B::Max: e = x + " || " + y; break;
      default: e = x + " != " + y; break;
    }
  } else if (isF) {
    switch (k) {
      case B::Add: e = x + " + " + y; break;
      case B::Sub: e = x + " - " + y; break;
      case B::Mul: e = x + " * " + y; break;
      case B::Div: e = x + " / " + y; break;
      case B::Pow: e = "dlc_pow(" + x + ", " + y + ")"; break;
      case B::Max: e = "dlc_fmax(" + x + ", " + y + ")"; break;
      case B::Min: e = "dlc_fmin(" + x + ", " + y + ")"; break;
      case B::Rem: e = "dlc_fmod(" + x + ", " + y + ")"; break;
      case B::Atan2: e = "dlc_atan2(" + x + ", " + y + ")"; break;
      default: throw std::logic_error("bitwise op on a float");
    }
    e = roundTo(t, e);
  } else {
    auto call = [&](const char* f) { return std::string(f) + "(" + x + ", " + y + ")"; };
    auto bits = [&](const char* op) { return "static_cast<" + reg + ">(" + x + " " + op + " " + y + ")"; };
    switch (k) {
      case B::Add: e = call("dlc_wadd"); break;
      case B::Sub: e = call("dlc_wsub"); break;
      case B::Mul: e = call("dlc_wmul"); break;
      case B::Div: e = "dlc_idiv(" + x + ", " + y + ", status)"; break;
      case B::Rem: e = "dlc_irem(" + x + ", " + y + ", status)"; break;
      case B::Pow: e = call("dlc_ipow"); break;
      case B::Max: e = call("dlc_imax"); break;
      case B::Min: e = call("dlc_imin"); break;
      case B::And: e = bits("&"); break;
      case B::Or: e = bits("|"); break;
      case B::Xor: e = bits("^"); break;
      case B::ShiftLeft: e = call("dlc_shl"); break;
      case B::ShiftRight: e = call("dlc_shr"); break;
      case B::Atan2: throw std::logic_error("atan2 on an integer");
    }
  }
  return let(reg, e);
}

std::string KernelEmitter::reduce(const rt::Instr& in, const Index& m) {
  const rt::TensorType& xt = type(in.operands[0]);
  DType t = xt.dtype;
  auto kind = static_cast<rt::ReduceKind>(in.kind);
  std::string acc = "acc" + num(next_++);
  w_.line(accumType(t) + " " + acc + " = " + reduceIdentity(t, kind) + ";");
  Index x(xt.shape.size());
  size_t kept = 0;
  std::vector<bool> reduced(xt.shape.size(), false);
  for (int64_t d : in.dims) reduced[d] = true;
  int loops = 0;
  for (size_t d = 0; d < xt.shape.size(); ++d) {
    if (!reduced[d]) { x[d] = m[kept++]; continue; }
    if (xt.shape[d] == 1) { x[d] = "0"; continue; }
    std::string r = "r" + num(next_++);
    w_.open("for (" + idx_ + " " + r + " = 0; " + r + " < " + num(xt.shape[d]) + "; ++" + r + ")");
    x[d] = r;
    ++loops;
  }
  pushScope();
  std::string v = emit(in.operands[0], x);
  w_.line(acc + " = " + reduceCombine(t, kind, acc, v) + ";");
  popScope();
  for (int i = 0; i < loops; ++i) w_.close();
  return let(registerType(t), roundTo(t, acc));
}

std::string KernelEmitter::dot(const rt::Instr& in, const Index& m) {
  const rt::TensorType &lt = type(in.operands[0]), &rtp = type(in.operands[1]);
  DType t = type(in.result).dtype;
  const rt::DotDims& dd = in.dot;
  auto position = [](const std::vector<int64_t>& v, int64_t d) {
    for (size_t i = 0; i < v.size(); ++i)
      if (v[i] == d) return static_cast<int>(i);
    return -1;
  };
  std::vector<std::string> c(dd.lhsContract.size());
  int loops = 0;
  std::string acc = "acc" + num(next_++);
  w_.line(accumType(t) + " " + acc + " = " + intLiteral(t, 0) + ";");
  for (size_t i = 0; i < c.size(); ++i) {
    int64_t size = lt.shape[dd.lhsContract[i]];
    if (size == 1) { c[i] = "0"; continue; }
    c[i] = "c" + num(next_++);
    w_.open("for (" + idx_ + " " + c[i] + " = 0; " + c[i] + " < " + num(size) + "; ++" + c[i] + ")");
    ++loops;
  }
  size_t nb = dd.lhsBatch.size();
  size_t lhsFree = lt.shape.size() - nb - dd.lhsContract.size();
  auto operandIndex = [&](const rt::TensorType& ty, const std::vector<int64_t>& batch,
                          const std::vector<int64_t>& contract, size_t freeStart) {
    Index x(ty.shape.size());
    size_t f = freeStart;
    for (size_t d = 0; d < ty.shape.size(); ++d) {
      int b = position(batch, static_cast<int64_t>(d)), k = position(contract, static_cast<int64_t>(d));
      x[d] = b >= 0 ? m[b] : k >= 0 ? c[k] : m[f++];
    }
    return x;
  };
  pushScope();
  std::string a = emit(in.operands[0], operandIndex(lt, dd.lhsBatch, dd.lhsContract, nb));
  std::string b = emit(in.operands[1], operandIndex(rtp, dd.rhsBatch, dd.rhsContract, nb + lhsFree));
  if (t == DType::I1) w_.line(acc + " = " + acc + " || (" + a + " && " + b + ");");
  else if (rt::isFloat(t)) w_.line(acc + " += " + a + " * " + b + ";");
  else w_.line(acc + " = dlc_wadd(" + acc + ", dlc_wmul(" + a + ", " + b + "));");
  popScope();
  for (int i = 0; i < loops; ++i) w_.close();
  return let(registerType(t), roundTo(t, acc));
}

std::string KernelEmitter::conv(const rt::Instr& in, const Index& m) {
  const rt::TensorType &xt = type(in.operands[0]), &wt = type(in.operands[1]);
  DType t = type(in.result).dtype;
  const rt::ConvParams& cp = in.conv;
  size_t k = xt.shape.size() - 2;
  int64_t cg = wt.shape[1], og = wt.shape[0] / cp.groups;
  std::string acc = "acc" + num(next_++);
  w_.line(accumType(t) + " " + acc + " = " + intLiteral(t, 0) + ";");
  std::string g = og == wt.shape[0] ? "0" : let(idx_, paren(m[1]) + " / " + num(og), "i");
  std::string c = "c" + num(next_++);
  w_.open("for (" + idx_ + " " + c + " = 0; " + c + " < " + num(cg) + "; ++" + c + ")");
  std::vector<std::string> kv(k), pos(k);
  for (size_t i = 0; i < k; ++i) {
    kv[i] = "q" + num(next_++);
    w_.open("for (" + idx_ + " " + kv[i] + " = 0; " + kv[i] + " < " + num(wt.shape[2 + i]) + "; ++" + kv[i] + ")");
  }
  pushScope();
  std::string cond;
  for (size_t i = 0; i < k; ++i) {
    pos[i] = let(idx_, addConst(add(mul(m[2 + i], cp.strides[i]), mul(kv[i], cp.dilations[i])), -cp.padLow[i]), "i");
    cond += (i ? " && " : "") + pos[i] + " >= 0 && " + pos[i] + " < " + num(xt.shape[2 + i]);
  }
  w_.open("if (" + cond + ")");
  pushScope();
  Index xi{m[0], add(mul(g, cg), c)}, wi{m[1], c};
  for (size_t i = 0; i < k; ++i) xi.push_back(pos[i]), wi.push_back(kv[i]);
  std::string a = emit(in.operands[0], xi), b = emit(in.operands[1], wi);
  if (rt::isFloat(t)) w_.line(acc + " += " + a + " * " + b + ";");
  else w_.line(acc + " = dlc_wadd(" + acc + ", dlc_wmul(" + a + ", " + b + "));");
  popScope();
  w_.close();
  popScope();
  for (size_t i = 0; i < k; ++i) w_.close();
  w_.close();
  return let(registerType(t), roundTo(t, acc));
}

std::string KernelEmitter::reduceWindow(const rt::Instr& in, const Index& m) {
  const rt::TensorType& xt = type(in.operands[0]);
  DType t = xt.dtype;
  auto kind = static_cast<rt::ReduceKind>(in.kind);
  const rt::WindowParams& wp = in.window;
  std::string acc = "acc" + num(next_++);
  w_.line(accumType(t) + " " + acc + " = " + reduceIdentity(t, kind) + ";");
  size_t r = xt.shape.size();
  std::vector<std::string> kv(r, "0");
  int loops = 0;
  for (size_t d = 0; d < r; ++d) {
    if (wp.window[d] == 1) continue;
    kv[d] = "q" + num(next_++);
    w_.open("for (" + idx_ + " " + kv[d] + " = 0; " + kv[d] + " < " + num(wp.window[d]) + "; ++" + kv[d] + ")");
    ++loops;
  }
  pushScope();
  Index x(r);
  std::string cond;
  for (size_t d = 0; d < r; ++d) {
    x[d] = addConst(add(mul(m[d], wp.strides[d]), mul(kv[d], wp.dilations[d])), -wp.padLow[d]);
    if (x[d].find(' ') != std::string::npos) x[d] = let(idx_, x[d], "i");
    bool mayLeave = wp.padLow[d] > 0 || wp.padHigh[d] > 0 || wp.window[d] > 1;
    if (mayLeave && xt.shape[d] > 0)
      cond += std::string(cond.empty() ? "" : " && ") + x[d] + " >= 0 && " + x[d] + " < " + num(xt.shape[d]);
  }
  if (!cond.empty()) w_.open("if (" + cond + ")");
  pushScope();
  std::string v = emit(in.operands[0], x);
  w_.line(acc + " = " + reduceCombine(t, kind, acc, v) + ";");
  popScope();
  if (!cond.empty()) w_.close();
  popScope();
  for (int i = 0; i < loops; ++i) w_.close();
  return let(registerType(t), roundTo(t, acc));
}

std::string KernelEmitter::concatenate(const rt::Instr& in, const Index& m) {
  std::string reg = registerType(type(in.result).dtype);
  std::string v = "v" + num(next_++);
  w_.line(reg + " " + v + ";");
  int64_t offset = 0;
  size_t n = in.operands.size();
  for (size_t i = 0; i < n; ++i) {
    int64_t size = type(in.operands[i]).shape[in.axis];
    if (size == 0) continue;
    bool last = true;
    for (size_t j = i + 1; j < n; ++j) last = last && type(in.operands[j]).shape[in.axis] == 0;
    std::string head = offset == 0 ? "if" : "else if";
    if (last) w_.open(offset == 0 ? "" : "else");
    else w_.open(head + " (" + m[in.axis] + " < " + num(offset + size) + ")");
    pushScope();
    Index x = m;
    x[in.axis] = addConst(m[in.axis], -offset);
    w_.line(v + " = " + emit(in.operands[i], x) + ";");
    popScope();
    w_.close();
    offset += size;
    if (last) break;
  }
  return v;
}

std::string KernelEmitter::pad(const rt::Instr& in, const Index& m) {
  const rt::TensorType& xt = type(in.operands[0]);
  std::string reg = registerType(xt.dtype);
  std::string padValue = emit(in.operands[1], {});
  std::string v = "v" + num(next_++);
  w_.line(reg + " " + v + " = " + padValue + ";");
  Index x(m.size());
  std::string cond;
  for (size_t d = 0; d < m.size(); ++d) {
    std::string q = addConst(m[d], -in.low[d]);
    if (q.find(' ') != std::string::npos) q = let(idx_, q, "i");
    int64_t step = in.interior[d] + 1;
    std::string c = q + " >= 0";
    if (step > 1) {
      c += " && " + q + " % " + num(step) + " == 0 && " + q + " / " + num(step) + " < " + num(xt.shape[d]);
      x[d] = q + " / " + num(step);
    } else {
      c += " && " + q + " < " + num(xt.shape[d]);
      x[d] = q;
    }
    cond += (cond.empty() ? "" : " && ") + c;
  }
  if (cond.empty()) cond = "true";
  w_.open("if (" + cond + ")");
  pushScope();
  w_.line(v + " = " + emit(in.operands[0], x) + ";");
  popScope();
  w_.close();
  return v;
}

std::string KernelEmitter::gather(const rt::Instr& in, const Index& m) {
  const rt::TensorType &xt = type(in.operands[0]), &it = type(in.operands[1]);
  size_t ir = it.shape.size(), axis = static_cast<size_t>(in.axis);
  Index ii(m.begin() + axis, m.begin() + axis + ir);
  std::string raw = emit(in.operands[1], ii);
  int64_t n = xt.shape[axis];
  std::string j = "j" + num(next_++);
  w_.line("dlc_i64 " + j + " = " + raw + ";");
  w_.line("if (" + j + " < 0) " + j + " += " + num(n) + ";");
  w_.open("if (" + j + " < 0 || " + j + " >= " + num(n) + ")");
  w_.line("dlc_fail(status, DLC_INDEX_OUT_OF_RANGE);");
  w_.line(j + " = 0;");
  w_.close();
  Index x(m.begin(), m.begin() + axis);
  x.push_back(idx_ == "int" ? "static_cast<int>(" + j + ")" : j);
  x.insert(x.end(), m.begin() + axis + ir, m.end());
  return emit(in.operands[0], x);
}

}  // namespace dlc::codegen::cuda
