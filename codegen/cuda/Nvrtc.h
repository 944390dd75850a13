// NVRTC: compiles a CudaPlan's module to PTX and CUBIN for its arch. libnvrtc
// is loaded with dlopen (dlc starts on machines without the CUDA toolkit and
// says so when asked to compile for CUDA). Results are kept in an on-disk
// cache keyed by the source, the arch, the options and the NVRTC version.
#pragma once

#include <stdexcept>
#include <string>

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

// Why NVRTC cannot be used here ("" when it can).
std::string nvrtcUnavailableReason();

// Fills plan.ptx, plan.cubin and plan.nvrtcVersion for plan.arch.
void compileModule(rt::CudaPlan& plan, const NvrtcOptions& options = {});

}  // namespace dlc::codegen
