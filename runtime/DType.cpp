#include "runtime/DType.h"

#include <stdexcept>

namespace dlc::rt {

namespace {

struct DTypeInfo {
  DType dtype;
  std::string_view name;
  int64_t size;
  bool isFloat;
  bool isUnsigned = false;
};

// One row per DType, in enum order.
constexpr DTypeInfo kInfos[] = {
    {DType::F32, "f32", 4, true},  {DType::F16, "f16", 2, true},
    {DType::BF16, "bf16", 2, true}, {DType::F64, "f64", 8, true},
    {DType::I64, "i64", 8, false}, {DType::I32, "i32", 4, false},
    {DType::I8, "i8", 1, false},   {DType::I1, "i1", 1, false},
    {DType::I16, "i16", 2, false}, {DType::U8, "ui8", 1, false, true},
    {DType::U16, "ui16", 2, false, true}, {DType::U32, "ui32", 4, false, true},
    {DType::U64, "ui64", 8, false, true},
};

const DTypeInfo& info(DType t) {
  auto i = static_cast<size_t>(t);
  // A dtype byte read from a corrupt executable must not index out of bounds.
  if (i >= std::size(kInfos)) throw std::invalid_argument("invalid dtype code " + std::to_string(i));
  return kInfos[i];
}

}  // namespace

int64_t dtypeSize(DType t) { return info(t).size; }
std::string_view dtypeName(DType t) { return info(t).name; }
bool isFloat(DType t) { return info(t).isFloat; }
bool isUnsigned(DType t) { return info(t).isUnsigned; }

std::optional<DType> dtypeFromName(std::string_view name) {
  for (const DTypeInfo& i : kInfos)
    if (i.name == name) return i.dtype;
  return std::nullopt;
}

int64_t numElements(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::vector<int64_t> rowMajorStrides(const Shape& shape) {
  std::vector<int64_t> strides(shape.size());
  int64_t s = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

std::string shapeString(const Shape& shape) {
  if (shape.empty()) return "scalar";
  std::string s;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += 'x';
    s += std::to_string(shape[i]);
  }
  return s;
}

std::string TensorType::str() const {
  std::string s = "tensor<";
  for (int64_t d : shape) s += std::to_string(d) + "x";
  s += dtypeName(dtype);
  return s + ">";
}

}  // namespace dlc::rt
