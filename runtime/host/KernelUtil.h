// Private helpers of the reference kernels: strided index walks, byte copies,
// wrapping integer arithmetic, reduction identities and a simple parallel-for.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <exception>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "runtime/DTypeTraits.h"
#include "runtime/host/Kernels.h"

namespace dlc::rt::detail {

// A walk over `shape` in row-major order that tracks two element offsets, each
// with its own per-dimension strides (possibly 0 or negative): the one
// primitive behind transpose, slice, broadcast, reverse, pad, concatenate and
// reduce. Size-1 dimensions are dropped and dimensions that are contiguous in
// both offsets are merged first, so that the inner loop is as long as possible.
class StridedWalk {
 public:
  StridedWalk(const Shape& shape, const std::vector<int64_t>& stridesA,
              const std::vector<int64_t>& stridesB) {
    empty_ = numElements(shape) == 0;
    for (size_t d = 0; d < shape.size(); ++d) {
      if (shape[d] == 1) continue;
      if (!shape_.empty() && stridesA_.back() == stridesA[d] * shape[d] &&
          stridesB_.back() == stridesB[d] * shape[d]) {
        shape_.back() *= shape[d];
        stridesA_.back() = stridesA[d];
        stridesB_.back() = stridesB[d];
        continue;
      }
      shape_.push_back(shape[d]);
      stridesA_.push_back(stridesA[d]);
      stridesB_.push_back(stridesB[d]);
    }
  }

  // Calls f(offsetA, offsetB) for every index, starting from the given offsets.
  template <typename F>
  void run(int64_t offA, int64_t offB, F&& f) const {
    if (empty_) return;
    if (shape_.empty()) {
      f(offA, offB);
      return;
    }
    const size_t rank = shape_.size();
    const int64_t n = shape_.back(), sa = stridesA_.back(), sb = stridesB_.back();
    std::vector<int64_t> idx(rank, 0);
    while (true) {
      for (int64_t i = 0; i < n; ++i) f(offA + i * sa, offB + i * sb);
      size_t d = rank - 1;
      while (d-- > 0) {
        offA += stridesA_[d];
        offB += stridesB_[d];
        if (++idx[d] < shape_[d]) break;
        offA -= stridesA_[d] * shape_[d];
        offB -= stridesB_[d] * shape_[d];
        idx[d] = 0;
      }
      if (d == static_cast<size_t>(-1)) return;
    }
  }

 private:
  bool empty_ = false;
  Shape shape_;
  std::vector<int64_t> stridesA_, stridesB_;
};

// The i in [0, count) for which 0 <= offset + i * step < limit (step >= 1),
// as [first, end), first <= end: which elements of a strided, shifted run fall
// inside a dimension (pad, window reductions, im2col).
struct IndexRange {
  int64_t first, end;
  int64_t size() const { return end - first; }
};
inline IndexRange inRange(int64_t offset, int64_t step, int64_t count, int64_t limit) {
  const int64_t first = offset >= 0 ? 0 : (-offset + step - 1) / step;
  const int64_t lastPos = limit - 1 - offset;  // i * step <= lastPos
  const int64_t end = lastPos < 0 ? 0 : std::min(count, lastPos / step + 1);
  return {first, std::max(first, end)};
}

// [0, 1, ..., rank-1].
inline std::vector<int64_t> identityPerm(int64_t rank) {
  std::vector<int64_t> perm(static_cast<size_t>(rank));
  for (int64_t i = 0; i < rank; ++i) perm[static_cast<size_t>(i)] = i;
  return perm;
}

// Copies elements of `elemSize` bytes: dst[dstOff + i.dstStrides] =
// src[srcOff + i.srcStrides] for every index i of `shape`.
void copyStrided(const void* src, int64_t srcOff, const std::vector<int64_t>& srcStrides,
                 void* dst, int64_t dstOff, const std::vector<int64_t>& dstStrides,
                 const Shape& shape, int64_t elemSize);

// Fills n elements of elemSize bytes with the element at `value`.
void fillElements(void* dst, int64_t n, const void* value, int64_t elemSize);

// Two's complement arithmetic on int64 (signed overflow is undefined in C++).
// Narrowing the result to i32/i8 afterwards gives the wrapped result of that width.
inline int64_t wrapAdd(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}
inline int64_t wrapSub(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}
inline int64_t wrapMul(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
}
inline int64_t wrapNeg(int64_t a) { return wrapSub(0, a); }

// Float max/min that return NaN when either side is NaN.
template <typename T>
T nanMax(T a, T b) {
  if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<T>::quiet_NaN();
  return a < b ? b : a;
}
template <typename T>
T nanMin(T a, T b) {
  if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<T>::quiet_NaN();
  return b < a ? b : a;
}

// Reductions in Tr::Accum. i1 is logical: Sum and Max are "any", Prod and
// Min are "all". Integer Sum/Prod wrap at the storage width once narrowed.
template <typename Tr>
typename Tr::Accum reduceIdentity(ReduceKind kind) {
  using A = typename Tr::Accum;
  using C = typename Tr::Compute;
  switch (kind) {
    case ReduceKind::Sum: return A(0);
    case ReduceKind::Prod: return A(1);
    case ReduceKind::Max:
      if constexpr (Tr::kFloat) return -std::numeric_limits<A>::infinity();
      else return static_cast<A>(std::numeric_limits<C>::lowest());
    case ReduceKind::Min:
      if constexpr (Tr::kFloat) return std::numeric_limits<A>::infinity();
      else return static_cast<A>(std::numeric_limits<C>::max());
  }
  return A(0);
}

template <typename Tr>
typename Tr::Accum reduceCombine(ReduceKind kind, typename Tr::Accum acc, typename Tr::Accum v) {
  switch (kind) {
    case ReduceKind::Sum:
      if constexpr (Tr::kFloat) return acc + v;
      else if constexpr (Tr::kBool) return acc | v;
      else return wrapAdd(acc, v);
    case ReduceKind::Prod:
      if constexpr (Tr::kFloat) return acc * v;
      else if constexpr (Tr::kBool) return acc & v;
      else return wrapMul(acc, v);
    case ReduceKind::Max:
      if constexpr (Tr::kFloat) return nanMax(acc, v);
      else return std::max(acc, v);
    case ReduceKind::Min:
      if constexpr (Tr::kFloat) return nanMin(acc, v);
      else return std::min(acc, v);
  }
  return acc;
}

template <typename Tr>
typename Tr::Accum loadAccum(const typename Tr::Storage* p, int64_t i) {
  return static_cast<typename Tr::Accum>(Tr::load(p[i]));
}

// For ops given a dtype they are not defined on; the verifier rejects those,
// so reaching this is a compiler bug, not a data error.
[[noreturn]] void throwUnsupported(std::string_view op, DType t);

// Runs f(begin, end) over [0, n) split into contiguous chunks on up to
// hardware_concurrency() threads; one thread when the work (n * costPerItem,
// in rough multiply-adds) is too small to pay for starting threads. The first
// exception thrown by a chunk is rethrown on the caller's thread.
template <typename F>
void parallelFor(int64_t n, int64_t costPerItem, F&& f) {
  constexpr int64_t kMinWorkPerThread = int64_t(1) << 18;
  int64_t hw = std::max<int64_t>(1, std::thread::hardware_concurrency());
  int64_t work = n * std::max<int64_t>(1, costPerItem);
  int64_t threads = std::min({hw, n, work / kMinWorkPerThread});
  if (threads <= 1) {
    if (n > 0) f(int64_t(0), n);
    return;
  }
  std::vector<std::exception_ptr> errors(threads);
  std::vector<std::thread> pool;
  auto chunk = [&](int64_t t) {
    try {
      f(n * t / threads, n * (t + 1) / threads);
    } catch (...) {
      errors[t] = std::current_exception();
    }
  };
  for (int64_t t = 1; t < threads; ++t) pool.emplace_back(chunk, t);
  chunk(0);
  for (std::thread& th : pool) th.join();
  for (std::exception_ptr& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace dlc::rt::detail
