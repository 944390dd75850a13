// The CUDA device of a build without the CUDA toolkit's headers: the same
// interface, always unavailable, so that every caller handles that one case.
#include "runtime/cuda/CudaDevice.h"
#include "runtime/cuda/DevicePeak.h"

namespace dlc::rt::cuda {

std::string unavailableReason() {
  return "this dlc was built without the CUDA toolkit (no cuda.h when it was configured)";
}

DeviceInfo deviceInfo(int) { throw DeviceUnavailable(unavailableReason()); }

struct CudaExecutor::Impl {};

CudaExecutor::CudaExecutor(const Program&, const CudaPlan&, const RunOptions&) {
  throw DeviceUnavailable(unavailableReason());
}
CudaExecutor::~CudaExecutor() = default;
std::vector<HostTensor> CudaExecutor::run(const std::vector<HostTensor>&) {
  throw DeviceUnavailable(unavailableReason());
}
void CudaExecutor::runDevice(const std::vector<DeviceTensorRef>&, const std::vector<DeviceTensorRef>&) {
  throw DeviceUnavailable(unavailableReason());
}
void CudaExecutor::run(const std::vector<ConstTensorRef>&, const std::vector<TensorRef>&) {
  throw DeviceUnavailable(unavailableReason());
}
void CudaExecutor::writeInputs(const std::vector<InputWrite>&) { throw DeviceUnavailable(unavailableReason()); }
void CudaExecutor::runResident(const std::vector<InputWrite>&, const std::vector<BufferRead>&) {
  throw DeviceUnavailable(unavailableReason());
}
void CudaExecutor::readInputs(const std::vector<BufferRead>&) { throw DeviceUnavailable(unavailableReason()); }
int64_t CudaExecutor::deviceBytes() const { return 0; }
bool CudaExecutor::graphCaptured() const { return false; }
const RunTiming& CudaExecutor::lastTiming() const { throw DeviceUnavailable(unavailableReason()); }

DevicePeak measureDevicePeak(int, int64_t) { throw DeviceUnavailable(unavailableReason()); }

}  // namespace dlc::rt::cuda
