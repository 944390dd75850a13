// Element types and tensor shapes shared by the compiler and the runtime.
// MLIR-free: the runtime and its tests include this without LLVM.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dlc::rt {

// The element types of the dlc IR (DESIGN.md "The IR"). I* are signed
// (two's complement) integers, U* unsigned ones. New types are appended so
// that the codes of the older ones never change.
enum class DType : uint8_t { F32, F16, BF16, F64, I64, I32, I8, I1, I16, U8, U16, U32, U64 };

// Bytes per element. I1 is stored as one byte per element (0 or 1).
int64_t dtypeSize(DType t);
// "f32", "f16", "bf16", "f64", "i64", "i32", "i8", "i1", "i16", "ui8",
// "ui16", "ui32", "ui64": the spelling of MLIR's element types.
std::string_view dtypeName(DType t);
std::optional<DType> dtypeFromName(std::string_view name);
bool isFloat(DType t);
// U8, U16, U32, U64.
bool isUnsigned(DType t);

using Shape = std::vector<int64_t>;

// Product of the dimensions; 1 for a rank-0 shape.
int64_t numElements(const Shape& shape);
// Row-major strides in elements.
std::vector<int64_t> rowMajorStrides(const Shape& shape);
// "2x3x4" (rank 0 prints as "scalar").
std::string shapeString(const Shape& shape);

struct TensorType {
  DType dtype = DType::F32;
  Shape shape;

  int64_t numElements() const { return rt::numElements(shape); }
  int64_t byteSize() const { return numElements() * dtypeSize(dtype); }
  int64_t rank() const { return static_cast<int64_t>(shape.size()); }
  // "tensor<2x3xf32>", the spelling of the IR.
  std::string str() const;
  bool operator==(const TensorType& o) const { return dtype == o.dtype && shape == o.shape; }
  bool operator!=(const TensorType& o) const { return !(*this == o); }
};

}  // namespace dlc::rt
