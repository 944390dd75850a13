// Tensors: dense row-major arrays of one element type. A Tensor either owns
// its memory (allocated zero-filled, 64-byte aligned) or is a view of a
// buffer the caller owns (Tensor::wrap: zero-copy). Copying a Tensor is
// cheap and shares the memory, like a shared_ptr; clone() copies the data.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "dlc/Error.h"
#include "dlc/Export.h"

namespace dlc {

// Element types (the IR's: i1 is Bool, one byte per element).
enum class DType : uint8_t { F32, F16, BF16, F64, I64, I32, I8, Bool, I16, U8, U16, U32, U64 };

// Bytes per element.
DLC_API int64_t dtypeSize(DType t);
// "f32", "f16", "bf16", "f64", "i64", "i32", "i8", "i1" (Bool), "i16", "ui8",
// "ui16", "ui32", "ui64": the IR's spelling.
DLC_API std::string dtypeName(DType t);

// Where memory lives, and where a Session runs.
//   Host: CPU memory and the host reference device.
//   Cuda: GPU memory and the CUDA device: not available in this build yet;
//         asking for it is an Error (code 1) that says so.
//   Auto: a Session's choice: CUDA when the CUDA backend is built and a GPU
//         is present, else the host (today: always the host).
enum class Device : uint8_t { Host, Cuda, Auto };
DLC_API std::string deviceName(Device d);

using Shape = std::vector<int64_t>;
// "2x3x4"; rank 0 is "scalar".
DLC_API std::string shapeString(const Shape& shape);

// IEEE half and bfloat16 storage types for typed access to F16 and BF16
// tensors; they convert to and from float (round to nearest even).
struct DLC_API Float16 {
  uint16_t bits = 0;
  Float16() = default;
  explicit Float16(float f);
  explicit operator float() const;
};
struct DLC_API BFloat16 {
  uint16_t bits = 0;
  BFloat16() = default;
  explicit BFloat16(float f);
  explicit operator float() const;
};

// The DType of a C++ element type; DTypeOf<T>::value.
template <typename T> struct DTypeOf;
template <> struct DTypeOf<float> { static constexpr DType value = DType::F32; };
template <> struct DTypeOf<Float16> { static constexpr DType value = DType::F16; };
template <> struct DTypeOf<BFloat16> { static constexpr DType value = DType::BF16; };
template <> struct DTypeOf<double> { static constexpr DType value = DType::F64; };
template <> struct DTypeOf<int64_t> { static constexpr DType value = DType::I64; };
template <> struct DTypeOf<int32_t> { static constexpr DType value = DType::I32; };
template <> struct DTypeOf<int8_t> { static constexpr DType value = DType::I8; };
template <> struct DTypeOf<bool> { static constexpr DType value = DType::Bool; };
template <> struct DTypeOf<int16_t> { static constexpr DType value = DType::I16; };
template <> struct DTypeOf<uint8_t> { static constexpr DType value = DType::U8; };
template <> struct DTypeOf<uint16_t> { static constexpr DType value = DType::U16; };
template <> struct DTypeOf<uint32_t> { static constexpr DType value = DType::U32; };
template <> struct DTypeOf<uint64_t> { static constexpr DType value = DType::U64; };

class DLC_API Tensor {
 public:
  // An empty tensor (no dtype, no memory): isEmpty() is true.
  Tensor();
  // An owning tensor, zero-filled. Host memory only: Device::Cuda is an Error
  // (allocate device memory yourself and wrap it).
  Tensor(DType dtype, Shape shape, Device device = Device::Host);
  ~Tensor();
  Tensor(const Tensor&);
  Tensor& operator=(const Tensor&);
  Tensor(Tensor&&) noexcept;
  Tensor& operator=(Tensor&&) noexcept;

  // A view of `data` (zero-copy): numElements * dtypeSize bytes, row-major.
  // The caller keeps the buffer alive, unchanged by others while dlc reads
  // it, for as long as the Tensor or a copy of it is used. The const
  // overload makes a read-only view: writing through it (as a run's output,
  // or mutableData) is an Error. Device::Cuda: `data` is device memory of
  // the GPU a Session runs on (a CUdeviceptr, e.g. from cudaMalloc); dlc
  // never reads it on the host (element access is an Error).
  static Tensor wrap(void* data, DType dtype, Shape shape, Device device = Device::Host);
  static Tensor wrap(const void* data, DType dtype, Shape shape, Device device = Device::Host);

  // An owning tensor holding a copy of `values` (values.size() must equal
  // the shape's element count).
  template <typename T>
  static Tensor fromVector(Shape shape, const std::vector<T>& values) {
    Tensor t(DTypeOf<T>::value, std::move(shape));
    t.checkCount(static_cast<int64_t>(values.size()));
    T* out = t.data<T>();
    for (size_t i = 0; i < values.size(); ++i) out[i] = values[i];
    return t;
  }

  bool isEmpty() const;
  DType dtype() const;
  const Shape& shape() const;
  int64_t rank() const { return static_cast<int64_t>(shape().size()); }
  int64_t numElements() const;
  int64_t byteSize() const;
  Device device() const;
  // True for a Tensor::wrap view, false for a tensor that owns its memory.
  bool isView() const;
  bool isReadOnly() const;
  // "tensor<4x10xf32>", the IR's spelling of the type.
  std::string typeString() const;

  // Raw access. mutableData() on a read-only view is an Error.
  const void* rawData() const;
  void* mutableData();

  // Typed access; T must be the element type (DTypeOf<T>), else an Error.
  template <typename T>
  T* data() { return static_cast<T*>(typedData(DTypeOf<T>::value)); }
  template <typename T>
  const T* data() const { return static_cast<const T*>(typedData(DTypeOf<T>::value)); }
  template <typename T>
  std::vector<T> toVector() const {
    const T* p = data<T>();
    return std::vector<T>(p, p + numElements());
  }
  // Element i (row-major, flat) of any dtype as a double / set from one
  // (rounded to nearest for f16/bf16; integers truncate toward zero and
  // saturate; Bool stores v != 0).
  double element(int64_t i) const;
  void setElement(int64_t i, double v);

  // An owning copy on the host.
  Tensor clone() const;

  // For the library's own use.
  struct Impl;
  const Impl* impl() const { return impl_.get(); }
  explicit Tensor(std::shared_ptr<Impl> impl);

 private:
  const void* typedData(DType t) const;
  void* typedData(DType t);
  void checkCount(int64_t n) const;
  std::shared_ptr<Impl> impl_;
};

}  // namespace dlc
