// gather and scatter (every combiner) against naive loops, and their index checking.
#include "TestUtil.h"

namespace dlc::rt::test {
namespace {

using Index = std::vector<int64_t>;

HostTensor makeIndices(DType t, Shape shape, const std::vector<int64_t>& v) {
  HostTensor idx(TensorType{t, std::move(shape)});
  for (size_t i = 0; i < v.size(); ++i) {
    if (t == DType::I32) idx.as<int32_t>()[i] = static_cast<int32_t>(v[i]);
    else idx.as<int64_t>()[i] = v[i];
  }
  return idx;
}

Shape gatherShape(const Shape& x, const Shape& idx, int64_t axis) {
  Shape out(x.begin(), x.begin() + axis);
  out.insert(out.end(), idx.begin(), idx.end());
  out.insert(out.end(), x.begin() + axis + 1, x.end());
  return out;
}

// The x index that gather reads for output index o (ONNX Gather's definition).
Index gatherSource(const Index& o, const Shape& idxShape, const std::vector<int64_t>& idx,
                   int64_t axis, int64_t axisDim) {
  const auto a = static_cast<size_t>(axis);
  Index j(o.begin() + axis, o.begin() + axis + idxShape.size());
  int64_t k = idx[static_cast<size_t>(ravel(j, idxShape))];
  if (k < 0) k += axisDim;
  Index s(o.begin(), o.begin() + axis);
  s.push_back(k);
  s.insert(s.end(), o.begin() + a + idxShape.size(), o.end());
  return s;
}

class Gather : public ::testing::TestWithParam<DType> {};

TEST_P(Gather, EveryAxisWithNegativeIndices) {
  const DType t = GetParam();
  const Shape xs = {3, 4, 5};
  for (DType it : {DType::I32, DType::I64})
    for (int64_t axis = 0; axis < 3; ++axis) {
      SCOPED_TRACE("axis " + std::to_string(axis) + " " + std::string(dtypeName(it)));
      const int64_t dim = xs[axis];
      const std::vector<int64_t> iv = {0, dim - 1, -1, -dim, 1, 1};
      const Shape is = {2, 3};
      HostTensor x = randomTensor(t, xs, 41);
      HostTensor idx = makeIndices(it, is, iv);
      Shape os = gatherShape(xs, is, axis);
      HostTensor out(TensorType{t, os});
      gather(x.cref(), idx.cref(), axis, out.ref());
      std::vector<double> xv = values(x), expected;
      for (int64_t i = 0; i < numElements(os); ++i)
        expected.push_back(xv[static_cast<size_t>(ravel(gatherSource(unravel(i, os), is, iv, axis, dim), xs))]);
      expectValues(out, expected);
    }
}

TEST_P(Gather, ScalarIndexDropsTheAxis) {
  HostTensor x = makeTensor(GetParam(), {2, 3}, {1, 0, 1, 0, 1, 1});
  HostTensor idx = makeIndices(DType::I64, {}, {-1});
  HostTensor out(TensorType{GetParam(), {2}});
  gather(x.cref(), idx.cref(), 1, out.ref());
  expectValues(out, {1, 1});
}

INSTANTIATE_TEST_SUITE_P(AllDTypes, Gather, ::testing::ValuesIn(kAllDTypes), dtypeParamName);

TEST(GatherErrors, OutOfRangeNamesIndexAndSize) {
  HostTensor x = makeEmpty(DType::F32, {4, 2});
  HostTensor out(TensorType{DType::F32, {2, 2}});
  for (int64_t bad : {4, -5, 100}) {
    HostTensor idx = makeIndices(DType::I32, {2}, {0, bad});
    try {
      gather(x.cref(), idx.cref(), 0, out.ref());
      ADD_FAILURE() << "no exception for index " << bad;
    } catch (const KernelError& e) {
      std::string msg = e.what();
      EXPECT_NE(msg.find("index " + std::to_string(bad)), std::string::npos) << msg;
      EXPECT_NE(msg.find("of size 4"), std::string::npos) << msg;
    }
  }
  // A dimension of size 0 has no valid index.
  HostTensor empty = makeEmpty(DType::F32, {2, 0});
  HostTensor one = makeIndices(DType::I64, {1}, {0});
  HostTensor out2(TensorType{DType::F32, {2, 1}});
  EXPECT_THROW(gather(empty.cref(), one.cref(), 1, out2.ref()), KernelError);
  HostTensor floatIdx = makeTensor(DType::F32, {1}, {0});
  EXPECT_THROW(gather(x.cref(), floatIdx.cref(), 0, out2.ref()), std::invalid_argument);
}

TEST(GatherEdge, EmptyIndicesAndEmptyRows) {
  HostTensor x = randomTensor(DType::F32, {4, 3}, 1);
  HostTensor idx = makeIndices(DType::I64, {0}, {});
  HostTensor out(TensorType{DType::F32, {0, 3}});
  EXPECT_NO_THROW(gather(x.cref(), idx.cref(), 0, out.ref()));
  HostTensor y = makeEmpty(DType::F32, {4, 0});
  HostTensor idx2 = makeIndices(DType::I32, {2}, {3, -4});
  HostTensor out2(TensorType{DType::F32, {2, 0}});
  EXPECT_NO_THROW(gather(y.cref(), idx2.cref(), 0, out2.ref()));
}

class ScatterAdd : public ::testing::TestWithParam<DType> {};

TEST_P(ScatterAdd, DuplicatesAccumulate) {
  const DType t = GetParam();
  const Shape bs = {3, 4, 2};
  for (int64_t axis = 0; axis < 3; ++axis) {
    SCOPED_TRACE("axis " + std::to_string(axis));
    const int64_t dim = bs[axis];
    const std::vector<int64_t> iv = {1, -1, 1, 0, 1};  // 1 three times
    const Shape is = {5};
    HostTensor base = randomTensor(t, bs, 51);
    HostTensor idx = makeIndices(DType::I64, is, iv);
    Shape us = gatherShape(bs, is, axis);
    HostTensor updates = randomTensor(t, us, 52);
    HostTensor out(base.type());
    scatterAdd(base.cref(), idx.cref(), updates.cref(), axis, out.ref());
    std::vector<double> expected = values(base), uv = values(updates);
    for (int64_t i = 0; i < numElements(us); ++i) {
      auto& e = expected[static_cast<size_t>(ravel(gatherSource(unravel(i, us), is, iv, axis, dim), bs))];
      e = t == DType::I1 ? double(e != 0 || uv[static_cast<size_t>(i)] != 0) : e + uv[static_cast<size_t>(i)];
    }
    // Small multiples of 3/8 add exactly in every float dtype and fit every int.
    expectValues(out, expected);
  }
}

INSTANTIATE_TEST_SUITE_P(AllDTypes, ScatterAdd, ::testing::ValuesIn(kAllDTypes), dtypeParamName);

// f16 accumulates in double and rounds once: 1024 + 0.5 + 0.5 is 1025, where
// rounding after each addition (spacing 1 at 1024: 1024.5 ties to 1024) stays 1024.
TEST(ScatterAddEdge, HalfAccumulatesOnce) {
  HostTensor base = makeTensor(DType::F16, {1}, {1024});
  HostTensor idx = makeIndices(DType::I32, {2}, {0, 0});
  HostTensor updates = makeTensor(DType::F16, {2}, {0.5, 0.5});
  HostTensor out(base.type());
  scatterAdd(base.cref(), idx.cref(), updates.cref(), 0, out.ref());
  expectValues(out, {1025});
}

TEST(ScatterAddEdge, IntegersWrapAndRangeIsChecked) {
  HostTensor base = makeTensor(DType::I8, {2}, {120, 0});
  HostTensor idx = makeIndices(DType::I32, {2}, {0, 0});
  HostTensor updates = makeTensor(DType::I8, {2}, {5, 5});
  HostTensor out(base.type());
  scatterAdd(base.cref(), idx.cref(), updates.cref(), 0, out.ref());
  expectValues(out, {-126, 0});
  HostTensor bad = makeIndices(DType::I32, {2}, {0, 2});
  EXPECT_THROW(scatterAdd(base.cref(), bad.cref(), updates.cref(), 0, out.ref()), KernelError);
}


// Every combiner on every dtype, against a naive loop in double that applies
// the updates in index order and rounds once (storing into the dtype).
struct ScatterCase {
  ScatterKind kind;
  DType dtype;
};

class Scatter : public ::testing::TestWithParam<ScatterCase> {};

double combineNaive(ScatterKind k, DType t, double v, double u) {
  const bool logical = t == DType::I1;
  switch (k) {
    case ScatterKind::Add: return logical ? double(v != 0 || u != 0) : v + u;
    case ScatterKind::Mul: return logical ? double(v != 0 && u != 0) : v * u;
    case ScatterKind::Max: return std::max(v, u);
    case ScatterKind::Min: return std::min(v, u);
    case ScatterKind::Replace: return u;
  }
  return v;
}

TEST_P(Scatter, DuplicatesCombineInIndexOrder) {
  const auto [kind, t] = GetParam();
  const Shape bs = {3, 4, 2};
  for (int64_t axis = 0; axis < 3; ++axis) {
    SCOPED_TRACE("axis " + std::to_string(axis));
    const int64_t dim = bs[axis];
    const std::vector<int64_t> iv = {1, -1, 1, 0, 1};  // 1 three times
    const Shape is = {5};
    // Values in [-2, 2] (times 3/8 for floats; [0, 2] for unsigned types):
    // products of four stay exact in every float dtype and fit i8 and u8.
    const double lo = isUnsigned(t) ? 0 : -2;
    HostTensor base = randomTensor(t, bs, 61, lo, 2);
    HostTensor idx = makeIndices(DType::I32, is, iv);
    Shape us = gatherShape(bs, is, axis);
    HostTensor updates = randomTensor(t, us, 62, lo, 2);
    HostTensor out(base.type());
    scatter(kind, base.cref(), idx.cref(), updates.cref(), axis, out.ref());
    std::vector<double> expected = values(base), uv = values(updates);
    for (int64_t i = 0; i < numElements(us); ++i) {
      auto& e = expected[static_cast<size_t>(ravel(gatherSource(unravel(i, us), is, iv, axis, dim), bs))];
      e = combineNaive(kind, t, e, uv[static_cast<size_t>(i)]);
    }
    expectValues(out, values(makeTensor(t, bs, expected)));
  }
}

std::vector<ScatterCase> scatterCases() {
  std::vector<ScatterCase> cases;
  for (ScatterKind k : {ScatterKind::Add, ScatterKind::Mul, ScatterKind::Max, ScatterKind::Min,
                        ScatterKind::Replace})
    for (DType t : kAllDTypes) cases.push_back({k, t});
  return cases;
}

INSTANTIATE_TEST_SUITE_P(AllKindsAndDTypes, Scatter, ::testing::ValuesIn(scatterCases()),
                         [](const ::testing::TestParamInfo<ScatterCase>& info) {
                           return std::string(scatterKindName(info.param.kind)) + "_" +
                                  std::string(dtypeName(info.param.dtype));
                         });

// Float max/min propagate NaN from either side; replace overwrites it.
TEST(ScatterEdge, MaxMinPropagateNaN) {
  const double nan = std::nan("");
  HostTensor base = makeTensor(DType::F32, {3}, {nan, 1, 2});
  HostTensor idx = makeIndices(DType::I64, {3}, {0, 1, 0});
  HostTensor updates = makeTensor(DType::F32, {3}, {5, nan, 7});
  HostTensor out(base.type());
  scatter(ScatterKind::Max, base.cref(), idx.cref(), updates.cref(), 0, out.ref());
  expectValues(out, {nan, nan, 2});
  scatter(ScatterKind::Min, base.cref(), idx.cref(), updates.cref(), 0, out.ref());
  expectValues(out, {nan, nan, 2});
  scatter(ScatterKind::Replace, base.cref(), idx.cref(), updates.cref(), 0, out.ref());
  expectValues(out, {7, nan, 2});
}

// Integer products wrap at the dtype's width, as the integer ops do.
TEST(ScatterEdge, IntegerMulWraps) {
  HostTensor base = makeTensor(DType::I8, {2}, {100, 16});
  HostTensor idx = makeIndices(DType::I64, {2}, {0, 1});
  HostTensor updates = makeTensor(DType::I8, {2}, {3, 16});
  HostTensor out(base.type());
  scatter(ScatterKind::Mul, base.cref(), idx.cref(), updates.cref(), 0, out.ref());
  expectValues(out, {44, 0});  // 300 - 256, 256 - 256
}

}  // namespace
}  // namespace dlc::rt::test
