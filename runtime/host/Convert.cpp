// convert, bitcastConvert and iota: the kernels whose result dtype is chosen
// independently of their operand; convert and iota send every value through
// storeAs's conversion rules, bitcastConvert copies the bits.
#include "runtime/host/KernelUtil.h"

namespace dlc::rt {

void convert(ConstTensorRef x, TensorRef out) {
  const int64_t n = out.type.numElements();
  visitDType(x.type.dtype, [&](auto from) {
    using From = decltype(from);
    visitDType(out.type.dtype, [&](auto to) {
      using To = decltype(to);
      const auto* in = x.as<typename From::Storage>();
      auto* o = out.as<typename To::Storage>();
      // Integers go through int64 and floats through their compute type, both
      // exact, so each value is rounded exactly once, by storeAs.
      for (int64_t i = 0; i < n; ++i) o[i] = storeAs<To::kDType>(From::load(in[i]));
    });
  });
}

void bitcastConvert(ConstTensorRef x, TensorRef out) {
  if (dtypeSize(x.type.dtype) != dtypeSize(out.type.dtype))
    throw std::invalid_argument("bitcast_convert from " + std::string(dtypeName(x.type.dtype)) +
                                " to " + std::string(dtypeName(out.type.dtype)) +
                                ": storage sizes differ");
  if (out.type.byteSize() > 0)
    std::memcpy(out.data, x.data, static_cast<size_t>(out.type.byteSize()));
}

void iota(int64_t dim, TensorRef out) {
  const Shape& shape = out.type.shape;
  // The index along `dim` of row-major element i is (i / inner) % size.
  int64_t inner = 1;
  for (size_t d = static_cast<size_t>(dim) + 1; d < shape.size(); ++d) inner *= shape[d];
  const int64_t size = shape[static_cast<size_t>(dim)];
  const int64_t n = out.type.numElements();
  visitDType(out.type.dtype, [&](auto tr) {
    using Tr = decltype(tr);
    auto* o = out.as<typename Tr::Storage>();
    for (int64_t i = 0; i < n; ++i) o[i] = storeAs<Tr::kDType>((i / inner) % size);
  });
}

}  // namespace dlc::rt
