// Helpers shared by the unit tests: building tensors from doubles, random
// data, index arithmetic for the naive reference loops, and comparisons.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "runtime/Tensor.h"
#include "runtime/host/Kernels.h"

namespace dlc::rt {
// gtest prints DType parameters with this (found by argument-dependent lookup).
inline void PrintTo(DType t, std::ostream* os) { *os << dtypeName(t); }
}  // namespace dlc::rt

namespace dlc::rt::test {

inline constexpr DType kAllDTypes[] = {DType::F32, DType::F16, DType::BF16, DType::F64,
                                       DType::I64, DType::I32, DType::I8,  DType::I1,
                                       DType::I16, DType::U8,  DType::U16, DType::U32,
                                       DType::U64};
inline constexpr DType kUnsignedDTypes[] = {DType::U8, DType::U16, DType::U32, DType::U64};
inline constexpr DType kFloatDTypes[] = {DType::F32, DType::F16, DType::BF16, DType::F64};

// Values are stored with storeFromDouble (tested on its own in TensorTest).
inline HostTensor makeTensor(DType dtype, Shape shape, const std::vector<double>& values) {
  HostTensor t(TensorType{dtype, std::move(shape)});
  EXPECT_EQ(static_cast<int64_t>(values.size()), t.numElements()) << "test data size";
  for (int64_t i = 0; i < t.numElements() && i < static_cast<int64_t>(values.size()); ++i)
    storeFromDouble(t.ref(), i, values[static_cast<size_t>(i)]);
  return t;
}

inline HostTensor makeEmpty(DType dtype, Shape shape) { return HostTensor(TensorType{dtype, std::move(shape)}); }

inline std::vector<double> values(const HostTensor& t) {
  std::vector<double> v(static_cast<size_t>(t.numElements()));
  for (int64_t i = 0; i < t.numElements(); ++i) v[static_cast<size_t>(i)] = loadAsDouble(t.cref(), i);
  return v;
}

// Random values exactly representable in `dtype`: floats are small
// multiples of 1/8 (exact in every float dtype, so references computed in
// double from these values see the same operands as the kernel), integers
// in [lo, hi] (in [0, hi - lo] for unsigned dtypes), i1 0/1.
inline HostTensor randomTensor(DType dtype, Shape shape, uint32_t seed, int lo = -8, int hi = 8) {
  std::mt19937 rng(seed);
  if (isUnsigned(dtype)) {
    hi -= lo;
    lo = 0;
  }
  std::uniform_int_distribution<int> dist(lo, hi);
  HostTensor t(TensorType{dtype, std::move(shape)});
  for (int64_t i = 0; i < t.numElements(); ++i) {
    double v = dtype == DType::I1 ? dist(rng) & 1 : isFloat(dtype) ? dist(rng) / 8.0 * 3 : dist(rng);
    storeFromDouble(t.ref(), i, v);
  }
  return t;
}

// Random floats with full mantissas (for f32/f64 contractions).
inline HostTensor randomReal(DType dtype, Shape shape, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  HostTensor t(TensorType{dtype, std::move(shape)});
  for (int64_t i = 0; i < t.numElements(); ++i) storeFromDouble(t.ref(), i, dist(rng));
  return t;
}

inline std::vector<int64_t> unravel(int64_t i, const Shape& shape) {
  std::vector<int64_t> idx(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    idx[d] = i % shape[d];
    i /= shape[d];
  }
  return idx;
}

inline int64_t ravel(const std::vector<int64_t>& idx, const Shape& shape) {
  int64_t i = 0;
  for (size_t d = 0; d < shape.size(); ++d) i = i * shape[d] + idx[d];
  return i;
}

// Relative precision of one rounding to `dtype` (0 for exact types).
inline double roundingTolerance(DType dtype) {
  switch (dtype) {
    case DType::F32: return 1e-6;
    case DType::F16: return 1e-3;
    case DType::BF16: return 8e-3;
    case DType::F64: return 1e-14;
    default: return 0;
  }
}

// Element-wise |actual - expected| <= atol + rtol * scale[i] (scale defaults
// to |expected|), with NaN matching NaN and infinities matching exactly.
inline void expectNear(const std::vector<double>& actual, const std::vector<double>& expected,
                       double rtol, double atol = 0, const std::vector<double>& scale = {}) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    double a = actual[i], e = expected[i];
    if (std::isnan(e)) {
      EXPECT_TRUE(std::isnan(a)) << "at " << i << ": got " << a << ", want NaN";
    } else if (std::isinf(e)) {
      EXPECT_EQ(a, e) << "at " << i;
    } else {
      double s = scale.empty() ? std::fabs(e) : scale[i];
      EXPECT_LE(std::fabs(a - e), atol + rtol * s) << "at " << i << ": got " << a << ", want " << e;
    }
  }
}

inline void expectValues(const HostTensor& t, const std::vector<double>& expected) {
  std::vector<double> got = values(t);
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(expected[i]))
      EXPECT_TRUE(std::isnan(got[i])) << "at " << i << ": got " << got[i];
    else
      EXPECT_EQ(got[i], expected[i]) << "at " << i;
  }
}

inline std::string dtypeParamName(const ::testing::TestParamInfo<DType>& info) {
  return std::string(dtypeName(info.param));
}

}  // namespace dlc::rt::test
