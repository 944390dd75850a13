#include "tools/dlc/DeviceRun.h"

#include "api/MakeExecutable.h"
#include "codegen/cuda/Nvrtc.h"
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

std::vector<rt::HostTensor> runOnCuda(const std::string& model, const rt::Program& program,
                                      const std::vector<rt::HostTensor>& inputs, bool cudaGraph,
                                      bool useLibraries, bool checkNan, bool allowTf32) {
  // The GPU present gives the arch and SM count; the plan and its NVRTC
  // compile are dlc compile's (api/MakeExecutable.h), cache included.
  driver::CudaCompileOptions options;
  options.useLibraries = useLibraries;
  options.allowTf32 = allowTf32;
  std::string archOrigin;
  if (driver::Failure f = driver::prepareCudaTarget(options, archOrigin)) {
    // No --arch on this command: the arch is the GPU's.
    std::string why = f.message.rfind("--arch ", 0) == 0 ? "the GPU's arch " + f.message.substr(7) : f.message;
    throw CudaRunError{f.exitCode, model + ": cuda: " + why};
  }
  driver::CudaCompileResult compiled;
  if (driver::Failure f = driver::compileForCuda(model, program, options, compiled))
    throw CudaRunError{f.exitCode, f.message};
  try {
    rt::cuda::RunOptions runOptions;
    runOptions.cudaGraph = cudaGraph;
    runOptions.checkNan = checkNan;
    rt::cuda::CudaExecutor executor(program, compiled.plan, runOptions);
    return executor.run(inputs);
  } catch (const rt::RunError&) {
    throw;
  } catch (const rt::cuda::DeviceUnavailable& e) {
    throw CudaRunError{1, model + ": cuda: " + e.what()};
  } catch (const rt::cuda::DeviceError& e) {
    throw CudaRunError{2, model + ": internal error: cuda: " + e.what()};
  } catch (const rt::InvalidProgram& e) {
    throw CudaRunError{2, model + ": internal error: " + e.what()};
  }
}

}  // namespace dlc::tool
