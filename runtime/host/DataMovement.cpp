// Data movement kernels. They never look at values, so every dtype is copied
// as raw elements of its size, and each op is one strided copy: the op only
// decides which source element lands where.
#include "runtime/host/KernelUtil.h"

namespace dlc::rt {

using namespace detail;

namespace {

int64_t elemSize(ConstTensorRef t) { return dtypeSize(t.type.dtype); }

// Copies all of x into out, iterating over out's index space, with x read at
// offset srcOff and per-out-dimension strides srcStrides.
void gatherStrided(ConstTensorRef x, int64_t srcOff, const std::vector<int64_t>& srcStrides,
                   TensorRef out) {
  copyStrided(x.data, srcOff, srcStrides, out.data, 0, rowMajorStrides(out.type.shape),
              out.type.shape, elemSize(x));
}

}  // namespace

void broadcastInDim(ConstTensorRef x, const std::vector<int64_t>& dims, TensorRef out) {
  std::vector<int64_t> srcStrides(out.type.shape.size(), 0);  // 0: broadcast dimension
  std::vector<int64_t> xs = rowMajorStrides(x.type.shape);
  for (size_t i = 0; i < dims.size(); ++i)
    if (x.type.shape[i] != 1) srcStrides[static_cast<size_t>(dims[i])] = xs[i];
  gatherStrided(x, 0, srcStrides, out);
}

void reshape(ConstTensorRef x, TensorRef out) {
  if (out.type.byteSize() > 0) std::memcpy(out.data, x.data, static_cast<size_t>(out.type.byteSize()));
}

void transpose(ConstTensorRef x, const std::vector<int64_t>& perm, TensorRef out) {
  std::vector<int64_t> xs = rowMajorStrides(x.type.shape);
  std::vector<int64_t> srcStrides(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) srcStrides[i] = xs[static_cast<size_t>(perm[i])];
  gatherStrided(x, 0, srcStrides, out);
}

// `limit` is implied by out's shape.
void slice(ConstTensorRef x, const std::vector<int64_t>& start, const std::vector<int64_t>& /*limit*/,
           const std::vector<int64_t>& strides, TensorRef out) {
  std::vector<int64_t> xs = rowMajorStrides(x.type.shape);
  std::vector<int64_t> srcStrides(xs.size());
  int64_t off = 0;
  for (size_t d = 0; d < xs.size(); ++d) {
    off += start[d] * xs[d];
    srcStrides[d] = xs[d] * strides[d];
  }
  gatherStrided(x, off, srcStrides, out);
}

void concatenate(const std::vector<ConstTensorRef>& xs, int64_t dim, TensorRef out) {
  std::vector<int64_t> os = rowMajorStrides(out.type.shape);
  const auto d = static_cast<size_t>(dim);
  int64_t at = 0;  // where the next operand starts along `dim`
  for (const ConstTensorRef& x : xs) {
    copyStrided(x.data, 0, rowMajorStrides(x.type.shape), out.data, at * os[d], os,
                x.type.shape, elemSize(x));
    at += x.type.shape[d];
  }
}

// `high` is implied by out's shape.
void pad(ConstTensorRef x, ConstTensorRef padValue, const std::vector<int64_t>& low,
         const std::vector<int64_t>& /*high*/, const std::vector<int64_t>& interior, TensorRef out) {
  fillElements(out.data, out.type.numElements(), padValue.data, elemSize(x));
  // Input element i of dimension d lands at low + i * (interior + 1); a
  // negative low or high crops the elements that land outside [0, outDim).
  const Shape& in = x.type.shape;
  std::vector<int64_t> xs = rowMajorStrides(in), os = rowMajorStrides(out.type.shape);
  Shape kept(in.size());
  std::vector<int64_t> dstStrides(in.size());
  int64_t srcOff = 0, dstOff = 0;
  for (size_t d = 0; d < in.size(); ++d) {
    const int64_t step = interior[d] + 1;
    IndexRange r = inRange(low[d], step, in[d], out.type.shape[d]);
    kept[d] = r.size();
    srcOff += r.first * xs[d];
    dstOff += (low[d] + r.first * step) * os[d];
    dstStrides[d] = os[d] * step;
  }
  copyStrided(x.data, srcOff, xs, out.data, dstOff, dstStrides, kept, elemSize(x));
}

void reverse(ConstTensorRef x, const std::vector<int64_t>& dims, TensorRef out) {
  std::vector<int64_t> srcStrides = rowMajorStrides(x.type.shape);
  int64_t off = 0;
  for (int64_t dim : dims) {
    const auto d = static_cast<size_t>(dim);
    if (x.type.shape[d] == 0) return;  // empty: nothing to copy
    off += (x.type.shape[d] - 1) * srcStrides[d];
    srcStrides[d] = -srcStrides[d];
  }
  gatherStrided(x, off, srcStrides, out);
}

}  // namespace dlc::rt
