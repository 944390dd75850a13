#include "tools/dlc/RunExecutable.h"

#include <iostream>

#include <filesystem>

#include "frontend/onnx/TensorProtoIO.h"
#include "runtime/Executable.h"
#include "runtime/cuda/CudaDevice.h"
#include "runtime/host/HostDevice.h"

namespace fs = std::filesystem;

namespace dlc::driver {

Failure runExecutableFile(const std::string& path, const std::string& device, const std::string& inputDir,
                          const std::string& outputDir, bool cudaGraph,
                          const rt::HostRunOptions& hostOptions) {
  rt::Executable exe;
  try {
    exe = rt::loadExecutable(path);
  } catch (const rt::ExecutableError& e) {
    return {1, e.what()};
  }
  const rt::Program& program = exe.program;

  // The host device runs any executable (a CUDA one's Program has the same
  // kernels and plan); the CUDA device needs the CUDA plan and a GPU.
  bool cuda = device == "cuda";
  if (cuda && !exe.cuda)
    return {1, path + ": --device cuda: the executable was compiled for the host (compile it with --target cuda)"};
  if (device == "auto") {
    std::string why = exe.cuda ? rt::cuda::unavailableReason() : "the executable was compiled for the host";
    cuda = why.empty();
    std::cerr << "dlc: running on " << (cuda ? "cuda" : "host") << (cuda ? "" : " (" + why + ")") << "\n";
  }
  if (cudaGraph && !cuda) return {1, path + ": --cuda-graph needs the CUDA device"};

  std::vector<rt::HostTensor> inputs;
  auto inputPath = [&](size_t i) { return (fs::path(inputDir) / ("input_" + std::to_string(i) + ".pb")).string(); };
  std::error_code ec;
  for (size_t i = 0; fs::exists(inputPath(i), ec); ++i) inputs.push_back(onnx_io::loadTensorFile(inputPath(i)));
  if (inputs.size() < program.inputs.size())
    return {1, inputPath(inputs.size()) + ": missing; the model takes " + std::to_string(program.inputs.size()) +
                   " input(s)"};
  if (inputs.size() > program.inputs.size())
    return {1, inputPath(program.inputs.size()) + ": the model takes only " + std::to_string(program.inputs.size()) +
                   " input(s)"};

  std::vector<rt::HostTensor> outputs;
  try {
    if (cuda) {
      rt::cuda::CudaExecutor executor(program, *exe.cuda, rt::cuda::RunOptions{0, cudaGraph, hostOptions.checkNan});
      outputs = executor.run(inputs);
    } else {
      outputs = rt::runOnHost(program, inputs, hostOptions);
    }
  } catch (const rt::RunError& e) {
    return {1, path + ": " + e.what()};
  } catch (const rt::cuda::DeviceError& e) {
    return {1, path + ": --device cuda: " + e.what()};
  }
  fs::create_directories(outputDir, ec);
  if (ec) return {1, outputDir + ": cannot create the output directory: " + ec.message()};
  for (size_t i = 0; i < outputs.size(); ++i)
    onnx_io::saveTensorFile((fs::path(outputDir) / ("output_" + std::to_string(i) + ".pb")).string(), outputs[i]);
  return {};
}

}  // namespace dlc::driver
