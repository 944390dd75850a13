// reduce and reduceWindow. Both accumulate in Tr::Accum (double for every
// float type) and round once into the result.
#include "runtime/host/KernelUtil.h"

namespace dlc::rt {

using namespace detail;

namespace {

template <typename Tr>
void storeAccums(const std::vector<typename Tr::Accum>& acc, TensorRef out) {
  auto* o = out.as<typename Tr::Storage>();
  for (size_t i = 0; i < acc.size(); ++i) o[i] = storeAs<Tr::kDType>(acc[i]);
}

}  // namespace

void reduce(ReduceKind kind, ConstTensorRef x, const std::vector<int64_t>& dims, TensorRef out) {
  // Walk x in memory order; each element goes to the accumulator of its index
  // with the reduced dimensions dropped (stride 0 there).
  const Shape& shape = x.type.shape;
  std::vector<int64_t> os = rowMajorStrides(out.type.shape);
  std::vector<int64_t> toOut(shape.size(), 0);
  for (size_t d = 0, o = 0; d < shape.size(); ++d)
    if (std::find(dims.begin(), dims.end(), static_cast<int64_t>(d)) == dims.end()) toOut[d] = os[o++];
  visitDType(x.type.dtype, [&](auto tr) {
    using Tr = decltype(tr);
    const auto* in = x.as<typename Tr::Storage>();
    std::vector<typename Tr::Accum> acc(static_cast<size_t>(out.type.numElements()),
                                        reduceIdentity<Tr>(kind));
    StridedWalk(shape, rowMajorStrides(shape), toOut).run(0, 0, [&](int64_t i, int64_t o) {
      acc[static_cast<size_t>(o)] = reduceCombine<Tr>(kind, acc[static_cast<size_t>(o)], loadAccum<Tr>(in, i));
    });
    storeAccums<Tr>(acc, out);
  });
}

void reduceWindow(ReduceKind kind, ConstTensorRef x, const WindowParams& p, TensorRef out) {
  // Loop over window offsets outside and outputs inside: for a fixed offset w
  // the outputs whose input position o*stride - padLow + w*dilation is in
  // range form a box, walked with one strided loop. Each output still sees
  // its window elements in row-major window order; padding is never visited,
  // which is the same as combining the identity.
  const Shape& in = x.type.shape;
  const Shape& outShape = out.type.shape;
  const size_t rank = in.size();
  std::vector<int64_t> xs = rowMajorStrides(in), os = rowMajorStrides(outShape);
  std::vector<int64_t> srcStrides(rank);
  for (size_t d = 0; d < rank; ++d) srcStrides[d] = xs[d] * p.strides[d];
  const int64_t windowSize = numElements(p.window);
  visitDType(x.type.dtype, [&](auto tr) {
    using Tr = decltype(tr);
    const auto* src = x.as<typename Tr::Storage>();
    std::vector<typename Tr::Accum> acc(static_cast<size_t>(out.type.numElements()),
                                        reduceIdentity<Tr>(kind));
    Shape box(rank);
    for (int64_t w = 0; w < windowSize && !acc.empty(); ++w) {
      int64_t srcOff = 0, dstOff = 0;
      int64_t rest = w;
      for (size_t d = rank; d-- > 0;) {
        const int64_t wd = rest % p.window[d];
        rest /= p.window[d];
        const int64_t shift = wd * p.dilations[d] - p.padLow[d];
        IndexRange r = inRange(shift, p.strides[d], outShape[d], in[d]);
        box[d] = r.size();
        srcOff += (shift + r.first * p.strides[d]) * xs[d];
        dstOff += r.first * os[d];
      }
      StridedWalk(box, srcStrides, os).run(srcOff, dstOff, [&](int64_t i, int64_t o) {
        acc[static_cast<size_t>(o)] = reduceCombine<Tr>(kind, acc[static_cast<size_t>(o)], loadAccum<Tr>(src, i));
      });
    }
    storeAccums<Tr>(acc, out);
  });
}

}  // namespace dlc::rt
