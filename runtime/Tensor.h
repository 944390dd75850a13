// Host tensors: an owning buffer and non-owning views, row-major and dense.
#pragma once

#include <cstring>
#include <memory>
#include <vector>

#include "runtime/DType.h"

namespace dlc::rt {

// A read-only view of a dense row-major tensor in host memory.
struct ConstTensorRef {
  const void* data = nullptr;
  TensorType type;

  template <typename T>
  const T* as() const { return static_cast<const T*>(data); }
};

// A writable view of a dense row-major tensor in host memory.
struct TensorRef {
  void* data = nullptr;
  TensorType type;

  template <typename T>
  T* as() const { return static_cast<T*>(data); }
  operator ConstTensorRef() const { return {data, type}; }
};

// An owning host tensor; storage is zero-initialised and 64-byte aligned.
class HostTensor {
 public:
  HostTensor() = default;
  explicit HostTensor(TensorType type);
  HostTensor(TensorType type, const void* bytes);  // copies byteSize() bytes

  const TensorType& type() const { return type_; }
  DType dtype() const { return type_.dtype; }
  const Shape& shape() const { return type_.shape; }
  int64_t numElements() const { return type_.numElements(); }
  int64_t byteSize() const { return type_.byteSize(); }

  void* data() { return storage_.get(); }
  const void* data() const { return storage_.get(); }
  template <typename T>
  T* as() { return static_cast<T*>(data()); }
  template <typename T>
  const T* as() const { return static_cast<const T*>(data()); }

  TensorRef ref() { return {data(), type_}; }
  ConstTensorRef ref() const { return {data(), type_}; }
  ConstTensorRef cref() const { return {data(), type_}; }

 private:
  struct Free {
    void operator()(void* p) const;
  };
  TensorType type_;
  std::unique_ptr<void, Free> storage_;
};

// Sets every element of `t` to the one element at `element` (its dtype's
// bytes): a splat constant expanded (runtime/Program.h).
void fillWithElement(TensorRef t, const void* element);

// Reads element i of any dtype as double / writes a double into element i,
// converting as the convert kernel does (f16/bf16 rounded once to nearest
// even; ints truncate toward zero, NaN -> 0, saturating; i1 stores v != 0).
// For tests and for the few kernels that are dtype-generic by conversion.
double loadAsDouble(ConstTensorRef t, int64_t i);
void storeFromDouble(TensorRef t, int64_t i, double v);

// IEEE half and bfloat16 <-> float, round to nearest even. Overflow rounds to
// infinity, denormals are kept, NaN stays a (quiet) NaN of the same sign.
float halfToFloat(uint16_t h);
uint16_t floatToHalf(float f);
float bf16ToFloat(uint16_t b);
uint16_t floatToBf16(float f);
// double -> half/bfloat16 rounded once (not double -> float -> half, which
// can round twice and miss the nearest value).
uint16_t doubleToHalf(double d);
uint16_t doubleToBf16(double d);

}  // namespace dlc::rt
