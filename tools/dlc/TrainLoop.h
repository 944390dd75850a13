// `dlc train`'s step loop: batches in order or shuffled, the Dropout key of
// each step, the loss printed per step or per epoch. The compiled step runs
// on a StepRunner: the host device, or the CUDA device with the parameters
// and all state resident in device memory (TrainCuda.h).
#pragma once

#include <utility>
#include <vector>

#include "runtime/Program.h"
#include "runtime/Tensor.h"
#include "tools/dlc/TrainSetup.h"

namespace dlc::tool {

// Runs one compiled training step (TrainStep) again and again. Inputs are
// named by their position in the step's signature.
class StepRunner {
 public:
  virtual ~StepRunner() = default;
  // Once, before the first step: every input's starting value
  // (firstStepInputs).
  virtual void begin(std::vector<rt::HostTensor> inputs) = 0;
  // One step with these inputs replaced (the batch's data, the labels, the
  // key): returns the loss. The new parameters and state replace the old
  // ones for the next step. Throws rt::RunError for a run-time error of the
  // step (a kernel's status: an index out of range ...), TrainError for the
  // device's failures.
  virtual float step(const std::vector<std::pair<size_t, rt::ConstTensorRef>>& fresh) = 0;
  // The value of f32 scalar input `input` as the next step would see it
  // (the step counter, the loss scale: what the step log needs).
  virtual float readScalar(size_t input) = 0;
  // After the last step: every input as the next step would see it (the
  // trained parameters and state at their positions).
  virtual std::vector<rt::HostTensor> end() = 0;
};

// The host reference device (runtime/host): parameters and state are passed
// in and out as the same host buffers, so each step updates them in place.
class HostStepRunner : public StepRunner {
 public:
  explicit HostStepRunner(const TrainStep& step) : step_(step) {}
  void begin(std::vector<rt::HostTensor> inputs) override;
  float step(const std::vector<std::pair<size_t, rt::ConstTensorRef>>& fresh) override;
  float readScalar(size_t input) override { return inputs_[input].as<float>()[0]; }
  std::vector<rt::HostTensor> end() override;

 private:
  const TrainStep& step_;
  std::vector<rt::HostTensor> inputs_;
  rt::HostTensor loss_;
};

// One step's fresh inputs (StepRunner::step): the samples `rows` of the data
// and the labels, and Dropout's key for step `index` (0-based) when the step
// draws masks. `fresh` points into the tensors: keep the object alive.
struct StepBatch {
  StepBatch(const Settings& s, const TrainSetup& setup, const TrainStep& step, const std::vector<int64_t>& rows,
            int64_t index);
  StepBatch(const StepBatch&) = delete;
  std::vector<rt::HostTensor> data;
  rt::HostTensor labels, key;
  std::vector<std::pair<size_t, rt::ConstTensorRef>> fresh;
};

// s.steps steps, or s.epochs passes over the data, on `runner` (begun and
// ended here); returns every input after the last step (as
// StepRunner::end). Throws TrainError (a non-finite loss; a run-time error,
// naming the step).
std::vector<rt::HostTensor> runTrainingLoop(const Settings& s, const TrainSetup& setup, const TrainStep& step,
                                            StepRunner& runner);

}  // namespace dlc::tool
