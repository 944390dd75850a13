// dotGeneral and convolution against naive loops in double: a direct
// convolution and a dot that walks the original (unpermuted) operands.
#include <limits>

#include "TestUtil.h"

namespace dlc::rt::test {
namespace {

using Index = std::vector<int64_t>;

// Tolerance of a float result: one rounding to the dtype, plus (for the f32
// GEMM, which accumulates in f32) K-term summation error, both relative to
// sum |terms| so that cancellation cannot make a correct result look wrong.
double contractionTolerance(DType t, int64_t terms) {
  if (t == DType::F32) return 1e-6 * (1 + static_cast<double>(terms) / 16);
  return roundingTolerance(t) * 2;
}

// Sum and sum |.| of products, in double; integers wrap to the dtype later.
struct Dot {
  double sum = 0, abs = 0;
  void add(double a, double b) {
    sum += a * b;
    abs += std::fabs(a * b);
  }
};

// Checks `out` against the exact sums: floats within tolerance, integers
// wrapped to the dtype and equal, i1 as "any product".
void expectContraction(const HostTensor& out, const std::vector<Dot>& dots, int64_t terms) {
  const DType t = out.dtype();
  std::vector<double> got = values(out), want, scale;
  for (const Dot& d : dots) {
    double w = d.sum;
    if (t == DType::I8) w = static_cast<double>(static_cast<int8_t>(static_cast<int64_t>(w)));
    if (t == DType::I32) w = static_cast<double>(static_cast<int32_t>(static_cast<int64_t>(w)));
    if (t == DType::I16) w = static_cast<double>(static_cast<int16_t>(static_cast<int64_t>(w)));
    if (t == DType::U8) w = static_cast<double>(static_cast<uint8_t>(static_cast<int64_t>(w)));
    if (t == DType::U16) w = static_cast<double>(static_cast<uint16_t>(static_cast<int64_t>(w)));
    if (t == DType::U32) w = static_cast<double>(static_cast<uint32_t>(static_cast<int64_t>(w)));
    if (t == DType::I1) w = d.sum != 0;
    want.push_back(w);
    scale.push_back(d.abs);
  }
  if (isFloat(t))
    expectNear(got, want, contractionTolerance(t, terms), 1e-300, scale);
  else
    expectNear(got, want, 0);
}

// --- dotGeneral ---------------------------------------------------------------

struct DotCase {
  Shape lhs, rhs;
  DotDims dims;
};

std::vector<Dot> naiveDot(const HostTensor& lhs, const HostTensor& rhs, const DotDims& dd,
                          Shape* outShape, int64_t* terms) {
  auto freeDims = [](size_t rank, const Index& a, const Index& b) {
    Index f;
    for (int64_t d = 0; d < static_cast<int64_t>(rank); ++d)
      if (std::find(a.begin(), a.end(), d) == a.end() && std::find(b.begin(), b.end(), d) == b.end())
        f.push_back(d);
    return f;
  };
  const Shape &ls = lhs.shape(), &rs = rhs.shape();
  Index lf = freeDims(ls.size(), dd.lhsBatch, dd.lhsContract);
  Index rf = freeDims(rs.size(), dd.rhsBatch, dd.rhsContract);
  Shape os, cs;
  for (int64_t d : dd.lhsBatch) os.push_back(ls[d]);
  for (int64_t d : lf) os.push_back(ls[d]);
  for (int64_t d : rf) os.push_back(rs[d]);
  for (int64_t d : dd.lhsContract) cs.push_back(ls[d]);
  *outShape = os;
  *terms = numElements(cs);
  std::vector<double> lv = values(lhs), rv = values(rhs);
  std::vector<Dot> out;
  for (int64_t i = 0; i < numElements(os); ++i) {
    Index o = unravel(i, os);
    Index li(ls.size()), ri(rs.size());
    size_t at = 0;
    for (size_t b = 0; b < dd.lhsBatch.size(); ++b, ++at) {
      li[dd.lhsBatch[b]] = o[at];
      ri[dd.rhsBatch[b]] = o[at];
    }
    for (int64_t d : lf) li[d] = o[at++];
    for (int64_t d : rf) ri[d] = o[at++];
    Dot dot;
    for (int64_t k = 0; k < *terms; ++k) {
      Index c = unravel(k, cs);
      for (size_t j = 0; j < c.size(); ++j) {
        li[dd.lhsContract[j]] = c[j];
        ri[dd.rhsContract[j]] = c[j];
      }
      dot.add(lv[static_cast<size_t>(ravel(li, ls))], rv[static_cast<size_t>(ravel(ri, rs))]);
    }
    out.push_back(dot);
  }
  return out;
}

void checkDot(DType t, const DotCase& c, uint32_t seed) {
  HostTensor lhs = t == DType::F32 || t == DType::F64 ? randomReal(t, c.lhs, seed) : randomTensor(t, c.lhs, seed);
  HostTensor rhs = t == DType::F32 || t == DType::F64 ? randomReal(t, c.rhs, seed + 1) : randomTensor(t, c.rhs, seed + 1);
  Shape os;
  int64_t terms = 0;
  std::vector<Dot> expected = naiveDot(lhs, rhs, c.dims, &os, &terms);
  HostTensor out(TensorType{t, os});
  dotGeneral(lhs.cref(), rhs.cref(), c.dims, out.ref());
  expectContraction(out, expected, terms);
}

class DotGeneral : public ::testing::TestWithParam<DType> {};

TEST_P(DotGeneral, BatchAndContractingDimsInAnyOrder) {
  const DotCase cases[] = {
      {{3, 5}, {5, 4}, {{}, {}, {1}, {0}}},                     // plain matmul
      {{5, 3}, {4, 5}, {{}, {}, {0}, {1}}},                     // both transposed
      {{2, 3, 4}, {2, 4, 5}, {{0}, {0}, {2}, {1}}},             // batched matmul
      {{4, 2, 3, 6}, {6, 5, 2, 4}, {{1}, {2}, {0, 3}, {3, 0}}}, // batch and contractions scattered
      {{2, 3, 2, 4}, {3, 4, 2, 2}, {{0, 1}, {2, 0}, {3}, {1}}}, // two batch dims, permuted
      {{7}, {7}, {{}, {}, {0}, {0}}},                           // inner product: rank-0 result
      {{3}, {4}, {{}, {}, {}, {}}},                             // outer product: K = 1
      {{1, 1}, {1, 1}, {{}, {}, {1}, {0}}},
  };
  int seed = 0;
  for (const DotCase& c : cases) {
    SCOPED_TRACE(shapeString(c.lhs) + " . " + shapeString(c.rhs));
    checkDot(GetParam(), c, static_cast<uint32_t>(++seed));
  }
}

TEST_P(DotGeneral, EmptyDims) {
  // K = 0 gives zeros; M = 0 gives an empty result.
  checkDot(GetParam(), {{3, 0}, {0, 2}, {{}, {}, {1}, {0}}}, 1);
  checkDot(GetParam(), {{0, 4}, {4, 2}, {{}, {}, {1}, {0}}}, 2);
  checkDot(GetParam(), {{0, 3, 4}, {0, 4, 2}, {{0}, {0}, {2}, {1}}}, 3);
}

INSTANTIATE_TEST_SUITE_P(AllDTypes, DotGeneral, ::testing::ValuesIn(kAllDTypes), dtypeParamName);

// Sizes that cross every GEMM block edge (64 rows, 256 k, 256 columns, the
// 4 x 8 register tile) and are big enough to run on several threads.
TEST(DotGeneralLarge, BlockEdgesAndThreads) {
  checkDot(DType::F32, {{131, 517}, {517, 263}, {{}, {}, {1}, {0}}}, 5);
  checkDot(DType::F32, {{3, 70, 257}, {3, 257, 9}, {{0}, {0}, {2}, {1}}}, 6);
  checkDot(DType::F64, {{67, 300}, {259, 300}, {{}, {}, {1}, {1}}}, 7);
  checkDot(DType::BF16, {{65, 260}, {260, 33}, {{}, {}, {1}, {0}}}, 8);
  checkDot(DType::I32, {{66, 258}, {258, 257}, {{}, {}, {1}, {0}}}, 9);
}

TEST(DotGeneralEdge, IntegersWrapAtTheirWidth) {
  HostTensor a = makeTensor(DType::I8, {1, 2}, {100, 100});
  HostTensor b = makeTensor(DType::I8, {2, 1}, {2, 1});
  HostTensor out(TensorType{DType::I8, {1, 1}});
  dotGeneral(a.cref(), b.cref(), {{}, {}, {1}, {0}}, out.ref());
  expectValues(out, {44});  // 300 mod 256
}

// --- convolution -----------------------------------------------------------------

struct ConvCase {
  Shape input, filter;
  ConvParams p;
};

Shape convOutShape(const ConvCase& c) {
  Shape out = {c.input[0], c.filter[0]};
  for (size_t d = 0; d + 2 < c.input.size(); ++d) {
    int64_t span = c.p.dilations[d] * (c.filter[d + 2] - 1) + 1;
    out.push_back((c.input[d + 2] + c.p.padLow[d] + c.p.padHigh[d] - span) / c.p.strides[d] + 1);
  }
  return out;
}

// Direct convolution: out[n, o, r] = sum over c in o's group and kernel
// positions k of in[n, c, r*stride - padLow + k*dilation] * w[o, c - group start, k].
std::vector<Dot> naiveConv(const HostTensor& in, const HostTensor& w, const ConvCase& c,
                           const Shape& os) {
  const size_t k = c.input.size() - 2;
  const int64_t cg = c.filter[1], og = c.filter[0] / c.p.groups;
  const Shape kernel(c.filter.begin() + 2, c.filter.end());
  std::vector<double> iv = values(in), wv = values(w);
  std::vector<Dot> out;
  for (int64_t i = 0; i < numElements(os); ++i) {
    Index o = unravel(i, os);
    const int64_t n = o[0], f = o[1], group = f / og;
    Dot dot;
    for (int64_t ci = 0; ci < cg; ++ci)
      for (int64_t kp = 0; kp < numElements(kernel); ++kp) {
        Index kk = unravel(kp, kernel);
        Index src = {n, group * cg + ci};
        bool inside = true;
        for (size_t d = 0; d < k; ++d) {
          int64_t s = o[d + 2] * c.p.strides[d] - c.p.padLow[d] + kk[d] * c.p.dilations[d];
          inside &= s >= 0 && s < c.input[d + 2];
          src.push_back(s);
        }
        if (!inside) continue;
        Index widx = {f, ci};
        widx.insert(widx.end(), kk.begin(), kk.end());
        dot.add(iv[static_cast<size_t>(ravel(src, c.input))], wv[static_cast<size_t>(ravel(widx, c.filter))]);
      }
    out.push_back(dot);
  }
  return out;
}

void checkConv(DType t, const ConvCase& c, uint32_t seed) {
  bool real = t == DType::F32 || t == DType::F64;
  HostTensor in = real ? randomReal(t, c.input, seed) : randomTensor(t, c.input, seed);
  HostTensor w = real ? randomReal(t, c.filter, seed + 1) : randomTensor(t, c.filter, seed + 1);
  Shape os = convOutShape(c);
  HostTensor out(TensorType{t, os});
  convolution(in.cref(), w.cref(), c.p, out.ref());
  expectContraction(out, naiveConv(in, w, c, os), c.filter[1] * numElements(Shape(c.filter.begin() + 2, c.filter.end())));
}

class Convolution : public ::testing::TestWithParam<DType> {};

TEST_P(Convolution, GroupsStridesPadsDilations) {
  const ConvCase cases[] = {
      {{2, 3, 9}, {4, 3, 3}, {{1}, {0}, {0}, {1}, 1}},                                  // 1-D
      {{1, 4, 11}, {6, 2, 3}, {{2}, {2}, {1}, {2}, 2}},                                 // 1-D, groups
      {{2, 3, 7, 8}, {5, 3, 3, 3}, {{1, 1}, {1, 1}, {1, 1}, {1, 1}, 1}},                // 2-D "same"
      {{1, 6, 9, 7}, {4, 3, 3, 2}, {{2, 1}, {0, 2}, {1, 0}, {2, 3}, 2}},                // asymmetric everything
      {{2, 4, 6, 6}, {4, 1, 3, 3}, {{1, 2}, {1, 1}, {1, 1}, {1, 1}, 4}},                // depthwise
      {{1, 2, 4, 5, 3}, {3, 2, 2, 3, 1}, {{1, 2, 1}, {1, 0, 0}, {0, 1, 2}, {2, 1, 1}, 1}},  // 3-D
      {{1, 2, 2, 2}, {2, 2, 3, 3}, {{1, 1}, {2, 2}, {2, 2}, {1, 1}, 1}},                // kernel > input
      {{1, 1, 1, 1}, {1, 1, 1, 1}, {{1, 1}, {0, 0}, {0, 0}, {1, 1}, 1}},                // all size 1
  };
  int seed = 0;
  for (const ConvCase& c : cases) {
    SCOPED_TRACE(shapeString(c.input) + " * " + shapeString(c.filter));
    checkConv(GetParam(), c, static_cast<uint32_t>(++seed));
  }
}

TEST_P(Convolution, EmptyBatchAndChannels) {
  checkConv(GetParam(), {{0, 3, 5}, {2, 3, 3}, {{1}, {0}, {0}, {1}, 1}}, 1);
  checkConv(GetParam(), {{2, 0, 5}, {2, 0, 3}, {{1}, {0}, {0}, {1}, 1}}, 2);  // K = 0: zeros
  checkConv(GetParam(), {{2, 3, 0}, {2, 3, 1}, {{1}, {1}, {1}, {1}, 1}}, 3);  // only padding
}

INSTANTIATE_TEST_SUITE_P(Numeric, Convolution,
                         ::testing::Values(DType::F32, DType::F16, DType::BF16, DType::F64, DType::I32,
                                           DType::I8),
                         dtypeParamName);

// A ResNet-like layer: large enough for several GEMM blocks and threads.
TEST(ConvolutionLarge, ResNetLikeLayer) {
  checkConv(DType::F32, {{2, 32, 20, 20}, {70, 32, 3, 3}, {{1, 1}, {1, 1}, {1, 1}, {1, 1}, 1}}, 9);
  checkConv(DType::F32, {{1, 16, 23, 17}, {32, 8, 5, 5}, {{2, 2}, {2, 1}, {2, 3}, {1, 2}, 2}}, 10);
}

}  // namespace
}  // namespace dlc::rt::test
