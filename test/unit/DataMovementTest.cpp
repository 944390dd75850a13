// Data movement against a naive reference: for every output index, the
// source index (or "padding") computed by hand from the op's definition.
#include <functional>
#include <optional>

#include "TestUtil.h"

namespace dlc::rt::test {
namespace {

using Index = std::vector<int64_t>;

// Expected values of an op whose output element at `o` is x[source(o)], or
// `fill` where source returns nothing.
std::vector<double> naive(const HostTensor& x, const Shape& outShape,
                          const std::function<std::optional<Index>(const Index&)>& source,
                          double fill = 0) {
  std::vector<double> xv = values(x), out;
  for (int64_t i = 0; i < numElements(outShape); ++i) {
    std::optional<Index> s = source(unravel(i, outShape));
    out.push_back(s ? xv[static_cast<size_t>(ravel(*s, x.shape()))] : fill);
  }
  return out;
}

class DataMovement : public ::testing::TestWithParam<DType> {};

TEST_P(DataMovement, BroadcastInDim) {
  const DType t = GetParam();
  struct Case {
    Shape in, out;
    std::vector<int64_t> dims;
  };
  const Case cases[] = {
      {{3, 1}, {2, 3, 4}, {1, 2}},  // size-1 expansion and a new leading dim
      {{3}, {3, 2}, {0}},
      {{}, {2, 2}, {}},  // rank 0
      {{1, 1}, {1, 3}, {0, 1}},
      {{2, 3}, {3, 5, 2}, {2, 0}},  // operand dims map out of order
      {{3}, {0, 3}, {1}},           // empty result
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(shapeString(c.in) + " -> " + shapeString(c.out));
    HostTensor x = randomTensor(t, c.in, 11);
    HostTensor out(TensorType{t, c.out});
    broadcastInDim(x.cref(), c.dims, out.ref());
    expectValues(out, naive(x, c.out, [&](const Index& o) {
                   Index s(c.in.size());
                   for (size_t i = 0; i < c.in.size(); ++i) s[i] = c.in[i] == 1 ? 0 : o[c.dims[i]];
                   return std::optional<Index>(s);
                 }));
  }
}

TEST_P(DataMovement, TransposeRank4) {
  const DType t = GetParam();
  const Shape in = {2, 3, 4, 5};
  for (const Index& perm : {Index{2, 0, 3, 1}, Index{3, 2, 1, 0}, Index{0, 1, 2, 3}, Index{1, 0, 2, 3}}) {
    Shape outShape(4);
    for (size_t i = 0; i < 4; ++i) outShape[i] = in[perm[i]];
    HostTensor x = randomTensor(t, in, 3);
    HostTensor out(TensorType{t, outShape});
    transpose(x.cref(), perm, out.ref());
    expectValues(out, naive(x, outShape, [&](const Index& o) {
                   Index s(4);
                   for (size_t i = 0; i < 4; ++i) s[perm[i]] = o[i];
                   return std::optional<Index>(s);
                 }));
  }
}

TEST_P(DataMovement, SliceWithStrides) {
  const DType t = GetParam();
  HostTensor x = randomTensor(t, {5, 7, 4}, 5);
  const Index start = {1, 0, 3}, limit = {5, 7, 4}, strides = {2, 3, 1};
  const Shape outShape = {2, 3, 1};
  HostTensor out(TensorType{t, outShape});
  slice(x.cref(), start, limit, strides, out.ref());
  expectValues(out, naive(x, outShape, [&](const Index& o) {
                 Index s(3);
                 for (size_t d = 0; d < 3; ++d) s[d] = start[d] + o[d] * strides[d];
                 return std::optional<Index>(s);
               }));
}

TEST_P(DataMovement, ConcatenateAlongEachDim) {
  const DType t = GetParam();
  const Shape base = {2, 3, 4};
  for (int64_t dim = 0; dim < 3; ++dim) {
    SCOPED_TRACE("dim " + std::to_string(dim));
    std::vector<HostTensor> parts;
    std::vector<ConstTensorRef> refs;
    Shape outShape = base;
    outShape[dim] = 0;
    for (int64_t size : {2, 0, 1, 3}) {  // an empty operand in the middle
      Shape s = base;
      s[dim] = size;
      parts.push_back(randomTensor(t, s, static_cast<uint32_t>(size + 10 * dim)));
      outShape[dim] += size;
    }
    for (const HostTensor& p : parts) refs.push_back(p.cref());
    HostTensor out(TensorType{t, outShape});
    concatenate(refs, dim, out.ref());
    std::vector<double> expected;
    for (int64_t i = 0; i < numElements(outShape); ++i) {
      Index o = unravel(i, outShape);
      for (const HostTensor& p : parts) {
        if (o[dim] < p.shape()[dim]) {
          expected.push_back(values(p)[static_cast<size_t>(ravel(o, p.shape()))]);
          break;
        }
        o[dim] -= p.shape()[dim];
      }
    }
    expectValues(out, expected);
  }
}

TEST_P(DataMovement, PadWithCropAndInterior) {
  const DType t = GetParam();
  struct Case {
    Shape in;
    Index low, high, interior;
  };
  const Case cases[] = {
      {{3, 4}, {1, 2}, {2, 0}, {0, 0}},
      {{3, 4}, {-1, 2}, {1, -2}, {1, 2}},   // negative low/high crop, interior
      {{3, 4}, {-2, -3}, {-2, 1}, {2, 0}},  // crop through interior padding
      {{2, 3}, {0, 0}, {0, 0}, {3, 1}},
      {{4}, {-5}, {1}, {1}},                // low crops the first elements away
      {{2}, {-6}, {0}, {0}},                // cropped to nothing: an empty result
      {{0, 3}, {1, 1}, {2, 0}, {1, 1}},     // empty input: all padding
      {{}, {}, {}, {}},                     // rank 0
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(shapeString(c.in));
    const size_t rank = c.in.size();
    Shape outShape(rank);
    for (size_t d = 0; d < rank; ++d)
      outShape[d] = std::max<int64_t>(0, c.low[d] + c.high[d] + c.in[d] +
                                             std::max<int64_t>(0, c.in[d] - 1) * c.interior[d]);
    HostTensor x = randomTensor(t, c.in, 17);
    HostTensor padValue = makeTensor(t, {}, {1});
    HostTensor out(TensorType{t, outShape});
    pad(x.cref(), padValue.cref(), c.low, c.high, c.interior, out.ref());
    expectValues(out, naive(
                          x, outShape,
                          [&](const Index& o) -> std::optional<Index> {
                            Index s(rank);
                            for (size_t d = 0; d < rank; ++d) {
                              int64_t q = o[d] - c.low[d], step = c.interior[d] + 1;
                              if (q < 0 || q % step != 0 || q / step >= c.in[d]) return std::nullopt;
                              s[d] = q / step;
                            }
                            return s;
                          },
                          1));
  }
}

TEST_P(DataMovement, Reverse) {
  const DType t = GetParam();
  const Shape shape = {3, 2, 4};
  for (const Index& dims : {Index{0, 2}, Index{1}, Index{}, Index{0, 1, 2}}) {
    HostTensor x = randomTensor(t, shape, 23);
    HostTensor out(x.type());
    reverse(x.cref(), dims, out.ref());
    expectValues(out, naive(x, shape, [&](const Index& o) {
                   Index s = o;
                   for (int64_t d : dims) s[d] = shape[d] - 1 - o[d];
                   return std::optional<Index>(s);
                 }));
  }
}

TEST_P(DataMovement, ReshapeKeepsRowMajorOrder) {
  const DType t = GetParam();
  HostTensor x = randomTensor(t, {2, 6}, 29);
  HostTensor out(TensorType{t, {3, 2, 2}});
  reshape(x.cref(), out.ref());
  expectValues(out, values(x));
}

INSTANTIATE_TEST_SUITE_P(AllDTypes, DataMovement, ::testing::ValuesIn(kAllDTypes), dtypeParamName);

TEST(DataMovementEdge, EmptyAndRank0) {
  HostTensor e = makeEmpty(DType::F32, {0, 3});
  HostTensor et(TensorType{DType::F32, {3, 0}});
  EXPECT_NO_THROW(transpose(e.cref(), {1, 0}, et.ref()));
  HostTensor er(TensorType{DType::F32, {0, 3}});
  EXPECT_NO_THROW(reverse(e.cref(), {0, 1}, er.ref()));
  HostTensor x = makeTensor(DType::F32, {3}, {1, 2, 3});
  HostTensor es(TensorType{DType::F32, {0}});
  EXPECT_NO_THROW(slice(x.cref(), {3}, {3}, {1}, es.ref()));
  EXPECT_NO_THROW(reshape(e.cref(), es.ref()));

  HostTensor s = makeTensor(DType::I8, {}, {-5});
  HostTensor st(TensorType{DType::I8, {}});
  transpose(s.cref(), {}, st.ref());
  expectValues(st, {-5});
  HostTensor sr(TensorType{DType::I8, {1, 1}});
  reshape(s.cref(), sr.ref());
  expectValues(sr, {-5});
  HostTensor sv(TensorType{DType::I8, {}});
  reverse(s.cref(), {}, sv.ref());
  expectValues(sv, {-5});
}

// Bit patterns move unchanged: a NaN payload and a negative zero survive.
TEST(DataMovementEdge, CopiesBitsExactly) {
  HostTensor x(TensorType{DType::F32, {2}});
  uint32_t bits[2] = {0x7fc12345u, 0x80000000u};
  std::memcpy(x.data(), bits, sizeof bits);
  HostTensor out(TensorType{DType::F32, {2}});
  reverse(x.cref(), {0}, out.ref());
  uint32_t got[2];
  std::memcpy(got, out.data(), sizeof got);
  EXPECT_EQ(got[0], bits[1]);
  EXPECT_EQ(got[1], bits[0]);
}

}  // namespace
}  // namespace dlc::rt::test
