#include "tools/dlc/CudaCompile.h"

#include <iomanip>


namespace dlc::driver {

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
