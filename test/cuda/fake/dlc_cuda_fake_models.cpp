// dlc_cuda_fake_models MODEL_OR_TEST_DIR...: whole models through the real
// CUDA runtime (CudaExecutor) on the fake driver (FakeCuda.h). Each argument
// is a model file (random inputs) or an ONNX node-test directory (its own
// inputs, which the compiler may specialise on); each is compiled as `dlc
// run` compiles it, planned for the fake's sm_90 with library calls off and
// compiled by NVRTC, and run on the host device and through the executor:
// run(), run() on borrowed buffers, runDevice() on fake device memory, and a
// CUDA-graph executor twice (capture, then replay on other inputs where the
// model takes random ones). Every output must agree with the host's (floats
// rtol 1e-3, atol 1e-4); after each model nothing may be left allocated or
// loaded, and the fake must have seen no misuse. A model the compiler or the
// host refuses is skipped. Exit 1 if any model fails.
#include <filesystem>
#include <iostream>

#include "api/Driver.h"
#include "codegen/host/LowerToHost.h"
#include "frontend/onnx/TensorProtoIO.h"
#include "runtime/cuda/CudaDevice.h"
#include "runtime/cuda/CudaDriver.h"
#include "runtime/host/HostDevice.h"
#include "test/cuda/EmulatedDevice.h"
#include "test/cuda/fake/FakeCudaHarness.h"

namespace fs = std::filesystem;
using namespace dlc;

namespace {

void compare(const std::vector<rt::HostTensor>& want, const std::vector<rt::HostTensor>& got, const char* how) {
  if (got.size() != want.size()) throw std::runtime_error(std::string(how) + ": wrong output count");
  for (size_t i = 0; i < want.size(); ++i) {
    std::string diff = test::compareTensors(want[i], got[i], 1e-3, 1e-4);
    if (!diff.empty()) throw std::runtime_error(std::string(how) + ": output " + std::to_string(i) + ": " + diff);
  }
}

// The whole model through runDevice: inputs and outputs in device memory the
// caller allocated (in the primary context, as cudaMalloc would).
std::vector<rt::HostTensor> runOnDeviceBuffers(const rt::Program& p, rt::cuda::CudaExecutor& ex,
                                               const std::vector<rt::HostTensor>& inputs) {
  const rt::cuda::Driver& d = rt::cuda::driver();
  CUdevice dev = 0;
  CUcontext ctx = nullptr;
  rt::cuda::check(d.cuDeviceGet(&dev, 0), "cuDeviceGet");
  rt::cuda::check(d.cuDevicePrimaryCtxRetain(&ctx, dev), "cuDevicePrimaryCtxRetain");
  rt::cuda::check(d.cuCtxSetCurrent(ctx), "cuCtxSetCurrent");
  std::vector<CUdeviceptr> in, out;
  auto alloc = [&](const rt::TensorType& t) {
    CUdeviceptr ptr = 0;
    rt::cuda::check(d.cuMemAlloc(&ptr, static_cast<size_t>(std::max<int64_t>(t.byteSize(), 1))), "cuMemAlloc");
    return ptr;
  };
  std::vector<rt::HostTensor> outs;
  try {
    std::vector<rt::cuda::DeviceTensorRef> inRefs, outRefs;
    for (const rt::HostTensor& t : inputs) {
      in.push_back(alloc(t.type()));
      if (t.byteSize())
        rt::cuda::check(d.cuMemcpyHtoDAsync(in.back(), t.data(), static_cast<size_t>(t.byteSize()), nullptr),
                        "cuMemcpyHtoDAsync");
      inRefs.push_back({in.back(), t.type()});
    }
    for (int32_t id : p.outputs) {
      out.push_back(alloc(p.values[id].type));
      outRefs.push_back({out.back(), p.values[id].type});
    }
    ex.runDevice(inRefs, outRefs);
    for (size_t i = 0; i < out.size(); ++i) {
      outs.emplace_back(p.values[p.outputs[i]].type);
      if (outs.back().byteSize())
        rt::cuda::check(d.cuMemcpyDtoHAsync(outs.back().data(), out[i], static_cast<size_t>(outs.back().byteSize()),
                                            nullptr),
                        "cuMemcpyDtoHAsync");
    }
  } catch (...) {
    for (CUdeviceptr ptr : in) d.cuMemFree(ptr);
    for (CUdeviceptr ptr : out) d.cuMemFree(ptr);
    d.cuDevicePrimaryCtxRelease(dev);
    throw;
  }
  for (CUdeviceptr ptr : in) d.cuMemFree(ptr);
  for (CUdeviceptr ptr : out) d.cuMemFree(ptr);
  d.cuDevicePrimaryCtxRelease(dev);
  return outs;
}

}  // namespace

int main(int argc, char** argv) {
  test::FakeCuda& fake = test::FakeCuda::get();
  if (std::string why = rt::cuda::unavailableReason(); !why.empty()) {
    std::cout << "the fake CUDA driver cannot be used: " << why << "\n";
    return 1;
  }
  int failed = 0, passed = 0, skipped = 0;
  for (int a = 1; a < argc; ++a) {
    std::string arg = argv[a], model = arg;
    std::vector<rt::HostTensor> inputs;
    driver::CompileOptions opts;
    bool ownInputs = false;
    if (fs::is_directory(arg)) {
      model = (fs::path(arg) / "model.onnx").string();
      try {
        for (int i = 0;; ++i) {
          fs::path p = fs::path(arg) / "test_data_set_0" / ("input_" + std::to_string(i) + ".pb");
          if (!fs::exists(p)) break;
          inputs.push_back(onnx_io::loadTensorFile(p.string()));
        }
      } catch (const std::exception& e) {
        std::cout << "SKIP " << arg << ": " << e.what() << "\n";
        ++skipped;
        continue;
      }
      opts.inputValues = &inputs;
      ownInputs = true;
    }
    mlir::MLIRContext ctx;
    driver::initContext(ctx);
    driver::Failure f;
    auto module = driver::loadModel(ctx, model, opts, f);
    if (!f) f = driver::runPipeline(*module, opts);
    rt::Program program;
    std::string error;
    if (f || !lowerToHost(*module, program, error)) {
      std::cout << "SKIP " << arg << ": does not compile: " << (f ? f.message : error) << "\n";
      ++skipped;
      continue;
    }
    if (inputs.empty()) inputs = test::randomInputs(program, 1);
    std::vector<rt::HostTensor> want;
    try {
      want = rt::runOnHost(program, inputs);
    } catch (const std::exception& e) {
      std::cout << "SKIP " << arg << ": the host device refuses it: " << e.what() << "\n";
      ++skipped;
      continue;
    }
    DlcFakeCudaCounts before = fake.counts();
    fake.takeMisuse();
    try {
      rt::CudaPlan plan = fake.plan(program);
      {
        rt::cuda::CudaExecutor ex(program, plan, {});
        compare(want, ex.run(inputs), "run");
        std::vector<rt::HostTensor> outs;
        std::vector<rt::ConstTensorRef> in;
        std::vector<rt::TensorRef> out;
        for (const rt::HostTensor& t : inputs) in.push_back(t.cref());
        for (int32_t id : program.outputs) outs.emplace_back(program.values[id].type);
        for (rt::HostTensor& t : outs) out.push_back(t.ref());
        ex.run(in, out);
        compare(want, outs, "run on borrowed buffers");
        compare(want, runOnDeviceBuffers(program, ex, inputs), "runDevice");
      }
      {
        rt::cuda::RunOptions o;
        o.cudaGraph = true;
        rt::cuda::CudaExecutor ex(program, plan, o);
        compare(want, ex.run(inputs), "CUDA graph, capture");
        std::vector<rt::HostTensor> other;
        if (ownInputs)
          for (const rt::HostTensor& t : inputs) other.emplace_back(t.type(), t.data());
        else
          other = test::randomInputs(program, 2);
        compare(rt::runOnHost(program, other), ex.run(other), "CUDA graph, replay");
        if (!ex.graphCaptured()) throw std::runtime_error("no graph was captured");
      }
      DlcFakeCudaCounts now = fake.counts();
      if (now.allocations != before.allocations || now.modules != before.modules ||
          now.streams != before.streams || now.graphs != before.graphs || now.graphExecs != before.graphExecs ||
          now.contextRetains != before.contextRetains)
        throw std::runtime_error("the executors left something behind: " +
                                 std::to_string(now.allocations - before.allocations) + " allocation(s), " +
                                 std::to_string(now.modules - before.modules) + " module(s), " +
                                 std::to_string(now.streams - before.streams) + " stream(s), " +
                                 std::to_string(now.graphs - before.graphs + now.graphExecs - before.graphExecs) +
                                 " graph(s), " + std::to_string(now.contextRetains - before.contextRetains) +
                                 " context retain(s)");
      if (std::string m = fake.takeMisuse(); !m.empty()) throw std::runtime_error("driver misuse: " + m);
      std::cout << "PASS " << arg << " (" << plan.kernels.size() << " kernels, "
                << now.kernelRuns - before.kernelRuns << " kernel runs)\n";
      ++passed;
    } catch (const std::exception& e) {
      std::cout << "FAIL " << arg << ": " << e.what() << "\n";
      ++failed;
    }
  }
  std::cout << passed << " passed, " << failed << " failed, " << skipped << " skipped\n";
  return failed ? 1 : 0;
}
