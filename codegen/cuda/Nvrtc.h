// NVRTC: compiles a CudaPlan's module to PTX and CUBIN for its arch. libnvrtc
// is loaded with dlopen (dlc starts on machines without the CUDA toolkit and
// says so when asked to compile for CUDA). Results are kept in an on-disk
// cache (KernelCache.h) keyed by the source, the arch, the options and the
// NVRTC version.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "runtime/cuda/CudaPlan.h"

namespace dlc::codegen {

// NVRTC is missing or rejected the module. For a rejected module the message
// holds NVRTC's log and the path the source was written to.
struct NvrtcError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct NvrtcOptions {
  std::string cacheDir;  // "" : $DLC_CACHE_DIR, else $XDG_CACHE_HOME/dlc, else ~/.cache/dlc
  bool useCache = true;
  bool cubin = true;     // also build the CUBIN (else PTX only)
};

// How a module was compiled.
struct ModuleCompileInfo {
  bool cacheHit = false;
  double nvrtcMs = 0;           // NVRTC's compile time (0 on a cache hit)
  std::string log;              // NVRTC's log: ptxas -v lines (registers, spills) per kernel
  std::vector<std::string> options;  // what NVRTC was given
};

// Why NVRTC cannot be used here ("" when it can): no libnvrtc found (the
// message lists where dlc looked), or a symbol missing. $DLC_NVRTC_LIBRARY,
// when set, is the only library tried.
std::string nvrtcUnavailableReason();
// "13.0"; throws NvrtcError when NVRTC is unavailable.
std::string nvrtcVersion();
// The architectures this NVRTC compiles for (75, 80, ... 120).
std::vector<int> nvrtcSupportedArchs();

// Why `arch` is not a target dlc accepts ("" when it is): the form sm_XY
// (an optional a/f suffix, sm_90a), from sm_70 to sm_121. Whether the NVRTC
// present supports it is checked by compileModule.
std::string archError(const std::string& arch);

// Fills plan.ptx, plan.cubin and plan.nvrtcVersion for plan.arch, from the
// cache when it holds them. Options: -std=c++17 --fmad=true -default-device,
// no include path (the module is self-contained), and ptxas -v for the log.
ModuleCompileInfo compileModule(rt::CudaPlan& plan, const NvrtcOptions& options = {});

// What ptxas reports for one function (from `ptxas -v` lines in a log).
struct KernelResources {
  std::string name;
  int registers = -1;
  int64_t stackBytes = 0, spillStoreBytes = 0, spillLoadBytes = 0;
};
std::vector<KernelResources> parsePtxasInfo(const std::string& log);

// The extern "C" __global__ function of `source` whose definition contains
// 1-based `line` ("" if none): names the kernel an NVRTC error is in.
std::string kernelAtLine(const std::string& source, int line);

}  // namespace dlc::codegen
