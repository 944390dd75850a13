// GemmCall through cuBLASLt, loaded with dlopen (libcublasLt.so.13): the
// descriptors of one call built once (GemmLayout.h's mapping), the algorithm
// chosen once by cuBLASLt's heuristic, then run as often as the executor
// runs. Internal to runtime/cuda.
#pragma once

#include <cuda.h>

#include <cstdint>
#include <memory>
#include <string>

#include "runtime/cuda/CudaPlan.h"
#include "runtime/cuda/GemmLayout.h"

namespace dlc::rt::cuda {

// The device addresses of a GemmCall's values (bias: 0 when none).
struct GemmBuffers {
  CUdeviceptr a = 0, b = 0, c = 0, d = 0, bias = 0;
};

// Workspace offered to every call (cuBLASLt picks algorithms that fit).
constexpr size_t kLtWorkspaceLimit = 32u << 20;

class LtGemmRunner {
 public:
  // Builds the descriptors and picks the algorithm; `where` names the step
  // for errors. Throws DeviceUnavailable when cuBLASLt cannot be loaded,
  // DeviceError for a call or dtype it rejects.
  LtGemmRunner(const GemmCall& call, const std::string& where);
  ~LtGemmRunner();
  LtGemmRunner(const LtGemmRunner&) = delete;
  LtGemmRunner& operator=(const LtGemmRunner&) = delete;

  size_t workspaceBytes() const;
  const LtGemm& mapping() const;
  // Enqueues every product of the call (one cuBLASLt call per loop index) on
  // `stream`. `buffers` are the values' base addresses; the views' offsets
  // are added here.
  void enqueue(CUstream stream, const GemmBuffers& buffers, CUdeviceptr workspace,
               size_t workspaceSize) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Why cuBLASLt cannot be loaded here ("" when it can).
std::string cublasLtUnavailableReason();

}  // namespace dlc::rt::cuda
