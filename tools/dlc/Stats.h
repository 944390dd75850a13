// `dlc compile --stats`: what the compiler made of a model, from the final IR.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "mlir/IR/BuiltinOps.h"
#include "api/Driver.h"

namespace dlc::driver {

// What --target cuda adds: the module NVRTC compiled.
struct CudaStats {
  std::string arch;
  double nvrtcMs = 0;         // 0 on a cache hit
  bool cacheHit = false;
  int generatedKernels = 0;   // __global__ functions of the module
  int libraryCalls = 0;       // cuBLASLt / cuDNN calls of the plan
};

struct CompileStats {
  int kernels = 0;                        // every launch: generated kernels and library calls
  int libraryCalls = 0;                   // gemm and conv kernels (cuBLAS, cuDNN)
  std::map<std::string, int> byKind;      // loop, reduction, gemm, conv, sort, scatter
  std::optional<int64_t> peakBytes, naiveBytes, lowerBoundBytes;  // absent without a plan
  std::vector<std::pair<std::string, double>> passMs;  // "import" first
  std::optional<CudaStats> cuda;          // --target cuda
};

// Counts the kernels of @main (an op left unfused counts as a kernel of the
// kind its op class implies) and reads the memory plan's numbers.
CompileStats collectStats(mlir::ModuleOp module, const PipelineReport& report, double importMs);

void printStatsText(const CompileStats& s, std::ostream& os);
void printStatsJson(const std::string& model, const CompileStats& s, std::ostream& os);

}  // namespace dlc::driver
