// dlc_cuda_emulate [--no-libraries] [--precision P] MODEL_OR_TEST_DIR...: the differential test of codegen/cuda
// on whole models. Each argument is a model file (random inputs) or an ONNX
// node-test directory (model.onnx with test_data_set_0/input_*.pb, whose
// values the compiler may specialise on). Each is compiled as `dlc run`
// compiles it, planned for CUDA, run on the emulated CUDA device and on the
// host device; every output must agree (floats rtol 1e-3, atol 1e-4). A
// model the compiler or the host device refuses is skipped, not failed:
// that is the conformance suite's business. Exit 1 if any model differs.
// Library calls (GemmCall/ConvCall) run as the emulated device's host
// implementation of their descriptors; every plan must pass PlanCheck.
#include <filesystem>
#include <iostream>

#include "api/Driver.h"
#include "codegen/cuda/PlanCuda.h"
#include "codegen/host/LowerToHost.h"
#include "frontend/onnx/TensorProtoIO.h"
#include "runtime/cuda/PlanCheck.h"
#include "runtime/host/HostDevice.h"
#include "test/cuda/EmulatedDevice.h"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  int failed = 0, passed = 0, skipped = 0;
  dlc::codegen::CudaTarget target;
  dlc::PrecisionMode precision = dlc::PrecisionMode::F32;
  for (int a = 1; a < argc; ++a) {
    std::string arg = argv[a], model = arg;
    if (arg == "--no-libraries") {  // every kernel generated
      target.useLibraries = false;
      continue;
    }
    if (arg == "--precision" && a + 1 < argc) {  // as dlc run --precision
      std::optional<dlc::PrecisionMode> p = dlc::parsePrecision(argv[++a]);
      if (!p) return std::cerr << "--precision: fp32, tf32, fp16 or bf16\n", 2;
      precision = *p;
      target.allowTf32 = precision == dlc::PrecisionMode::TF32;
      continue;
    }
    std::vector<dlc::rt::HostTensor> inputs;
    dlc::driver::CompileOptions opts;
    opts.precision = precision;
    if (fs::is_directory(arg)) {
      model = (fs::path(arg) / "model.onnx").string();
      try {
        for (int i = 0;; ++i) {
          fs::path p = fs::path(arg) / "test_data_set_0" / ("input_" + std::to_string(i) + ".pb");
          if (!fs::exists(p)) break;
          inputs.push_back(dlc::onnx_io::loadTensorFile(p.string()));
        }
      } catch (const std::exception& e) {
        std::cout << "SKIP " << arg << ": " << e.what() << "\n";
        ++skipped;
        continue;
      }
      opts.inputValues = &inputs;
    }
    mlir::MLIRContext ctx;
    dlc::driver::initContext(ctx);
    dlc::driver::Failure f;
    auto module = dlc::driver::loadModel(ctx, model, opts, f);
    if (!f) f = dlc::driver::runPipeline(*module, opts);
    dlc::rt::Program program;
    std::string error;
    if (f || !dlc::lowerToHost(*module, program, error)) {
      std::cout << "SKIP " << arg << ": does not compile: " << (f ? f.message : error) << "\n";
      ++skipped;
      continue;
    }
    if (inputs.empty()) inputs = dlc::test::randomInputs(program, 1);
    std::vector<dlc::rt::HostTensor> want;
    try {
      want = dlc::rt::runOnHost(program, inputs);
    } catch (const std::exception& e) {
      std::cout << "SKIP " << arg << ": the host device refuses it: " << e.what() << "\n";
      ++skipped;
      continue;
    }
    try {
      dlc::rt::CudaPlan plan = dlc::codegen::planCuda(program, target);
      dlc::rt::cuda::verifyPlan(program, plan);  // what the CUDA device checks first
      int gemms = 0, convs = 0;
      for (const dlc::rt::CudaStep& s : plan.steps) {
        gemms += s.kind == dlc::rt::StepKind::Gemm;
        convs += s.kind == dlc::rt::StepKind::Conv;
      }
      std::vector<dlc::rt::HostTensor> got = dlc::test::runEmulated(program, plan, inputs);
      std::string diff;
      for (size_t i = 0; i < want.size() && diff.empty(); ++i) {
        // 16-bit products: cuBLASLt (and its emulation) adds the bias to the
        // f32 accumulator before rounding, the host rounds the product to f32
        // first; a value on a 16-bit rounding boundary may then round the
        // other way, and later layers carry that ulp on. So the tolerance is
        // the accuracy test's, relative to the output's scale
        // (docs/precision.md).
        double atol = 1e-4;
        if (precision == dlc::PrecisionMode::F16 || precision == dlc::PrecisionMode::BF16) {
          double scale = 0;
          for (int64_t j = 0; j < want[i].numElements(); ++j)
            scale = std::max(scale, std::abs(dlc::rt::loadAsDouble(want[i].cref(), j)));
          atol = (precision == dlc::PrecisionMode::F16 ? 5e-3 : 4e-2) * scale;
        }
        diff = dlc::test::compareTensors(want[i], got[i], 1e-3, atol);
        if (!diff.empty()) diff = "output " + std::to_string(i) + ": " + diff;
      }
      if (!diff.empty()) throw std::runtime_error(diff);
      std::cout << "PASS " << arg << " (" << plan.kernels.size() << " kernels, " << gemms << " GEMM and "
                << convs << " convolution calls)\n";
      ++passed;
    } catch (const std::exception& e) {
      std::cout << "FAIL " << arg << ": " << e.what() << "\n";
      ++failed;
    }
  }
  std::cout << passed << " passed, " << failed << " failed, " << skipped << " skipped\n";
  return failed ? 1 : 0;
}
