#include "tools/dlc/DeviceRun.h"

#include "codegen/cuda/Nvrtc.h"
#include "codegen/cuda/PlanCuda.h"
#include "runtime/cuda/CudaDevice.h"
#include "runtime/host/HostDevice.h"

namespace dlc::tool {

DeviceChoice chooseDevice(const std::string& device) {
  DeviceChoice c;
  if (device == "host") return c;
  std::string why = rt::cuda::unavailableReason();
  if (why.empty()) {
    std::string nvrtc = codegen::nvrtcUnavailableReason();
    if (!nvrtc.empty()) why = "a CUDA device is present but NVRTC cannot be used: " + nvrtc;
  } else {
    why = "no CUDA device: " + why;
  }
  if (device == "cuda") {
    c.cuda = why.empty();
    c.error = why;
    return c;
  }
  c.cuda = why.empty();
  if (c.cuda) {
    try {
      rt::cuda::DeviceInfo info = rt::cuda::deviceInfo();
      c.note = "dlc: running on cuda (" + info.name + ", " + info.arch + ")";
    } catch (const rt::cuda::DeviceError& e) {
      c.cuda = false;
      c.note = std::string("dlc: running on host (") + e.what() + ")";
    }
  } else {
    c.note = "dlc: running on host (" + why + ")";
  }
  return c;
}

std::vector<rt::HostTensor> runOnCuda(const rt::Program& program, const std::vector<rt::HostTensor>& inputs,
                                      bool cudaGraph, bool useLibraries, bool checkNan, bool allowTf32) {
  try {
    rt::cuda::DeviceInfo info = rt::cuda::deviceInfo();
    codegen::CudaTarget target;
    target.arch = info.arch;
    target.smCount = info.smCount;
    target.useLibraries = useLibraries;
    target.allowTf32 = allowTf32;
    rt::CudaPlan plan = codegen::planCuda(program, target);
    codegen::compileModule(plan);
    rt::cuda::RunOptions options;
    options.cudaGraph = cudaGraph;
    options.checkNan = checkNan;
    rt::cuda::CudaExecutor executor(program, plan, options);
    return executor.run(inputs);
  } catch (const rt::RunError&) {
    throw;
  } catch (const rt::cuda::DeviceUnavailable& e) {
    throw CudaRunError{1, std::string("cuda: ") + e.what()};
  } catch (const rt::cuda::DeviceError& e) {
    throw CudaRunError{2, std::string("internal error: cuda: ") + e.what()};
  } catch (const codegen::CodegenError& e) {
    throw CudaRunError{2, std::string("internal error: CUDA code generation: ") + e.what()};
  } catch (const codegen::NvrtcError& e) {
    throw CudaRunError{2, std::string("internal error: NVRTC: ") + e.what()};
  } catch (const rt::InvalidProgram& e) {
    throw CudaRunError{2, std::string("internal error: ") + e.what()};
  }
}

}  // namespace dlc::tool
