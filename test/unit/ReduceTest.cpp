// reduce and reduceWindow against naive loops that visit, for every output
// element, the input elements it covers.
#include <limits>

#include "TestUtil.h"

namespace dlc::rt::test {
namespace {

using Index = std::vector<int64_t>;
const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

double combine(ReduceKind k, double a, double b) {
  switch (k) {
    case ReduceKind::Sum: return a + b;
    case ReduceKind::Prod: return a * b;
    case ReduceKind::Max: return std::isnan(a) || std::isnan(b) ? kNaN : std::max(a, b);
    case ReduceKind::Min: return std::isnan(a) || std::isnan(b) ? kNaN : std::min(a, b);
  }
  return 0;
}

double identity(ReduceKind k, DType t) {
  switch (k) {
    case ReduceKind::Sum: return 0;
    case ReduceKind::Prod: return 1;
    case ReduceKind::Max:
      return t == DType::I32 ? std::numeric_limits<int32_t>::lowest() : t == DType::I8 ? -128 : -kInf;
    case ReduceKind::Min:
      return t == DType::I32 ? std::numeric_limits<int32_t>::max() : t == DType::I8 ? 127 : kInf;
  }
  return 0;
}

constexpr ReduceKind kKinds[] = {ReduceKind::Sum, ReduceKind::Max, ReduceKind::Min, ReduceKind::Prod};

class Reduce : public ::testing::TestWithParam<DType> {};

TEST_P(Reduce, OverSeveralDimSets) {
  const DType t = GetParam();
  const Shape shape = {2, 3, 1, 4};
  // Values in {-1, -0.5, 0.5, 1} (ints: {-1, 1}) keep products and sums exact.
  HostTensor x(TensorType{t, shape});
  std::mt19937 rng(61);
  for (int64_t i = 0; i < x.numElements(); ++i) {
    int r = static_cast<int>(rng() % 4);
    double v = isFloat(t) ? (r < 2 ? -1 : 1) * (r % 2 ? 0.5 : 1) : (r < 2 ? -1 : 1);
    storeFromDouble(x.ref(), i, v);
  }
  std::vector<double> xv = values(x);
  for (const Index& dims : {Index{0}, Index{1, 3}, Index{0, 1, 2, 3}, Index{2}, Index{}, Index{0, 2, 3}}) {
    Shape os;
    for (int64_t d = 0; d < 4; ++d)
      if (std::find(dims.begin(), dims.end(), d) == dims.end()) os.push_back(shape[d]);
    for (ReduceKind k : kKinds) {
      SCOPED_TRACE(std::string(reduceKindName(k)) + " over " + std::to_string(dims.size()) + " dims");
      std::vector<double> expected(static_cast<size_t>(numElements(os)), identity(k, t));
      for (int64_t i = 0; i < x.numElements(); ++i) {
        Index idx = unravel(i, shape), o;
        for (int64_t d = 0; d < 4; ++d)
          if (std::find(dims.begin(), dims.end(), d) == dims.end()) o.push_back(idx[d]);
        double& e = expected[static_cast<size_t>(ravel(o, os))];
        e = combine(k, e, xv[static_cast<size_t>(i)]);
      }
      HostTensor out(TensorType{t, os});
      reduce(k, x.cref(), dims, out.ref());
      expectValues(out, expected);
    }
  }
}

TEST_P(Reduce, EmptyReductionGivesIdentity) {
  const DType t = GetParam();
  HostTensor x = makeEmpty(t, {3, 0});
  for (ReduceKind k : kKinds) {
    HostTensor out(TensorType{t, {3}});
    reduce(k, x.cref(), {1}, out.ref());
    double id = identity(k, t);
    expectValues(out, {id, id, id});
  }
  HostTensor empty(TensorType{t, {0}});
  EXPECT_NO_THROW(reduce(ReduceKind::Sum, x.cref(), {1}, HostTensor(TensorType{t, {3}}).ref()));
  EXPECT_NO_THROW(reduce(ReduceKind::Sum, makeEmpty(t, {0, 2}).cref(), {1}, empty.ref()));
}

INSTANTIATE_TEST_SUITE_P(Numeric, Reduce,
                         ::testing::Values(DType::F32, DType::F16, DType::BF16, DType::F64, DType::I32,
                                           DType::I8),
                         dtypeParamName);

TEST(ReduceEdge, MaxAndMinPropagateNaN) {
  HostTensor x = makeTensor(DType::F32, {2, 3}, {1, kNaN, 3, -1, -2, -3});
  HostTensor out(TensorType{DType::F32, {2}});
  reduce(ReduceKind::Max, x.cref(), {1}, out.ref());
  expectValues(out, {kNaN, -1});
  reduce(ReduceKind::Min, x.cref(), {1}, out.ref());
  expectValues(out, {kNaN, -3});
}

// 4096 x f16(0.1) summed in double is 409.5 (exact in f16); summing in f16
// would stall at 256, where 0.1 is below half the spacing.
TEST(ReduceEdge, HalfSumsAccumulateInDouble) {
  HostTensor x(TensorType{DType::F16, {4096}});
  for (int64_t i = 0; i < 4096; ++i) x.as<uint16_t>()[i] = 0x2e66;  // 0.0999755859375
  HostTensor out(TensorType{DType::F16, {}});
  reduce(ReduceKind::Sum, x.cref(), {0}, out.ref());
  expectValues(out, {409.5});
}

TEST(ReduceEdge, BoolIsAnyAndAll) {
  HostTensor x = makeTensor(DType::I1, {3, 2}, {0, 0, 0, 1, 1, 1});
  HostTensor out(TensorType{DType::I1, {3}});
  reduce(ReduceKind::Sum, x.cref(), {1}, out.ref());
  expectValues(out, {0, 1, 1});
  reduce(ReduceKind::Max, x.cref(), {1}, out.ref());
  expectValues(out, {0, 1, 1});
  reduce(ReduceKind::Prod, x.cref(), {1}, out.ref());
  expectValues(out, {0, 0, 1});
  reduce(ReduceKind::Min, x.cref(), {1}, out.ref());
  expectValues(out, {0, 0, 1});
}

TEST(ReduceEdge, IntegerSumsWrap) {
  HostTensor x = makeTensor(DType::I8, {3}, {100, 100, 100});
  HostTensor out(TensorType{DType::I8, {}});
  reduce(ReduceKind::Sum, x.cref(), {0}, out.ref());
  expectValues(out, {44});  // 300 mod 256
  HostTensor s = makeTensor(DType::I64, {}, {7});
  HostTensor so(TensorType{DType::I64, {}});
  reduce(ReduceKind::Prod, s.cref(), {}, so.ref());  // rank 0, nothing reduced
  expectValues(so, {7});
}

// Unsigned dtypes: max/min compare as unsigned (2^64 - 1 is the largest u64,
// not -1), the identities are 0 and the dtype's max, sums wrap.
TEST(ReduceEdge, UnsignedCompareAndWrap) {
  HostTensor x(TensorType{DType::U64, {3}});
  x.as<uint64_t>()[0] = 5;
  x.as<uint64_t>()[1] = ~uint64_t(0);
  x.as<uint64_t>()[2] = uint64_t(1) << 63;
  HostTensor out(TensorType{DType::U64, {}});
  reduce(ReduceKind::Max, x.cref(), {0}, out.ref());
  EXPECT_EQ(out.as<uint64_t>()[0], ~uint64_t(0));
  reduce(ReduceKind::Min, x.cref(), {0}, out.ref());
  EXPECT_EQ(out.as<uint64_t>()[0], 5u);
  reduce(ReduceKind::Sum, x.cref(), {0}, out.ref());
  EXPECT_EQ(out.as<uint64_t>()[0], (uint64_t(1) << 63) + 4);
  HostTensor b = makeTensor(DType::U8, {3}, {200, 100, 1});
  HostTensor bo(TensorType{DType::U8, {}});
  reduce(ReduceKind::Sum, b.cref(), {0}, bo.ref());
  expectValues(bo, {45});  // 301 mod 256
  HostTensor e = makeEmpty(DType::U16, {0});
  HostTensor eo(TensorType{DType::U16, {}});
  reduce(ReduceKind::Min, e.cref(), {0}, eo.ref());
  expectValues(eo, {65535});
  reduce(ReduceKind::Max, e.cref(), {0}, eo.ref());
  expectValues(eo, {0});
}

// --- reduceWindow -------------------------------------------------------------

struct WindowCase {
  Shape in;
  WindowParams p;
};

Shape windowOutShape(const WindowCase& c) {
  Shape out;
  for (size_t d = 0; d < c.in.size(); ++d) {
    int64_t span = c.p.dilations[d] * (c.p.window[d] - 1) + 1;
    int64_t padded = c.in[d] + c.p.padLow[d] + c.p.padHigh[d];
    out.push_back(padded < span ? 0 : (padded - span) / c.p.strides[d] + 1);
  }
  return out;
}

std::vector<double> naiveReduceWindow(ReduceKind k, const HostTensor& x, const WindowCase& c,
                                      const Shape& os) {
  std::vector<double> xv = values(x), out;
  const size_t rank = c.in.size();
  for (int64_t i = 0; i < numElements(os); ++i) {
    Index o = unravel(i, os);
    double acc = identity(k, x.dtype());
    for (int64_t w = 0; w < numElements(c.p.window); ++w) {
      Index wi = unravel(w, c.p.window), s(rank);
      bool inside = true;
      for (size_t d = 0; d < rank; ++d) {
        s[d] = o[d] * c.p.strides[d] - c.p.padLow[d] + wi[d] * c.p.dilations[d];
        inside &= s[d] >= 0 && s[d] < c.in[d];
      }
      if (inside) acc = combine(k, acc, xv[static_cast<size_t>(ravel(s, c.in))]);
    }
    out.push_back(acc);
  }
  return out;
}

class ReduceWindow : public ::testing::TestWithParam<DType> {};

TEST_P(ReduceWindow, PoolingWithStridesPadsAndDilations) {
  const DType t = GetParam();
  const WindowCase cases[] = {
      {{2, 3, 7, 6}, {{1, 1, 3, 3}, {1, 1, 2, 2}, {0, 0, 1, 1}, {0, 0, 1, 1}, {1, 1, 1, 1}}},
      {{1, 2, 9, 8}, {{1, 1, 2, 3}, {1, 1, 1, 2}, {0, 0, 2, 0}, {0, 0, 0, 3}, {1, 1, 2, 2}}},
      {{2, 5, 4}, {{2, 2, 2}, {1, 2, 3}, {1, 0, 1}, {0, 1, 2}, {1, 2, 1}}},
      {{4, 3}, {{2, 2}, {1, 1}, {5, 0}, {5, 0}, {1, 1}}},  // windows of padding only
      {{0, 3}, {{1, 2}, {1, 1}, {0, 0}, {0, 0}, {1, 1}}},  // empty input and result
      {{0, 3}, {{1, 2}, {1, 1}, {1, 0}, {1, 0}, {1, 1}}},  // empty input, padded result
      {{}, {{}, {}, {}, {}, {}}},                          // rank 0
  };
  for (const WindowCase& c : cases) {
    SCOPED_TRACE(shapeString(c.in));
    HostTensor x = randomTensor(t, c.in, 71, -4, 4);
    Shape os = windowOutShape(c);
    for (ReduceKind k : {ReduceKind::Sum, ReduceKind::Max, ReduceKind::Min}) {
      SCOPED_TRACE(std::string(reduceKindName(k)));
      HostTensor out(TensorType{t, os});
      reduceWindow(k, x.cref(), c.p, out.ref());
      expectValues(out, naiveReduceWindow(k, x, c, os));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Numeric, ReduceWindow,
                         ::testing::Values(DType::F32, DType::F16, DType::BF16, DType::F64, DType::I32,
                                           DType::I8),
                         dtypeParamName);

// Sum-pooling a tensor of ones counts the in-range elements of each window:
// the denominator an average pool that excludes padding divides by.
TEST(ReduceWindowEdge, PaddingCountsAsIdentity) {
  HostTensor x = makeTensor(DType::F32, {3}, {1, 1, 1});
  WindowParams p{{3}, {1}, {1}, {1}, {1}};
  HostTensor out(TensorType{DType::F32, {3}});
  reduceWindow(ReduceKind::Sum, x.cref(), p, out.ref());
  expectValues(out, {2, 3, 2});
  HostTensor neg = makeTensor(DType::F32, {3}, {-1, -2, -3});
  reduceWindow(ReduceKind::Max, neg.cref(), p, out.ref());
  expectValues(out, {-1, -1, -2});  // padding never wins a max
}

}  // namespace
}  // namespace dlc::rt::test
