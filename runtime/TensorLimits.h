// The largest tensor dlc accepts, and the one check of a shape against it.
//
// Every frontend (ONNX graph inputs and op results, the DSL through the
// ONNX importer, IR text, tensor files) and the host device check sizes
// here, before anything is allocated and before any size arithmetic can
// overflow: a hostile file that declares dims of 2^62 x 2^62 must be refused
// with a message, not wrap around into a small (wrong) arena offset or a
// multi-terabyte allocation.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/DType.h"

namespace dlc::rt {

// 2^38 bytes (256 GiB): more than the memory of any one GPU (an H200 has
// 141 GB) or a typical host, so no model that can run is refused, and small
// enough that byte sizes and offsets of a few thousand such tensors stay far
// from int64 overflow.
constexpr int64_t kMaxTensorBytes = int64_t{1} << 38;

// Why a tensor of `shape` of `dtype` is refused, or "" when it is fine: a
// negative dimension, an element count or byte size that overflows int64,
// or a byte size above kMaxTensorBytes. The message says which (with the
// shape), e.g. "shape [4611686018427387904, 4] overflows int64 (more than
// 2^63 elements)".
std::string tensorSizeProblem(DType dtype, const std::vector<int64_t>& shape);

}  // namespace dlc::rt
