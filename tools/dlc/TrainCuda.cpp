// `dlc train --device cuda` (TrainCuda.h).
#include "tools/dlc/TrainCuda.h"

#include <set>

#include "api/MakeExecutable.h"
#include "runtime/host/HostDevice.h"

namespace dlc::tool {

namespace {

// The executor's failures as dlc run reports them (DeviceRun.cpp); a
// RunError (a kernel's status) goes to the loop, which names the step.
template <typename F>
auto onDevice(const std::string& model, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const rt::RunError&) {
    throw;
  } catch (const rt::cuda::DeviceUnavailable& e) {
    throw TrainError{1, model + ": cuda: " + e.what()};
  } catch (const rt::cuda::DeviceError& e) {
    throw TrainError{2, model + ": internal error: cuda: " + e.what()};
  } catch (const rt::InvalidProgram& e) {
    throw TrainError{2, model + ": internal error: " + e.what()};
  }
}

}  // namespace

CudaStepRunner::CudaStepRunner(const std::string& model, const TrainStep& step, rt::CudaPlan plan,
                               const rt::cuda::RunOptions& options)
    : model_(model), step_(step), plan_(std::move(plan)) {
  onDevice(model_, [&] { executor_ = std::make_unique<rt::cuda::CudaExecutor>(step_.program, plan_, options); });
}

CudaStepRunner::~CudaStepRunner() = default;

void CudaStepRunner::begin(std::vector<rt::HostTensor> inputs) {
  inputs_ = std::move(inputs);
  loss_ = rt::HostTensor(step_.program.values[step_.program.outputs[0]].type);
  std::vector<rt::cuda::CudaExecutor::InputWrite> all;
  for (size_t i = 0; i < inputs_.size(); ++i) all.emplace_back(i, inputs_[i].cref());
  onDevice(model_, [&] { executor_->writeInputs(all); });
}

float CudaStepRunner::step(const std::vector<std::pair<size_t, rt::ConstTensorRef>>& fresh) {
  onDevice(model_, [&] { executor_->runResident(fresh, {{0, loss_.ref()}}); });
  return loss_.as<float>()[0];
}

float CudaStepRunner::readScalar(size_t input) {
  rt::HostTensor value(rt::TensorType{rt::DType::F32, {}});
  onDevice(model_, [&] { executor_->readInputs({{input, value.ref()}}); });
  return value.as<float>()[0];
}

std::vector<rt::HostTensor> CudaStepRunner::end() {
  // Every input a step updates holds its last value on the device; the
  // others (frozen state, the last batch) are as begin() had them.
  std::set<size_t> carried(step_.updates.begin() + 1, step_.updates.end());
  std::vector<rt::cuda::CudaExecutor::BufferRead> reads;
  for (size_t i : carried) reads.emplace_back(i, inputs_[i].ref());
  onDevice(model_, [&] { executor_->readInputs(reads); });
  return std::move(inputs_);
}

rt::CudaPlan planCudaTrainStep(const Settings& s, const TrainStep& step) {
  driver::CudaCompileOptions options;
  options.useLibraries = s.useLibraries;
  options.allowTf32 = s.precision.precision == PrecisionMode::TF32;
  std::string archOrigin;
  if (driver::Failure f = driver::prepareCudaTarget(options, archOrigin)) {
    // No --arch on this command: the arch is the GPU's.
    std::string why = f.message.rfind("--arch ", 0) == 0 ? "the GPU's arch " + f.message.substr(7) : f.message;
    throw TrainError{f.exitCode, s.model + ": cuda: " + why};
  }
  driver::CudaCompileResult compiled;
  if (driver::Failure f = driver::compileForCuda(s.model, step.program, options, compiled))
    throw TrainError{f.exitCode, f.message};
  return std::move(compiled.plan);
}

}  // namespace dlc::tool
