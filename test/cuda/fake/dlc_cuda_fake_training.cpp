// dlc_cuda_fake_training: `dlc train --device cuda` without a GPU. The
// training step of three small models (an MLP; a CNN with BatchNormalization
// and max pooling; an MLP with Dropout) is compiled as dlc train compiles it
// (tools/dlc/TrainSetup.h) and run by the step loop (TrainLoop.h) twice: on
// the host device and on the real CUDA executor over the fake driver
// (FakeCuda.h; planned with library calls off, the kernels emulated as host
// C++), with parameters and state resident in device memory
// (CudaStepRunner). Every step's loss and every carried value at the end
// (parameters, optimizer state, running statistics, step counter) must
// agree. Tolerance: rtol 1e-4, atol 1e-5 (loss and values): the generated
// kernels reduce in another order than the host's reference kernels, so
// results differ in the last bits; over these few SGD/Adam steps on small,
// well-conditioned problems the largest relative difference seen is 2e-5
// (each case prints its own). Also checked: each step copies only its batch,
// labels and key in and the loss out (no parameter or state traffic),
// nothing is allocated per step and nothing is left behind (the fake's
// counters), no driver misuse, a CUDA graph replays the same steps, and a
// device too small for the step is a user error naming the bytes. The
// fake cannot run cuBLASLt or cuDNN, but the plan a GPU run would use (with
// library calls) is made, NVRTC-compiled and checked (verifyPlan) too.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include "frontend/onnx/ModelBuilder.h"
#include "frontend/onnx/TensorProtoIO.h"
#include "runtime/cuda/CudaDevice.h"
#include "runtime/cuda/PlanCheck.h"
#include "test/cuda/EmulatedDevice.h"
#include "test/cuda/fake/FakeCudaHarness.h"
#include "tools/dlc/TrainCuda.h"
#include "tools/dlc/TrainLoop.h"
#include "tools/dlc/TrainSetup.h"

namespace fs = std::filesystem;
using namespace dlc;
using onnx_io::Attr;

namespace {

constexpr double kRtol = 1e-4, kAtol = 1e-5;

rt::HostTensor randomTensor(rt::TensorType type, std::mt19937& rng, float scale) {
  rt::HostTensor t(std::move(type));
  std::normal_distribution<float> d(0.f, scale);
  for (int64_t i = 0; i < t.numElements(); ++i) t.as<float>()[i] = d(rng);
  return t;
}

rt::HostTensor constant(rt::TensorType type, float v) {
  rt::HostTensor t(std::move(type));
  for (int64_t i = 0; i < t.numElements(); ++i) t.as<float>()[i] = v;
  return t;
}

rt::TensorType f32(std::vector<int64_t> shape) { return {rt::DType::F32, std::move(shape)}; }

// x @ w + b with w [in, out], b [out], as a named layer.
std::string dense(onnx_io::ModelBuilder& m, const std::string& x, const std::string& name, int64_t in, int64_t out,
                  std::mt19937& rng) {
  m.addInitializer(name + ".w", randomTensor(f32({in, out}), rng, 1.f / std::sqrt(static_cast<float>(in))));
  m.addInitializer(name + ".b", randomTensor(f32({out}), rng, 0.1f));
  std::string y = m.addNode("MatMul", {x, name + ".w"}, 1)[0];
  return m.addNode("Add", {y, name + ".b"}, 1)[0];
}

// The three models, written as ONNX files a user would train.
void writeModel(const std::string& which, const std::string& path, std::mt19937& rng) {
  onnx_io::ModelBuilder m(which);
  std::string logits;
  if (which == "mlp" || which == "dropout") {
    m.addInput("x", rt::DType::F32, {onnx_io::Dim::fixed(4), onnx_io::Dim::fixed(6)});
    std::string h = m.addNode("Relu", {dense(m, "x", "fc1", 6, 8, rng)}, 1)[0];
    if (which == "dropout") {
      rt::HostTensor ratio(f32({}));
      ratio.as<float>()[0] = 0.25f;
      m.addInitializer("ratio", ratio);
      rt::HostTensor training(rt::TensorType{rt::DType::I1, {}});
      static_cast<uint8_t*>(training.data())[0] = 1;
      m.addInitializer("training", training);
      h = m.addNode("Dropout", {h, "ratio", "training"}, 1, {}, "drop")[0];
    }
    logits = dense(m, h, "fc2", 8, 3, rng);
  } else {  // cnn: Conv, BatchNormalization, Relu, MaxPool, Flatten, dense
    m.addInput("x", rt::DType::F32,
               {onnx_io::Dim::fixed(4), onnx_io::Dim::fixed(2), onnx_io::Dim::fixed(6), onnx_io::Dim::fixed(6)});
    // No convolution bias before the batch norm (as torch models have it):
    // its gradient is zero up to rounding, which Adam would scale up to
    // steps of lr in directions that differ between any two devices.
    m.addInitializer("conv.w", randomTensor(f32({4, 2, 3, 3}), rng, 0.3f));
    m.addInitializer("bn.scale", constant(f32({4}), 1.f));
    m.addInitializer("bn.bias", constant(f32({4}), 0.f));
    m.addInitializer("bn.mean", constant(f32({4}), 0.f));
    m.addInitializer("bn.var", constant(f32({4}), 1.f));
    std::string c = m.addNode("Conv", {"x", "conv.w"}, 1)[0];
    std::string b = m.addNode("BatchNormalization", {c, "bn.scale", "bn.bias", "bn.mean", "bn.var"}, 1,
                              {Attr::real("epsilon", 1e-5), Attr::real("momentum", 0.9)})[0];
    std::string r = m.addNode("Relu", {b}, 1)[0];
    std::string p = m.addNode("MaxPool", {r}, 1,
                              {Attr::integers("kernel_shape", {2, 2}), Attr::integers("strides", {2, 2})})[0];
    std::string f = m.addNode("Flatten", {p}, 1, {Attr::integer("axis", 1)})[0];
    logits = dense(m, f, "fc", 16, 3, rng);
  }
  m.addOutput(logits, "logits", rt::DType::F32);
  std::ofstream(path, std::ios::binary) << m.serialize();
}

void writeData(const std::string& which, const std::string& dir, std::mt19937& rng) {
  fs::create_directories(dir);
  const int64_t samples = 16;
  std::vector<int64_t> shape = which == "cnn" ? std::vector<int64_t>{samples, 2, 6, 6} : std::vector<int64_t>{samples, 6};
  onnx_io::saveTensorFile(dir + "/input_0.pb", randomTensor(f32(shape), rng, 1.f));
  rt::HostTensor labels(rt::TensorType{rt::DType::I64, {samples}});
  std::uniform_int_distribution<int64_t> cls(0, 2);
  for (int64_t i = 0; i < samples; ++i) labels.as<int64_t>()[i] = cls(rng);
  onnx_io::saveTensorFile(dir + "/labels.pb", labels);
}

// A runner that records each step's loss and the fake's live allocations.
class Recording : public tool::StepRunner {
 public:
  explicit Recording(tool::StepRunner& inner) : inner_(inner) {}
  void begin(std::vector<rt::HostTensor> inputs) override { inner_.begin(std::move(inputs)); }
  float step(const std::vector<std::pair<size_t, rt::ConstTensorRef>>& fresh) override {
    float loss = inner_.step(fresh);
    losses.push_back(loss);
    DlcFakeCudaCounts c = test::FakeCuda::get().counts();
    allocations.push_back(c.allocations);
    copies.push_back(c.copies);
    freshCount = fresh.size();
    return loss;
  }
  float readScalar(size_t input) override { return inner_.readScalar(input); }
  std::vector<rt::HostTensor> end() override { return inner_.end(); }
  std::vector<float> losses;
  std::vector<int64_t> allocations, copies;  // the fake's counts after each step
  size_t freshCount = 0;

 private:
  tool::StepRunner& inner_;
};

struct Trained {
  std::vector<float> losses;
  std::vector<rt::HostTensor> inputs;
  std::vector<int64_t> allocations, copies;
  size_t freshCount = 0;
};

class FakeCudaTraining : public ::testing::Test {
 protected:
  void SetUp() override {
    test::FakeCuda::get();
    ASSERT_EQ(rt::cuda::unavailableReason(), "");
    dir_ = (fs::temp_directory_path() / ("dlc_fake_training_" + std::to_string(::getpid()))).string();
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // dlc train's flags for `which` (a model and data written here).
  tool::Settings settings(const std::string& which, const std::vector<std::string>& flags) {
    std::mt19937 rng(7);
    std::string model = dir_ + "/" + which + ".onnx", data = dir_ + "/" + which + "_data";
    writeModel(which, model, rng);
    writeData(which, data, rng);
    std::vector<std::string> args = {"dlc", "train", model, "--data", data, "--loss", "softmax_cross_entropy",
                                     "--batch-size", "4", "--save", dir_ + "/out.onnx"};
    args.insert(args.end(), flags.begin(), flags.end());
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    bool help = false;
    return tool::parseArgs(static_cast<int>(argv.size()), argv.data(), help);
  }

  Trained train(const tool::Settings& s, const tool::TrainSetup& setup, const tool::TrainStep& step,
                tool::StepRunner& runner) {
    Recording rec(runner);
    Trained t;
    t.inputs = tool::runTrainingLoop(s, setup, step, rec);
    t.losses = rec.losses;
    t.allocations = rec.allocations;
    t.copies = rec.copies;
    t.freshCount = rec.freshCount;
    return t;
  }

  // Host and fake CUDA from the same start; prints the largest relative
  // difference seen.
  void compareDevices(const std::string& which, const std::vector<std::string>& flags, bool cudaGraph = false) {
    tool::Settings s = settings(which, flags);
    tool::TrainSetup setup = tool::loadTraining(s);
    tool::TrainStep step = tool::compileTrainStep(s, setup);
    tool::HostStepRunner hostRunner(step);
    Trained host = train(s, setup, step, hostRunner);

    test::FakeCuda& fake = test::FakeCuda::get();
    fake.takeMisuse();
    DlcFakeCudaCounts before = fake.counts();
    Trained cuda;
    {
      rt::cuda::RunOptions o;
      o.cudaGraph = cudaGraph;
      tool::CudaStepRunner runner(s.model, step, fake.plan(step.program), o);
      cuda = train(s, setup, step, runner);
      if (cudaGraph) {
        EXPECT_TRUE(runner.executor().graphCaptured());
      }
    }
    DlcFakeCudaCounts after = fake.counts();
    EXPECT_EQ(fake.takeMisuse(), "");
    EXPECT_EQ(after.allocations, before.allocations) << "device memory left behind";
    EXPECT_EQ(after.modules, before.modules);
    EXPECT_EQ(after.streams, before.streams);
    EXPECT_EQ(after.graphs, before.graphs);
    EXPECT_EQ(after.graphExecs, before.graphExecs);
    EXPECT_EQ(after.contextRetains, before.contextRetains);
    if (cudaGraph) {
      EXPECT_EQ(after.graphLaunches - before.graphLaunches, static_cast<int64_t>(cuda.losses.size()));
    }
    // Nothing allocated per step: the executor's buffers are all there is.
    ASSERT_FALSE(cuda.allocations.empty());
    for (int64_t a : cuda.allocations) EXPECT_EQ(a, cuda.allocations.front());
    // A step's copies: its fresh inputs in, the status words cleared and
    // read, the loss out, and each alias the plan could not compute in
    // place copied over its input on the device. Parameters and state stay.
    int64_t aliasCopies = 0;
    for (const rt::OutputAlias& a : step.program.aliases) aliasCopies += !a.inPlace;
    for (size_t i = 1; i < cuda.copies.size(); ++i)
      EXPECT_EQ(cuda.copies[i] - cuda.copies[i - 1], static_cast<int64_t>(cuda.freshCount) + 3 + aliasCopies)
          << "step " << i + 1;

    ASSERT_EQ(host.losses.size(), cuda.losses.size());
    double worst = 0;
    for (size_t i = 0; i < host.losses.size(); ++i) {
      double h = host.losses[i], c = cuda.losses[i];
      EXPECT_LE(std::abs(h - c), kAtol + kRtol * std::abs(h)) << "step " << i + 1 << ": host " << h << ", cuda " << c;
      worst = std::max(worst, std::abs(h - c) / std::max(std::abs(h), 1e-12));
    }
    ASSERT_EQ(host.inputs.size(), cuda.inputs.size());
    std::set<size_t> carried(step.updates.begin() + 1, step.updates.end());
    EXPECT_EQ(carried.size(), step.paramCount * (1 + step.perParam) + 1 + (which == "cnn" ? 2 : 0));
    for (size_t i : carried) {
      std::string diff = test::compareTensors(host.inputs[i], cuda.inputs[i], kRtol, kAtol);
      EXPECT_EQ(diff, "") << which << ": input " << i;
      const rt::HostTensor &h = host.inputs[i], &c = cuda.inputs[i];
      for (int64_t k = 0; k < h.numElements() && h.dtype() == rt::DType::F32; ++k) {
        double a = h.as<float>()[k], b = c.as<float>()[k];
        if (std::abs(a) > 1e-3) worst = std::max(worst, std::abs(a - b) / std::abs(a));
      }
    }
    // The parameters moved (a test of training, not of copying).
    const rt::HostTensor& w0 = setup.params[0];
    const rt::HostTensor& w1 = cuda.inputs[step.paramInput(0)];
    EXPECT_NE(std::memcmp(w0.data(), w1.data(), static_cast<size_t>(w0.byteSize())), 0);
    // What a GPU runs by default: GEMMs (and the CNN's convolutions) as
    // library calls, a plan the executor accepts.
    rt::CudaPlan withLibraries = fake.plan(step.program, /*useLibraries=*/true);
    EXPECT_NO_THROW(rt::cuda::verifyPlan(step.program, withLibraries));
    int gemms = 0, convs = 0;
    for (const rt::CudaStep& st : withLibraries.steps) {
      gemms += st.kind == rt::StepKind::Gemm;
      convs += st.kind == rt::StepKind::Conv;
    }
    EXPECT_GT(gemms, 0);
    std::cout << which << ": with library calls the step plans " << gemms << " cuBLASLt GEMMs and " << convs
              << " cuDNN convolutions\n";
    std::cout << which << " [";
    for (const std::string& f : flags) std::cout << " " << f;
    std::cout << " ]" << (cudaGraph ? " (CUDA graph)" : "") << ": " << host.losses.size()
              << " steps, largest relative difference host vs cuda " << worst << "\n";
  }

  std::string dir_;
};

const std::vector<std::string> kSgd = {"--optimizer", "sgd", "--lr", "0.1", "--momentum", "0.9", "--steps", "8"};
const std::vector<std::string> kAdam = {"--optimizer", "adam", "--lr", "0.01", "--steps", "8"};

TEST_F(FakeCudaTraining, MlpSgdMomentum) { compareDevices("mlp", kSgd); }
TEST_F(FakeCudaTraining, MlpAdam) { compareDevices("mlp", kAdam); }
TEST_F(FakeCudaTraining, CnnBatchNormSgdMomentum) { compareDevices("cnn", kSgd); }
TEST_F(FakeCudaTraining, CnnBatchNormAdam) { compareDevices("cnn", kAdam); }
TEST_F(FakeCudaTraining, DropoutSgdMomentum) { compareDevices("dropout", kSgd); }
TEST_F(FakeCudaTraining, DropoutAdamShuffled) {
  std::vector<std::string> f = kAdam;
  f.insert(f.end(), {"--shuffle", "--seed", "3"});
  compareDevices("dropout", f);
}
// Many steps (epochs, shuffled) replaying one captured graph: no per-step
// allocation, nothing left.
TEST_F(FakeCudaTraining, CnnManyStepsOnACudaGraph) {
  compareDevices("cnn", {"--optimizer", "adam", "--lr", "0.003", "--epochs", "12", "--shuffle"}, true);
}

TEST_F(FakeCudaTraining, TooLittleDeviceMemoryIsAUserErrorNamingTheBytes) {
  tool::Settings s = settings("cnn", kSgd);
  tool::TrainSetup setup = tool::loadTraining(s);
  tool::TrainStep step = tool::compileTrainStep(s, setup);
  test::FakeCuda& fake = test::FakeCuda::get();
  rt::CudaPlan plan = fake.plan(step.program);
  DlcFakeCudaCounts before = fake.counts();
  fake.setMemoryBytes(4096);
  try {
    tool::CudaStepRunner runner(s.model, step, plan, {});
    ADD_FAILURE() << "the executor was made in 4096 bytes";
  } catch (const tool::TrainError& e) {
    EXPECT_EQ(e.code, 1);
    EXPECT_NE(e.message.find(s.model + ": cuda: out of device memory"), std::string::npos) << e.message;
    EXPECT_NE(e.message.find("bytes"), std::string::npos) << e.message;
  }
  fake.setMemoryBytes(int64_t(1) << 30);
  EXPECT_EQ(fake.counts().allocations, before.allocations);
  fake.takeMisuse();
}

}  // namespace
