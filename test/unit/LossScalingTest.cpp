// Loss scaling in the training step (TrainingSpec::LossScaling,
// passes/LossScaling.cpp), run on the host device after the fp16 pipeline:
// an overflowing step leaves the parameters, Adam's m and v and the step
// counter bit-unchanged and halves the scale; good steps count up and the
// scale doubles at the growth interval (unless that overflows f32); a NaN
// in the data is an overflow too. The expected scales are written out
// here, not computed by the code under test.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "api/Driver.h"
#include "codegen/cuda/PlanCuda.h"
#include "codegen/host/LowerToHost.h"
#include "frontend/onnx/ModelBuilder.h"
#include "passes/TrainingStep.h"
#include "runtime/host/HostDevice.h"
#include "test/cuda/EmulatedDevice.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace dlc {
namespace {

using onnx_io::Dim;
using onnx_io::ModelBuilder;

constexpr int64_t kInterval = 3;

// y = x [4, 3] @ w [3, 2] + b [2], trained by Adam on mse with dynamic loss
// scaling, compiled for the host device with fp16 products.
struct Step {
  mlir::MLIRContext ctx;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  rt::Program program;
};

void compileStep(Step& s) {
  ModelBuilder b("linear");
  b.addInput("x", rt::DType::F32, {Dim::fixed(4), Dim::fixed(3)});
  b.addInput("w", rt::DType::F32, {Dim::fixed(3), Dim::fixed(2)});
  b.addInput("b", rt::DType::F32, {Dim::fixed(2)});
  auto m = b.addNode("MatMul", {"x", "w"}, 1, {}, "mm");
  auto y = b.addNode("Add", {m[0], "b"}, 1, {}, "add");
  b.addOutput(y[0], "y", rt::DType::F32);
  driver::initContext(s.ctx);
  driver::CompileOptions opts;
  opts.training = true;
  opts.precision = PrecisionMode::F16;
  driver::Failure failure;
  s.module = driver::loadModel(s.ctx, driver::InMemoryModel{driver::ModelFormat::Onnx, b.serialize(), "m.onnx", "."},
                               opts, failure);
  ASSERT_FALSE(failure) << failure.message;
  TrainingSpec spec;
  spec.loss = "mse";
  spec.optimizer = "adam";
  spec.lr = 0.1;
  spec.labelType = mlir::RankedTensorType::get({4, 2}, mlir::Float32Type::get(&s.ctx));
  spec.params = {1, 2};
  spec.lossScaling.enabled = true;
  spec.lossScaling.growthInterval = kInterval;
  std::string error;
  ASSERT_TRUE(mlir::succeeded(buildTrainingStep(*s.module, spec, error))) << error;
  failure = driver::runPipeline(*s.module, opts);
  ASSERT_FALSE(failure) << failure.message;
  ASSERT_TRUE(lowerToHost(*s.module, s.program, error)) << error;
}

// Arguments: x w b labels m.w m.b v.w v.b step loss_scale good_steps.
// Results:   loss w b m.w m.b v.w v.b step loss_scale good_steps.
enum Arg { X, W, B, Labels, MW, MB, VW, VB, StepArg, Scale, Good, NumArgs };
constexpr int kCarried[] = {W, B, MW, MB, VW, VB, StepArg, Scale, Good};  // result r + 1 replaces kCarried[r]

rt::HostTensor tensor(rt::Shape shape, std::vector<float> v) {
  rt::HostTensor t({rt::DType::F32, shape});
  EXPECT_EQ(static_cast<int64_t>(v.size()), t.numElements());
  std::memcpy(t.data(), v.data(), v.size() * sizeof(float));
  return t;
}
rt::HostTensor scalar(float v) { return tensor({}, {v}); }

std::vector<rt::HostTensor> startState() {
  std::vector<rt::HostTensor> a;
  a.push_back(tensor({4, 3}, {1, 2, 3, -1, 0.5f, 2, 0, 1, -2, 3, 1, 1}));
  a.push_back(tensor({3, 2}, {0.5f, -0.25f, 1, 0.75f, -0.5f, 0.125f}));
  a.push_back(tensor({2}, {0.1f, -0.2f}));
  a.push_back(tensor({4, 2}, {1, 0, 0, 1, 2, -1, 0.5f, 0.5f}));
  for (rt::Shape s : {rt::Shape{3, 2}, rt::Shape{2}, rt::Shape{3, 2}, rt::Shape{2}})
    a.push_back(tensor(s, std::vector<float>(static_cast<size_t>(s.size() == 2 ? 6 : 2), 0.0f)));
  a.push_back(scalar(0));     // step
  a.push_back(scalar(1024));  // loss scale
  a.push_back(scalar(0));     // good steps
  return a;
}

std::vector<rt::HostTensor> copyAll(const std::vector<rt::HostTensor>& v) {
  std::vector<rt::HostTensor> out;
  for (const auto& t : v) out.emplace_back(t.type(), t.data());
  return out;
}

// The arguments of the next step: the results carried over.
std::vector<rt::HostTensor> carry(const std::vector<rt::HostTensor>& args, const std::vector<rt::HostTensor>& results) {
  std::vector<rt::HostTensor> next = copyAll(args);
  for (size_t r = 0; r < std::size(kCarried); ++r)
    next[static_cast<size_t>(kCarried[r])] = rt::HostTensor(results[r + 1].type(), results[r + 1].data());
  return next;
}

bool bitEqual(const rt::HostTensor& a, const rt::HostTensor& b) {
  return a.type() == b.type() && std::memcmp(a.data(), b.data(), static_cast<size_t>(a.byteSize())) == 0;
}

float value(const rt::HostTensor& t) { return t.as<float>()[0]; }

TEST(LossScaling, ResultsFollowTheLayout) {
  Step s;
  compileStep(s);
  auto main = s.module->lookupSymbol<mlir::func::FuncOp>("main");
  ASSERT_EQ(main.getNumArguments(), static_cast<unsigned>(NumArgs));
  ASSERT_EQ(main.getNumResults(), std::size(kCarried) + 1);
  for (unsigned r = 1; r < main.getNumResults(); ++r) {
    auto a = main.getResultAttrOfType<mlir::IntegerAttr>(r, "dlc.alias_arg");
    ASSERT_TRUE(a) << r;
    EXPECT_EQ(a.getInt(), kCarried[r - 1]) << "result " << r;
  }
  EXPECT_EQ(main.getArgAttrOfType<mlir::StringAttr>(Scale, "dlc.name").getValue(), "loss_scale");
}

TEST(LossScaling, OverflowSkipsTheWholeUpdateAndHalvesTheScale) {
  Step s;
  compileStep(s);
  // A good step first, so that Adam's m and v and the step are not zero.
  std::vector<rt::HostTensor> args = startState();
  std::vector<rt::HostTensor> out = rt::runOnHost(s.program, copyAll(args));
  ASSERT_EQ(value(out[7]), 1.0f) << "the first step was skipped";
  EXPECT_EQ(value(out[8]), 1024.0f);
  EXPECT_EQ(value(out[9]), 1.0f);
  EXPECT_FALSE(bitEqual(out[1], args[W]));
  float goodLoss = value(out[0]);

  // Scale 2^100: the scaled gradient of the loss overflows f16 (65504) in
  // the backward products' operands.
  args = carry(args, out);
  args[Scale] = scalar(std::ldexp(1.0f, 100));
  out = rt::runOnHost(s.program, copyAll(args));
  EXPECT_TRUE(std::isfinite(value(out[0])));
  EXPECT_NE(value(out[0]), goodLoss);  // the loss of the updated parameters, unscaled
  for (int r = 0; r < 7; ++r)
    EXPECT_TRUE(bitEqual(out[static_cast<size_t>(r + 1)], args[static_cast<size_t>(kCarried[r])])) << "result " << r + 1;
  EXPECT_EQ(value(out[8]), std::ldexp(1.0f, 99));
  EXPECT_EQ(value(out[9]), 0.0f);

  // Back to a scale that fits: the update happens again, from the same state.
  std::vector<rt::HostTensor> fits = carry(args, out);
  fits[Scale] = scalar(512);
  out = rt::runOnHost(s.program, copyAll(fits));
  EXPECT_EQ(value(out[7]), 2.0f);
  EXPECT_FALSE(bitEqual(out[1], fits[W]));
}

TEST(LossScaling, NaNInTheDataIsAnOverflow) {
  Step s;
  compileStep(s);
  std::vector<rt::HostTensor> args = startState();
  args[X].as<float>()[4] = std::numeric_limits<float>::quiet_NaN();
  std::vector<rt::HostTensor> out = rt::runOnHost(s.program, copyAll(args));
  for (int r = 0; r < 7; ++r)
    EXPECT_TRUE(bitEqual(out[static_cast<size_t>(r + 1)], args[static_cast<size_t>(kCarried[r])])) << "result " << r + 1;
  EXPECT_EQ(value(out[8]), 512.0f);
  EXPECT_EQ(value(out[9]), 0.0f);
}

TEST(LossScaling, ScaleDoublesAfterTheGrowthInterval) {
  Step s;
  compileStep(s);
  std::vector<rt::HostTensor> args = startState();
  // 1024, 1024, 1024 (third good step: doubled), then counting from 0.
  const float scales[] = {1024, 1024, 2048, 2048};
  const float goods[] = {1, 2, 0, 1};
  for (int i = 0; i < 4; ++i) {
    std::vector<rt::HostTensor> out = rt::runOnHost(s.program, copyAll(args));
    EXPECT_EQ(value(out[7]), static_cast<float>(i + 1)) << "step " << i;
    EXPECT_EQ(value(out[8]), scales[i]) << "step " << i;
    EXPECT_EQ(value(out[9]), goods[i]) << "step " << i;
    args = carry(args, out);
  }
}

TEST(LossScaling, ScaleDoesNotGrowPastF32) {
  Step s;
  compileStep(s);
  // Zero parameters and labels: the loss and every gradient are exactly 0,
  // finite under any scale; the doubled scale would be inf.
  std::vector<rt::HostTensor> args = startState();
  std::memset(args[W].data(), 0, static_cast<size_t>(args[W].byteSize()));
  std::memset(args[B].data(), 0, static_cast<size_t>(args[B].byteSize()));
  std::memset(args[Labels].data(), 0, static_cast<size_t>(args[Labels].byteSize()));
  const float big = std::ldexp(1.0f, 127);
  args[Scale] = scalar(big);
  args[Good] = scalar(kInterval - 1);
  std::vector<rt::HostTensor> out = rt::runOnHost(s.program, copyAll(args));
  EXPECT_EQ(value(out[0]), 0.0f);
  EXPECT_EQ(value(out[7]), 1.0f) << "the step was skipped";
  EXPECT_EQ(value(out[8]), big);
  EXPECT_EQ(value(out[9]), 0.0f);
}

// The CUDA plan of the same step (generated kernels and 16-bit cuBLASLt
// calls, run by the emulated device) skips and rescales as the host does.
TEST(LossScaling, TheSameOnTheEmulatedCudaDevice) {
  Step s;
  compileStep(s);
  rt::CudaPlan plan = codegen::planCuda(s.program, {});
  std::vector<rt::HostTensor> args = startState();
  for (float scale : {1024.0f, std::ldexp(1.0f, 100)}) {
    args[Scale] = scalar(scale);
    std::vector<rt::HostTensor> want = rt::runOnHost(s.program, copyAll(args));
    std::vector<rt::HostTensor> got = test::runEmulated(s.program, plan, copyAll(args));
    ASSERT_EQ(want.size(), got.size());
    for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(test::compareTensors(want[i], got[i], 1e-5, 1e-6), "") << i;
    EXPECT_EQ(value(got[8]), scale == 1024.0f ? 1024.0f : std::ldexp(1.0f, 99));
    if (scale != 1024.0f)
      for (int r = 0; r < 7; ++r)
        EXPECT_TRUE(bitEqual(got[static_cast<size_t>(r + 1)], args[static_cast<size_t>(kCarried[r])])) << r + 1;
    args = carry(args, want);
  }
}

// Two convolutions (fp16 forward, data and filter gradients in fp16 on the
// CUDA plan: 16-bit cuDNN calls whose results are widened), Relu between:
// the emulated device's step agrees with the host's, and an overflow skips
// there too.
TEST(LossScaling, ConvolutionStepOnTheEmulatedCudaDevice) {
  ModelBuilder b("convs");
  b.addInput("x", rt::DType::F32, {Dim::fixed(2), Dim::fixed(2), Dim::fixed(6), Dim::fixed(6)});
  b.addInput("w1", rt::DType::F32, {Dim::fixed(3), Dim::fixed(2), Dim::fixed(3), Dim::fixed(3)});
  b.addInput("w2", rt::DType::F32, {Dim::fixed(2), Dim::fixed(3), Dim::fixed(3), Dim::fixed(3)});
  auto c1 = b.addNode("Conv", {"x", "w1"}, 1, {}, "conv1");
  auto r = b.addNode("Relu", {c1[0]}, 1, {}, "relu");
  auto c2 = b.addNode("Conv", {r[0], "w2"}, 1, {}, "conv2");
  b.addOutput(c2[0], "y", rt::DType::F32);
  mlir::MLIRContext ctx;
  driver::initContext(ctx);
  driver::CompileOptions opts;
  opts.training = true;
  opts.precision = PrecisionMode::F16;
  driver::Failure failure;
  auto module = driver::loadModel(ctx, driver::InMemoryModel{driver::ModelFormat::Onnx, b.serialize(), "c.onnx", "."},
                                  opts, failure);
  ASSERT_FALSE(failure) << failure.message;
  TrainingSpec spec;
  spec.loss = "mse";
  spec.optimizer = "sgd";
  spec.lr = 0.1;
  spec.labelType = mlir::RankedTensorType::get({2, 2, 2, 2}, mlir::Float32Type::get(&ctx));
  spec.params = {1, 2};
  spec.lossScaling.enabled = true;
  std::string error;
  ASSERT_TRUE(mlir::succeeded(buildTrainingStep(*module, spec, error))) << error;
  failure = driver::runPipeline(*module, opts);
  ASSERT_FALSE(failure) << failure.message;
  rt::Program program;
  ASSERT_TRUE(lowerToHost(*module, program, error)) << error;
  rt::CudaPlan plan = codegen::planCuda(program, {});
  // fp16 cuDNN calls: the two forward convolutions and conv2's data
  // gradient (the filter gradients read transposed views of the activations
  // and are generated kernels, in fp16 too).
  int halfConvs = 0;
  for (const rt::CudaStep& step : plan.steps)
    halfConvs += step.kind == rt::StepKind::Conv && step.conv.dtype == rt::DType::F16;
  EXPECT_EQ(halfConvs, 3);
  // x w1 w2 labels step loss_scale good_steps -> loss w1 w2 step loss_scale good_steps
  std::vector<rt::HostTensor> args = test::randomInputs(program, 5);
  ASSERT_EQ(args.size(), 7u);
  for (float scale : {256.0f, std::ldexp(1.0f, 60)}) {
    args[4] = scalar(0);
    args[5] = scalar(scale);
    args[6] = scalar(0);
    std::vector<rt::HostTensor> want = rt::runOnHost(program, copyAll(args));
    std::vector<rt::HostTensor> got = test::runEmulated(program, plan, copyAll(args));
    ASSERT_EQ(want.size(), 6u);
    ASSERT_EQ(got.size(), 6u);
    bool overflow = scale != 256.0f;
    EXPECT_EQ(value(want[3]), overflow ? 0.0f : 1.0f);
    EXPECT_EQ(value(got[3]), overflow ? 0.0f : 1.0f);
    EXPECT_EQ(value(got[4]), overflow ? scale / 2 : scale);
    // A 16-bit rounding of a convolution's result may fall the other way
    // (f32 against double accumulation): 1e-3 of the weights' scale.
    for (size_t i = 0; i < 3; ++i) EXPECT_EQ(test::compareTensors(want[i], got[i], 1e-3, 1e-3), "") << i;
    if (overflow)
      for (size_t i : {1, 2}) EXPECT_TRUE(bitEqual(got[i], args[i])) << i;
  }
}

}  // namespace
}  // namespace dlc
