#include "codegen/cuda/Nvrtc.h"

namespace dlc::codegen {

// Placeholders until the NVRTC driver lands.
std::string nvrtcUnavailableReason() { return "NVRTC support is not implemented yet"; }

void compileModule(rt::CudaPlan&, const NvrtcOptions&) {
  throw NvrtcError(nvrtcUnavailableReason());
}

}  // namespace dlc::codegen
