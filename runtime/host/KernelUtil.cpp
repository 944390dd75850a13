#include "runtime/host/KernelUtil.h"

namespace dlc::rt::detail {

namespace {

// The element type only fixes the width: every dtype is copied as raw bytes.
template <typename W>
void copyStridedAs(const void* src, int64_t srcOff, const std::vector<int64_t>& srcStrides,
                   void* dst, int64_t dstOff, const std::vector<int64_t>& dstStrides,
                   const Shape& shape) {
  const W* s = static_cast<const W*>(src);
  W* d = static_cast<W*>(dst);
  StridedWalk(shape, srcStrides, dstStrides).run(srcOff, dstOff, [&](int64_t i, int64_t o) {
    d[o] = s[i];
  });
}

}  // namespace

void copyStrided(const void* src, int64_t srcOff, const std::vector<int64_t>& srcStrides,
                 void* dst, int64_t dstOff, const std::vector<int64_t>& dstStrides,
                 const Shape& shape, int64_t elemSize) {
  switch (elemSize) {
    case 1: return copyStridedAs<uint8_t>(src, srcOff, srcStrides, dst, dstOff, dstStrides, shape);
    case 2: return copyStridedAs<uint16_t>(src, srcOff, srcStrides, dst, dstOff, dstStrides, shape);
    case 4: return copyStridedAs<uint32_t>(src, srcOff, srcStrides, dst, dstOff, dstStrides, shape);
    case 8: return copyStridedAs<uint64_t>(src, srcOff, srcStrides, dst, dstOff, dstStrides, shape);
  }
  throw std::invalid_argument("copyStrided: unsupported element size " + std::to_string(elemSize));
}

void fillElements(void* dst, int64_t n, const void* value, int64_t elemSize) {
  auto* d = static_cast<char*>(dst);
  for (int64_t i = 0; i < n; ++i) std::memcpy(d + i * elemSize, value, static_cast<size_t>(elemSize));
}

void throwUnsupported(std::string_view op, DType t) {
  throw std::invalid_argument(std::string(op) + " is not defined on " + std::string(dtypeName(t)));
}

}  // namespace dlc::rt::detail
