#include "api/MakeExecutable.h"

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <optional>

#include "dlc/Version.h"
#include "runtime/cuda/CudaDevice.h"

namespace dlc::driver {

namespace {

#define DLC_STR2(x) #x
#define DLC_STR(x) DLC_STR2(x)
constexpr const char* kVersion =
    DLC_STR(DLC_VERSION_MAJOR) "." DLC_STR(DLC_VERSION_MINOR) "." DLC_STR(DLC_VERSION_PATCH);

int64_t creationTime() {
  if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH")) {
    char* end = nullptr;
    long long v = std::strtoll(epoch, &end, 10);
    if (end != epoch && *end == '\0' && v >= 0) return v;
  }
  return static_cast<int64_t>(std::time(nullptr));
}

}  // namespace

Failure prepareCudaTarget(CudaCompileOptions& options, std::string& archOrigin) {
  // A malformed --arch is reported first: it needs no NVRTC to be wrong.
  if (!options.arch.empty())
    if (std::string e = codegen::archError(options.arch); !e.empty()) return {1, "--arch " + e};
  if (std::string why = codegen::nvrtcUnavailableReason(); !why.empty())
    return {1, "--target cuda needs NVRTC to compile kernels: " + why};
  // The GPU present, when there is one, gives the arch (else the H100/H200
  // generation) and, for its own arch, the SM count that sizes the grids.
  std::optional<rt::cuda::DeviceInfo> gpu;
  std::string noGpu;
  try {
    gpu = rt::cuda::deviceInfo();
  } catch (const std::exception& e) {
    noGpu = e.what();
  }
  if (!options.arch.empty()) {
    archOrigin = "--arch";
  } else if (gpu) {
    options.arch = gpu->arch;
    archOrigin = "the GPU present, " + gpu->name;
  } else {
    options.arch = "sm_90";
    archOrigin = "the default; no GPU here: " + noGpu;
  }
  if (gpu && gpu->arch == options.arch) options.smCount = gpu->smCount;
  if (std::string e = codegen::archError(options.arch); !e.empty()) return {1, "--arch " + e};
  std::vector<int> archs = codegen::nvrtcSupportedArchs();
  int number = std::stoi(options.arch.substr(3));
  if (!archs.empty() && std::find(archs.begin(), archs.end(), number) == archs.end()) {
    std::string list;
    for (int a : archs) list += (list.empty() ? "sm_" : ", sm_") + std::to_string(a);
    return {1, "--arch " + options.arch + ": not supported by NVRTC " + codegen::nvrtcVersion() +
                   " (it supports " + list + ")"};
  }
  return {};
}

Failure compileForCuda(const std::string& model, const rt::Program& program, const CudaCompileOptions& options,
                       CudaCompileResult& out) {
  codegen::CudaTarget target;
  target.arch = options.arch;
  if (options.smCount > 0) target.smCount = options.smCount;
  target.useLibraries = options.useLibraries;
  target.allowTf32 = options.allowTf32;
  try {
    out.plan = codegen::planCuda(program, target);
  } catch (const codegen::CodegenError& e) {
    return {2, model + ": internal error: CUDA code generation: " + e.what()};
  }
  out.plan.arch = options.arch;
  codegen::NvrtcOptions nvrtc;
  nvrtc.useCache = options.useCache;
  try {
    out.nvrtc = codegen::compileModule(out.plan, nvrtc);
  } catch (const codegen::NvrtcError& e) {
    return {2, model + ": internal error: NVRTC: " + e.what()};
  }
  return {};
}

rt::ExecutableInfo executableInfo(const ExecutableRequest& request) {
  rt::ExecutableInfo info;
  info.dlcVersion = kVersion;
  info.modelName = request.modelName;
  info.compileOptions = request.compileOptions;
  info.producer = request.producer;
  info.createdAt = creationTime();
  return info;
}

Failure makeExecutable(rt::Program program, const ExecutableRequest& request, rt::Executable& out) {
  if (request.target != "host" && request.target != "cuda")
    return {1, request.modelName + ": target '" + request.target + "': expected host or cuda"};
  rt::Executable exe;
  exe.target = request.target;
  exe.info = executableInfo(request);
  if (request.target == "cuda") {
    CudaCompileResult compiled;
    if (Failure f = compileForCuda(request.modelName, program, request.cuda, compiled)) return f;
    exe.cuda = std::move(compiled.plan);
  }
  exe.program = std::move(program);
  out = std::move(exe);
  return {};
}

}  // namespace dlc::driver
