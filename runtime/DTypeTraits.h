// Compile-time facts about each DType, a dispatcher from a run-time DType to
// them, and the value conversions that every kernel shares, so that "f16 is
// computed in f32 and rounded once" and "float -> int saturates" are written
// in one place.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "runtime/Tensor.h"

namespace dlc::rt {

// Storage: the type in memory. Compute: the type elementwise math is done in
// (f16/bf16 in float, i1 as bool). Accum: the type sums, products and dots
// accumulate in (double for every float type, int64 for the signed integers
// and uint64 for the unsigned ones, whose results then wrap to the storage
// width).
template <DType D, typename S, typename C, typename A>
struct DTypeTraitsBase {
  static constexpr DType kDType = D;
  using Storage = S;
  using Compute = C;
  using Accum = A;
  static constexpr bool kFloat = std::is_floating_point_v<C>;
  static constexpr bool kBool = std::is_same_v<C, bool>;
  static constexpr bool kInt = !kFloat && !kBool;
  // Unsigned integers: division, remainder, min/max and comparisons differ.
  static constexpr bool kUnsigned = kInt && std::is_unsigned_v<C>;
};

template <DType D>
struct DTypeTraits;

template <>
struct DTypeTraits<DType::F32> : DTypeTraitsBase<DType::F32, float, float, double> {
  static float load(float v) { return v; }
};
template <>
struct DTypeTraits<DType::F16> : DTypeTraitsBase<DType::F16, uint16_t, float, double> {
  static float load(uint16_t v) { return halfToFloat(v); }
};
template <>
struct DTypeTraits<DType::BF16> : DTypeTraitsBase<DType::BF16, uint16_t, float, double> {
  static float load(uint16_t v) { return bf16ToFloat(v); }
};
template <>
struct DTypeTraits<DType::F64> : DTypeTraitsBase<DType::F64, double, double, double> {
  static double load(double v) { return v; }
};
template <>
struct DTypeTraits<DType::I64> : DTypeTraitsBase<DType::I64, int64_t, int64_t, int64_t> {
  static int64_t load(int64_t v) { return v; }
};
template <>
struct DTypeTraits<DType::I32> : DTypeTraitsBase<DType::I32, int32_t, int32_t, int64_t> {
  static int32_t load(int32_t v) { return v; }
};
template <>
struct DTypeTraits<DType::I8> : DTypeTraitsBase<DType::I8, int8_t, int8_t, int64_t> {
  static int8_t load(int8_t v) { return v; }
};
template <>
struct DTypeTraits<DType::I1> : DTypeTraitsBase<DType::I1, uint8_t, bool, int64_t> {
  static bool load(uint8_t v) { return v != 0; }
};
template <>
struct DTypeTraits<DType::I16> : DTypeTraitsBase<DType::I16, int16_t, int16_t, int64_t> {
  static int16_t load(int16_t v) { return v; }
};
template <>
struct DTypeTraits<DType::U8> : DTypeTraitsBase<DType::U8, uint8_t, uint8_t, uint64_t> {
  static uint8_t load(uint8_t v) { return v; }
};
template <>
struct DTypeTraits<DType::U16> : DTypeTraitsBase<DType::U16, uint16_t, uint16_t, uint64_t> {
  static uint16_t load(uint16_t v) { return v; }
};
template <>
struct DTypeTraits<DType::U32> : DTypeTraitsBase<DType::U32, uint32_t, uint32_t, uint64_t> {
  static uint32_t load(uint32_t v) { return v; }
};
template <>
struct DTypeTraits<DType::U64> : DTypeTraitsBase<DType::U64, uint64_t, uint64_t, uint64_t> {
  static uint64_t load(uint64_t v) { return v; }
};

// Calls f(DTypeTraits<t>{}); every branch must return the same type.
template <typename F>
auto visitDType(DType t, F&& f) {
  switch (t) {
    case DType::F32: return f(DTypeTraits<DType::F32>{});
    case DType::F16: return f(DTypeTraits<DType::F16>{});
    case DType::BF16: return f(DTypeTraits<DType::BF16>{});
    case DType::F64: return f(DTypeTraits<DType::F64>{});
    case DType::I64: return f(DTypeTraits<DType::I64>{});
    case DType::I32: return f(DTypeTraits<DType::I32>{});
    case DType::I8: return f(DTypeTraits<DType::I8>{});
    case DType::I1: return f(DTypeTraits<DType::I1>{});
    case DType::I16: return f(DTypeTraits<DType::I16>{});
    case DType::U8: return f(DTypeTraits<DType::U8>{});
    case DType::U16: return f(DTypeTraits<DType::U16>{});
    case DType::U32: return f(DTypeTraits<DType::U32>{});
    case DType::U64: return f(DTypeTraits<DType::U64>{});
  }
  throw std::invalid_argument("invalid dtype code " + std::to_string(static_cast<int>(t)));
}

// The float nearest to the argument in the direction of zero, with its last
// mantissa bit forced to 1 when the conversion was inexact ("round to odd").
// Rounding that float to half or bfloat16 (both much narrower) then gives the
// correctly rounded result: the sticky bit keeps an inexact value off a tie.
float roundToOddFloat(double d);
float roundToOddFloat(int64_t i);
float roundToOddFloat(uint64_t i);

// Float -> integer: truncates toward zero, NaN -> 0, saturates out of range
// (C++ leaves those cases undefined); negative values give 0 for unsigned I.
template <typename I>
I saturateToInt(double v) {
  if (std::isnan(v)) return 0;
  constexpr double lo = static_cast<double>(std::numeric_limits<I>::min());  // -2^(n-1) or 0, exact
  // 2^(value bits): the first value above max(), exact in double.
  const double hiExclusive = std::ldexp(1.0, std::numeric_limits<I>::digits);
  if (v <= lo) return std::numeric_limits<I>::min();
  if (v >= hiExclusive) return std::numeric_limits<I>::max();
  return static_cast<I>(v);
}

// Converts a compute value (float, double, an integer or bool) to the
// storage of D: floats round to nearest even once, float -> int as
// saturateToInt, int -> narrower int wraps (two's complement, also between
// signed and unsigned), -> i1 is v != 0.
template <DType D, typename V>
typename DTypeTraits<D>::Storage storeAs(V v) {
  static_assert(std::is_floating_point_v<V> || std::is_integral_v<V>, "a number or bool");
  using S = typename DTypeTraits<D>::Storage;
  if constexpr (D == DType::F32 || D == DType::F64) {
    return static_cast<S>(v);  // also right for unsigned 64-bit values
  } else if constexpr (D == DType::F16 || D == DType::BF16) {
    float f;
    if constexpr (std::is_same_v<V, float>)
      f = v;
    else if constexpr (std::is_same_v<V, double>)
      f = roundToOddFloat(v);
    else if constexpr (std::is_unsigned_v<V> && !std::is_same_v<V, bool>)
      f = roundToOddFloat(static_cast<uint64_t>(v));
    else
      f = roundToOddFloat(static_cast<int64_t>(v));
    return D == DType::F16 ? floatToHalf(f) : floatToBf16(f);
  } else if constexpr (D == DType::I1) {
    return v != 0 ? 1 : 0;
  } else if constexpr (std::is_floating_point_v<V>) {
    return saturateToInt<S>(v);
  } else {
    // Through uint64: modular, so every integer-to-integer case wraps.
    return static_cast<S>(static_cast<uint64_t>(v));
  }
}

}  // namespace dlc::rt
