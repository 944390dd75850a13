// dlc::Tensor on the runtime's HostTensor (owning) and raw pointers (views).
#include <cstring>

#include "api/Internal.h"
#include "runtime/DType.h"

namespace dlc {

static_assert(static_cast<int>(DType::U64) == static_cast<int>(rt::DType::U64) &&
                  static_cast<int>(DType::Bool) == static_cast<int>(rt::DType::I1),
              "dlc::DType mirrors rt::DType: api::toRt casts");
static_assert(sizeof(bool) == 1, "Bool tensors are one byte per element");

int64_t dtypeSize(DType t) { return rt::dtypeSize(api::toRt(t)); }
std::string dtypeName(DType t) { return std::string(rt::dtypeName(api::toRt(t))); }
std::string shapeString(const Shape& shape) { return rt::shapeString(shape); }

std::string deviceName(Device d) {
  switch (d) {
    case Device::Host: return "host";
    case Device::Cuda: return "cuda";
    case Device::Auto: return "auto";
  }
  return "?";
}

Float16::Float16(float f) : bits(rt::floatToHalf(f)) {}
Float16::operator float() const { return rt::halfToFloat(bits); }
BFloat16::BFloat16(float f) : bits(rt::floatToBf16(f)) {}
BFloat16::operator float() const { return rt::bf16ToFloat(bits); }

namespace {

void checkShape(const Shape& shape, const char* what) {
  for (int64_t d : shape)
    if (d < 0)
      throw Error(1, std::string(what) + ": shape " + shapeString(shape) + " has a negative dimension");
}

// What reads or writes elements on the host cannot take device memory.
void hostOnly(Device device, const std::string& what) {
  if (device == Device::Cuda)
    throw Error(1, what + ": the tensor is in CUDA device memory; dlc does not read it on the host");
}

Tensor makeView(void* data, DType dtype, Shape shape, Device device, bool readOnly) {
  checkShape(shape, "Tensor::wrap");
  if (device == Device::Auto) throw Error(1, "Tensor::wrap: Device::Auto is not a place for memory (Host or Cuda)");
  if (!data && rt::numElements(shape) > 0)
    throw Error(1, "Tensor::wrap: a null pointer for a tensor of " + shapeString(shape) + " elements");
  auto impl = std::make_shared<Tensor::Impl>();
  impl->dtype = dtype;
  impl->shape = std::move(shape);
  impl->data = data;
  impl->device = device;
  impl->view = true;
  impl->readOnly = readOnly;
  return Tensor(std::move(impl));
}

const Tensor::Impl& nonEmpty(const Tensor::Impl* impl) {
  if (!impl) throw Error(1, "an empty Tensor (default-constructed) has no type or data");
  return *impl;
}

}  // namespace

Tensor::Tensor() = default;
Tensor::~Tensor() = default;
Tensor::Tensor(const Tensor&) = default;
Tensor& Tensor::operator=(const Tensor&) = default;
Tensor::Tensor(Tensor&&) noexcept = default;
Tensor& Tensor::operator=(Tensor&&) noexcept = default;
Tensor::Tensor(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

Tensor::Tensor(DType dtype, Shape shape, Device device) {
  checkShape(shape, "Tensor");
  if (device != Device::Host)
    throw Error(1, "Tensor: an owning tensor lives in host memory; for CUDA, allocate device memory "
                   "(cudaMalloc) and Tensor::wrap it with Device::Cuda");
  auto impl = std::make_shared<Impl>();
  impl->dtype = dtype;
  api::translateExceptions([&] {
    impl->owned = std::make_shared<rt::HostTensor>(rt::TensorType{api::toRt(dtype), shape});
  });
  impl->data = impl->owned->data();
  impl->shape = std::move(shape);
  impl_ = std::move(impl);
}

Tensor Tensor::wrap(void* data, DType dtype, Shape shape, Device device) {
  return makeView(data, dtype, std::move(shape), device, false);
}

Tensor Tensor::wrap(const void* data, DType dtype, Shape shape, Device device) {
  return makeView(const_cast<void*>(data), dtype, std::move(shape), device, true);
}

bool Tensor::isEmpty() const { return !impl_; }
DType Tensor::dtype() const { return nonEmpty(impl_.get()).dtype; }
const Shape& Tensor::shape() const { return nonEmpty(impl_.get()).shape; }
int64_t Tensor::numElements() const { return rt::numElements(shape()); }
int64_t Tensor::byteSize() const { return numElements() * dtypeSize(dtype()); }
Device Tensor::device() const { return nonEmpty(impl_.get()).device; }
bool Tensor::isView() const { return nonEmpty(impl_.get()).view; }
bool Tensor::isReadOnly() const { return nonEmpty(impl_.get()).readOnly; }

std::string Tensor::typeString() const {
  return rt::TensorType{api::toRt(dtype()), shape()}.str();
}

const void* Tensor::rawData() const { return nonEmpty(impl_.get()).data; }

void* Tensor::mutableData() {
  const Impl& impl = nonEmpty(impl_.get());
  if (impl.readOnly)
    throw Error(1, "a read-only Tensor::wrap view (of a const buffer) cannot be written");
  return impl.data;
}

const void* Tensor::typedData(DType t) const {
  if (dtype() != t)
    throw Error(1, "a tensor of " + dtypeName(dtype()) + " accessed as " + dtypeName(t));
  return rawData();
}

void* Tensor::typedData(DType t) {
  static_cast<const Tensor&>(*this).typedData(t);  // the dtype check
  return mutableData();
}

void Tensor::checkCount(int64_t n) const {
  if (n != numElements())
    throw Error(1, "Tensor::fromVector: " + std::to_string(n) + " values for shape " +
                       shapeString(shape()) + " (" + std::to_string(numElements()) + " elements)");
}

double Tensor::element(int64_t i) const {
  hostOnly(device(), "Tensor::element");
  if (i < 0 || i >= numElements())
    throw Error(1, "Tensor::element(" + std::to_string(i) + "): out of range for " + typeString());
  return rt::loadAsDouble(api::constRef(*this), i);
}

void Tensor::setElement(int64_t i, double v) {
  hostOnly(device(), "Tensor::setElement");
  if (i < 0 || i >= numElements())
    throw Error(1, "Tensor::setElement(" + std::to_string(i) + "): out of range for " + typeString());
  rt::storeFromDouble(api::mutableRef(*this), i, v);
}

Tensor Tensor::clone() const {
  hostOnly(device(), "Tensor::clone");
  Tensor copy(dtype(), shape());
  if (byteSize() > 0) std::memcpy(copy.mutableData(), rawData(), static_cast<size_t>(byteSize()));
  return copy;
}

namespace api {

rt::ConstTensorRef constRef(const Tensor& t) {
  return {t.rawData(), rt::TensorType{toRt(t.dtype()), t.shape()}};
}

rt::TensorRef mutableRef(Tensor& t) {
  return {t.mutableData(), rt::TensorType{toRt(t.dtype()), t.shape()}};
}

rt::HostTensor toHostTensor(const Tensor& t) {
  return rt::HostTensor(rt::TensorType{toRt(t.dtype()), t.shape()}, t.rawData());
}

Tensor fromHostTensor(rt::HostTensor h) {
  auto impl = std::make_shared<Tensor::Impl>();
  impl->dtype = fromRt(h.dtype());
  impl->shape = h.shape();
  impl->owned = std::make_shared<rt::HostTensor>(std::move(h));
  impl->data = impl->owned->data();
  return Tensor(std::move(impl));
}

}  // namespace api
}  // namespace dlc
