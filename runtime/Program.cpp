#include "runtime/Program.h"

namespace dlc::rt {

const char* kernelKindName(KernelKind k) {
  switch (k) {
    case KernelKind::Loop: return "loop";
    case KernelKind::Reduction: return "reduction";
    case KernelKind::Gemm: return "gemm";
    case KernelKind::Conv: return "conv";
    case KernelKind::Sort: return "sort";
    case KernelKind::Scatter: return "scatter";
  }
  return "unknown";
}

}  // namespace dlc::rt
