// The CUDA device: runs a Program with its CudaPlan on a GPU through the
// driver API, which is loaded with dlopen (libcuda.so.1) so that binaries
// start on machines without a driver. cuBLASLt and cuDNN are loaded the same
// way when a plan calls them.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "runtime/Program.h"
#include "runtime/Tensor.h"
#include "runtime/cuda/CudaPlan.h"

namespace dlc::rt::cuda {

// A failure of the device or a library (no driver, out of memory, a failed
// launch); the message names the call, the CUDA error and, for a step, the
// source op.
struct DeviceError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A DeviceError that is the machine's, not the compiler's: no driver, no
// device, a library (cuBLASLt, cuDNN) missing, out of device memory. The CLI
// reports it as a user error (exit 1); other DeviceErrors are internal.
struct DeviceUnavailable : DeviceError {
  using DeviceError::DeviceError;
};

// Why no CUDA device can be used here ("" when one can): no libcuda.so.1,
// cuInit failed (its error name and text), no device. $DLC_LIBCUDA names
// another driver library to load instead of libcuda.so.1 (tests point it at
// a missing file to simulate a machine without a driver).
std::string unavailableReason();

struct DeviceInfo {
  std::string name;         // "NVIDIA H100 80GB HBM3"
  std::string arch;         // "sm_90"
  int smCount = 0;
  int64_t totalMemory = 0;  // bytes
  int driverVersion = 0;    // cuDriverGetVersion: 13000 for 13.0
};
DeviceInfo deviceInfo(int ordinal = 0);  // throws DeviceError

// A tensor in device memory: a CUdeviceptr (as an integer) and its type.
struct DeviceTensorRef {
  uint64_t ptr = 0;
  TensorType type;
};

struct RunOptions {
  int device = 0;
  bool cudaGraph = false;  // capture the steps once, replay the graph on each run
  // --check-nan: run the steps one at a time; after each, read its status
  // word and its float outputs back and stop at the first NaN/Inf with the
  // host device's report (nonFiniteMessage). Slow; no graph is captured.
  bool checkNan = false;
  // Timing (`dlc bench`), with CUDA events on the stream: timeRun records one
  // before the first step and one after the last (the input and output copies
  // are outside); timeSteps also records one between steps, which needs the
  // steps enqueued one by one (not with cudaGraph: DeviceError).
  bool timeRun = false;
  bool timeSteps = false;
};

// The last run's times from the events (milliseconds; -1 / empty: not timed).
struct RunTiming {
  double runMs = -1;                // first step's start to last step's end
  std::vector<double> stepBeginMs;  // per step: its start, from the first step's
  std::vector<double> stepMs;       // per step: its start to the next one's
};

// One loaded executable on one GPU: module loaded, functions looked up,
// library calls planned, arena and every other buffer allocated and the
// constants uploaded once; run() may be called many times. The program and
// the plan must outlive the executor. Construction throws InvalidProgram for
// a broken program or plan, DeviceUnavailable (no device, a missing library,
// out of memory: nothing is left allocated) or DeviceError.
class CudaExecutor {
 public:
  CudaExecutor(const Program& program, const CudaPlan& plan, const RunOptions& options);
  ~CudaExecutor();
  CudaExecutor(const CudaExecutor&) = delete;
  CudaExecutor& operator=(const CudaExecutor&) = delete;

  // Checks the inputs against the signature (RunError, the host device's
  // messages) before anything is launched, copies them to the device, runs
  // every step on the stream (or replays the captured graph), copies the
  // outputs back, and turns a kernel's status code into a RunError naming the
  // source op. A failed run leaves the executor usable.
  std::vector<HostTensor> run(const std::vector<HostTensor>& inputs);
  // The same run over device memory the caller owns (allocated on this
  // executor's device, e.g. with cudaMalloc, which uses the same primary
  // context): inputs are copied device-to-device into the executor's buffers
  // (so a captured graph stays valid), outputs copied out the same way; no
  // host copy. Types are checked as by run(); the outputs' types must be the
  // signature's (RunError).
  void runDevice(const std::vector<DeviceTensorRef>& inputs, const std::vector<DeviceTensorRef>& outputs);
  // The same run over borrowed host buffers (the C++ API's zero-copy path):
  // inputs read where they are, output i written into outputs[i], whose type
  // must be the signature's (RunError).
  void run(const std::vector<ConstTensorRef>& inputs, const std::vector<TensorRef>& outputs);

  // Resident use (`dlc train`): values stay in the executor's own device
  // buffers from one run to the next, and only what changes is copied.
  // writeInputs copies host data into those inputs' buffers; runResident
  // copies `inputs` in the same way, runs every step on what the input
  // buffers hold, then leaves each output aliased to an input
  // (Program::aliases) in that input's buffer as well (computed there in
  // place, or copied there after the steps), so that the next run reads it,
  // and copies `outputs` to the host; readInputs copies input buffers back
  // (after a run: the aliased outputs' values). Inputs are named by their
  // signature position; types are checked as by run() (RunError), and an
  // input specialised at compile time must keep its value. A failed run
  // leaves the buffers as the failed steps left them.
  using InputWrite = std::pair<size_t, ConstTensorRef>;
  using BufferRead = std::pair<size_t, TensorRef>;
  void writeInputs(const std::vector<InputWrite>& inputs);
  void runResident(const std::vector<InputWrite>& inputs, const std::vector<BufferRead>& outputs);
  void readInputs(const std::vector<BufferRead>& inputs);

  // Device bytes this executor holds (arena, values, workspace, status).
  int64_t deviceBytes() const;
  // Whether run() replays a captured CUDA graph (after the first run).
  bool graphCaptured() const;
  // The times of the last successful run, with RunOptions::timeRun/timeSteps.
  const RunTiming& lastTiming() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dlc::rt::cuda
