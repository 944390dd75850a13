// `dlc train --device cuda`: the training step on the CUDA device
// (runtime/cuda CudaExecutor), with the parameters, the optimizer state, the
// running statistics and the step counter resident in the executor's device
// buffers for the whole run (CudaExecutor::runResident): each step uploads
// its batch (and Dropout's key) and reads back the loss; the trained values
// are read back once, at the end.
#pragma once

#include <memory>
#include <string>

#include "runtime/cuda/CudaDevice.h"
#include "runtime/cuda/CudaPlan.h"
#include "tools/dlc/TrainLoop.h"

namespace dlc::tool {

class CudaStepRunner : public StepRunner {
 public:
  // `plan` is step.program's CUDA plan (planCudaTrainStep, or a test's);
  // the executor is made here: its failures (no device, out of device
  // memory: exit 1; the plan's or the runtime's fault: exit 2) throw
  // TrainError naming `model`. `step` must outlive the runner.
  CudaStepRunner(const std::string& model, const TrainStep& step, rt::CudaPlan plan,
                 const rt::cuda::RunOptions& options);
  ~CudaStepRunner() override;
  void begin(std::vector<rt::HostTensor> inputs) override;
  float step(const std::vector<std::pair<size_t, rt::ConstTensorRef>>& fresh) override;
  float readScalar(size_t input) override;
  std::vector<rt::HostTensor> end() override;

  rt::cuda::CudaExecutor& executor() { return *executor_; }

 private:
  std::string model_;
  const TrainStep& step_;
  rt::CudaPlan plan_;
  std::unique_ptr<rt::cuda::CudaExecutor> executor_;
  std::vector<rt::HostTensor> inputs_;  // begin's; end() reads the carried ones back into them
  rt::HostTensor loss_;
};

// The plan of the step for the GPU present (api/MakeExecutable.h:
// prepareCudaTarget, compileForCuda, as `dlc run --device cuda` makes it;
// s.useLibraries). Throws TrainError.
rt::CudaPlan planCudaTrainStep(const Settings& s, const TrainStep& step);

}  // namespace dlc::tool
