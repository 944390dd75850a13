// ConvCall through cuDNN, loaded with dlopen (libcudnn.so.9): descriptors
// built once (ConvLayout.h's derivation), the forward algorithm chosen once
// by cuDNN's heuristic (cudnnGetConvolutionForwardAlgorithm_v7), then
// convolution, bias (cudnnAddTensor) and ReLU (cudnnActivationForward, in
// place) enqueued on each run, through one cuDNN handle per process (bound
// to the executor's stream at each call). cuDNN 9 keeps these calls as its legacy API;
// they work for every group count, dilation and dtype the runtime uses,
// which the fused bias-activation call does not. Internal to runtime/cuda.
#pragma once

#include <cuda.h>

#include <memory>
#include <string>

#include "runtime/cuda/ConvLayout.h"
#include "runtime/cuda/CudaPlan.h"

namespace dlc::rt::cuda {

struct ConvBuffers {
  CUdeviceptr x = 0, w = 0, y = 0, bias = 0;
};

// Workspace offered to the algorithm choice.
constexpr size_t kCudnnWorkspaceLimit = 256u << 20;

class CudnnConvRunner {
 public:
  // Throws DeviceUnavailable when cuDNN cannot be loaded, DeviceError when it
  // rejects the convolution; `where` names the step.
  CudnnConvRunner(const ConvCall& call, CUstream stream, const std::string& where);
  ~CudnnConvRunner();
  CudnnConvRunner(const CudnnConvRunner&) = delete;
  CudnnConvRunner& operator=(const CudnnConvRunner&) = delete;

  size_t workspaceBytes() const;
  void enqueue(const ConvBuffers& buffers, CUdeviceptr workspace, size_t workspaceSize) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string cudnnUnavailableReason();

}  // namespace dlc::rt::cuda
