// argsort: a stable sort of each row along one dimension, on indices.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "runtime/host/KernelUtil.h"

namespace dlc::rt {

using namespace detail;

namespace {

// The sort order of the IR: IEEE `<`, except that NaN is above everything
// (so NaNs are equal to each other and the order stays a strict weak one).
template <typename C>
bool sortsBefore(C a, C b) {
  if constexpr (std::is_floating_point_v<C>) {
    if (std::isnan(a)) return false;
    if (std::isnan(b)) return true;
  }
  return a < b;
}

}  // namespace

void argsort(ConstTensorRef x, int64_t dim, bool descending, TensorRef out) {
  if (out.type.dtype != DType::I64) throwUnsupported("argsort result", out.type.dtype);
  const Shape& shape = x.type.shape;
  const int64_t len = shape[static_cast<size_t>(dim)];
  int64_t inner = 1;
  for (size_t d = static_cast<size_t>(dim) + 1; d < shape.size(); ++d) inner *= shape[d];
  const int64_t rows = len == 0 ? 0 : x.type.numElements() / len;
  int64_t* o = out.as<int64_t>();
  visitDType(x.type.dtype, [&](auto tr) {
    using Tr = decltype(tr);
    using C = typename Tr::Compute;
    const auto* in = x.as<typename Tr::Storage>();
    const int64_t cost = len * (1 + static_cast<int64_t>(std::log2(len + 1)));
    parallelFor(rows, cost, [&](int64_t begin, int64_t end) {
      std::vector<C> key(static_cast<size_t>(len));
      std::vector<int64_t> idx(static_cast<size_t>(len));
      for (int64_t row = begin; row < end; ++row) {
        // Row `row` starts at (outer index) * len * inner + (inner index).
        const int64_t base = (row / inner) * len * inner + row % inner;
        for (int64_t j = 0; j < len; ++j) key[j] = Tr::load(in[base + j * inner]);
        std::iota(idx.begin(), idx.end(), int64_t(0));
        if (descending)
          std::stable_sort(idx.begin(), idx.end(),
                           [&](int64_t a, int64_t b) { return sortsBefore(key[b], key[a]); });
        else
          std::stable_sort(idx.begin(), idx.end(),
                           [&](int64_t a, int64_t b) { return sortsBefore(key[a], key[b]); });
        for (int64_t j = 0; j < len; ++j) o[base + j * inner] = idx[j];
      }
    });
  });
}

}  // namespace dlc::rt
