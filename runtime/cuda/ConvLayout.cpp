#include "runtime/cuda/ConvLayout.h"

#include <limits>

namespace dlc::rt::cuda {
namespace {

int toInt(int64_t v, const char* what) {
  if (v < 0 || v > std::numeric_limits<int32_t>::max())
    throw ConvLayoutError(std::string(what) + " " + std::to_string(v) + " is outside cuDNN's int32 range");
  return static_cast<int>(v);
}

std::vector<int> packedStrides(const std::vector<int>& dims) {
  std::vector<int> s(dims.size(), 1);
  int64_t acc = 1;
  for (size_t i = dims.size(); i-- > 0;) {
    s[i] = toInt(acc, "a stride");
    acc *= dims[i];
  }
  return s;
}

}  // namespace

CudnnConv mapConv(const ConvCall& call) {
  size_t rank = call.xShape.size();
  if (rank < 3 || rank > 5)
    throw ConvLayoutError("a convolution of " + std::to_string(static_cast<int64_t>(rank) - 2) +
                          " spatial dimension(s): cuDNN calls take 1 to 3");
  size_t k = rank - 2;
  if (call.wShape.size() != rank || call.yShape.size() != rank)
    throw ConvLayoutError("input " + shapeString(call.xShape) + ", filter " + shapeString(call.wShape) +
                          " and output " + shapeString(call.yShape) + " must have the same rank");
  if (call.strides.size() != k || call.padLow.size() != k || call.padHigh.size() != k ||
      call.dilations.size() != k)
    throw ConvLayoutError("strides, pads and dilations need " + std::to_string(k) + " entries each");
  if (call.groups <= 0) throw ConvLayoutError("groups must be positive, got " + std::to_string(call.groups));
  int64_t n = call.xShape[0], c = call.xShape[1], o = call.wShape[0];
  if (c % call.groups != 0 || o % call.groups != 0 || call.wShape[1] * call.groups != c)
    throw ConvLayoutError("filter " + shapeString(call.wShape) + " with " + std::to_string(call.groups) +
                          " group(s) does not match input channels " + std::to_string(c));
  if (call.yShape[0] != n || call.yShape[1] != o)
    throw ConvLayoutError("output " + shapeString(call.yShape) + " must be " + std::to_string(n) + " x " +
                          std::to_string(o) + " x ...");
  CudnnConv d;
  d.groups = toInt(call.groups, "groups");
  for (size_t i = 0; i < k; ++i) {
    if (call.padLow[i] != call.padHigh[i])
      throw ConvLayoutError("padding " + std::to_string(call.padLow[i]) + "/" + std::to_string(call.padHigh[i]) +
                            " of spatial dimension " + std::to_string(i) +
                            " is asymmetric: cuDNN pads both sides alike");
    if (call.strides[i] <= 0 || call.dilations[i] <= 0 || call.padLow[i] < 0)
      throw ConvLayoutError("spatial dimension " + std::to_string(i) +
                            ": strides and dilations must be positive, pads not negative");
    int64_t span = call.dilations[i] * (call.wShape[2 + i] - 1) + 1;
    int64_t r = (call.xShape[2 + i] + 2 * call.padLow[i] - span) / call.strides[i] + 1;
    if (call.wShape[2 + i] <= 0 || call.xShape[2 + i] + 2 * call.padLow[i] < span || r != call.yShape[2 + i])
      throw ConvLayoutError("spatial dimension " + std::to_string(i) + ": output size " +
                            std::to_string(call.yShape[2 + i]) + " does not follow from input " +
                            std::to_string(call.xShape[2 + i]) + ", filter " + std::to_string(call.wShape[2 + i]) +
                            ", pad " + std::to_string(call.padLow[i]) + ", stride " +
                            std::to_string(call.strides[i]) + ", dilation " + std::to_string(call.dilations[i]));
    d.pad.push_back(toInt(call.padLow[i], "a pad"));
    d.stride.push_back(toInt(call.strides[i], "a stride"));
    d.dilation.push_back(toInt(call.dilations[i], "a dilation"));
  }
  for (size_t i = 0; i < rank; ++i) {
    d.xDims.push_back(toInt(call.xShape[i], "a dimension"));
    d.wDims.push_back(toInt(call.wShape[i], "a dimension"));
    d.yDims.push_back(toInt(call.yShape[i], "a dimension"));
  }
  if (k == 1) {  // 1-D: a 2-D convolution over S x 1
    d.xDims.push_back(1);
    d.wDims.push_back(1);
    d.yDims.push_back(1);
    d.pad.push_back(0);
    d.stride.push_back(1);
    d.dilation.push_back(1);
  }
  d.nbDims = static_cast<int>(d.xDims.size());
  d.xStrides = packedStrides(d.xDims);
  d.yStrides = packedStrides(d.yDims);
  d.biasDims.assign(d.nbDims, 1);
  d.biasDims[1] = d.yDims[1];
  d.biasStrides = packedStrides(d.biasDims);
  return d;
}

}  // namespace dlc::rt::cuda
