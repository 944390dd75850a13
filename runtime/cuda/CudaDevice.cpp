#include "runtime/cuda/CudaDevice.h"

namespace dlc::rt::cuda {

// Placeholders until the CUDA runtime lands.
std::string unavailableReason() { return "the CUDA device is not implemented yet"; }

DeviceInfo deviceInfo(int) { throw DeviceError(unavailableReason()); }

struct CudaExecutor::Impl {};

CudaExecutor::CudaExecutor(const Program&, const CudaPlan&, const RunOptions&) {
  throw DeviceError(unavailableReason());
}
CudaExecutor::~CudaExecutor() = default;

std::vector<HostTensor> CudaExecutor::run(const std::vector<HostTensor>&) {
  throw DeviceError(unavailableReason());
}

}  // namespace dlc::rt::cuda
