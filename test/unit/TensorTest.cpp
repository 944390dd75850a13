// DType helpers, HostTensor storage, and the half/bfloat16 conversions that
// every other test relies on through makeTensor/values.
#include <cfloat>
#include <cstring>
#include <limits>

#include "TestUtil.h"
#include "runtime/DTypeTraits.h"

namespace dlc::rt::test {
namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

TEST(DType, SizesAndNames) {
  const int64_t sizes[] = {4, 2, 2, 8, 8, 4, 1, 1, 2, 1, 2, 4, 8};
  const char* names[] = {"f32", "f16", "bf16", "f64", "i64", "i32", "i8",
                         "i1",  "i16", "ui8", "ui16", "ui32", "ui64"};
  for (size_t i = 0; i < std::size(kAllDTypes); ++i) {
    EXPECT_EQ(dtypeSize(kAllDTypes[i]), sizes[i]);
    EXPECT_EQ(dtypeName(kAllDTypes[i]), names[i]);
    EXPECT_EQ(dtypeFromName(names[i]), kAllDTypes[i]);
  }
  EXPECT_FALSE(dtypeFromName("f8").has_value());
  EXPECT_TRUE(isFloat(DType::BF16));
  EXPECT_FALSE(isFloat(DType::I1));
  EXPECT_THROW(dtypeSize(static_cast<DType>(42)), std::invalid_argument);
}

TEST(DType, ShapeHelpers) {
  EXPECT_EQ(numElements({}), 1);
  EXPECT_EQ(numElements({2, 0, 3}), 0);
  EXPECT_EQ(numElements({2, 3, 4}), 24);
  EXPECT_EQ(rowMajorStrides({2, 3, 4}), (std::vector<int64_t>{12, 4, 1}));
  EXPECT_EQ(rowMajorStrides({}), std::vector<int64_t>{});
  EXPECT_EQ(shapeString({2, 3, 4}), "2x3x4");
  EXPECT_EQ(shapeString({}), "scalar");
  EXPECT_EQ((TensorType{DType::BF16, {2, 3}}).str(), "tensor<2x3xbf16>");
  EXPECT_EQ((TensorType{DType::I1, {}}).str(), "tensor<i1>");
  EXPECT_EQ((TensorType{DType::F16, {5, 2}}).byteSize(), 20);
}

TEST(HostTensor, ZeroedAlignedAndCopied) {
  HostTensor t(TensorType{DType::F64, {3, 5}});
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data()) % 64, 0u);
  for (int64_t i = 0; i < t.numElements(); ++i) EXPECT_EQ(t.as<double>()[i], 0.0);
  const int32_t bytes[] = {1, -2, 3};
  HostTensor c(TensorType{DType::I32, {3}}, bytes);
  EXPECT_EQ(c.as<int32_t>()[1], -2);
  HostTensor empty(TensorType{DType::F32, {0, 4}});
  EXPECT_NE(empty.data(), nullptr);
  EXPECT_EQ(empty.byteSize(), 0);
  HostTensor scalar(TensorType{DType::I8, {}});
  EXPECT_EQ(scalar.numElements(), 1);
  EXPECT_EQ(scalar.as<int8_t>()[0], 0);
}

TEST(Half, KnownBitPatternsToFloat) {
  EXPECT_EQ(halfToFloat(0x3c00), 1.0f);
  EXPECT_EQ(halfToFloat(0xc000), -2.0f);
  EXPECT_EQ(halfToFloat(0x7bff), 65504.0f);
  EXPECT_EQ(halfToFloat(0x0001), std::ldexp(1.0f, -24));  // smallest denormal
  EXPECT_EQ(halfToFloat(0x03ff), std::ldexp(1023.0f, -24));  // largest denormal
  EXPECT_EQ(halfToFloat(0x0400), std::ldexp(1.0f, -14));  // smallest normal
  EXPECT_EQ(halfToFloat(0x3555), 0.333251953125f);
  EXPECT_EQ(halfToFloat(0x7c00), std::numeric_limits<float>::infinity());
  EXPECT_EQ(halfToFloat(0xfc00), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(halfToFloat(0x7e00)));
  EXPECT_TRUE(std::isnan(halfToFloat(0x7c01)));
  EXPECT_TRUE(std::signbit(halfToFloat(0x8000)));
  EXPECT_EQ(halfToFloat(0x8000), 0.0f);
}

TEST(Half, RoundsToNearestEven) {
  EXPECT_EQ(floatToHalf(1.0f), 0x3c00);
  EXPECT_EQ(floatToHalf(-2.0f), 0xc000);
  EXPECT_EQ(floatToHalf(65504.0f), 0x7bff);
  EXPECT_EQ(floatToHalf(65519.996f), 0x7bff);  // just below the tie with 65536
  EXPECT_EQ(floatToHalf(65520.0f), 0x7c00);    // the tie rounds to even: infinity
  EXPECT_EQ(floatToHalf(1e6f), 0x7c00);
  EXPECT_EQ(floatToHalf(-1e6f), 0xfc00);
  EXPECT_EQ(floatToHalf(1.0f + std::ldexp(1.0f, -11)), 0x3c00);      // tie, even is down
  EXPECT_EQ(floatToHalf(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);  // tie, even is up
  EXPECT_EQ(floatToHalf(1.0f + std::ldexp(1.0f, -11) + std::ldexp(1.0f, -20)), 0x3c01);
  EXPECT_EQ(floatToHalf(0.1f), 0x2e66);
  // Denormals, their ties, and the carry from the largest denormal into the
  // smallest normal.
  EXPECT_EQ(floatToHalf(std::ldexp(1.0f, -24)), 0x0001);
  EXPECT_EQ(floatToHalf(std::ldexp(1.0f, -25)), 0x0000);
  EXPECT_EQ(floatToHalf(std::ldexp(1.0001f, -25)), 0x0001);
  EXPECT_EQ(floatToHalf(std::ldexp(3.0f, -25)), 0x0002);
  EXPECT_EQ(floatToHalf(std::ldexp(5.0f, -25)), 0x0002);
  EXPECT_EQ(floatToHalf(std::ldexp(1.0f, -14) - std::ldexp(1.0f, -25)), 0x0400);
  EXPECT_EQ(floatToHalf(std::ldexp(1.0f, -30)), 0x0000);
  EXPECT_EQ(floatToHalf(-std::ldexp(1.0f, -30)), 0x8000);
  EXPECT_EQ(floatToHalf(FLT_MIN / 4), 0x0000);  // a float denormal
  EXPECT_EQ(floatToHalf(-0.0f), 0x8000);
  EXPECT_EQ(floatToHalf(std::numeric_limits<float>::infinity()), 0x7c00);
  uint16_t nan = floatToHalf(-std::numeric_limits<float>::quiet_NaN());
  EXPECT_EQ(nan & 0x7c00, 0x7c00);
  EXPECT_NE(nan & 0x03ff, 0);
  EXPECT_EQ(nan & 0x8000, 0x8000);
}

// Every finite half survives the round trip through float.
TEST(Half, ExhaustiveRoundTrip) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    if ((h & 0x7c00) == 0x7c00 && (h & 0x3ff)) continue;  // NaN
    ASSERT_EQ(floatToHalf(halfToFloat(static_cast<uint16_t>(h))), h) << std::hex << h;
  }
}

// For random floats, the chosen half is at least as near as both neighbours,
// and on a tie it is the even one.
TEST(Half, NearestOnRandomFloats) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> mant(1.0, 2.0);
  std::uniform_int_distribution<int> exp(-27, 16);
  for (int n = 0; n < 200000; ++n) {
    float f = static_cast<float>(std::ldexp(mant(rng), exp(rng)));
    uint16_t h = floatToHalf(f);
    if (h == 0x7c00) {
      EXPECT_GE(f, 65520.0f);
      continue;
    }
    double err = std::fabs(halfToFloat(h) - static_cast<double>(f));
    for (int step : {-1, 1}) {
      auto nb = static_cast<uint16_t>(h + step);
      if (h == 0 && step < 0) continue;
      double nbErr = std::fabs(halfToFloat(nb) - static_cast<double>(f));
      ASSERT_LE(err, nbErr) << f;
      if (err == nbErr) {
        ASSERT_EQ(h & 1, 0) << f;
      }
    }
  }
}

TEST(BFloat16, KnownBitPatterns) {
  EXPECT_EQ(bf16ToFloat(0x3f80), 1.0f);
  EXPECT_EQ(bf16ToFloat(0x4049), 3.140625f);
  EXPECT_EQ(bf16ToFloat(0xc2f7), -123.5f);
  EXPECT_EQ(bf16ToFloat(0x0001), std::ldexp(1.0f, -133));  // smallest denormal
  EXPECT_EQ(floatToBf16(1.0f), 0x3f80);
  EXPECT_EQ(floatToBf16(3.14159265f), 0x4049);
  EXPECT_EQ(floatToBf16(1.0f + std::ldexp(1.0f, -8)), 0x3f80);      // tie, even is down
  EXPECT_EQ(floatToBf16(1.0f + 3 * std::ldexp(1.0f, -8)), 0x3f82);  // tie, even is up
  EXPECT_EQ(floatToBf16(FLT_MAX), 0x7f80);                          // rounds to infinity
  EXPECT_EQ(floatToBf16(-std::numeric_limits<float>::infinity()), 0xff80);
  EXPECT_EQ(floatToBf16(std::ldexp(1.0f, -133)), 0x0001);
  EXPECT_EQ(floatToBf16(std::ldexp(1.0f, -134)), 0x0000);  // tie to even zero
  EXPECT_EQ(floatToBf16(std::ldexp(3.0f, -134)), 0x0002);  // tie to even two
  EXPECT_EQ(floatToBf16(-0.0f), 0x8000);
  EXPECT_TRUE(std::isnan(bf16ToFloat(floatToBf16(std::numeric_limits<float>::quiet_NaN()))));
  // A NaN whose payload is only in the low 16 bits must not become infinity.
  uint32_t lowPayloadNaN = 0x7f800001;
  float f;
  std::memcpy(&f, &lowPayloadNaN, 4);
  EXPECT_TRUE(std::isnan(bf16ToFloat(floatToBf16(f))));
}

TEST(BFloat16, ExhaustiveRoundTrip) {
  for (uint32_t b = 0; b < 0x10000; ++b) {
    if ((b & 0x7f80) == 0x7f80 && (b & 0x7f)) continue;  // NaN
    ASSERT_EQ(floatToBf16(bf16ToFloat(static_cast<uint16_t>(b))), b) << std::hex << b;
  }
}

// double -> half/bf16 must round once: going through float would first round
// 1 + 2^-11 + 2^-40 to the tie 1 + 2^-11 and then down to 1.
TEST(DoubleToNarrow, RoundsOnce) {
  EXPECT_EQ(doubleToHalf(1.0 + std::ldexp(1.0, -11) + std::ldexp(1.0, -40)), 0x3c01);
  EXPECT_EQ(doubleToHalf(1.0 + std::ldexp(1.0, -11)), 0x3c00);
  EXPECT_EQ(doubleToHalf(1.0 - std::ldexp(1.0, -60)), 0x3c00);
  EXPECT_EQ(doubleToBf16(1.0 + std::ldexp(1.0, -8) + std::ldexp(1.0, -40)), 0x3f81);
  EXPECT_EQ(doubleToBf16(1.0 + std::ldexp(1.0, -8)), 0x3f80);
  EXPECT_EQ(doubleToHalf(1e300), 0x7c00);
  EXPECT_EQ(doubleToBf16(-1e300), 0xff80);
  EXPECT_EQ(doubleToHalf(1e-300), 0x0000);
  EXPECT_EQ(doubleToHalf(-kInf), 0xfc00);
  EXPECT_TRUE(std::isnan(halfToFloat(doubleToHalf(kNaN))));
  EXPECT_EQ(doubleToHalf(65519.99999999), 0x7bff);
}

TEST(LoadStore, EveryDTypeConvertsLikeConvert) {
  auto stored = [](DType t, double v) {
    HostTensor x(TensorType{t, {1}});
    storeFromDouble(x.ref(), 0, v);
    return loadAsDouble(x.cref(), 0);
  };
  EXPECT_EQ(stored(DType::F32, 0.1), static_cast<double>(0.1f));
  EXPECT_EQ(stored(DType::F16, 0.1), 0.0999755859375);
  EXPECT_EQ(stored(DType::BF16, 0.1), 0.10009765625);
  EXPECT_EQ(stored(DType::F64, 0.1), 0.1);
  EXPECT_EQ(stored(DType::I32, 2.9), 2);
  EXPECT_EQ(stored(DType::I32, -2.9), -2);
  EXPECT_EQ(stored(DType::I8, 300.7), 127);
  EXPECT_EQ(stored(DType::I8, -1e10), -128);
  EXPECT_EQ(stored(DType::I64, 1e30), static_cast<double>(std::numeric_limits<int64_t>::max()));
  EXPECT_EQ(stored(DType::I64, -kInf), static_cast<double>(std::numeric_limits<int64_t>::min()));
  EXPECT_EQ(stored(DType::I32, kNaN), 0);
  EXPECT_EQ(stored(DType::I1, 0.5), 1);
  EXPECT_EQ(stored(DType::I1, -0.0), 0);
  EXPECT_EQ(stored(DType::I1, kNaN), 1);
}

TEST(RoundToOdd, IntegersBeyondFloatPrecision) {
  // 2^62 + 2^54 + 1 is just above a bfloat16 tie; converting through double
  // (2^62 + 2^54 exactly) would round it down to 2^62.
  int64_t i = (int64_t(1) << 62) + (int64_t(1) << 54) + 1;
  EXPECT_EQ(floatToBf16(roundToOddFloat(i)), 0x5e81);
  EXPECT_EQ(floatToBf16(roundToOddFloat(static_cast<int64_t>(int64_t(1) << 62) + (int64_t(1) << 54))), 0x5e80);
  EXPECT_EQ(roundToOddFloat(std::numeric_limits<int64_t>::min()), -std::ldexp(1.0f, 63));
  EXPECT_EQ(floatToBf16(roundToOddFloat(std::numeric_limits<int64_t>::max())), 0x5f00);  // 2^63
  EXPECT_EQ(roundToOddFloat(int64_t(12345)), 12345.0f);
}

}  // namespace
}  // namespace dlc::rt::test
