// Runs a CudaPlan with no GPU, for the differential tests of codegen/cuda:
// the plan's module is compiled by the host C++ compiler as a shared object
// (the prelude's DLC_HOST_EMULATION branch maps threads, blocks, barriers,
// shuffles and atomics onto host threads), and every step runs in order on
// buffers placed as the memory plan says: generated kernels through their
// `<name>_emulate` trampolines, GemmCall/ConvCall steps by a plain host
// implementation of the descriptor (which so checks the descriptors).
// Test-only; MLIR-free.
#pragma once

#include <string>
#include <vector>

#include "runtime/Program.h"
#include "runtime/cuda/CudaPlan.h"

namespace dlc::test {

struct EmulationOptions {
  std::string workDir;       // where module sources and .so files go ("": $TMPDIR)
  unsigned maxBlocks = 3;    // grids are clamped to this (kernels are grid-stride loops)
  // Nonzero: inputs are copied to this many bytes past a 256-byte boundary,
  // as a caller's device buffers may be (checks kernels' unaligned paths).
  unsigned inputByteOffset = 0;
};

// Compiles plan.source (cached by content hash in workDir) and runs it.
// Throws std::runtime_error naming the step on a kernel status or a
// compile failure (with the compiler's output).
std::vector<rt::HostTensor> runEmulated(const rt::Program& program, const rt::CudaPlan& plan,
                                        const std::vector<rt::HostTensor>& inputs,
                                        const EmulationOptions& options = {});

// Largest difference between two outputs as a message ("" when they agree):
// floats within atol + rtol * |expected| (NaN matches NaN), others exactly.
std::string compareTensors(const rt::HostTensor& expected, const rt::HostTensor& actual,
                           double rtol, double atol);

// Random inputs for a program: floats in [-2, 2], integers in [-5, 5]
// (unsigned [0, 10]), i1 random, deterministic in `seed`.
std::vector<rt::HostTensor> randomInputs(const rt::Program& program, unsigned seed);

}  // namespace dlc::test
