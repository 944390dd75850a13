#include "codegen/cuda/CudaTypes.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "runtime/DTypeTraits.h"

namespace dlc::codegen::cuda {

using rt::DType;

std::string storageType(DType t) {
  switch (t) {
    case DType::F16: return "dlc_f16";
    case DType::BF16: return "dlc_bf16";
    case DType::I1: return "dlc_i1";
    default: return registerType(t);
  }
}

std::string registerType(DType t) {
  switch (t) {
    case DType::F32: case DType::F16: case DType::BF16: return "float";
    case DType::F64: return "double";
    case DType::I64: return "dlc_i64";
    case DType::I32: return "int";
    case DType::I16: return "short";
    case DType::I8: return "signed char";
    case DType::I1: return "bool";
    case DType::U8: return "unsigned char";
    case DType::U16: return "unsigned short";
    case DType::U32: return "unsigned";
    case DType::U64: return "dlc_u64";
  }
  throw std::invalid_argument("registerType: bad dtype");
}

std::string accumType(DType t) { return registerType(t); }

std::string roundTo(DType t, const std::string& expr) {
  if (t == DType::F16) return "dlc_round_f16(" + expr + ")";
  if (t == DType::BF16) return "dlc_round_bf16(" + expr + ")";
  return expr;
}

namespace {

std::string floatLiteral(double v, bool isDouble) {
  const char* type = isDouble ? "double" : "float";
  if (std::isnan(v)) return std::string("dlc_nan<") + type + ">()";
  if (std::isinf(v)) return std::string(v < 0 ? "-" : "") + "dlc_inf<" + type + ">()";
  char buf[64];
  if (isDouble) {
    std::snprintf(buf, sizeof buf, "%.17g", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.9g", v);
  }
  std::string s = buf;
  if (s.find_first_of(".eE") == std::string::npos) s += ".0";
  if (!isDouble) s += "f";
  // A negative literal in parentheses, so `a - -1.0f` and `-x` stay readable.
  return s[0] == '-' ? "(" + s + ")" : s;
}

}  // namespace

std::string intLiteral(DType t, int64_t v) {
  switch (t) {
    case DType::I1: return v ? "true" : "false";
    case DType::F32: case DType::F16: case DType::BF16: return floatLiteral(static_cast<double>(v), false);
    case DType::F64: return floatLiteral(static_cast<double>(v), true);
    case DType::U64: return std::to_string(static_cast<uint64_t>(v)) + "ull";
    case DType::I64:
      if (v == std::numeric_limits<int64_t>::min()) return "(-9223372036854775807ll - 1)";
      return "(" + std::to_string(v) + "ll)";
    case DType::I32:
      if (v == std::numeric_limits<int32_t>::min()) return "(-2147483647 - 1)";
      return v < 0 ? "(" + std::to_string(v) + ")" : std::to_string(v);
    case DType::U32: return std::to_string(static_cast<uint32_t>(v)) + "u";
    default: return "static_cast<" + registerType(t) + ">(" + std::to_string(v) + ")";
  }
}

std::string literal(const rt::HostTensor& t, int64_t i) {
  return rt::visitDType(t.dtype(), [&](auto tr) -> std::string {
    using Tr = decltype(tr);
    auto v = Tr::load(t.as<typename Tr::Storage>()[i]);
    if constexpr (Tr::kFloat) return floatLiteral(static_cast<double>(v), t.dtype() == DType::F64);
    else if constexpr (Tr::kBool) return v ? "true" : "false";
    else if constexpr (Tr::kUnsigned) {
      if (t.dtype() == DType::U64) return std::to_string(static_cast<uint64_t>(v)) + "ull";
      return intLiteral(t.dtype(), static_cast<int64_t>(v));
    } else return intLiteral(t.dtype(), static_cast<int64_t>(v));
  });
}

std::string reduceIdentity(DType t, rt::ReduceKind kind) {
  using K = rt::ReduceKind;
  if (t == DType::I1) return (kind == K::Sum || kind == K::Max) ? "false" : "true";
  bool isFloat = rt::isFloat(t);
  switch (kind) {
    case K::Sum: return intLiteral(t, 0);
    case K::Prod: return intLiteral(t, 1);
    case K::Max:
    case K::Min: {
      bool max = kind == K::Max;
      if (isFloat) return floatLiteral(max ? -INFINITY : INFINITY, t == DType::F64);
      return rt::visitDType(t, [&](auto tr) -> std::string {
        using S = typename decltype(tr)::Storage;
        if constexpr (std::is_same_v<S, uint64_t>)
          return max ? "0ull" : "18446744073709551615ull";
        else
          return intLiteral(t, max ? static_cast<int64_t>(std::numeric_limits<S>::lowest())
                                   : static_cast<int64_t>(std::numeric_limits<S>::max()));
      });
    }
  }
  return "0";
}

std::string reduceCombine(DType t, rt::ReduceKind kind, const std::string& a, const std::string& v) {
  using K = rt::ReduceKind;
  if (t == DType::I1)
    return (kind == K::Sum || kind == K::Max) ? "(" + a + " || " + v + ")" : "(" + a + " && " + v + ")";
  if (rt::isFloat(t)) {
    switch (kind) {
      case K::Sum: return a + " + " + v;
      case K::Prod: return a + " * " + v;
      case K::Max: return "dlc_fmax(" + a + ", " + v + ")";
      case K::Min: return "dlc_fmin(" + a + ", " + v + ")";
    }
  }
  switch (kind) {
    case K::Sum: return "dlc_wadd(" + a + ", " + v + ")";
    case K::Prod: return "dlc_wmul(" + a + ", " + v + ")";
    case K::Max: return "dlc_imax(" + a + ", " + v + ")";
    case K::Min: return "dlc_imin(" + a + ", " + v + ")";
  }
  return a;
}

namespace {

// C++ double literals of the saturation bounds of integer type t.
std::string saturate(DType t, const std::string& expr) {
  return rt::visitDType(t, [&](auto tr) -> std::string {
    using S = typename decltype(tr)::Storage;
    char lo[64], hi[64];
    std::snprintf(lo, sizeof lo, "%.17g", static_cast<double>(std::numeric_limits<S>::min()));
    std::snprintf(hi, sizeof hi, "%.17g", std::ldexp(1.0, std::numeric_limits<S>::digits));
    std::string tmin, tmax;
    if constexpr (std::is_same_v<S, uint64_t>) {
      tmin = "0ull";
      tmax = "18446744073709551615ull";
    } else {
      tmin = intLiteral(t, static_cast<int64_t>(std::numeric_limits<S>::min()));
      tmax = intLiteral(t, static_cast<int64_t>(std::numeric_limits<S>::max()));
    }
    return "dlc_sat<" + registerType(t) + ">(static_cast<double>(" + expr + "), " + lo + ", " + hi +
           ", " + tmin + ", " + tmax + ")";
  });
}

}  // namespace

std::string convertExpr(DType from, DType to, const std::string& e) {
  if (from == to) return e;
  bool fromFloat = rt::isFloat(from), toFloat = rt::isFloat(to);
  if (to == DType::I1) return "(" + e + " != 0)";
  if (from == DType::I1) return "static_cast<" + registerType(to) + ">(" + e + " ? 1 : 0)";
  if (to == DType::F32 || to == DType::F64) return "static_cast<" + registerType(to) + ">(" + e + ")";
  if (to == DType::F16 || to == DType::BF16) {
    // A float register (f32/f16/bf16) rounds once; a wider value goes
    // through a round-to-odd float so that it still rounds once.
    if (from == DType::F32 || from == DType::F16 || from == DType::BF16) return roundTo(to, e);
    return roundTo(to, "dlc_odd_float(static_cast<double>(" + e + "))");
  }
  if (fromFloat) return saturate(to, e);
  (void)toFloat;
  // Integer to integer: modular, through uint64.
  return "static_cast<" + registerType(to) + ">(static_cast<dlc_u64>(" + e + "))";
}

std::string bitcastExpr(DType from, DType to, const std::string& e) {
  if (from == to) return e;
  std::string bits;
  switch (from) {
    case DType::F32: bits = "dlc_f32_bits(" + e + ")"; break;
    case DType::F64: bits = "dlc_f64_bits(" + e + ")"; break;
    case DType::F16: bits = "dlc_f2h(" + e + ")"; break;
    case DType::BF16: bits = "dlc_f2bf(" + e + ")"; break;
    case DType::I1: bits = "static_cast<unsigned char>(" + e + ")"; break;
    default: bits = "static_cast<dlc_u64>(" + e + ")"; break;
  }
  switch (to) {
    case DType::F32: return "dlc_bits_f32(static_cast<unsigned>(" + bits + "))";
    case DType::F64: return "dlc_bits_f64(static_cast<dlc_u64>(" + bits + "))";
    case DType::F16: return "dlc_h2f(static_cast<unsigned short>(" + bits + "))";
    case DType::BF16: return "dlc_bf2f(static_cast<unsigned short>(" + bits + "))";
    case DType::I1: return "(" + bits + " != 0)";
    default: return "static_cast<" + registerType(to) + ">(" + bits + ")";
  }
}

}  // namespace dlc::codegen::cuda
