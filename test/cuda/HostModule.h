// A generated CUDA module compiled as a host shared object: the prelude's
// DLC_HOST_EMULATION branch runs its kernels on host threads, and every
// kernel has an `extern "C" void <name>_emulate(void** args, const unsigned*
// grid6)` trampoline (codegen/cuda/PlanCuda.cpp). Shared by the emulated
// device (EmulatedDevice) and the tests of the real CUDA runtime through the
// fake driver (test/cuda/fake), which loads the object for a module image.
// Test-only; MLIR-free.
#pragma once

#include <string>

namespace dlc::test {

// Compiles `source` with the host C++ compiler into a shared object in
// `workDir` ("" : $TMPDIR/dlc-cuda-emulation), named by the source's hash and
// reused when it is there already (safe across parallel processes: files are
// written under per-process names and renamed). Returns the object's path.
// Throws std::runtime_error with the compiler's output on failure.
std::string buildHostModule(const std::string& source, const std::string& workDir = "");

}  // namespace dlc::test
