// convert between every pair of dtypes, and iota.
#include <limits>

#include "TestUtil.h"

namespace dlc::rt::test {
namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

HostTensor runConvert(const HostTensor& x, DType to) {
  HostTensor out(TensorType{to, x.shape()});
  convert(x.cref(), out.ref());
  return out;
}

TEST(Convert, FloatToIntTruncatesAndSaturates) {
  for (DType from : kFloatDTypes) {
    SCOPED_TRACE(std::string(dtypeName(from)));
    HostTensor x = makeTensor(from, {8}, {2.75, -2.75, 0.5, -0.5, kNaN, kInf, -kInf, 1e30});
    expectValues(runConvert(x, DType::I32),
                 {2, -2, 0, 0, 0, 2147483647.0, -2147483648.0, 2147483647.0});
    expectValues(runConvert(x, DType::I8), {2, -2, 0, 0, 0, 127, -128, 127});
    HostTensor i64 = runConvert(x, DType::I64);
    EXPECT_EQ(i64.as<int64_t>()[5], std::numeric_limits<int64_t>::max());
    EXPECT_EQ(i64.as<int64_t>()[6], std::numeric_limits<int64_t>::min());
  }
  HostTensor x = makeTensor(DType::F64, {4}, {300.7, -300.7, 2147483647.9, -2147483648.9});
  expectValues(runConvert(x, DType::I8), {127, -128, 127, -128});
  expectValues(runConvert(x, DType::I32), {300, -300, 2147483647.0, -2147483648.0});
}

TEST(Convert, FloatToUnsignedSaturatesAtZeroAndMax) {
  HostTensor x = makeTensor(DType::F32, {6}, {-3.5, 2.75, 300, kNaN, kInf, -0.5});
  expectValues(runConvert(x, DType::U8), {0, 2, 255, 0, 255, 0});
  expectValues(runConvert(x, DType::U16), {0, 2, 300, 0, 65535, 0});
  HostTensor big = makeTensor(DType::F64, {2}, {1e30, 18446744073709549568.0});  // 2^64 - 2^11
  HostTensor u = runConvert(big, DType::U64);
  EXPECT_EQ(u.as<uint64_t>()[0], ~uint64_t(0));
  EXPECT_EQ(u.as<uint64_t>()[1], ~uint64_t(0) - 2047);
}

TEST(Convert, SignedAndUnsignedWrapIntoEachOther) {
  HostTensor x = makeTensor(DType::I64, {3}, {-1, 256, 65537});
  expectValues(runConvert(x, DType::U8), {255, 0, 1});
  expectValues(runConvert(x, DType::U16), {65535, 256, 1});
  expectValues(runConvert(x, DType::U32), {4294967295.0, 256, 65537});
  HostTensor u(TensorType{DType::U64, {2}});
  u.as<uint64_t>()[0] = ~uint64_t(0);
  u.as<uint64_t>()[1] = uint64_t(1) << 63;
  HostTensor i = runConvert(u, DType::I64);
  EXPECT_EQ(i.as<int64_t>()[0], -1);
  EXPECT_EQ(i.as<int64_t>()[1], std::numeric_limits<int64_t>::min());
  expectValues(runConvert(makeTensor(DType::U8, {2}, {255, 128}), DType::I8), {-1, -128});
  expectValues(runConvert(makeTensor(DType::I16, {2}, {-32768, 300}), DType::I8), {0, 44});
}

TEST(Convert, LargeUnsignedToFloats) {
  HostTensor u(TensorType{DType::U64, {2}});
  u.as<uint64_t>()[0] = ~uint64_t(0);                                   // 2^64 - 1
  u.as<uint64_t>()[1] = (uint64_t(1) << 63) + (uint64_t(1) << 55) + 1;  // above a bf16 tie
  HostTensor d = runConvert(u, DType::F64);
  EXPECT_EQ(d.as<double>()[0], 18446744073709551616.0);
  HostTensor bf = runConvert(u, DType::BF16);
  EXPECT_EQ(bf.as<uint16_t>()[1], 0x5f01);  // rounded once, up
  HostTensor f = runConvert(u, DType::F32);
  EXPECT_EQ(f.as<float>()[0], 18446744073709551616.0f);
}

TEST(Convert, IntToNarrowerIntWraps) {
  HostTensor x = makeTensor(DType::I64, {4}, {300, -129, 128, -1});
  expectValues(runConvert(x, DType::I8), {44, 127, -128, -1});
  HostTensor y = makeTensor(DType::I8, {2}, {-128, 127});
  expectValues(runConvert(y, DType::I64), {-128, 127});
}

TEST(Convert, ToBoolIsNonZero) {
  for (DType from : kAllDTypes) {
    SCOPED_TRACE(std::string(dtypeName(from)));
    bool f = isFloat(from);
    double nonZero = from == DType::I1 ? 1.0 : isUnsigned(from) ? 200.0 : -2.0;
    HostTensor x = makeTensor(from, {4}, {0, nonZero, f ? -0.0 : 0.0, 1});
    expectValues(runConvert(x, DType::I1), {0, 1, 0, 1});
  }
  HostTensor x = makeTensor(DType::F32, {2}, {kNaN, 0.25});
  expectValues(runConvert(x, DType::I1), {1, 1});
}

TEST(Convert, BoolToAny) {
  HostTensor b = makeTensor(DType::I1, {2}, {1, 0});
  for (DType to : kAllDTypes) expectValues(runConvert(b, to), {1, 0});
}

TEST(Convert, FloatsRoundOnceToNearestEven) {
  // f64 -> f16 directly, not through f32 (which would round twice).
  HostTensor d = makeTensor(DType::F64, {3}, {1.0 + std::ldexp(1.0, -11) + std::ldexp(1.0, -40), 0.1, 1e10});
  HostTensor h = runConvert(d, DType::F16);
  EXPECT_EQ(h.as<uint16_t>()[0], 0x3c01);
  EXPECT_EQ(h.as<uint16_t>()[1], 0x2e66);
  EXPECT_EQ(h.as<uint16_t>()[2], 0x7c00);
  HostTensor bf = runConvert(d, DType::BF16);
  EXPECT_EQ(bf.as<uint16_t>()[1], 0x3dcd);
  // f16 <-> bf16 <-> f32 of exactly representable values are exact.
  HostTensor small = makeTensor(DType::F16, {3}, {1.5, -0.125, 0});
  expectValues(runConvert(runConvert(small, DType::BF16), DType::F32), {1.5, -0.125, 0});
  // f32 -> bf16 of a value that is not exact rounds to nearest.
  HostTensor f = makeTensor(DType::F32, {1}, {1.0 + 3 * std::ldexp(1.0, -9)});
  expectValues(runConvert(f, DType::BF16), {1.0 + std::ldexp(1.0, -7)});
}

TEST(Convert, LargeIntegersToFloats) {
  HostTensor i(TensorType{DType::I64, {3}});
  i.as<int64_t>()[0] = 16777217;                                         // 2^24 + 1
  i.as<int64_t>()[1] = (int64_t(1) << 62) + (int64_t(1) << 54) + 1;       // above a bf16 tie
  i.as<int64_t>()[2] = 70000;
  HostTensor f = runConvert(i, DType::F32);
  EXPECT_EQ(f.as<float>()[0], 16777216.0f);
  HostTensor bf = runConvert(i, DType::BF16);
  EXPECT_EQ(bf.as<uint16_t>()[1], 0x5e81);
  HostTensor h = runConvert(i, DType::F16);
  EXPECT_EQ(h.as<uint16_t>()[2], 0x7c00);  // beyond 65504
  HostTensor d = runConvert(i, DType::F64);
  EXPECT_EQ(d.as<double>()[0], 16777217.0);
}

TEST(Convert, EveryPairOnSmallIntegers) {
  // Small integers are exact in every dtype, so any path must keep them
  // (i1 gets only 0 and 1, unsigned dtypes no negative values).
  for (DType from : kAllDTypes)
    for (DType to : kAllDTypes) {
      SCOPED_TRACE(std::string(dtypeName(from)) + " -> " + std::string(dtypeName(to)));
      bool boolish = from == DType::I1 || to == DType::I1;
      double low = isUnsigned(from) || isUnsigned(to) ? 3 : -3;
      std::vector<double> v = boolish ? std::vector<double>{0, 1, 1} : std::vector<double>{low, 0, 100};
      expectValues(runConvert(makeTensor(from, {3}, v), to), v);
    }
}

TEST(Convert, EmptyAndScalar) {
  EXPECT_EQ(runConvert(makeEmpty(DType::F32, {0}), DType::I8).numElements(), 0);
  expectValues(runConvert(makeTensor(DType::F32, {}, {-7.9}), DType::I32), {-7});
}

TEST(BitcastConvert, KeepsTheBits) {
  HostTensor f = makeTensor(DType::F32, {2}, {1.0, -2.0});
  HostTensor i(TensorType{DType::I32, {2}});
  bitcastConvert(f.cref(), i.ref());
  EXPECT_EQ(i.as<int32_t>()[0], 0x3f800000);
  EXPECT_EQ(static_cast<uint32_t>(i.as<int32_t>()[1]), 0xc0000000u);
  HostTensor b = makeTensor(DType::I1, {2}, {1, 0});
  HostTensor u(TensorType{DType::U8, {2}});
  bitcastConvert(b.cref(), u.ref());
  expectValues(u, {1, 0});
  HostTensor wide(TensorType{DType::I64, {2}});
  EXPECT_THROW(bitcastConvert(f.cref(), wide.ref()), std::invalid_argument);
}

TEST(Iota, AlongEachDimension) {
  HostTensor a(TensorType{DType::I32, {2, 3}});
  iota(0, a.ref());
  expectValues(a, {0, 0, 0, 1, 1, 1});
  HostTensor b(TensorType{DType::F16, {2, 3}});
  iota(1, b.ref());
  expectValues(b, {0, 1, 2, 0, 1, 2});
  HostTensor c(TensorType{DType::I1, {3}});
  iota(0, c.ref());
  expectValues(c, {0, 1, 1});
  HostTensor d(TensorType{DType::I64, {2, 0, 3}});
  EXPECT_NO_THROW(iota(1, d.ref()));
  HostTensor e(TensorType{DType::F64, {2, 2, 2}});
  iota(1, e.ref());
  expectValues(e, {0, 0, 1, 1, 0, 0, 1, 1});
}

}  // namespace
}  // namespace dlc::rt::test
