// The host device: runs a Program with the reference kernels, kernel by
// kernel, with its values where the memory plan puts them.
#pragma once

#include <chrono>
#include <functional>
#include <stdexcept>
#include <vector>

#include "runtime/Program.h"

namespace dlc::rt {

// A run-time failure that is the caller's doing (wrong inputs) or the data's
// (an index out of range); the message names the input or the source op.
struct RunError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The checks every device makes before a run, with the same messages: the
// program (verifyProgram: InvalidProgram) and the inputs against its
// signature (count, types, specialised values: RunError).
void checkRunInputs(const Program& program, const std::vector<ConstTensorRef>& inputs);

// Debugging aids of a run; all off by default, and free when off.
struct HostRunOptions {
  // After each kernel, look for NaN/Inf in its float outputs; the first
  // kernel that has any ends the run with a RunError naming the kernel (its
  // index, kind and source op), the output, how many elements and the first.
  bool checkNan = false;
  // Called after each kernel with its index and when it began and ended
  // (`dlc bench --profile`: the host device's per-kernel times). Empty: no
  // clock is read.
  std::function<void(size_t kernel, std::chrono::steady_clock::time_point begin,
                     std::chrono::steady_clock::time_point end)>
      onKernelTimed;
};

// Checks the program (verifyProgram: a broken one throws InvalidProgram, the
// compiler's fault) and the inputs against its signature (RunError), runs
// every kernel and returns the outputs in signature order. A run that needs
// more memory than the host gives throws RunError saying how much.
std::vector<HostTensor> runOnHost(const Program& program, const std::vector<HostTensor>& inputs,
                                  const HostRunOptions& options = {});

// The same run over borrowed buffers (the C++ API's zero-copy path): inputs
// are read where they are; output i is written into outputs[i], whose type
// must be the signature's (RunError otherwise). An output that the memory
// plan gives a buffer of its own is computed in place there; one in the
// arena is copied out at the end. Output buffers may overlap inputs (they
// are then written only after the run), except that an output aliased in
// place to an input (Program::aliases) whose buffer the caller passes as
// that output's is computed there during the run: a training step updates
// its parameters and optimizer state where they lie.
void runOnHost(const Program& program, const std::vector<ConstTensorRef>& inputs,
               const std::vector<TensorRef>& outputs);

}  // namespace dlc::rt
