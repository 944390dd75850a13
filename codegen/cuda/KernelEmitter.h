// Elemental code generation for one Program kernel (as XLA's elemental IR
// emitter): every value of the kernel can be computed at a multi-index, as
// an expression of its operands at derived indices; kernel inputs are loaded
// from memory. Values and index expressions used at the same index are
// computed once (a cache keyed by value and index text, scoped to the loop
// bodies of reductions, dots, convolutions and windows).
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "runtime/Program.h"

namespace dlc::codegen::cuda {

using Index = std::vector<std::string>;  // one C++ expression per dimension

// Writes lines with indentation.
class CodeWriter {
 public:
  void line(const std::string& s) { out_ += std::string(2 * indent_, ' ') + s + "\n"; }
  void open(const std::string& s) { line(s + " {"); ++indent_; }
  void close(const std::string& tail = "") { --indent_; line("}" + tail); }
  int indent() const { return indent_; }
  void setIndent(int i) { indent_ = i; }
  const std::string& str() const { return out_; }

 private:
  std::string out_;
  int indent_ = 0;
};

// `body` without the index variables (`const int NAME = ...;` lines, whose
// initialisers have no side effects) that nothing reads: unflatten declares every dimension's index, and paths
// working on flat indices read few of them (the compiler would drop them,
// with a warning each).
std::string dropUnusedIndices(const std::string& body);

class KernelEmitter {
 public:
  // idxType: "int" when every size fits in 31 bits, else "dlc_i64".
  KernelEmitter(const rt::Program& p, const rt::Kernel& k, CodeWriter& w, std::string idxType);

  // The register value of `value` at `index` (a variable name or a literal).
  std::string emit(int32_t value, const Index& index);
  // Multi-index of a row-major flat index expression in `shape`.
  Index unflatten(const std::string& flat, const rt::Shape& shape);
  // Row-major flat index expression of `index` in `shape`.
  std::string flatten(const Index& index, const rt::Shape& shape);
  // Declares a fresh index/register variable with `expr`, returns its name.
  std::string let(const std::string& type, const std::string& expr, const char* prefix = "v");
  void pushScope() { scopes_.emplace_back(); }
  void popScope() { scopes_.pop_back(); }
  // `value` is the register `name` at every index (a row kernel's reduction
  // result, the same for every element of the row being computed).
  void bind(int32_t value, const std::string& name) { bound_[value] = name; }
  // `value` at `index` is the register `name` until the current scope ends
  // (a row kernel's input element already loaded into a register).
  void preset(int32_t value, const Index& index, const std::string& name);
  // The load expression of memory value v at index (recorded as a read).
  std::string load(int32_t v, const Index& index);
  // Loads of memory value v at the flat index `flat` (the exact expression
  // text) become `expr` (an element of a vector already loaded).
  void overrideLoad(int32_t v, const std::string& flat, const std::string& expr) {
    loadOverrides_[std::to_string(v) + "@" + flat] = expr;
  }
  // Computes as if value v had type `t` (same element count: a vectorised
  // loop sees every value as one flat dimension).
  void retype(int32_t v, rt::TensorType t) { retyped_[v] = std::move(t); }

  // A constant whose elements are all equal: emitted as a literal, never read.
  static bool isSplat(const rt::ValueInfo& info);
  // The C++ name of the pointer to value id v's buffer (a kernel parameter).
  static std::string ptr(int32_t v) { return "p" + std::to_string(v); }
  // Values read from memory (inputs and non-splat constants), in first-use order.
  const std::vector<int32_t>& memoryReads() const { return reads_; }
  bool definedHere(int32_t v) const { return definer_.count(v) > 0; }
  const std::string& idxType() const { return idx_; }

 private:
  std::string compute(const rt::Instr& in, const Index& index);
  std::string elementwise(const rt::Instr& in, const Index& index);
  std::string reduce(const rt::Instr& in, const Index& index);
  std::string dot(const rt::Instr& in, const Index& index);
  std::string conv(const rt::Instr& in, const Index& index);
  std::string reduceWindow(const rt::Instr& in, const Index& index);
  std::string concatenate(const rt::Instr& in, const Index& index);
  std::string pad(const rt::Instr& in, const Index& index);
  std::string gather(const rt::Instr& in, const Index& index);
  static std::string cacheKey(int32_t v, const Index& index);
  const rt::TensorType& type(int32_t v) const {
    auto r = retyped_.find(v);
    return r == retyped_.end() ? p_.values[v].type : r->second;
  }

  const rt::Program& p_;
  const rt::Kernel& k_;
  CodeWriter& w_;
  std::string idx_;
  std::map<int32_t, int32_t> definer_;  // value id -> instr index
  std::vector<std::map<std::string, std::string>> scopes_;
  std::map<int32_t, std::string> bound_;
  std::map<std::string, std::string> loadOverrides_;
  std::map<int32_t, rt::TensorType> retyped_;
  // flatten(unflatten(f, shape), shape) is f: keyed by shape and index text.
  std::map<std::string, std::string> flatOf_;
  std::vector<int32_t> reads_;
  std::set<int32_t> readSet_;
  int next_ = 0;
};

}  // namespace dlc::codegen::cuda
