// The host device: runs a Program with the reference kernels, kernel by
// kernel, with its values where the memory plan puts them.
#pragma once

#include <stdexcept>
#include <vector>

#include "runtime/Program.h"

namespace dlc::rt {

// A run-time failure that is the caller's doing (wrong inputs) or the data's
// (an index out of range); the message names the input or the source op.
struct RunError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Checks the program (verifyProgram: a broken one throws InvalidProgram, the
// compiler's fault) and the inputs against its signature (RunError), runs
// every kernel and returns the outputs in signature order.
std::vector<HostTensor> runOnHost(const Program& program, const std::vector<HostTensor>& inputs);

}  // namespace dlc::rt
