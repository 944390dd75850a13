// Elementwise kernels: unary, binary, compare, select, and the kind names.
#include <cmath>

#include "runtime/host/KernelUtil.h"

namespace dlc::rt {

using namespace detail;

std::string_view unaryKindName(UnaryKind k) {
  switch (k) {
    case UnaryKind::Neg: return "neg";
    case UnaryKind::Abs: return "abs";
    case UnaryKind::Exp: return "exp";
    case UnaryKind::Log: return "log";
    case UnaryKind::Sqrt: return "sqrt";
    case UnaryKind::Rsqrt: return "rsqrt";
    case UnaryKind::Tanh: return "tanh";
    case UnaryKind::Logistic: return "logistic";
    case UnaryKind::Erf: return "erf";
    case UnaryKind::Sin: return "sin";
    case UnaryKind::Cos: return "cos";
    case UnaryKind::Floor: return "floor";
    case UnaryKind::Ceil: return "ceil";
    case UnaryKind::Round: return "round";
    case UnaryKind::Sign: return "sign";
    case UnaryKind::Not: return "not";
  }
  return "?";
}

std::string_view binaryKindName(BinaryKind k) {
  switch (k) {
    case BinaryKind::Add: return "add";
    case BinaryKind::Sub: return "sub";
    case BinaryKind::Mul: return "mul";
    case BinaryKind::Div: return "div";
    case BinaryKind::Pow: return "pow";
    case BinaryKind::Max: return "max";
    case BinaryKind::Min: return "min";
    case BinaryKind::Rem: return "rem";
    case BinaryKind::And: return "and";
    case BinaryKind::Or: return "or";
    case BinaryKind::Xor: return "xor";
    case BinaryKind::Atan2: return "atan2";
    case BinaryKind::ShiftLeft: return "shift_left";
    case BinaryKind::ShiftRight: return "shift_right";
  }
  return "?";
}

std::string_view compareKindName(CompareKind k) {
  switch (k) {
    case CompareKind::EQ: return "eq";
    case CompareKind::NE: return "ne";
    case CompareKind::LT: return "lt";
    case CompareKind::LE: return "le";
    case CompareKind::GT: return "gt";
    case CompareKind::GE: return "ge";
  }
  return "?";
}

std::string_view reduceKindName(ReduceKind k) {
  switch (k) {
    case ReduceKind::Sum: return "sum";
    case ReduceKind::Max: return "max";
    case ReduceKind::Min: return "min";
    case ReduceKind::Prod: return "prod";
  }
  return "?";
}

namespace {

// f maps a compute value (float/double, int64 for integers, bool for i1)
// to a value that storeAs rounds or wraps to the result dtype.
template <typename Tr, typename F>
void mapUnary(ConstTensorRef x, TensorRef out, F f) {
  const auto* in = x.as<typename Tr::Storage>();
  auto* o = out.as<typename Tr::Storage>();
  const int64_t n = out.type.numElements();
  for (int64_t i = 0; i < n; ++i) o[i] = storeAs<Tr::kDType>(f(Tr::load(in[i])));
}

template <typename Tr, typename F>
void mapBinary(ConstTensorRef a, ConstTensorRef b, TensorRef out, F f) {
  const auto* pa = a.as<typename Tr::Storage>();
  const auto* pb = b.as<typename Tr::Storage>();
  auto* o = out.as<typename Tr::Storage>();
  const int64_t n = out.type.numElements();
  for (int64_t i = 0; i < n; ++i) o[i] = storeAs<Tr::kDType>(f(Tr::load(pa[i]), Tr::load(pb[i])));
}

// Round half to even without depending on the FP environment's rounding mode.
template <typename T>
T roundHalfEven(T v) {
  if (!std::isfinite(v)) return v;
  T f = std::floor(v);
  T diff = v - f;  // exact
  if (diff < T(0.5)) return f;
  if (diff > T(0.5)) return f + 1;
  return std::fmod(f, T(2)) == 0 ? f : f + 1;
}

template <typename T>
T logistic(T v) {
  // Two forms so that exp never overflows.
  if (v >= 0) return T(1) / (T(1) + std::exp(-v));
  T e = std::exp(v);
  return e / (T(1) + e);
}

[[noreturn]] void unsupportedUnary(UnaryKind k, DType t) {
  throwUnsupported("unary " + std::string(unaryKindName(k)), t);
}
[[noreturn]] void unsupportedBinary(BinaryKind k, DType t) {
  throwUnsupported("binary " + std::string(binaryKindName(k)), t);
}

template <typename Tr>
void unaryFloat(UnaryKind kind, ConstTensorRef x, TensorRef out) {
  using C = typename Tr::Compute;
  switch (kind) {
    case UnaryKind::Neg: return mapUnary<Tr>(x, out, [](C v) { return -v; });
    case UnaryKind::Abs: return mapUnary<Tr>(x, out, [](C v) { return std::fabs(v); });
    case UnaryKind::Exp: return mapUnary<Tr>(x, out, [](C v) { return std::exp(v); });
    case UnaryKind::Log: return mapUnary<Tr>(x, out, [](C v) { return std::log(v); });
    case UnaryKind::Sqrt: return mapUnary<Tr>(x, out, [](C v) { return std::sqrt(v); });
    case UnaryKind::Rsqrt: return mapUnary<Tr>(x, out, [](C v) { return C(1) / std::sqrt(v); });
    case UnaryKind::Tanh: return mapUnary<Tr>(x, out, [](C v) { return std::tanh(v); });
    case UnaryKind::Logistic: return mapUnary<Tr>(x, out, [](C v) { return logistic(v); });
    case UnaryKind::Erf: return mapUnary<Tr>(x, out, [](C v) { return std::erf(v); });
    case UnaryKind::Sin: return mapUnary<Tr>(x, out, [](C v) { return std::sin(v); });
    case UnaryKind::Cos: return mapUnary<Tr>(x, out, [](C v) { return std::cos(v); });
    case UnaryKind::Floor: return mapUnary<Tr>(x, out, [](C v) { return std::floor(v); });
    case UnaryKind::Ceil: return mapUnary<Tr>(x, out, [](C v) { return std::ceil(v); });
    case UnaryKind::Round: return mapUnary<Tr>(x, out, [](C v) { return roundHalfEven(v); });
    case UnaryKind::Sign:  // NaN and signed zeros are returned as they are
      return mapUnary<Tr>(x, out, [](C v) { return v > 0 ? C(1) : v < 0 ? C(-1) : v; });
    case UnaryKind::Not: break;
  }
  unsupportedUnary(kind, Tr::kDType);
}

template <typename Tr>
void unaryInt(UnaryKind kind, ConstTensorRef x, TensorRef out) {
  switch (kind) {
    case UnaryKind::Neg: return mapUnary<Tr>(x, out, [](int64_t v) { return wrapNeg(v); });
    case UnaryKind::Abs:  // abs(INT_MIN) wraps to INT_MIN, as in numpy and torch
      return mapUnary<Tr>(x, out, [](int64_t v) { return v < 0 ? wrapNeg(v) : v; });
    case UnaryKind::Sign:
      return mapUnary<Tr>(x, out, [](int64_t v) { return int64_t(v > 0) - int64_t(v < 0); });
    case UnaryKind::Not: return mapUnary<Tr>(x, out, [](int64_t v) { return ~v; });
    default: unsupportedUnary(kind, Tr::kDType);
  }
}

int64_t intPow(int64_t base, int64_t exp) {
  if (exp < 0) {  // 1/base^|exp| truncates to 0 unless |base| == 1
    if (base == 1) return 1;
    if (base == -1) return (exp & 1) ? -1 : 1;
    return 0;
  }
  int64_t result = 1;
  while (exp > 0) {
    if (exp & 1) result = wrapMul(result, base);
    base = wrapMul(base, base);
    exp >>= 1;
  }
  return result;
}

template <typename Tr>
void binaryFloat(BinaryKind kind, ConstTensorRef a, ConstTensorRef b, TensorRef out) {
  using C = typename Tr::Compute;
  switch (kind) {
    case BinaryKind::Add: return mapBinary<Tr>(a, b, out, [](C x, C y) { return x + y; });
    case BinaryKind::Sub: return mapBinary<Tr>(a, b, out, [](C x, C y) { return x - y; });
    case BinaryKind::Mul: return mapBinary<Tr>(a, b, out, [](C x, C y) { return x * y; });
    case BinaryKind::Div: return mapBinary<Tr>(a, b, out, [](C x, C y) { return x / y; });
    case BinaryKind::Pow: return mapBinary<Tr>(a, b, out, [](C x, C y) { return std::pow(x, y); });
    case BinaryKind::Max: return mapBinary<Tr>(a, b, out, [](C x, C y) { return nanMax(x, y); });
    case BinaryKind::Min: return mapBinary<Tr>(a, b, out, [](C x, C y) { return nanMin(x, y); });
    case BinaryKind::Rem: return mapBinary<Tr>(a, b, out, [](C x, C y) { return std::fmod(x, y); });
    case BinaryKind::Atan2: return mapBinary<Tr>(a, b, out, [](C y, C x) { return std::atan2(y, x); });
    default: unsupportedBinary(kind, Tr::kDType);
  }
}

template <typename Tr>
void binaryInt(BinaryKind kind, ConstTensorRef a, ConstTensorRef b, TensorRef out) {
  using I = int64_t;
  static constexpr I kBits = 8 * sizeof(typename Tr::Storage);
  switch (kind) {
    case BinaryKind::Add: return mapBinary<Tr>(a, b, out, [](I x, I y) { return wrapAdd(x, y); });
    case BinaryKind::Sub: return mapBinary<Tr>(a, b, out, [](I x, I y) { return wrapSub(x, y); });
    case BinaryKind::Mul: return mapBinary<Tr>(a, b, out, [](I x, I y) { return wrapMul(x, y); });
    case BinaryKind::Div:
      return mapBinary<Tr>(a, b, out, [](I x, I y) {
        if (y == 0) throw KernelError("integer division by zero");
        return y == -1 ? wrapNeg(x) : x / y;  // INT_MIN / -1 wraps instead of trapping
      });
    case BinaryKind::Rem:
      return mapBinary<Tr>(a, b, out, [](I x, I y) {
        if (y == 0) throw KernelError("integer division by zero");
        return y == -1 ? I(0) : x % y;
      });
    case BinaryKind::Pow: return mapBinary<Tr>(a, b, out, [](I x, I y) { return intPow(x, y); });
    case BinaryKind::Max: return mapBinary<Tr>(a, b, out, [](I x, I y) { return std::max(x, y); });
    case BinaryKind::Min: return mapBinary<Tr>(a, b, out, [](I x, I y) { return std::min(x, y); });
    case BinaryKind::And: return mapBinary<Tr>(a, b, out, [](I x, I y) { return x & y; });
    case BinaryKind::Or: return mapBinary<Tr>(a, b, out, [](I x, I y) { return x | y; });
    case BinaryKind::Xor: return mapBinary<Tr>(a, b, out, [](I x, I y) { return x ^ y; });
    case BinaryKind::Atan2: break;
    case BinaryKind::ShiftLeft:
      return mapBinary<Tr>(a, b, out, [](I x, I y) {
        return y < 0 || y >= kBits ? I(0) : static_cast<I>(static_cast<uint64_t>(x) << y);
      });
    case BinaryKind::ShiftRight:  // arithmetic: x < 0 shifts in ones
      return mapBinary<Tr>(a, b, out, [](I x, I y) {
        if (y < 0 || y >= kBits) return x < 0 ? I(-1) : I(0);
        return x < 0 ? ~(~x >> y) : x >> y;  // ~x >= 0, so no shift of a negative
      });
  }
  unsupportedBinary(kind, Tr::kDType);
}

// Unsigned integers: Abs is the identity and Sign is 0 or 1; Neg and Not
// wrap as for the signed ones.
template <typename Tr>
void unaryUnsigned(UnaryKind kind, ConstTensorRef x, TensorRef out) {
  using U = uint64_t;
  switch (kind) {
    case UnaryKind::Abs: return mapUnary<Tr>(x, out, [](U v) { return v; });
    case UnaryKind::Sign: return mapUnary<Tr>(x, out, [](U v) { return U(v != 0); });
    default: return unaryInt<Tr>(kind, x, out);
  }
}

uint64_t uintPow(uint64_t base, uint64_t exp) {
  uint64_t result = 1;  // unsigned multiplication wraps
  while (exp > 0) {
    if (exp & 1) result *= base;
    base *= base;
    exp >>= 1;
  }
  return result;
}

// Unsigned integers: division, remainder, max, min and pow compare or divide
// as unsigned (values up to 2^64 - 1); the wrapping kinds (add, sub, mul,
// bitwise) give the same bits as in two's complement, so they are shared.
template <typename Tr>
void binaryUnsigned(BinaryKind kind, ConstTensorRef a, ConstTensorRef b, TensorRef out) {
  using U = uint64_t;
  static constexpr U kBits = 8 * sizeof(typename Tr::Storage);
  switch (kind) {
    case BinaryKind::Div:
      return mapBinary<Tr>(a, b, out, [](U x, U y) {
        if (y == 0) throw KernelError("integer division by zero");
        return x / y;
      });
    case BinaryKind::Rem:
      return mapBinary<Tr>(a, b, out, [](U x, U y) {
        if (y == 0) throw KernelError("integer division by zero");
        return x % y;
      });
    case BinaryKind::Pow: return mapBinary<Tr>(a, b, out, [](U x, U y) { return uintPow(x, y); });
    case BinaryKind::Max: return mapBinary<Tr>(a, b, out, [](U x, U y) { return std::max(x, y); });
    case BinaryKind::Min: return mapBinary<Tr>(a, b, out, [](U x, U y) { return std::min(x, y); });
    case BinaryKind::ShiftRight:  // logical; the shift amount is unsigned too
      return mapBinary<Tr>(a, b, out, [](U x, U y) { return y >= kBits ? U(0) : x >> y; });
    case BinaryKind::ShiftLeft:
      return mapBinary<Tr>(a, b, out, [](U x, U y) { return y >= kBits ? U(0) : x << y; });
    default: return binaryInt<Tr>(kind, a, b, out);
  }
}

template <typename Tr>
void binaryBool(BinaryKind kind, ConstTensorRef a, ConstTensorRef b, TensorRef out) {
  switch (kind) {
    case BinaryKind::And:
    case BinaryKind::Min: return mapBinary<Tr>(a, b, out, [](bool x, bool y) { return x && y; });
    case BinaryKind::Or:
    case BinaryKind::Max: return mapBinary<Tr>(a, b, out, [](bool x, bool y) { return x || y; });
    case BinaryKind::Xor: return mapBinary<Tr>(a, b, out, [](bool x, bool y) { return x != y; });
    default: unsupportedBinary(kind, Tr::kDType);
  }
}

template <typename Tr, typename F>
void mapCompare(ConstTensorRef a, ConstTensorRef b, TensorRef out, F f) {
  const auto* pa = a.as<typename Tr::Storage>();
  const auto* pb = b.as<typename Tr::Storage>();
  auto* o = out.as<uint8_t>();
  const int64_t n = out.type.numElements();
  for (int64_t i = 0; i < n; ++i) o[i] = f(Tr::load(pa[i]), Tr::load(pb[i])) ? 1 : 0;
}

}  // namespace

void unary(UnaryKind kind, ConstTensorRef x, TensorRef out) {
  visitDType(x.type.dtype, [&](auto tr) {
    using Tr = decltype(tr);
    if constexpr (Tr::kFloat) {
      unaryFloat<Tr>(kind, x, out);
    } else if constexpr (Tr::kUnsigned) {
      unaryUnsigned<Tr>(kind, x, out);
    } else if constexpr (Tr::kInt) {
      unaryInt<Tr>(kind, x, out);
    } else {
      if (kind != UnaryKind::Not) unsupportedUnary(kind, Tr::kDType);
      mapUnary<Tr>(x, out, [](bool v) { return !v; });
    }
  });
}

void binary(BinaryKind kind, ConstTensorRef a, ConstTensorRef b, TensorRef out) {
  visitDType(a.type.dtype, [&](auto tr) {
    using Tr = decltype(tr);
    if constexpr (Tr::kFloat)
      binaryFloat<Tr>(kind, a, b, out);
    else if constexpr (Tr::kUnsigned)
      binaryUnsigned<Tr>(kind, a, b, out);
    else if constexpr (Tr::kInt)
      binaryInt<Tr>(kind, a, b, out);
    else
      binaryBool<Tr>(kind, a, b, out);
  });
}

// IEEE semantics: every comparison with NaN is false except NE.
void compare(CompareKind kind, ConstTensorRef a, ConstTensorRef b, TensorRef out) {
  visitDType(a.type.dtype, [&](auto tr) {
    using Tr = decltype(tr);
    switch (kind) {
      case CompareKind::EQ: return mapCompare<Tr>(a, b, out, [](auto x, auto y) { return x == y; });
      case CompareKind::NE: return mapCompare<Tr>(a, b, out, [](auto x, auto y) { return x != y; });
      case CompareKind::LT: return mapCompare<Tr>(a, b, out, [](auto x, auto y) { return x < y; });
      case CompareKind::LE: return mapCompare<Tr>(a, b, out, [](auto x, auto y) { return x <= y; });
      case CompareKind::GT: return mapCompare<Tr>(a, b, out, [](auto x, auto y) { return x > y; });
      case CompareKind::GE: return mapCompare<Tr>(a, b, out, [](auto x, auto y) { return x >= y; });
    }
  });
}

void select(ConstTensorRef pred, ConstTensorRef onTrue, ConstTensorRef onFalse, TensorRef out) {
  visitDType(out.type.dtype, [&](auto tr) {
    using S = typename decltype(tr)::Storage;
    const auto* p = pred.as<uint8_t>();
    const S* t = onTrue.as<S>();
    const S* f = onFalse.as<S>();
    S* o = out.as<S>();
    const int64_t n = out.type.numElements();
    for (int64_t i = 0; i < n; ++i) o[i] = p[i] ? t[i] : f[i];
  });
}

}  // namespace dlc::rt
