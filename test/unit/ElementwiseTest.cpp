// unary, binary, compare and select against std:: math in double and against
// hand-written tables of the integer and NaN semantics.
#include <functional>
#include <limits>

#include "TestUtil.h"

namespace dlc::rt::test {
namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

HostTensor runUnary(UnaryKind k, const HostTensor& x) {
  HostTensor out(x.type());
  unary(k, x.cref(), out.ref());
  return out;
}

HostTensor runBinary(BinaryKind k, const HostTensor& a, const HostTensor& b) {
  HostTensor out(a.type());
  binary(k, a.cref(), b.cref(), out.ref());
  return out;
}

HostTensor runCompare(CompareKind k, const HostTensor& a, const HostTensor& b) {
  HostTensor out(TensorType{DType::I1, a.shape()});
  compare(k, a.cref(), b.cref(), out.ref());
  return out;
}

std::vector<double> mapRef(const std::vector<double>& x, const std::function<double(double)>& f) {
  std::vector<double> y;
  for (double v : x) y.push_back(f(v));
  return y;
}

class UnaryFloat : public ::testing::TestWithParam<DType> {};

TEST_P(UnaryFloat, MatchesStdMathInDouble) {
  const DType t = GetParam();
  // Exact in every float dtype; the positive ones feed log/sqrt/rsqrt.
  const std::vector<double> any = {-3.5, -1.0, -0.375, 0.0, 0.25, 0.5, 1.5, 2.75};
  const std::vector<double> positive = {0.125, 0.5, 1.0, 1.5, 4.0, 100.0};
  struct Case {
    UnaryKind kind;
    std::function<double(double)> ref;
    bool positiveOnly;
  };
  const Case cases[] = {
      {UnaryKind::Neg, [](double v) { return -v; }, false},
      {UnaryKind::Abs, [](double v) { return std::fabs(v); }, false},
      {UnaryKind::Exp, [](double v) { return std::exp(v); }, false},
      {UnaryKind::Log, [](double v) { return std::log(v); }, true},
      {UnaryKind::Sqrt, [](double v) { return std::sqrt(v); }, true},
      {UnaryKind::Rsqrt, [](double v) { return 1 / std::sqrt(v); }, true},
      {UnaryKind::Tanh, [](double v) { return std::tanh(v); }, false},
      {UnaryKind::Logistic, [](double v) { return 1 / (1 + std::exp(-v)); }, false},
      {UnaryKind::Erf, [](double v) { return std::erf(v); }, false},
      {UnaryKind::Sin, [](double v) { return std::sin(v); }, false},
      {UnaryKind::Cos, [](double v) { return std::cos(v); }, false},
      {UnaryKind::Floor, [](double v) { return std::floor(v); }, false},
      {UnaryKind::Ceil, [](double v) { return std::ceil(v); }, false},
      {UnaryKind::Sign, [](double v) { return double((v > 0) - (v < 0)); }, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(unaryKindName(c.kind)));
    const std::vector<double>& in = c.positiveOnly ? positive : any;
    HostTensor x = makeTensor(t, {2, static_cast<int64_t>(in.size()) / 2}, in);
    // Computed in float (f32/f16/bf16) or double, then rounded once.
    double tol = std::max(roundingTolerance(t), 1e-6);
    expectNear(values(runUnary(c.kind, x)), mapRef(in, c.ref), 2 * tol, tol);
  }
}

TEST_P(UnaryFloat, RoundHalfToEven) {
  HostTensor x = makeTensor(GetParam(), {10}, {0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.25, 2.75, -2.75, 7});
  expectValues(runUnary(UnaryKind::Round, x), {0, 2, 2, -0.0, -2, -2, 2, 3, -3, 7});
}

TEST_P(UnaryFloat, SpecialValues) {
  const DType t = GetParam();
  HostTensor x = makeTensor(t, {4}, {kNaN, kInf, -kInf, -0.0});
  expectValues(runUnary(UnaryKind::Round, x), {kNaN, kInf, -kInf, -0.0});
  expectValues(runUnary(UnaryKind::Sign, x), {kNaN, 1, -1, 0});
  expectValues(runUnary(UnaryKind::Logistic, x), {kNaN, 1, 0, 0.5});
  // The logistic never overflows into NaN at large magnitudes.
  HostTensor big = makeTensor(t, {2}, {-1000, 1000});
  expectValues(runUnary(UnaryKind::Logistic, big), {0, 1});
  EXPECT_THROW(runUnary(UnaryKind::Not, x), std::invalid_argument);
}

INSTANTIATE_TEST_SUITE_P(Floats, UnaryFloat, ::testing::ValuesIn(kFloatDTypes), dtypeParamName);

TEST(UnaryInt, NegAbsSignNotWrap) {
  HostTensor x = makeTensor(DType::I8, {5}, {-128, -3, 0, 5, 127});
  expectValues(runUnary(UnaryKind::Neg, x), {-128, 3, 0, -5, -127});
  expectValues(runUnary(UnaryKind::Abs, x), {-128, 3, 0, 5, 127});
  expectValues(runUnary(UnaryKind::Sign, x), {-1, -1, 0, 1, 1});
  expectValues(runUnary(UnaryKind::Not, x), {127, 2, -1, -6, -128});
  HostTensor big(TensorType{DType::I64, {2}});
  big.as<int64_t>()[0] = std::numeric_limits<int64_t>::min();
  big.as<int64_t>()[1] = -(int64_t(1) << 40);
  HostTensor neg = runUnary(UnaryKind::Neg, big);
  EXPECT_EQ(neg.as<int64_t>()[0], std::numeric_limits<int64_t>::min());
  EXPECT_EQ(neg.as<int64_t>()[1], int64_t(1) << 40);
  HostTensor i32 = makeTensor(DType::I32, {2}, {5, -100000});
  expectValues(runUnary(UnaryKind::Not, i32), {-6, 99999});
  expectValues(runUnary(UnaryKind::Abs, i32), {5, 100000});
}

TEST(UnaryInt, MathOpsAreRejected) {
  HostTensor x = makeTensor(DType::I32, {1}, {4});
  EXPECT_THROW(runUnary(UnaryKind::Exp, x), std::invalid_argument);
  EXPECT_THROW(runUnary(UnaryKind::Sqrt, x), std::invalid_argument);
  HostTensor b = makeTensor(DType::I1, {1}, {1});
  EXPECT_THROW(runUnary(UnaryKind::Neg, b), std::invalid_argument);
}

TEST(UnaryBool, Not) {
  HostTensor x = makeTensor(DType::I1, {2}, {0, 1});
  expectValues(runUnary(UnaryKind::Not, x), {1, 0});
}

TEST(Unary, EmptyAndScalar) {
  HostTensor e = makeEmpty(DType::F32, {3, 0});
  EXPECT_EQ(runUnary(UnaryKind::Exp, e).numElements(), 0);
  HostTensor s = makeTensor(DType::F64, {}, {-2});
  expectValues(runUnary(UnaryKind::Abs, s), {2});
}

class BinaryFloat : public ::testing::TestWithParam<DType> {};

TEST_P(BinaryFloat, MatchesDoubleArithmetic) {
  const DType t = GetParam();
  HostTensor a = randomTensor(t, {4, 9}, 1);
  HostTensor b = randomTensor(t, {4, 9}, 2);
  HostTensor absA = runUnary(UnaryKind::Abs, a);
  std::vector<double> va = values(a), vb = values(b), vAbsA = values(absA);
  auto ref = [&](const std::vector<double>& x, const std::function<double(double, double)>& f) {
    std::vector<double> r;
    for (size_t i = 0; i < x.size(); ++i) r.push_back(f(x[i], vb[i]));
    return r;
  };
  double tol = roundingTolerance(t);
  expectNear(values(runBinary(BinaryKind::Add, a, b)), ref(va, std::plus<double>()), tol);
  expectNear(values(runBinary(BinaryKind::Sub, a, b)), ref(va, std::minus<double>()), tol);
  expectNear(values(runBinary(BinaryKind::Mul, a, b)), ref(va, std::multiplies<double>()), tol);
  expectNear(values(runBinary(BinaryKind::Div, a, b)), ref(va, std::divides<double>()), tol);
  expectNear(values(runBinary(BinaryKind::Max, a, b)),
             ref(va, [](double x, double y) { return std::max(x, y); }), 0);
  expectNear(values(runBinary(BinaryKind::Min, a, b)),
             ref(va, [](double x, double y) { return std::min(x, y); }), 0);
  expectNear(values(runBinary(BinaryKind::Rem, a, b)),
             ref(va, [](double x, double y) { return std::fmod(x, y); }), tol);
  expectNear(values(runBinary(BinaryKind::Pow, absA, b)),
             ref(vAbsA, [](double x, double y) { return std::pow(x, y); }), 4 * std::max(tol, 1e-6));
}

TEST_P(BinaryFloat, MaxMinPropagateNaN) {
  const DType t = GetParam();
  HostTensor a = makeTensor(t, {4}, {kNaN, 1, kNaN, -kInf});
  HostTensor b = makeTensor(t, {4}, {1, kNaN, kNaN, 2});
  expectValues(runBinary(BinaryKind::Max, a, b), {kNaN, kNaN, kNaN, 2});
  expectValues(runBinary(BinaryKind::Min, a, b), {kNaN, kNaN, kNaN, -kInf});
}

TEST_P(BinaryFloat, RemHasTheSignOfTheDividend) {
  HostTensor a = makeTensor(GetParam(), {4}, {7.5, -7.5, 7.5, -7.5});
  HostTensor b = makeTensor(GetParam(), {4}, {2, 2, -2, -2});
  expectValues(runBinary(BinaryKind::Rem, a, b), {1.5, -1.5, 1.5, -1.5});
  HostTensor z = makeTensor(GetParam(), {4}, {0, 0, 0, 0});
  expectValues(runBinary(BinaryKind::Div, a, z), {kInf, -kInf, kInf, -kInf});
}

// atan2(y, x) is the angle of (x, y): every quadrant, the axes and the
// signed zeros, as C atan2 (computed in float and rounded once).
TEST_P(BinaryFloat, Atan2CoversTheFourQuadrants) {
  const DType t = GetParam();
  const double pi = 3.14159265358979323846;
  HostTensor y = makeTensor(t, {8}, {1, 1, -1, -1, 0, 0, -0.0, 2});
  HostTensor x = makeTensor(t, {8}, {1, -1, -1, 1, -1, 1, -1, 0});
  double tol = std::max(roundingTolerance(t), 1e-6);
  std::vector<double> got = values(runBinary(BinaryKind::Atan2, y, x));
  expectNear(got, {pi / 4, 3 * pi / 4, -3 * pi / 4, -pi / 4, pi, 0, -pi, pi / 2}, 2 * tol, tol);
  EXPECT_TRUE(std::signbit(got[6]));  // atan2(-0, -1) = -pi
  HostTensor nan = makeTensor(t, {2}, {kNaN, 1});
  HostTensor one = makeTensor(t, {2}, {1, kNaN});
  expectValues(runBinary(BinaryKind::Atan2, nan, one), {kNaN, kNaN});
}

TEST_P(BinaryFloat, LogicalOpsAreRejected) {
  HostTensor a = makeTensor(GetParam(), {1}, {1});
  EXPECT_THROW(runBinary(BinaryKind::And, a, a), std::invalid_argument);
}

INSTANTIATE_TEST_SUITE_P(Floats, BinaryFloat, ::testing::ValuesIn(kFloatDTypes), dtypeParamName);

class BinaryInt : public ::testing::TestWithParam<DType> {};

TEST_P(BinaryInt, DivTruncatesAndRemFollowsTheDividend) {
  HostTensor a = makeTensor(GetParam(), {6}, {7, -7, 7, -7, 0, 6});
  HostTensor b = makeTensor(GetParam(), {6}, {2, 2, -2, -2, 3, 3});
  expectValues(runBinary(BinaryKind::Div, a, b), {3, -3, -3, 3, 0, 2});
  expectValues(runBinary(BinaryKind::Rem, a, b), {1, -1, 1, -1, 0, 0});
}

TEST_P(BinaryInt, DivisionByZeroThrows) {
  HostTensor a = makeTensor(GetParam(), {2}, {1, 2});
  HostTensor b = makeTensor(GetParam(), {2}, {1, 0});
  for (BinaryKind k : {BinaryKind::Div, BinaryKind::Rem}) {
    try {
      runBinary(k, a, b);
      ADD_FAILURE() << "no exception for " << binaryKindName(k);
    } catch (const KernelError& e) {
      EXPECT_STREQ(e.what(), "integer division by zero");
    }
  }
}

TEST_P(BinaryInt, PowByRepeatedMultiplication) {
  HostTensor a = makeTensor(GetParam(), {9}, {2, 3, 2, -1, -1, 1, 0, -2, 5});
  HostTensor b = makeTensor(GetParam(), {9}, {6, 0, -1, -3, -2, -5, -1, 3, 1});
  expectValues(runBinary(BinaryKind::Pow, a, b), {64, 1, 0, -1, 1, 1, 0, -8, 5});
}

TEST_P(BinaryInt, BitwiseAndMinMax) {
  HostTensor a = makeTensor(GetParam(), {3}, {12, -1, -8});
  HostTensor b = makeTensor(GetParam(), {3}, {10, 5, 3});
  expectValues(runBinary(BinaryKind::And, a, b), {8, 5, 0});
  expectValues(runBinary(BinaryKind::Or, a, b), {14, -1, -5});
  expectValues(runBinary(BinaryKind::Xor, a, b), {6, -6, -5});
  expectValues(runBinary(BinaryKind::Max, a, b), {12, 5, 3});
  expectValues(runBinary(BinaryKind::Min, a, b), {10, -1, -8});
  expectValues(runBinary(BinaryKind::Sub, a, b), {2, -6, -11});
}

INSTANTIATE_TEST_SUITE_P(Ints, BinaryInt,
                         ::testing::Values(DType::I64, DType::I32, DType::I16, DType::I8),
                         dtypeParamName);

TEST(BinaryInt, Atan2IsRejected) {
  HostTensor a = makeTensor(DType::I32, {1}, {1});
  EXPECT_THROW(runBinary(BinaryKind::Atan2, a, a), std::invalid_argument);
}

// --- unsigned integers: the kinds whose result depends on signedness --------

// A u64 tensor from raw values (beyond int64 and beyond double's precision).
HostTensor u64(std::initializer_list<uint64_t> v) {
  HostTensor t(TensorType{DType::U64, {static_cast<int64_t>(v.size())}});
  std::copy(v.begin(), v.end(), t.as<uint64_t>());
  return t;
}

std::vector<uint64_t> u64Values(const HostTensor& t) {
  return std::vector<uint64_t>(t.as<uint64_t>(), t.as<uint64_t>() + t.numElements());
}

class BinaryUnsigned : public ::testing::TestWithParam<DType> {};

TEST_P(BinaryUnsigned, ArithmeticOnSmallValues) {
  HostTensor a = makeTensor(GetParam(), {5}, {7, 200, 0, 6, 254});
  HostTensor b = makeTensor(GetParam(), {5}, {2, 3, 9, 6, 1});
  expectValues(runBinary(BinaryKind::Div, a, b), {3, 66, 0, 1, 254});
  expectValues(runBinary(BinaryKind::Rem, a, b), {1, 2, 0, 0, 0});
  expectValues(runBinary(BinaryKind::Max, a, b), {7, 200, 9, 6, 254});
  expectValues(runBinary(BinaryKind::Min, a, b), {2, 3, 0, 6, 1});
  expectValues(runBinary(BinaryKind::Add, a, b), {9, 203, 9, 12, 255});
  expectValues(runBinary(BinaryKind::And, a, b), {2, 0, 0, 6, 0});
  expectValues(runBinary(BinaryKind::Pow, b, makeTensor(GetParam(), {5}, {3, 2, 1, 0, 7})),
               {8, 9, 9, 1, 1});
  expectValues(runCompare(CompareKind::GT, a, b), {1, 1, 0, 0, 1});
  HostTensor zero = makeTensor(GetParam(), {5}, {1, 1, 0, 1, 1});
  EXPECT_THROW(runBinary(BinaryKind::Div, a, zero), KernelError);
}

INSTANTIATE_TEST_SUITE_P(Unsigned, BinaryUnsigned, ::testing::ValuesIn(kUnsignedDTypes),
                         dtypeParamName);

TEST(BinaryUnsigned, WrapAtTheWidth) {
  HostTensor a = makeTensor(DType::U8, {3}, {250, 3, 16});
  HostTensor b = makeTensor(DType::U8, {3}, {10, 5, 16});
  expectValues(runBinary(BinaryKind::Add, a, b), {4, 8, 32});
  expectValues(runBinary(BinaryKind::Sub, a, b), {240, 254, 0});
  expectValues(runBinary(BinaryKind::Mul, a, b), {196, 15, 0});
  expectValues(runUnary(UnaryKind::Neg, b), {246, 251, 240});
  expectValues(runUnary(UnaryKind::Not, b), {245, 250, 239});
  expectValues(runUnary(UnaryKind::Abs, a), {250, 3, 16});
  expectValues(runUnary(UnaryKind::Sign, makeTensor(DType::U8, {2}, {0, 200})), {0, 1});
}

TEST(BinaryUnsigned, U64BeyondInt64) {
  const uint64_t big = ~uint64_t(0) - 4;  // 2^64 - 5: negative if read as int64
  HostTensor a = u64({big, big, 3, big});
  HostTensor b = u64({3, 1, big, 2});
  EXPECT_EQ(u64Values(runBinary(BinaryKind::Div, a, b)),
            (std::vector<uint64_t>{big / 3, big, 0, big / 2}));
  EXPECT_EQ(u64Values(runBinary(BinaryKind::Rem, a, b)),
            (std::vector<uint64_t>{big % 3, 0, 3, big % 2}));
  EXPECT_EQ(u64Values(runBinary(BinaryKind::Max, a, b)), (std::vector<uint64_t>{big, big, big, big}));
  EXPECT_EQ(u64Values(runBinary(BinaryKind::Min, a, b)), (std::vector<uint64_t>{3, 1, 3, 2}));
  EXPECT_EQ(u64Values(runBinary(BinaryKind::Add, a, b)),
            (std::vector<uint64_t>{0 - uint64_t(2), big + 1, big + 3, big + 2}));
  expectValues(runCompare(CompareKind::LT, a, b), {0, 0, 1, 0});
  EXPECT_EQ(u64Values(runUnary(UnaryKind::Abs, a))[0], big);
  EXPECT_EQ(u64Values(runUnary(UnaryKind::Sign, a))[0], 1u);
}

TEST(BinaryInt, ArithmeticWraps) {
  HostTensor a = makeTensor(DType::I8, {3}, {127, -128, 100});
  HostTensor b = makeTensor(DType::I8, {3}, {1, -1, 3});
  expectValues(runBinary(BinaryKind::Add, a, b), {-128, 127, 103});
  expectValues(runBinary(BinaryKind::Mul, a, b), {127, -128, 44});
  expectValues(runBinary(BinaryKind::Div, a, b), {127, -128, 33});  // -128 / -1 wraps
  expectValues(runBinary(BinaryKind::Rem, a, b), {0, 0, 1});
  HostTensor c = makeTensor(DType::I8, {1}, {2});
  HostTensor e = makeTensor(DType::I8, {1}, {7});
  expectValues(runBinary(BinaryKind::Pow, c, e), {-128});
  HostTensor x(TensorType{DType::I64, {2}}), y(TensorType{DType::I64, {2}});
  x.as<int64_t>()[0] = std::numeric_limits<int64_t>::max();
  y.as<int64_t>()[0] = 1;
  x.as<int64_t>()[1] = std::numeric_limits<int64_t>::min();
  y.as<int64_t>()[1] = -1;
  HostTensor sum = runBinary(BinaryKind::Add, x, y);
  EXPECT_EQ(sum.as<int64_t>()[0], std::numeric_limits<int64_t>::min());
  HostTensor quot = runBinary(BinaryKind::Div, x, y);
  EXPECT_EQ(quot.as<int64_t>()[1], std::numeric_limits<int64_t>::min());
}

// Shifts by amounts in and outside [0, bit width): no undefined behaviour,
// every bit shifted out gives 0 (or -1 for a negative signed value shifted right).
TEST(Shift, SignedIntegers) {
  for (DType t : {DType::I64, DType::I32, DType::I16, DType::I8}) {
    SCOPED_TRACE(std::string(dtypeName(t)));
    const double bits = 8.0 * static_cast<double>(dtypeSize(t));
    HostTensor a = makeTensor(t, {6}, {1, -1, 5, -16, 3, -7});
    HostTensor b = makeTensor(t, {6}, {3, 3, 0, 2, -1, bits});
    expectValues(runBinary(BinaryKind::ShiftLeft, a, b), {8, -8, 5, -64, 0, 0});
    expectValues(runBinary(BinaryKind::ShiftRight, a, b), {0, -1, 5, -4, 0, -1});
  }
  // Bits shifted past the top are lost, and the sign bit may be reached.
  HostTensor a = makeTensor(DType::I8, {2}, {64, 3});
  HostTensor b = makeTensor(DType::I8, {2}, {1, 7});
  expectValues(runBinary(BinaryKind::ShiftLeft, a, b), {-128, -128});
  EXPECT_THROW(runBinary(BinaryKind::ShiftLeft, makeTensor(DType::F32, {1}, {1}),
                         makeTensor(DType::F32, {1}, {1})),
               std::invalid_argument);
}

TEST(Shift, UnsignedIntegersAreLogical) {
  for (DType t : kUnsignedDTypes) {
    SCOPED_TRACE(std::string(dtypeName(t)));
    const double bits = 8.0 * static_cast<double>(dtypeSize(t));
    HostTensor a = makeTensor(t, {5}, {1, 200, 200, 7, 255});
    HostTensor b = makeTensor(t, {5}, {3, 1, 3, bits, bits - 1});
    HostTensor left = runBinary(BinaryKind::ShiftLeft, a, b);
    std::vector<double> want = {8, 400, 1600, 0, std::ldexp(1.0, static_cast<int>(bits) - 1)};
    if (t == DType::U8) want = {8, 144, 64, 0, 128};  // wrapped at 8 bits
    expectValues(left, want);
    expectValues(runBinary(BinaryKind::ShiftRight, a, b), {0, 100, 25, 0, bits == 8 ? 1.0 : 0.0});
  }
  HostTensor top = u64({~uint64_t(0)});
  EXPECT_EQ(u64Values(runBinary(BinaryKind::ShiftRight, top, u64({63})))[0], 1u);
}

TEST(BinaryBool, TruthTables) {
  HostTensor a = makeTensor(DType::I1, {4}, {0, 0, 1, 1});
  HostTensor b = makeTensor(DType::I1, {4}, {0, 1, 0, 1});
  expectValues(runBinary(BinaryKind::And, a, b), {0, 0, 0, 1});
  expectValues(runBinary(BinaryKind::Or, a, b), {0, 1, 1, 1});
  expectValues(runBinary(BinaryKind::Xor, a, b), {0, 1, 1, 0});
  expectValues(runBinary(BinaryKind::Max, a, b), {0, 1, 1, 1});
  expectValues(runBinary(BinaryKind::Min, a, b), {0, 0, 0, 1});
  EXPECT_THROW(runBinary(BinaryKind::Add, a, b), std::invalid_argument);
}

TEST(Binary, EmptyAndScalar) {
  HostTensor e = makeEmpty(DType::I32, {0, 5});
  EXPECT_NO_THROW(runBinary(BinaryKind::Div, e, e));  // no element, no division by zero
  HostTensor s = makeTensor(DType::BF16, {}, {1.5});
  expectValues(runBinary(BinaryKind::Mul, s, s), {2.25});
}

TEST(Compare, FloatsFollowIEEE) {
  for (DType t : kFloatDTypes) {
    SCOPED_TRACE(std::string(dtypeName(t)));
    HostTensor a = makeTensor(t, {5}, {1, 2, 3, kNaN, -0.0});
    HostTensor b = makeTensor(t, {5}, {2, 2, 2, kNaN, 0.0});
    expectValues(runCompare(CompareKind::EQ, a, b), {0, 1, 0, 0, 1});
    expectValues(runCompare(CompareKind::NE, a, b), {1, 0, 1, 1, 0});
    expectValues(runCompare(CompareKind::LT, a, b), {1, 0, 0, 0, 0});
    expectValues(runCompare(CompareKind::LE, a, b), {1, 1, 0, 0, 1});
    expectValues(runCompare(CompareKind::GT, a, b), {0, 0, 1, 0, 0});
    expectValues(runCompare(CompareKind::GE, a, b), {0, 1, 1, 0, 1});
  }
}

TEST(Compare, IntegersAndBool) {
  for (DType t : {DType::I64, DType::I32, DType::I16, DType::I8}) {
    HostTensor a = makeTensor(t, {3}, {-5, 7, 100});
    HostTensor b = makeTensor(t, {3}, {3, 7, -100});
    expectValues(runCompare(CompareKind::LT, a, b), {1, 0, 0});
    expectValues(runCompare(CompareKind::GE, a, b), {0, 1, 1});
  }
  HostTensor a = makeTensor(DType::I1, {3}, {0, 1, 1});
  HostTensor b = makeTensor(DType::I1, {3}, {1, 0, 1});
  expectValues(runCompare(CompareKind::LT, a, b), {1, 0, 0});
  expectValues(runCompare(CompareKind::EQ, a, b), {0, 0, 1});
}

TEST(Select, EveryDType) {
  HostTensor pred = makeTensor(DType::I1, {2, 2}, {1, 0, 0, 1});
  for (DType t : kAllDTypes) {
    SCOPED_TRACE(std::string(dtypeName(t)));
    HostTensor a = makeTensor(t, {2, 2}, {1, 1, 1, 1});
    HostTensor b = makeTensor(t, {2, 2}, {0, 0, 0, 0});
    HostTensor out(a.type());
    select(pred.cref(), a.cref(), b.cref(), out.ref());
    expectValues(out, {1, 0, 0, 1});
  }
}

TEST(KindNames, AreTheIRSpellings) {
  EXPECT_EQ(unaryKindName(UnaryKind::Logistic), "logistic");
  EXPECT_EQ(binaryKindName(BinaryKind::Rem), "rem");
  EXPECT_EQ(binaryKindName(BinaryKind::Atan2), "atan2");
  EXPECT_EQ(compareKindName(CompareKind::GE), "ge");
  EXPECT_EQ(reduceKindName(ReduceKind::Prod), "prod");
}

}  // namespace
}  // namespace dlc::rt::test
