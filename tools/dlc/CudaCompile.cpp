#include "tools/dlc/CudaCompile.h"

#include <algorithm>
#include <iomanip>

#include "codegen/cuda/PlanCuda.h"
#include "runtime/cuda/CudaDevice.h"

namespace dlc::driver {

Failure prepareCudaTarget(CudaCompileOptions& options, std::string& archOrigin) {
  // A malformed --arch is reported first: it needs no NVRTC to be wrong.
  if (!options.arch.empty())
    if (std::string e = codegen::archError(options.arch); !e.empty()) return {1, "--arch " + e};
  if (std::string why = codegen::nvrtcUnavailableReason(); !why.empty())
    return {1, "--target cuda needs NVRTC to compile kernels: " + why};
  if (options.arch.empty()) {
    // The GPU present, when there is one; else the H100/H200 generation.
    try {
      rt::cuda::DeviceInfo gpu = rt::cuda::deviceInfo();
      options.arch = gpu.arch;
      archOrigin = "the GPU present, " + gpu.name;
    } catch (const std::exception& e) {
      options.arch = "sm_90";
      archOrigin = "the default; no GPU here: " + std::string(e.what());
    }
  } else {
    archOrigin = "--arch";
  }
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
  target.useLibraries = options.useLibraries;
  try {
    out.plan = codegen::planCuda(program, target);
  } catch (const codegen::CodegenError& e) {
    return {2, model + ": CUDA code generation failed: " + e.what()};
  }
  out.plan.arch = options.arch;
  codegen::NvrtcOptions nvrtc;
  nvrtc.useCache = options.useCache;
  try {
    out.nvrtc = codegen::compileModule(out.plan, nvrtc);
  } catch (const codegen::NvrtcError& e) {
    return {2, model + ": internal error: " + e.what()};
  }
  return {};
}

CudaStats cudaStats(const CudaCompileResult& r) {
  CudaStats s;
  s.arch = r.plan.arch;
  s.nvrtcMs = r.nvrtc.nvrtcMs;
  s.cacheHit = r.nvrtc.cacheHit;
  s.generatedKernels = static_cast<int>(r.plan.kernels.size());
  for (const rt::CudaStep& step : r.plan.steps) s.libraryCalls += step.kind != rt::StepKind::Kernel;
  return s;
}

void printCudaSummary(const CudaCompileResult& r, const std::string& archOrigin, std::ostream& os) {
  CudaStats s = cudaStats(r);
  os << "  CUDA " << s.arch << " (" << archOrigin << "), NVRTC " << r.plan.nvrtcVersion << ": "
     << s.generatedKernels << " generated kernels, " << s.libraryCalls << " library calls, "
     << r.plan.source.size() << " bytes of source, " << r.plan.ptx.size() << " bytes of PTX, "
     << r.plan.cubin.size() << " bytes of CUBIN\n  ";
  if (s.cacheHit) os << "NVRTC: kernel cache hit\n";
  else os << "NVRTC: " << std::fixed << std::setprecision(1) << s.nvrtcMs << " ms (kernel cache miss)\n";
}

}  // namespace dlc::driver
