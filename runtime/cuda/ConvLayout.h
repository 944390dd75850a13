// ConvCall -> the cuDNN descriptors of the convolution: N-d tensor, filter
// and convolution descriptors (cuDNN wants at least 4-D tensors, so a 1-D
// convolution becomes a 2-D one with a trailing spatial dimension of 1).
// Pure (no CUDA), so the derivation is unit-tested without a GPU.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "runtime/cuda/CudaPlan.h"

namespace dlc::rt::cuda {

// A ConvCall cuDNN cannot compute as described (the compiler's fault: codegen
// must not emit it); the message says why.
struct ConvLayoutError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

struct CudnnConv {
  int nbDims = 4;                    // tensor rank: 2 + spatial dims (>= 4)
  std::vector<int> xDims, xStrides;  // NCHW..., packed
  std::vector<int> wDims;            // O, C/groups, K... (NCHW filter format)
  std::vector<int> yDims, yStrides;
  std::vector<int> pad, stride, dilation;  // nbDims - 2 entries
  int groups = 1;
  std::vector<int> biasDims, biasStrides;  // 1 x O x 1..., for cudnnAddTensor
};

// Throws ConvLayoutError for asymmetric padding (cuDNN pads both sides
// alike), non-positive strides/dilations/groups, shapes that do not agree
// with each other and with the output size formula, sizes beyond int32, or a
// rank outside 1..3 spatial dimensions.
CudnnConv mapConv(const ConvCall& call);

}  // namespace dlc::rt::cuda
