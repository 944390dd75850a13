// The CUDA device against the host device, on small Programs and CudaPlans
// built by hand: a module of hand-written kernels (compiled here with NVRTC,
// loaded as CUBIN and as PTX), a GemmCall with cuBLASLt epilogues, batched
// and transposed, a ConvCall with bias and ReLU, grouped and strided, a
// kernel status error, CUDA-graph replay, out of memory, the input checks.
// Tests that need a GPU skip, printing why, where there is none; the driver
// availability and the NVRTC compile of the module run everywhere.
#include "runtime/cuda/CudaDevice.h"

#include <nvrtc.h>

#include <cmath>
#include <cstdlib>

#include "ProgramBuilder.h"
#include "TestUtil.h"
#include "runtime/cuda/DevicePeak.h"
#include "runtime/cuda/DynamicLibrary.h"
#include "runtime/host/HostDevice.h"

namespace dlc::rt::cuda {
namespace {

using test::makeTensor;
using test::gatherProgram;
using test::ProgramBuilder;
using test::randomTensor;
using test::values;

#define SKIP_WITHOUT_GPU()                                                          \
  do {                                                                              \
    std::string why = unavailableReason();                                          \
    if (!why.empty()) GTEST_SKIP() << "no CUDA device: " << why;                    \
  } while (0)

// The hand-written module: what codegen would emit for these Programs.
const char* kModule = R"(
extern "C" __global__ void k_add(const float* x, const float* y, float* z, int* status) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < 1000) z[i] = x[i] + y[i];
}
// y[r][j] = x[r][idx[j]], x 2x5, idx 3 (negative indices wrap)
extern "C" __global__ void k_gather(const float* x, const long long* idx, float* y, int* status) {
  int t = threadIdx.x;
  if (t >= 6) return;
  int r = t / 3, j = t % 3;
  long long i = idx[j];
  if (i < 0) i += 5;
  if (i < 0 || i >= 5) {
    atomicCAS(status, 0, 1);
    y[t] = 0.0f;
    return;
  }
  y[t] = x[r * 5 + i];
}
// in place: d = max(d, 0) over n elements
extern "C" __global__ void k_relu(float* d, int* status) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < 30) d[i] = fmaxf(d[i], 0.0f);
}
)";

// NVRTC through dlopen, for this test only (codegen has its own driver).
struct Nvrtc {
  DynamicLibrary lib;
  std::string why;
  decltype(&::nvrtcCreateProgram) create = nullptr;
  decltype(&::nvrtcCompileProgram) compile = nullptr;
  decltype(&::nvrtcGetPTXSize) ptxSize = nullptr;
  decltype(&::nvrtcGetPTX) ptx = nullptr;
  decltype(&::nvrtcGetCUBINSize) cubinSize = nullptr;
  decltype(&::nvrtcGetCUBIN) cubin = nullptr;
  decltype(&::nvrtcGetProgramLogSize) logSize = nullptr;
  decltype(&::nvrtcGetProgramLog) log = nullptr;
  decltype(&::nvrtcDestroyProgram) destroy = nullptr;

  Nvrtc() {
    lib = DynamicLibrary::open(
        libraryCandidates({"libnvrtc.so.13", "libnvrtc.so"}, {"nvidia/cuda_nvrtc/lib", "nvidia/cu13/lib"}), why);
    if (!lib.loaded()) return;
#define DLC_SYM(field, name) field = reinterpret_cast<decltype(field)>(lib.symbol(#name));
    DLC_SYM(create, nvrtcCreateProgram) DLC_SYM(compile, nvrtcCompileProgram) DLC_SYM(ptxSize, nvrtcGetPTXSize)
    DLC_SYM(ptx, nvrtcGetPTX) DLC_SYM(cubinSize, nvrtcGetCUBINSize) DLC_SYM(cubin, nvrtcGetCUBIN)
    DLC_SYM(logSize, nvrtcGetProgramLogSize) DLC_SYM(log, nvrtcGetProgramLog) DLC_SYM(destroy, nvrtcDestroyProgram)
#undef DLC_SYM
    if (!create || !compile || !ptx || !cubin || !destroy) why = "NVRTC lacks an entry point";
  }

  // PTX (compute_XY) or CUBIN (sm_XY) of kModule; "" and a test failure on error.
  std::string build(const std::string& arch, bool wantCubin) {
    nvrtcProgram prog = nullptr;
    EXPECT_EQ(create(&prog, kModule, "hand.cu", 0, nullptr, nullptr), NVRTC_SUCCESS);
    std::string opt = "--gpu-architecture=" + (wantCubin ? arch : "compute_" + arch.substr(3));
    const char* opts[] = {opt.c_str()};
    nvrtcResult r = compile(prog, 1, opts);
    size_t n = 0;
    logSize(prog, &n);
    std::string text(n, '\0');
    log(prog, text.data());
    EXPECT_EQ(r, NVRTC_SUCCESS) << text;
    std::string out;
    if (r == NVRTC_SUCCESS) {
      (wantCubin ? cubinSize : ptxSize)(prog, &n);
      out.resize(n);
      (wantCubin ? cubin : ptx)(prog, out.data());
    }
    destroy(&prog);
    return out;
  }
};

Nvrtc& nvrtc() {
  static Nvrtc* n = new Nvrtc;
  return *n;
}

// A plan whose module is kModule, built for this GPU: CUBIN (and PTX), or
// PTX only (the driver JIT-compiles it).
CudaPlan modulePlan(bool cubin) {
  CudaPlan plan;
  plan.arch = deviceInfo().arch;
  plan.source = kModule;
  plan.ptx = nvrtc().build(plan.arch, false);
  if (cubin) plan.cubin = nvrtc().build(plan.arch, true);
  return plan;
}

CudaKernel kernel(const std::string& name, std::vector<int32_t> args, uint32_t grid, uint32_t block) {
  CudaKernel k;
  k.name = name;
  k.fused = name.substr(2);
  k.args = std::move(args);
  k.grid = {grid, 1, 1};
  k.block = {block, 1, 1};
  return k;
}

CudaStep kernelStep(int32_t programKernel, int32_t kernel) {
  CudaStep s;
  s.programKernel = programKernel;
  s.kernel = kernel;
  return s;
}

void expectClose(const HostTensor& got, const HostTensor& want, double tol = 1e-5) {
  ASSERT_EQ(got.type(), want.type());
  std::vector<double> g = values(got), w = values(want);
  for (size_t i = 0; i < g.size(); ++i)
    ASSERT_NEAR(g[i], w[i], tol * (1 + std::fabs(w[i]))) << "element " << i;
}

void expectSameAsHost(const Program& p, CudaExecutor& ex, const std::vector<HostTensor>& inputs) {
  std::vector<HostTensor> want = runOnHost(p, inputs);
  std::vector<HostTensor> got = ex.run(inputs);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) expectClose(got[i], want[i]);
}

// z = x + y in the arena, w = z + y in a buffer of its own: two launches of
// the same kernel.
Program addProgram() {
  const TensorType t{DType::F32, {1000}};
  ProgramBuilder b;
  int32_t x = b.input(t, "x"), y = b.input(t, "y");
  b.program.arenaBytes = 4096;
  b.beginKernel();
  int32_t z = b.output(OpCode::Binary, {x, y}, t, 0, static_cast<uint8_t>(BinaryKind::Add));
  b.endKernel();
  b.beginKernel();
  int32_t w = b.output(OpCode::Binary, {z, y}, t, -1, static_cast<uint8_t>(BinaryKind::Add));
  b.endKernel();
  b.program.outputs = {w, z};
  return std::move(b.program);
}

CudaPlan addPlan(bool cubin) {
  CudaPlan plan = modulePlan(cubin);
  plan.kernels = {kernel("k_add", {0, 1, 2}, 8, 128), kernel("k_add", {2, 1, 3}, 8, 128)};
  plan.steps = {kernelStep(0, 0), kernelStep(1, 1)};
  return plan;
}

std::vector<HostTensor> addInputs(uint32_t seed) {
  std::vector<HostTensor> in;
  in.push_back(randomTensor(DType::F32, {1000}, seed));
  in.push_back(randomTensor(DType::F32, {1000}, seed + 1));
  return in;
}

// --- everywhere -----------------------------------------------------------------

TEST(CudaAvailabilityTest, ReasonNamesTheDriverWhenThereIsNoDevice) {
  std::string why = unavailableReason();
  if (why.empty()) {
    DeviceInfo info = deviceInfo();
    EXPECT_EQ(info.arch.rfind("sm_", 0), 0u) << info.arch;
    EXPECT_GT(info.smCount, 0);
    std::printf("CUDA device: %s (%s, %d SMs, driver %d)\n", info.name.c_str(), info.arch.c_str(), info.smCount,
                info.driverVersion);
    return;
  }
  bool named = why.find("libcuda") != std::string::npos || why.find("cuInit") != std::string::npos ||
               why.find("driver") != std::string::npos || why.find("toolkit") != std::string::npos;
  EXPECT_TRUE(named) << why;
  EXPECT_THROW(deviceInfo(), DeviceUnavailable);
  Program p = addProgram();
  CudaPlan plan;  // a valid plan (no module: the driver is refused first)
  plan.kernels = {kernel("k_add", {0, 1, 2}, 8, 128), kernel("k_add", {2, 1, 3}, 8, 128)};
  plan.steps = {kernelStep(0, 0), kernelStep(1, 1)};
  EXPECT_THROW(CudaExecutor(p, plan, {}), DeviceUnavailable);
}

TEST(CudaModuleTest, HandWrittenModuleCompilesWithNvrtc) {
  if (!nvrtc().why.empty()) GTEST_SKIP() << "no NVRTC: " << nvrtc().why;
  for (const char* arch : {"sm_80", "sm_90"}) {
    std::string ptx = nvrtc().build(arch, false);
    EXPECT_NE(ptx.find(".entry k_gather"), std::string::npos) << arch;
    EXPECT_FALSE(nvrtc().build(arch, true).empty()) << arch;
  }
}

// --- on a GPU -------------------------------------------------------------------

TEST(CudaDeviceTest, HandWrittenKernelsFromCubinAndFromPtx) {
  SKIP_WITHOUT_GPU();
  Program p = addProgram();
  for (bool cubin : {true, false}) {
    CudaPlan plan = addPlan(cubin);
    CudaExecutor ex(p, plan, {});
    expectSameAsHost(p, ex, addInputs(1));
    expectSameAsHost(p, ex, addInputs(5));  // the executor runs again
  }
}

TEST(CudaDeviceTest, CudaGraphReplaysWithNewInputs) {
  SKIP_WITHOUT_GPU();
  Program p = addProgram();
  CudaPlan plan = addPlan(true);
  RunOptions o;
  o.cudaGraph = true;
  CudaExecutor ex(p, plan, o);
  EXPECT_FALSE(ex.graphCaptured());
  for (uint32_t seed : {3u, 11u, 17u}) {
    expectSameAsHost(p, ex, addInputs(seed));
    EXPECT_TRUE(ex.graphCaptured());
  }
}

// dlc bench's timing: events around the run and between steps; results
// unchanged by them.
TEST(CudaDeviceTest, RunAndStepTimingWithEvents) {
  SKIP_WITHOUT_GPU();
  Program p = addProgram();
  CudaPlan plan = addPlan(true);
  RunOptions o;
  o.timeRun = o.timeSteps = true;
  CudaExecutor ex(p, plan, o);
  EXPECT_EQ(ex.lastTiming().runMs, -1);  // no run yet
  for (uint32_t seed : {3u, 7u}) {
    expectSameAsHost(p, ex, addInputs(seed));
    const RunTiming& t = ex.lastTiming();
    ASSERT_EQ(t.stepMs.size(), 2u);
    ASSERT_EQ(t.stepBeginMs.size(), 2u);
    EXPECT_GT(t.runMs, 0);
    EXPECT_EQ(t.stepBeginMs[0], 0);
    EXPECT_GE(t.stepBeginMs[1], t.stepMs[0] * 0.999);
    EXPECT_LE(t.stepMs[0] + t.stepMs[1], t.runMs * 1.001 + 1e-3);
  }
  // Around a replayed graph: the run is timed, the steps are not.
  RunOptions g;
  g.cudaGraph = g.timeRun = true;
  CudaExecutor graph(p, plan, g);
  expectSameAsHost(p, graph, addInputs(4));
  expectSameAsHost(p, graph, addInputs(9));
  EXPECT_GT(graph.lastTiming().runMs, 0);
  EXPECT_TRUE(graph.lastTiming().stepMs.empty());
  RunOptions both;
  both.cudaGraph = both.timeSteps = true;
  EXPECT_THROW(CudaExecutor(p, plan, both), DeviceError);
}

TEST(CudaDeviceTest, CopyBandwidthAndFlopPeak) {
  SKIP_WITHOUT_GPU();
  DevicePeak peak = measureDevicePeak(0, int64_t(64) << 20);
  EXPECT_EQ(peak.copyBytes, int64_t(64) << 20);
  EXPECT_EQ(peak.copies, 20);
  // Any GPU dlc runs on copies faster than 50 GB/s and slower than 20 TB/s.
  EXPECT_GT(peak.copyGBs, 50);
  EXPECT_LT(peak.copyGBs, 20000);
  std::printf("copy bandwidth %.0f GB/s (64 MiB); %s: %.1f TFLOP/s\n", peak.copyGBs, peak.fp32Source.c_str(),
              peak.fp32Tflops);
  if (deviceInfo().arch == "sm_90") {
    EXPECT_GT(peak.fp32Tflops, 40);  // H100 SXM: 67, PCIe: 51
  }
}

TEST(CudaDeviceTest, InputChecksAreTheHostDevices) {
  SKIP_WITHOUT_GPU();
  Program p = addProgram();
  CudaPlan plan = addPlan(true);
  CudaExecutor ex(p, plan, {});
  std::vector<HostTensor> bad = addInputs(1);
  bad[1] = randomTensor(DType::F32, {999}, 2);
  std::string host, cuda;
  try { runOnHost(p, bad); } catch (const RunError& e) { host = e.what(); }
  try { ex.run(bad); } catch (const RunError& e) { cuda = e.what(); }
  EXPECT_FALSE(host.empty());
  EXPECT_EQ(cuda, host);
  bad.pop_back();
  EXPECT_THROW(ex.run(bad), RunError);
  expectSameAsHost(p, ex, addInputs(1));
}

TEST(CudaDeviceTest, KernelStatusBecomesARunErrorNamingTheOp) {
  SKIP_WITHOUT_GPU();
  Program p = gatherProgram();
  CudaPlan plan = modulePlan(true);
  plan.kernels = {kernel("k_gather", {0, 1, 2}, 1, 32)};
  plan.steps = {kernelStep(0, 0)};
  for (bool graph : {false, true}) {
    RunOptions o;
    o.cudaGraph = graph;
    CudaExecutor ex(p, plan, o);
    std::vector<HostTensor> in;
    in.push_back(randomTensor(DType::F32, {2, 5}, 4));
    in.push_back(makeTensor(DType::I64, {3}, {0, 7, -1}));
    try {
      ex.run(in);
      FAIL() << "an index out of range was not reported";
    } catch (const RunError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("node 'Gather_3': gather: ", 0), 0u) << e.what();
    }
    in[1] = makeTensor(DType::I64, {3}, {0, 4, -1});  // the status word is cleared for the next run
    expectSameAsHost(p, ex, in);
  }
}

// y = relu(a x w + bias) through cuBLASLt's BiasRelu epilogue, then again
// with the ReLU as a generated epilogue kernel; batched, B transposed.
TEST(CudaDeviceTest, GemmWithEpiloguesBatchedAndTransposed) {
  SKIP_WITHOUT_GPU();
  ProgramBuilder b;
  int32_t a = b.input({DType::F32, {2, 3, 4}}, "a");
  int32_t w = b.input({DType::F32, {2, 5, 4}}, "w");  // contracted on its last dim: B transposed
  int32_t bias = b.input({DType::F32, {5}}, "bias");
  int32_t zero = b.constant(HostTensor({DType::F32, {2, 3, 5}}));
  b.beginKernel(KernelKind::Gemm);
  int32_t t = b.local(OpCode::DotGeneral, {a, w}, {DType::F32, {2, 3, 5}});
  b.program.instrs.back().dot = {{0}, {0}, {2}, {2}};
  int32_t bb = b.local(OpCode::BroadcastInDim, {bias}, {DType::F32, {2, 3, 5}});
  b.program.instrs.back().dims = {2};
  int32_t u = b.local(OpCode::Binary, {t, bb}, {DType::F32, {2, 3, 5}}, static_cast<uint8_t>(BinaryKind::Add));
  int32_t y = b.output(OpCode::Binary, {u, zero}, {DType::F32, {2, 3, 5}}, -1, static_cast<uint8_t>(BinaryKind::Max));
  b.endKernel();
  b.program.kernels.back().location = "node 'MatMul_0'";
  b.program.outputs = {y};

  GemmCall g;
  g.m = 3;
  g.n = 5;
  g.k = 4;
  g.a = {a, 0, 3, 4, 4, 1};
  g.b = {w, 0, 4, 5, 1, 4};
  g.d = {y, 0, 3, 5, 5, 1};
  g.batch = {{2, 12, 20, 0, 15}};
  g.epilogue = GemmEpilogue::BiasRelu;
  g.bias = bias;
  CudaPlan plan = modulePlan(true);
  plan.kernels = {kernel("k_relu", {y}, 1, 32)};
  CudaStep s;
  s.kind = StepKind::Gemm;
  s.programKernel = 0;
  s.gemm = g;
  plan.steps = {s};
  std::vector<HostTensor> in;
  in.push_back(randomTensor(DType::F32, {2, 3, 4}, 1));
  in.push_back(randomTensor(DType::F32, {2, 5, 4}, 2));
  in.push_back(randomTensor(DType::F32, {5}, 3));
  const Program& p = b.program;
  {
    CudaExecutor ex(p, plan, {});  // cuBLASLt's BiasRelu
    expectSameAsHost(p, ex, in);
  }
  plan.steps[0].gemm.epilogue = GemmEpilogue::Bias;  // bias in cuBLASLt, ReLU generated
  plan.steps[0].epilogue = 0;
  CudaExecutor ex(p, plan, {});
  expectSameAsHost(p, ex, in);
}

// y = relu(conv(x, w) + bias): cuDNN's convolution, bias and ReLU; then a
// grouped, strided, dilated convolution without bias.
TEST(CudaDeviceTest, ConvolutionWithBiasAndRelu) {
  SKIP_WITHOUT_GPU();
  auto build = [](Shape xs, Shape ws, Shape ys, ConvParams cp, bool biasRelu, ConvCall& call) {
    ProgramBuilder b;
    int32_t x = b.input({DType::F32, xs}, "x");
    int32_t w = b.input({DType::F32, ws}, "w");
    int32_t bias = biasRelu ? b.input({DType::F32, {ws[0]}}, "bias") : -1;
    int32_t zero = -1;
    if (biasRelu) zero = b.constant(HostTensor({DType::F32, ys}));
    b.beginKernel(KernelKind::Conv);
    int32_t y;
    if (biasRelu) {
      int32_t t = b.local(OpCode::Convolution, {x, w}, {DType::F32, ys});
      b.program.instrs.back().conv = cp;
      int32_t bb = b.local(OpCode::BroadcastInDim, {bias}, {DType::F32, ys});
      b.program.instrs.back().dims = {1};
      int32_t u = b.local(OpCode::Binary, {t, bb}, {DType::F32, ys}, static_cast<uint8_t>(BinaryKind::Add));
      y = b.output(OpCode::Binary, {u, zero}, {DType::F32, ys}, -1, static_cast<uint8_t>(BinaryKind::Max));
    } else {
      y = b.output(OpCode::Convolution, {x, w}, {DType::F32, ys});
      b.program.instrs.back().conv = cp;
    }
    b.endKernel();
    b.program.outputs = {y};
    call.x = x;
    call.w = w;
    call.y = y;
    call.bias = bias;
    call.xShape = xs;
    call.wShape = ws;
    call.yShape = ys;
    call.strides = cp.strides;
    call.padLow = cp.padLow;
    call.padHigh = cp.padHigh;
    call.dilations = cp.dilations;
    call.groups = cp.groups;
    call.activation = biasRelu ? ConvActivation::Relu : ConvActivation::None;
    return std::move(b.program);
  };
  struct Case {
    Shape x, w, y;
    ConvParams cp;
    bool biasRelu;
  };
  const Case cases[] = {
      {{1, 3, 8, 8}, {4, 3, 3, 3}, {1, 4, 8, 8}, {{1, 1}, {1, 1}, {1, 1}, {1, 1}, 1}, true},
      {{2, 4, 9, 9}, {6, 2, 3, 3}, {2, 6, 4, 3}, {{2, 3}, {1, 1}, {1, 1}, {1, 2}, 2}, false},
      {{1, 2, 12}, {3, 2, 3}, {1, 3, 10}, {{1}, {0}, {0}, {1}, 1}, false},
  };
  for (const Case& c : cases) {
    ConvCall call;
    Program p = build(c.x, c.w, c.y, c.cp, c.biasRelu, call);
    CudaPlan plan;
    CudaStep s;
    s.kind = StepKind::Conv;
    s.programKernel = 0;
    s.conv = call;
    plan.steps = {s};
    CudaExecutor ex(p, plan, {});
    std::vector<HostTensor> in;
    in.push_back(randomTensor(DType::F32, c.x, 1));
    in.push_back(randomTensor(DType::F32, c.w, 2));
    if (c.biasRelu) in.push_back(randomTensor(DType::F32, {c.w[0]}, 3));
    expectSameAsHost(p, ex, in);
  }
}

TEST(CudaDeviceTest, OutOfMemoryIsReportedAndNothingLeaks) {
  SKIP_WITHOUT_GPU();
  Program huge = addProgram();
  huge.arenaBytes = int64_t(1) << 50;  // a petabyte
  CudaPlan plan = addPlan(true);
  try {
    CudaExecutor ex(huge, plan, {});
    FAIL() << "a petabyte arena was allocated";
  } catch (const DeviceUnavailable& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("out of device memory"), std::string::npos) << m;
    EXPECT_NE(m.find(std::to_string(int64_t(1) << 50) + " bytes"), std::string::npos) << m;
    EXPECT_NE(m.find("bytes free"), std::string::npos) << m;
  }
  Program p = addProgram();
  CudaExecutor ex(p, plan, {});
  expectSameAsHost(p, ex, addInputs(9));
}

}  // namespace
}  // namespace dlc::rt::cuda
