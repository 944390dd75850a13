// gather and its adjoint scatter: the only data movement whose source
// positions come from data, so the only ones that check ranges at run time.
#include "runtime/host/KernelUtil.h"

namespace dlc::rt {

using namespace detail;

namespace {

// Both ops see x (or base) as [outer, axisDim, inner] and the gathered
// result as [outer, numIndices, inner].
struct AxisSplit {
  int64_t outer = 1, axisDim = 0, inner = 1;
  AxisSplit(const Shape& shape, int64_t axis) {
    const auto a = static_cast<size_t>(axis);
    for (size_t d = 0; d < a; ++d) outer *= shape[d];
    axisDim = shape[a];
    for (size_t d = a + 1; d < shape.size(); ++d) inner *= shape[d];
  }
};

// Reads i32/i64 indices, wraps negative ones once and checks every one
// before anything is written, so a bad index leaves the result untouched.
std::vector<int64_t> checkedIndices(std::string_view op, ConstTensorRef indices, int64_t axis,
                                    int64_t axisDim) {
  const int64_t n = indices.type.numElements();
  std::vector<int64_t> idx(static_cast<size_t>(n));
  DType t = indices.type.dtype;
  if (t != DType::I32 && t != DType::I64) throwUnsupported(std::string(op) + " indices", t);
  for (int64_t j = 0; j < n; ++j) {
    int64_t i = t == DType::I32 ? indices.as<int32_t>()[j] : indices.as<int64_t>()[j];
    int64_t wrapped = i < 0 ? i + axisDim : i;
    if (wrapped < 0 || wrapped >= axisDim)
      throw KernelError(std::string(op) + ": index " + std::to_string(i) +
                        " is out of range for dimension " + std::to_string(axis) + " of size " +
                        std::to_string(axisDim));
    idx[static_cast<size_t>(j)] = wrapped;
  }
  return idx;
}

}  // namespace

void gather(ConstTensorRef x, ConstTensorRef indices, int64_t axis, TensorRef out) {
  AxisSplit s(x.type.shape, axis);
  std::vector<int64_t> idx = checkedIndices("gather", indices, axis, s.axisDim);
  const int64_t m = static_cast<int64_t>(idx.size());
  const int64_t rowBytes = s.inner * dtypeSize(x.type.dtype);
  if (rowBytes == 0) return;
  const auto* src = static_cast<const char*>(x.data);
  auto* dst = static_cast<char*>(out.data);
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t j = 0; j < m; ++j)
      std::memcpy(dst + (o * m + j) * rowBytes, src + (o * s.axisDim + idx[static_cast<size_t>(j)]) * rowBytes,
                  static_cast<size_t>(rowBytes));
}

std::string_view scatterKindName(ScatterKind k) {
  switch (k) {
    case ScatterKind::Add: return "add";
    case ScatterKind::Mul: return "mul";
    case ScatterKind::Max: return "max";
    case ScatterKind::Min: return "min";
    case ScatterKind::Replace: return "replace";
  }
  return "?";
}

namespace {

// One combine step in Tr::Accum; the arithmetic kinds reuse the reductions'
// rules (wrapping integers, logical i1, NaN-propagating max/min).
template <typename Tr>
typename Tr::Accum scatterCombine(ScatterKind kind, typename Tr::Accum v, typename Tr::Accum u) {
  switch (kind) {
    case ScatterKind::Add: return reduceCombine<Tr>(ReduceKind::Sum, v, u);
    case ScatterKind::Mul: return reduceCombine<Tr>(ReduceKind::Prod, v, u);
    case ScatterKind::Max: return reduceCombine<Tr>(ReduceKind::Max, v, u);
    case ScatterKind::Min: return reduceCombine<Tr>(ReduceKind::Min, v, u);
    case ScatterKind::Replace: return u;
  }
  return v;
}

}  // namespace

// Combines in Tr::Accum (double for floats) and rounds once at the end, so
// duplicate indices into f16/bf16 are not rounded after every step.
void scatter(ScatterKind kind, ConstTensorRef base, ConstTensorRef indices,
             ConstTensorRef updates, int64_t axis, TensorRef out) {
  AxisSplit s(base.type.shape, axis);
  std::vector<int64_t> idx = checkedIndices("scatter", indices, axis, s.axisDim);
  const int64_t m = static_cast<int64_t>(idx.size());
  visitDType(base.type.dtype, [&](auto tr) {
    using Tr = decltype(tr);
    using S = typename Tr::Storage;
    const int64_t n = base.type.numElements();
    std::vector<typename Tr::Accum> acc(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) acc[static_cast<size_t>(i)] = loadAccum<Tr>(base.as<S>(), i);
    const S* up = updates.as<S>();
    for (int64_t o = 0; o < s.outer; ++o)
      for (int64_t j = 0; j < m; ++j) {
        const int64_t dstRow = (o * s.axisDim + idx[static_cast<size_t>(j)]) * s.inner;
        const int64_t srcRow = (o * m + j) * s.inner;
        for (int64_t k = 0; k < s.inner; ++k) {
          auto& a = acc[static_cast<size_t>(dstRow + k)];
          a = scatterCombine<Tr>(kind, a, loadAccum<Tr>(up, srcRow + k));
        }
      }
    S* o = out.as<S>();
    for (int64_t i = 0; i < n; ++i) o[i] = storeAs<Tr::kDType>(acc[static_cast<size_t>(i)]);
  });
}

}  // namespace dlc::rt
