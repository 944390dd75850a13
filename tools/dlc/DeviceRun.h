// `dlc run --device auto|host|cuda [--cuda-graph]`: which device runs the
// model, and the CUDA path (plan, NVRTC, the CUDA executor). Kept out of
// dlc.cpp so that the command stays a list of flags.
#pragma once

#include <string>
#include <vector>

#include "runtime/Program.h"

namespace dlc::tool {

struct DeviceChoice {
  bool cuda = false;
  // For auto: the line printed on stderr saying which device and why
  // ("dlc: running on host (no CUDA device: ...)").
  std::string note;
  // For cuda where none can be used: the reason (the caller exits 1).
  std::string error;
};

// `device` is auto, host or cuda (already validated).
DeviceChoice chooseDevice(const std::string& device);

// A failure of the CUDA path with its exit code (1 for what the machine
// lacks: driver, library, memory, an arch NVRTC does not know; 2 for the
// compiler's or runtime's fault) and its whole message, the model first.
struct CudaRunError {
  int exitCode;
  std::string message;
};

// Prepares the target for the GPU present and compiles the model's plan
// (api/MakeExecutable.h: prepareCudaTarget, compileForCuda, as dlc compile
// --target cuda does), then runs it once with the CUDA executor. Throws
// rt::RunError for the caller's inputs (as the host device does) and
// CudaRunError for everything else. useLibraries false: no cuBLASLt/cuDNN
// calls (--no-libraries); checkNan: --check-nan; allowTf32: TF32 math in f32
// library calls (--precision tf32).
std::vector<rt::HostTensor> runOnCuda(const std::string& model, const rt::Program& program,
                                      const std::vector<rt::HostTensor>& inputs, bool cudaGraph,
                                      bool useLibraries = true, bool checkNan = false, bool allowTf32 = false);

}  // namespace dlc::tool
