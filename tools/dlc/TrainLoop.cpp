// `dlc train`'s step loop and the host device's step runner (TrainLoop.h).
#include "tools/dlc/TrainLoop.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <random>
#include <string>

#include "frontend/CounterRng.h"
#include "runtime/host/HostDevice.h"

namespace dlc::tool {

void HostStepRunner::begin(std::vector<rt::HostTensor> inputs) {
  inputs_ = std::move(inputs);
  loss_ = rt::HostTensor(step_.program.values[step_.program.outputs[0]].type);
}

float HostStepRunner::step(const std::vector<std::pair<size_t, rt::ConstTensorRef>>& fresh) {
  // Parameters, state and step are handed in and out as the same buffers:
  // the step writes their new values over the old ones (in place where the
  // plan says so, otherwise copied over at the end of the run).
  std::vector<rt::ConstTensorRef> in;
  for (const rt::HostTensor& t : inputs_) in.push_back(t.cref());
  for (const auto& [pos, ref] : fresh) in[pos] = ref;
  std::vector<rt::TensorRef> out{loss_.ref()};
  for (size_t o = 1; o < step_.updates.size(); ++o) out.push_back(inputs_[step_.updates[o]].ref());
  rt::runOnHost(step_.program, in, out);
  return loss_.as<float>()[0];
}

std::vector<rt::HostTensor> HostStepRunner::end() { return std::move(inputs_); }

namespace {

// Rows [rows[0], rows[1], ...] of t along dim 0.
rt::HostTensor takeRows(const rt::HostTensor& t, const std::vector<int64_t>& rows) {
  rt::TensorType type = t.type();
  int64_t n = type.shape[0];
  size_t rowBytes = n ? static_cast<size_t>(t.byteSize() / n) : 0;
  type.shape[0] = static_cast<int64_t>(rows.size());
  rt::HostTensor out(type);
  for (size_t i = 0; i < rows.size(); ++i)
    std::memcpy(static_cast<char*>(out.data()) + i * rowBytes,
                static_cast<const char*>(t.data()) + static_cast<size_t>(rows[i]) * rowBytes, rowBytes);
  return out;
}

}  // namespace

StepBatch::StepBatch(const Settings& s, const TrainSetup& setup, const TrainStep& step,
                     const std::vector<int64_t>& rows, int64_t index)
    : labels(takeRows(setup.labels, rows)), key(rt::TensorType{rt::DType::U32, {2}}) {
  for (const auto& d : setup.data) data.push_back(takeRows(d, rows));
  for (size_t k = 0; k < data.size(); ++k) fresh.emplace_back(k, data[k].cref());
  fresh.emplace_back(step.labelsInput(), labels.cref());
  if (step.hasKey) {
    std::array<uint32_t, 2> k = trainingRngKey(s.seed, static_cast<uint64_t>(index));
    std::copy(k.begin(), k.end(), key.as<uint32_t>());
    fresh.emplace_back(step.keyInput(), key.cref());
  }
}

std::vector<rt::HostTensor> runTrainingLoop(const Settings& s, const TrainSetup& setup, const TrainStep& step,
                                            StepRunner& runner) {
  runner.begin(firstStepInputs(step, setup));
  int64_t perEpoch = setup.samples / s.batch;
  int64_t total = s.steps ? s.steps : s.epochs * perEpoch;
  std::vector<int64_t> order(static_cast<size_t>(setup.samples));
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(s.seed);
  double epochLoss = 0;
  // fp16 loss scaling: a step whose gradients overflowed is skipped, and
  // leaves the step counter as it was (TrainSetup.h).
  float applied = 0;  // the step counter after the last step
  int64_t epochSkipped = 0;
  auto epochStart = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < total; ++i) {
    int64_t inEpoch = i % perEpoch;
    if (inEpoch == 0) {
      if (s.shuffle) std::shuffle(order.begin(), order.end(), rng);
      epochLoss = 0;
      epochSkipped = 0;
      epochStart = std::chrono::steady_clock::now();
    }
    std::vector<int64_t> rows(order.begin() + inEpoch * s.batch, order.begin() + (inEpoch + 1) * s.batch);
    StepBatch batch(s, setup, step, rows, i);
    float loss = 0;
    try {
      loss = runner.step(batch.fresh);
    } catch (const rt::RunError& e) {
      throw TrainError{1, s.model + ": step " + std::to_string(i + 1) + ": " + e.what()};
    }
    if (!std::isfinite(loss))
      throw TrainError{1, s.model + ": step " + std::to_string(i + 1) + ": the loss is " + std::to_string(loss) +
                              " (try a smaller --lr)"};
    epochLoss += loss;
    bool skipped = false;
    if (step.lossScaleCount) {
      float counter = runner.readScalar(step.stepInput());
      skipped = counter == applied;
      applied = counter;
      epochSkipped += skipped;
    }
    auto scale = [&] { return static_cast<double>(runner.readScalar(step.lossScaleInput())); };
    if (s.steps) {
      std::printf("step %lld/%lld: loss %.6f", static_cast<long long>(i + 1), static_cast<long long>(total), loss);
      if (skipped) std::printf(" (skipped: overflow, scale %.9g)", scale());
      std::printf("\n");
    } else if (inEpoch + 1 == perEpoch) {
      double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - epochStart).count();
      std::printf("epoch %lld/%lld: loss %.6f (mean of %lld steps), %.0f samples/s",
                  static_cast<long long>(i / perEpoch + 1), static_cast<long long>(s.epochs), epochLoss / perEpoch,
                  static_cast<long long>(perEpoch), static_cast<double>(perEpoch * s.batch) / std::max(sec, 1e-9));
      if (step.lossScaleCount)
        std::printf(", %lld skipped (overflow), scale %.9g", static_cast<long long>(epochSkipped), scale());
      std::printf("\n");
    }
    std::fflush(stdout);
  }
  return runner.end();
}

}  // namespace dlc::tool
