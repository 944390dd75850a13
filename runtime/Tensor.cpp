#include "runtime/Tensor.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <new>

#include "runtime/DTypeTraits.h"

namespace dlc::rt {

namespace {

constexpr size_t kAlignment = 64;

uint32_t floatBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

float bitsToFloat(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// Rounds `value` right by `shift` bits (1..31), to nearest, ties to even.
uint32_t shiftRoundEven(uint32_t value, int shift) {
  uint32_t q = value >> shift;
  uint32_t rem = value & ((1u << shift) - 1);
  uint32_t half = 1u << (shift - 1);
  if (rem > half || (rem == half && (q & 1))) ++q;
  return q;
}

}  // namespace

void HostTensor::Free::operator()(void* p) const { std::free(p); }

HostTensor::HostTensor(TensorType type) : type_(std::move(type)) {
  // Never a null pointer, even for an empty tensor, so that memcpy/memset on
  // zero bytes stay defined; aligned_alloc wants a multiple of the alignment.
  size_t bytes = static_cast<size_t>(type_.byteSize());
  size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  if (rounded == 0) rounded = kAlignment;
  void* p = std::aligned_alloc(kAlignment, rounded);
  if (!p) throw std::bad_alloc();
  std::memset(p, 0, rounded);
  storage_.reset(p);
}

HostTensor::HostTensor(TensorType type, const void* bytes) : HostTensor(std::move(type)) {
  if (byteSize() > 0) std::memcpy(data(), bytes, static_cast<size_t>(byteSize()));
}

void fillWithElement(TensorRef t, const void* element) {
  auto size = static_cast<size_t>(dtypeSize(t.type.dtype));
  auto total = static_cast<size_t>(t.type.byteSize());
  if (total == 0) return;
  auto* out = static_cast<char*>(t.data);
  std::memcpy(out, element, size);
  // Doubling copies: log2(n) memcpy calls, each of what is already filled.
  for (size_t done = size; done < total;) {
    size_t n = std::min(done, total - done);
    std::memcpy(out + done, out, n);
    done += n;
  }
}

double loadAsDouble(ConstTensorRef t, int64_t i) {
  return visitDType(t.type.dtype, [&](auto tr) {
    using Tr = decltype(tr);
    return static_cast<double>(Tr::load(t.as<typename Tr::Storage>()[i]));
  });
}

void storeFromDouble(TensorRef t, int64_t i, double v) {
  visitDType(t.type.dtype, [&](auto tr) {
    using Tr = decltype(tr);
    t.as<typename Tr::Storage>()[i] = storeAs<Tr::kDType>(v);
  });
}

float halfToFloat(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ff;
  if (exp == 0) {  // zero or denormal: mant * 2^-24, exact in float
    float f = std::ldexp(static_cast<float>(mant), -24);
    return sign ? -f : f;
  }
  if (exp == 31) return bitsToFloat(sign | 0x7f800000 | (mant << 13));  // inf / NaN
  return bitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
}

uint16_t floatToHalf(float f) {
  uint32_t x = floatBits(f);
  auto sign = static_cast<uint16_t>((x >> 16) & 0x8000);
  uint32_t a = x & 0x7fffffff;
  if (a > 0x7f800000)  // NaN: quiet, keeping the top payload bits
    return sign | 0x7e00 | static_cast<uint16_t>((a >> 13) & 0x3ff);
  if (a >= 0x477ff000) return sign | 0x7c00;  // >= 65520 (inf included) rounds to inf
  if (a >= 0x38800000) {                      // normal half: >= 2^-14
    uint32_t rebased = a - (112u << 23);      // float exponent bias 127 -> half bias 15
    return sign | static_cast<uint16_t>(shiftRoundEven(rebased, 13));
  }
  if (a <= 0x33000000) return sign;  // <= 2^-25 rounds to zero (2^-25 is a tie to 0)
  // Denormal half: the value in units of 2^-24 is mant24 * 2^(exp - 150 + 24).
  uint32_t exp = a >> 23;
  uint32_t mant = (a & 0x7fffff) | 0x800000;
  // A carry to 0x400 is the smallest normal, which is the right encoding.
  return sign | static_cast<uint16_t>(shiftRoundEven(mant, static_cast<int>(126 - exp)));
}

float bf16ToFloat(uint16_t b) { return bitsToFloat(static_cast<uint32_t>(b) << 16); }

uint16_t floatToBf16(float f) {
  uint32_t x = floatBits(f);
  if ((x & 0x7fffffff) > 0x7f800000) return static_cast<uint16_t>((x >> 16) | 0x0040);  // quiet NaN
  // bfloat16 is float with the low 16 bits dropped, so rounding those bits
  // handles denormals and overflow to inf (the carry reaches the exponent).
  return static_cast<uint16_t>(shiftRoundEven(x, 16));
}

uint16_t doubleToHalf(double d) { return floatToHalf(roundToOddFloat(d)); }
uint16_t doubleToBf16(double d) { return floatToBf16(roundToOddFloat(d)); }

namespace {
float forceOdd(float towardZero) { return bitsToFloat(floatBits(towardZero) | 1); }
}  // namespace

float roundToOddFloat(double d) {
  float f = static_cast<float>(d);  // nearest even; inf when d is beyond FLT_MAX
  if (std::isnan(d) || static_cast<double>(f) == d) return f;
  if (std::fabs(static_cast<double>(f)) > std::fabs(d)) f = std::nextafter(f, 0.0f);
  return forceOdd(f);
}

float roundToOddFloat(int64_t i) {
  float f = static_cast<float>(i);  // nearest even; may be 2^63, beyond int64
  constexpr float k2p63 = 9223372036854775808.0f;
  bool beyond = f >= k2p63;
  if (!beyond && static_cast<int64_t>(f) == i) return f;
  bool awayFromZero = beyond || (i > 0 ? static_cast<int64_t>(f) > i : static_cast<int64_t>(f) < i);
  if (awayFromZero) f = std::nextafter(f, 0.0f);
  return forceOdd(f);
}

float roundToOddFloat(uint64_t i) {
  float f = static_cast<float>(i);  // nearest even; may be 2^64, beyond uint64
  constexpr float k2p64 = 18446744073709551616.0f;
  bool beyond = f >= k2p64;
  if (!beyond && static_cast<uint64_t>(f) == i) return f;
  if (beyond || static_cast<uint64_t>(f) > i) f = std::nextafter(f, 0.0f);
  return forceOdd(f);
}

}  // namespace dlc::rt
