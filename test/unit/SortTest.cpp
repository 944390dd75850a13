// argsort against a naive selection that, for each output position j, picks
// the element that is j-th in the documented order (value, then index).
#include <limits>

#include "TestUtil.h"

namespace dlc::rt::test {
namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

// Does element (a at index ia) come before (b at ib)? NaN is the largest
// value; equal values keep index order in both directions.
bool before(double a, int64_t ia, double b, int64_t ib, bool descending) {
  auto rank = [](double v) { return std::isnan(v) ? kInf : v; };
  bool aNaN = std::isnan(a), bNaN = std::isnan(b);
  if (aNaN != bNaN) return descending ? aNaN : bNaN;
  if (!aNaN && rank(a) != rank(b)) return descending ? a > b : a < b;
  return ia < ib;
}

// For each row along dim: the permutation, by counting how many elements
// come before each one.
std::vector<double> naiveArgsort(const HostTensor& x, int64_t dim, bool descending) {
  const Shape& s = x.type().shape;
  std::vector<double> xv = values(x), out(xv.size());
  for (int64_t i = 0; i < x.numElements(); ++i) {
    std::vector<int64_t> idx = unravel(i, s);
    int64_t pos = 0;
    std::vector<int64_t> other = idx;
    for (int64_t j = 0; j < s[dim]; ++j) {
      other[dim] = j;
      if (before(xv[ravel(other, s)], j, xv[i], idx[dim], descending)) ++pos;
    }
    std::vector<int64_t> at = idx;
    at[dim] = pos;
    out[ravel(at, s)] = static_cast<double>(idx[dim]);
  }
  return out;
}

class Argsort : public ::testing::TestWithParam<DType> {};

TEST_P(Argsort, EveryDimBothDirectionsWithTies) {
  const DType t = GetParam();
  // Few distinct values (ints in [-2, 2], i1 0/1) so that ties are common.
  HostTensor x = randomTensor(t, {3, 5, 4}, 17, -2, 2);
  for (int64_t dim = 0; dim < 3; ++dim) {
    for (bool desc : {false, true}) {
      SCOPED_TRACE("dim " + std::to_string(dim) + (desc ? " descending" : " ascending"));
      HostTensor out(TensorType{DType::I64, x.type().shape});
      argsort(x.cref(), dim, desc, out.ref());
      expectValues(out, naiveArgsort(x, dim, desc));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllDTypes, Argsort, ::testing::ValuesIn(kAllDTypes), dtypeParamName);

TEST(ArgsortEdge, NaNIsLargestAndSignedZerosAreEqual) {
  HostTensor x = makeTensor(DType::F32, {7}, {1.0, kNaN, -0.0, -kInf, 0.0, kInf, kNaN});
  HostTensor out(TensorType{DType::I64, {7}});
  argsort(x.cref(), 0, false, out.ref());
  expectValues(out, {3, 2, 4, 0, 5, 1, 6});
  argsort(x.cref(), 0, true, out.ref());
  expectValues(out, {1, 6, 5, 0, 2, 4, 3});
}

TEST(ArgsortEdge, LongRowsAreSorted) {
  // Long enough for the parallel path and for std::stable_sort's merging.
  HostTensor x = randomTensor(DType::I32, {4, 3000}, 5, -50, 50);
  HostTensor out(TensorType{DType::I64, {4, 3000}});
  argsort(x.cref(), 1, true, out.ref());
  std::vector<double> xv = values(x), iv = values(out);
  for (int64_t r = 0; r < 4; ++r)
    for (int64_t j = 1; j < 3000; ++j) {
      double prev = xv[r * 3000 + static_cast<int64_t>(iv[r * 3000 + j - 1])];
      double cur = xv[r * 3000 + static_cast<int64_t>(iv[r * 3000 + j])];
      ASSERT_TRUE(prev > cur || (prev == cur && iv[r * 3000 + j - 1] < iv[r * 3000 + j]))
          << "row " << r << " position " << j;
    }
}

TEST(ArgsortEdge, EmptyAndSingleton) {
  HostTensor e = makeEmpty(DType::F32, {2, 0});
  HostTensor eo(TensorType{DType::I64, {2, 0}});
  argsort(e.cref(), 1, false, eo.ref());
  HostTensor s = makeTensor(DType::F64, {3, 1}, {3, 1, 2});
  HostTensor so(TensorType{DType::I64, {3, 1}});
  argsort(s.cref(), 1, true, so.ref());
  expectValues(so, {0, 0, 0});
}

}  // namespace
}  // namespace dlc::rt::test
