// convolution as im2col + GEMM: for each image and group, the input patches
// become a [C/groups * prod(K), prod(R)] matrix and the group's filters, a
// [O/groups, C/groups * prod(K)] row-major block as stored, multiply it into
// the output's [O/groups, prod(R)] block as stored.
#include "runtime/host/Gemm.h"

namespace dlc::rt {

using namespace detail;

namespace {

struct ConvGeometry {
  Shape spatialIn, kernel, spatialOut;  // S, K, R
  int64_t channelsPerGroup = 0, filtersPerGroup = 0;
  int64_t inSize = 0, kernelSize = 0, outSize = 0;  // prod(S), prod(K), prod(R)

  ConvGeometry(const Shape& input, const Shape& filter, const Shape& out, int64_t groups)
      : spatialIn(input.begin() + 2, input.end()),
        kernel(filter.begin() + 2, filter.end()),
        spatialOut(out.begin() + 2, out.end()),
        channelsPerGroup(filter[1]),
        filtersPerGroup(filter[0] / groups),
        inSize(numElements(spatialIn)),
        kernelSize(numElements(kernel)),
        outSize(numElements(spatialOut)) {}
};

// Fills col ([channelsPerGroup * kernelSize, outSize], zero where the window
// reads padding) from the group's channels starting at `in`. Row (c, k) holds
// in[c, r*stride - padLow + k*dilation] for every output position r; the r
// whose position is in range form a box, copied with one strided walk.
template <typename G>
void im2col(const G* in, const ConvGeometry& g, const ConvParams& p, G* col) {
  const size_t k = g.kernel.size();
  std::vector<int64_t> xs = rowMajorStrides(g.spatialIn), rs = rowMajorStrides(g.spatialOut);
  std::vector<int64_t> srcStrides(k);
  for (size_t d = 0; d < k; ++d) srcStrides[d] = xs[d] * p.strides[d];
  std::fill_n(col, g.channelsPerGroup * g.kernelSize * g.outSize, G(0));
  Shape box(k);
  for (int64_t kpos = 0; kpos < g.kernelSize; ++kpos) {
    int64_t srcOff = 0, dstOff = 0, rest = kpos;
    for (size_t d = k; d-- > 0;) {
      const int64_t kd = rest % g.kernel[d];
      rest /= g.kernel[d];
      const int64_t shift = kd * p.dilations[d] - p.padLow[d];
      IndexRange r = inRange(shift, p.strides[d], g.spatialOut[d], g.spatialIn[d]);
      box[d] = r.size();
      srcOff += (shift + r.first * p.strides[d]) * xs[d];
      dstOff += r.first * rs[d];
    }
    StridedWalk walk(box, srcStrides, rs);
    for (int64_t c = 0; c < g.channelsPerGroup; ++c) {
      G* row = col + (c * g.kernelSize + kpos) * g.outSize;
      walk.run(c * g.inSize + srcOff, dstOff, [&](int64_t i, int64_t o) { row[o] = in[i]; });
    }
  }
}

}  // namespace

void convolution(ConstTensorRef input, ConstTensorRef filter, const ConvParams& p, TensorRef out) {
  ConvGeometry g(input.type.shape, filter.type.shape, out.type.shape, p.groups);
  const int64_t images = input.type.shape[0];
  const int64_t filters = filter.type.shape[0];
  const int64_t patch = g.channelsPerGroup * g.kernelSize;  // the GEMM's K
  visitDType(input.type.dtype, [&](auto tr) {
    using Tr = decltype(tr);
    using G = GemmType<Tr>;
    GemmOperand<Tr> x(input, identityPerm(input.type.rank()));
    GemmOperand<Tr> w(filter, identityPerm(filter.type.rank()));
    GemmResult<Tr> y(out);
    std::vector<G> col(static_cast<size_t>(patch * g.outSize));
    for (int64_t n = 0; n < images; ++n)
      for (int64_t grp = 0; grp < p.groups; ++grp) {
        const int64_t firstChannel = grp * g.channelsPerGroup, firstFilter = grp * g.filtersPerGroup;
        im2col(x.data() + (n * g.channelsPerGroup * p.groups + firstChannel) * g.inSize, g, p,
               col.data());
        gemm(1, g.filtersPerGroup, g.outSize, patch, w.data() + firstFilter * patch, col.data(),
             y.data() + (n * filters + firstFilter) * g.outSize);
      }
    y.finish();
  });
}

}  // namespace dlc::rt
