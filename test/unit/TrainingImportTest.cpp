// The training import (OnnxImportOptions::training, docs/training.md):
// Dropout's counter-based masks (the specified hash, keep rate, a new mask
// per step and per node, the same on the host and the emulated CUDA
// device), identity at inference, and BatchNormalization's training form
// with its running statistics as (argument, result) state pairs that
// buildTrainingStep carries.
#include <gtest/gtest.h>

#include <cmath>

#include "api/Driver.h"
#include "codegen/cuda/PlanCuda.h"
#include "codegen/host/LowerToHost.h"
#include "frontend/CounterRng.h"
#include "frontend/onnx/Importer.h"
#include "frontend/onnx/ModelBuilder.h"
#include "passes/TrainingStep.h"
#include "runtime/host/HostDevice.h"
#include "test/cuda/EmulatedDevice.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace dlc {
namespace {

using onnx_io::Dim;
using onnx_io::ModelBuilder;

// The test's own statement of the mask (docs/training.md "Dropout").
uint32_t fmix32(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  return h ^ (h >> 16);
}
bool referenceKeep(std::array<uint32_t, 2> key, uint32_t stream, uint32_t i, double ratio) {
  uint32_t h = fmix32(fmix32(i ^ (key[0] + stream * 0x9e3779b9u)) + key[1]);
  return static_cast<double>(h) >= std::nearbyint(std::ldexp(ratio, 32));
}

struct Compiled {
  mlir::MLIRContext ctx;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  rt::Program program;
};

// Imports `model` (training or inference form) and, unless `stopAfterImport`,
// compiles it for the host device.
void compile(const ModelBuilder& model, bool training, Compiled& c, bool stopAfterImport = false) {
  driver::initContext(c.ctx);
  driver::CompileOptions opts;
  opts.training = training;
  driver::Failure failure;
  c.module = driver::loadModel(c.ctx, driver::InMemoryModel{driver::ModelFormat::Onnx, model.serialize(), "m.onnx", "."},
                               opts, failure);
  ASSERT_FALSE(failure) << failure.message;
  if (stopAfterImport) return;
  failure = driver::runPipeline(*c.module, opts);
  ASSERT_FALSE(failure) << failure.message;
  std::string error;
  ASSERT_TRUE(lowerToHost(*c.module, c.program, error)) << error;
}

// x [64, 128] -> Dropout(ratio) twice: outputs y1, mask1, y2.
void dropoutModel(ModelBuilder& b, double ratio) {
  b.addInput("x", rt::DType::F32, {Dim::fixed(64), Dim::fixed(128)});
  float r = static_cast<float>(ratio);
  std::string rn = b.addConstant(rt::HostTensor({rt::DType::F32, {}}, &r), "ratio");
  auto d1 = b.addNode("Dropout", {"x", rn}, 2, {}, "drop1");
  auto d2 = b.addNode("Dropout", {"x", rn}, 1, {}, "drop2");
  b.addOutput(d1[0], "y1", rt::DType::F32);
  b.addOutput(d1[1], "mask1", rt::DType::I1);
  b.addOutput(d2[0], "y2", rt::DType::F32);
}

rt::HostTensor keyTensor(std::array<uint32_t, 2> key) { return rt::HostTensor({rt::DType::U32, {2}}, key.data()); }

rt::HostTensor copy(const rt::HostTensor& t) { return rt::HostTensor(t.type(), t.data()); }

std::vector<rt::HostTensor> args(const rt::HostTensor& x, std::array<uint32_t, 2> key) {
  std::vector<rt::HostTensor> v;
  v.push_back(copy(x));
  v.push_back(keyTensor(key));
  return v;
}

rt::HostTensor ones(rt::Shape s) {
  rt::HostTensor t({rt::DType::F32, s});
  for (int64_t i = 0; i < t.numElements(); ++i) t.as<float>()[i] = 1.0f;
  return t;
}

TEST(TrainingImport, DropoutMasksAreTheSpecifiedHash) {
  const double ratio = 0.3;
  ModelBuilder b("drop");
  dropoutModel(b, ratio);
  Compiled c;
  compile(b, true, c);
  // x, then the key the import added.
  ASSERT_EQ(c.program.inputs.size(), 2u);
  auto main = c.module->lookupSymbol<mlir::func::FuncOp>("main");
  auto name = main.getArgAttrOfType<mlir::StringAttr>(1, "dlc.name");
  ASSERT_TRUE(name);
  EXPECT_EQ(name.getValue(), kRngKeyName);

  rt::HostTensor x = ones({64, 128});
  auto key0 = trainingRngKey(7, 0), key1 = trainingRngKey(7, 1);
  std::vector<rt::HostTensor> out0 = rt::runOnHost(c.program, args(x, key0));
  std::vector<rt::HostTensor> again = rt::runOnHost(c.program, args(x, key0));
  std::vector<rt::HostTensor> out1 = rt::runOnHost(c.program, args(x, key1));
  const int64_t n = 64 * 128;
  const float scaled = static_cast<float>(1.0 / (1.0 - ratio));
  int64_t kept = 0, keptBoth = 0, keptAcrossNodes = 0, mismatches = 0;
  for (int64_t i = 0; i < n; ++i) {
    bool k = out0[1].as<bool>()[i];
    kept += k;
    keptBoth += k && out1[1].as<bool>()[i];
    keptAcrossNodes += k && out0[2].as<float>()[i] != 0;
    mismatches += k != referenceKeep(key0, 0, static_cast<uint32_t>(i), ratio);
    mismatches += (out0[2].as<float>()[i] != 0) != referenceKeep(key0, 1, static_cast<uint32_t>(i), ratio);
    ASSERT_FLOAT_EQ(out0[0].as<float>()[i], k ? scaled : 0.0f) << i;
    ASSERT_EQ(out0[0].as<float>()[i], again[0].as<float>()[i]) << "not reproducible at " << i;
  }
  EXPECT_EQ(mismatches, 0);
  // Keep rate 1 - ratio; independent masks (next step, other node) overlap
  // in (1 - ratio)^2 of the elements. Bounds: 5 standard deviations.
  double p = 1 - ratio, sd = std::sqrt(p * ratio / n), sd2 = std::sqrt(p * p * (1 - p * p) / n);
  EXPECT_NEAR(static_cast<double>(kept) / n, p, 5 * sd);
  EXPECT_NEAR(static_cast<double>(keptBoth) / n, p * p, 5 * sd2);
  EXPECT_NEAR(static_cast<double>(keptAcrossNodes) / n, p * p, 5 * sd2);
}

TEST(TrainingImport, DropoutIsTheSameOnTheEmulatedCudaDevice) {
  ModelBuilder b("drop");
  dropoutModel(b, 0.5);
  Compiled c;
  compile(b, true, c);
  std::vector<rt::HostTensor> in = args(ones({64, 128}), trainingRngKey(3, 11));
  auto want = rt::runOnHost(c.program, in);
  auto got = test::runEmulated(c.program, codegen::planCuda(c.program, {}), in);
  ASSERT_EQ(want.size(), got.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(test::compareTensors(want[i], got[i], 0, 0), "") << i;
}

TEST(TrainingImport, DropoutRatiosZeroAndOne) {
  for (double ratio : {0.0, 1.0}) {
    ModelBuilder b("drop");
    dropoutModel(b, ratio);
    Compiled c;
    compile(b, true, c);
    std::vector<rt::HostTensor> in;
    in.push_back(ones({64, 128}));
    if (c.program.inputs.size() == 2) in.push_back(keyTensor(trainingRngKey(0, 0)));
    auto out = rt::runOnHost(c.program, in);
    for (int64_t i = 0; i < 64 * 128; ++i) {
      ASSERT_EQ(out[0].as<float>()[i], ratio == 0 ? 1.0f : 0.0f) << ratio;
      ASSERT_EQ(out[1].as<bool>()[i], ratio == 0) << ratio;
    }
  }
}

TEST(TrainingImport, DropoutIsTheIdentityAtInference) {
  ModelBuilder b("drop");
  dropoutModel(b, 0.5);
  Compiled c;
  compile(b, false, c);
  ASSERT_EQ(c.program.inputs.size(), 1u);  // no key
  rt::HostTensor x = ones({64, 128});
  x.as<float>()[5] = 3.5f;
  std::vector<rt::HostTensor> in;
  in.push_back(copy(x));
  auto out = rt::runOnHost(c.program, in);
  for (int64_t i = 0; i < 64 * 128; ++i) {
    ASSERT_EQ(out[0].as<float>()[i], x.as<float>()[i]);
    ASSERT_TRUE(out[1].as<bool>()[i]);
  }
}

// x [N=3, C=2, 2] through BatchNormalization(momentum 0.8) whose statistics
// are graph inputs.
void batchNormModel(ModelBuilder& b) {
  b.addInput("x", rt::DType::F32, {Dim::fixed(3), Dim::fixed(2), Dim::fixed(2)});
  for (const char* n : {"scale", "bias", "mean", "var"}) b.addInput(n, rt::DType::F32, {Dim::fixed(2)});
  auto y = b.addNode("BatchNormalization", {"x", "scale", "bias", "mean", "var"}, 1,
                     {onnx_io::Attr::real("momentum", 0.8), onnx_io::Attr::real("epsilon", 1e-5)}, "bn");
  b.addOutput(y[0], "y", rt::DType::F32);
}

TEST(TrainingImport, BatchNormUsesBatchStatisticsAndUpdatesRunningOnes) {
  ModelBuilder b("bn");
  batchNormModel(b);
  Compiled c;
  compile(b, true, c);
  auto pairs = modelStatePairs(*c.module);
  ASSERT_EQ(pairs.size(), 2u);
  EXPECT_EQ(pairs[0].input, 3u);  // mean -> result 1
  EXPECT_EQ(pairs[0].output, 1u);
  EXPECT_EQ(pairs[1].input, 4u);  // var -> result 2
  EXPECT_EQ(pairs[1].output, 2u);

  std::vector<float> xs = {1, 2, 3, 4, 5, 6, 7, 8, -1, 0, 2, 9};
  std::vector<float> scale = {1.5f, 0.5f}, bias = {0.1f, -0.2f}, mean = {0.3f, -0.4f}, var = {2.0f, 0.5f};
  std::vector<rt::HostTensor> in;
  in.emplace_back(rt::TensorType{rt::DType::F32, {3, 2, 2}}, xs.data());
  for (const auto* v : {&scale, &bias, &mean, &var}) in.emplace_back(rt::TensorType{rt::DType::F32, {2}}, v->data());
  auto out = rt::runOnHost(c.program, in);
  ASSERT_EQ(out.size(), 3u);
  for (int ch = 0; ch < 2; ++ch) {
    std::vector<double> v;
    for (int nI = 0; nI < 3; ++nI)
      for (int s = 0; s < 2; ++s) v.push_back(xs[static_cast<size_t>(nI * 4 + ch * 2 + s)]);
    double m = 0, q = 0;
    for (double e : v) m += e / 6;
    for (double e : v) q += (e - m) * (e - m);
    double biased = q / 6, unbiased = q / 5;
    EXPECT_NEAR(out[1].as<float>()[ch], 0.8 * mean[ch] + 0.2 * m, 1e-5);
    EXPECT_NEAR(out[2].as<float>()[ch], 0.8 * var[ch] + 0.2 * unbiased, 1e-5);
    for (int nI = 0; nI < 3; ++nI)
      for (int s = 0; s < 2; ++s) {
        size_t i = static_cast<size_t>(nI * 4 + ch * 2 + s);
        double want = (xs[i] - m) / std::sqrt(biased + 1e-5) * scale[ch] + bias[ch];
        EXPECT_NEAR(out[0].as<float>()[i], want, 1e-5) << i;
      }
  }
}

TEST(TrainingImport, BatchNormAtInferenceHasNoState) {
  ModelBuilder b("bn");
  batchNormModel(b);
  Compiled c;
  compile(b, false, c, true);
  EXPECT_TRUE(modelStatePairs(*c.module).empty());
}

TEST(TrainingImport, TrainingStepMarksEveryCarriedResult) {
  ModelBuilder b("bn");
  batchNormModel(b);
  Compiled c;
  compile(b, true, c, true);
  TrainingSpec spec;
  spec.loss = "mse";
  spec.optimizer = "adam";
  spec.labelType = mlir::RankedTensorType::get({3, 2, 2}, mlir::Float32Type::get(&c.ctx));
  spec.params = {1, 2};
  spec.modelState = modelStatePairs(*c.module);
  std::string error;
  ASSERT_TRUE(mlir::succeeded(buildTrainingStep(*c.module, spec, error))) << error;
  auto main = c.module->lookupSymbol<mlir::func::FuncOp>("main");
  // Arguments: x scale bias mean var labels m.scale m.bias v.scale v.bias step.
  // Results: loss, scale, bias, m x2, v x2, mean, var, step.
  std::vector<int64_t> want = {-1, 1, 2, 6, 7, 8, 9, 3, 4, 10};
  ASSERT_EQ(main.getNumResults(), want.size());
  for (unsigned r = 0; r < want.size(); ++r) {
    auto a = main.getResultAttrOfType<mlir::IntegerAttr>(r, "dlc.alias_arg");
    EXPECT_EQ(a ? a.getInt() : -1, want[r]) << "result " << r;
  }
}

}  // namespace
}  // namespace dlc
