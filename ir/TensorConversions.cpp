#include "ir/TensorConversions.h"

#include <cstring>

#include "mlir/IR/Builders.h"

using namespace mlir;

namespace dlc {

std::optional<rt::DType> dtypeOf(Type t) {
  if (t.isF32()) return rt::DType::F32;
  if (t.isF16()) return rt::DType::F16;
  if (t.isBF16()) return rt::DType::BF16;
  if (t.isF64()) return rt::DType::F64;
  if (t.isSignlessInteger(64)) return rt::DType::I64;
  if (t.isSignlessInteger(32)) return rt::DType::I32;
  if (t.isSignlessInteger(16)) return rt::DType::I16;
  if (t.isSignlessInteger(8)) return rt::DType::I8;
  if (t.isSignlessInteger(1)) return rt::DType::I1;
  if (t.isUnsignedInteger(8)) return rt::DType::U8;
  if (t.isUnsignedInteger(16)) return rt::DType::U16;
  if (t.isUnsignedInteger(32)) return rt::DType::U32;
  if (t.isUnsignedInteger(64)) return rt::DType::U64;
  return std::nullopt;
}

Type elementTypeOf(MLIRContext* ctx, rt::DType t) {
  Builder b(ctx);
  switch (t) {
    case rt::DType::F32: return b.getF32Type();
    case rt::DType::F16: return b.getF16Type();
    case rt::DType::BF16: return b.getBF16Type();
    case rt::DType::F64: return b.getF64Type();
    case rt::DType::I64: return b.getI64Type();
    case rt::DType::I32: return b.getI32Type();
    case rt::DType::I8: return b.getI8Type();
    case rt::DType::I1: return b.getI1Type();
    case rt::DType::I16: return b.getI16Type();
    case rt::DType::U8: return b.getIntegerType(8, /*isSigned=*/false);
    case rt::DType::U16: return b.getIntegerType(16, /*isSigned=*/false);
    case rt::DType::U32: return b.getIntegerType(32, /*isSigned=*/false);
    case rt::DType::U64: return b.getIntegerType(64, /*isSigned=*/false);
  }
  return {};
}

rt::TensorType tensorTypeOf(Type tensor) {
  auto t = tensor.cast<RankedTensorType>();
  // The verifier admits only the IR's element types, so dtypeOf succeeds.
  return {*dtypeOf(t.getElementType()), rt::Shape(t.getShape().begin(), t.getShape().end())};
}

rt::HostTensor hostTensorFromAttr(DenseElementsAttr attr) {
  rt::HostTensor t(tensorTypeOf(attr.getType()));
  if (t.dtype() == rt::DType::I1) {
    int64_t i = 0;
    for (bool b : attr.getValues<bool>()) t.as<uint8_t>()[i++] = b;
    return t;
  }
  ArrayRef<char> raw = attr.getRawData();
  int64_t n = t.numElements(), size = rt::dtypeSize(t.dtype());
  char* dst = static_cast<char*>(t.data());
  if (n == 0) return t;  // (memcpy from the empty raw data's null pointer is undefined)
  if (!attr.isSplat()) {
    std::memcpy(dst, raw.data(), static_cast<size_t>(n * size));
  } else {
    for (int64_t i = 0; i < n; ++i) std::memcpy(dst + i * size, raw.data(), static_cast<size_t>(size));
  }
  return t;
}

rt::HostTensor splatElementFromAttr(DenseElementsAttr attr) {
  rt::HostTensor t(rt::TensorType{tensorTypeOf(attr.getType()).dtype, {}});
  if (t.dtype() == rt::DType::I1)
    t.as<uint8_t>()[0] = attr.getSplatValue<bool>() ? 1 : 0;
  else
    std::memcpy(t.data(), attr.getRawData().data(), static_cast<size_t>(t.byteSize()));
  return t;
}

DenseElementsAttr attrFromHostTensor(MLIRContext* ctx, const rt::HostTensor& t) {
  auto type = RankedTensorType::get(t.shape(), elementTypeOf(ctx, t.dtype()));
  if (t.dtype() == rt::DType::I1) {
    // DenseElementsAttr packs i1 as bits; build it from bools.
    SmallVector<bool> bits;
    for (int64_t i = 0; i < t.numElements(); ++i) bits.push_back(t.as<uint8_t>()[i] != 0);
    return DenseElementsAttr::get(type, ArrayRef<bool>(bits.data(), bits.size()));
  }
  ArrayRef<char> raw(static_cast<const char*>(t.data()), static_cast<size_t>(t.byteSize()));
  return DenseElementsAttr::getFromRawBuffer(type, raw);
}

}  // namespace dlc
