// The real CUDA runtime (runtime/cuda CudaExecutor) run through the fake
// driver (FakeCuda.h) on small hand-built Programs planned by codegen/cuda:
// results against the host device, run on borrowed buffers, runDevice on
// (fake) device memory, CUDA-graph replay, and the fault paths of issue 8:
// out of memory, wrong inputs refused before any launch, a kernel's status
// word, injected driver failures, --check-nan, a driver missing an entry
// point; after every test nothing the executor made is left (allocations,
// modules, streams, graphs, context retains) and the fake saw no misuse.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <functional>

#include "ProgramBuilder.h"
#include "TestUtil.h"
#include "runtime/cuda/CudaDevice.h"
#include "runtime/cuda/CudaDriver.h"
#include "runtime/cuda/PlanCheck.h"
#include "runtime/host/HostDevice.h"
#include "runtime/host/Kernels.h"
#include "test/cuda/fake/FakeCudaHarness.h"

namespace dlc::rt::cuda {
namespace {

using dlc::test::FakeCuda;
using test::makeTensor;
using test::ProgramBuilder;
using test::randomTensor;
using test::values;

// out = x + y (one kernel, node 'Add_0'), n elements each.
Program addProgram(int64_t n) {
  ProgramBuilder b;
  int32_t x = b.input({DType::F32, {n}}, "x");
  int32_t y = b.input({DType::F32, {n}}, "y");
  b.beginKernel();
  int32_t out = b.output(OpCode::Binary, {x, y}, {DType::F32, {n}}, -1, uint8_t(BinaryKind::Add));
  b.endKernel();
  b.program.instrs.back().location = b.program.kernels.back().location = "node 'Add_0'";
  b.program.outputs = {out};
  return std::move(b.program);
}

// t = log(x) in the arena (node 'Log_1'), out = t * x (node 'Mul_2'): a
// negative x makes kernel 0's output NaN.
Program logProgram() {
  ProgramBuilder b;
  int32_t x = b.input({DType::F32, {2, 8}}, "x");
  b.beginKernel();
  int32_t t = b.output(OpCode::Unary, {x}, {DType::F32, {2, 8}}, 0, uint8_t(UnaryKind::Log));
  b.endKernel();
  b.program.instrs.back().location = b.program.kernels.back().location = "node 'Log_1'";
  b.program.values[t].name = "t";
  b.beginKernel();
  int32_t out = b.output(OpCode::Binary, {t, x}, {DType::F32, {2, 8}}, -1, uint8_t(BinaryKind::Mul));
  b.endKernel();
  b.program.instrs.back().location = b.program.kernels.back().location = "node 'Mul_2'";
  b.program.arenaBytes = 2 * 8 * 4;
  b.program.outputs = {out};
  return std::move(b.program);
}

void expectSame(const std::vector<HostTensor>& got, const std::vector<HostTensor>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i].type(), want[i].type()) << "output " << i;
    std::vector<double> g = values(got[i]), w = values(want[i]);
    for (size_t j = 0; j < g.size(); ++j) ASSERT_NEAR(g[j], w[j], 1e-6 * (1 + std::abs(w[j]))) << i << "/" << j;
  }
}

// A vector of move-only tensors.
template <typename... T>
std::vector<HostTensor> list(T&&... t) {
  std::vector<HostTensor> v;
  (v.push_back(std::forward<T>(t)), ...);
  return v;
}

HostTensor copy(const HostTensor& t) { return HostTensor(t.type(), t.data()); }

template <typename E, typename F>
std::string messageOf(F f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("unexpected exception: ") + e.what();
  }
  return "no exception";
}

// Device memory the test owns (as a cudaMalloc user would), in the primary
// context the executor uses.
struct DeviceBuffer {
  CUdeviceptr ptr = 0;
  explicit DeviceBuffer(size_t bytes) {
    CUdevice dev = 0;
    CUcontext ctx = nullptr;
    EXPECT_EQ(driver().cuDeviceGet(&dev, 0), CUDA_SUCCESS);
    EXPECT_EQ(driver().cuDevicePrimaryCtxRetain(&ctx, dev), CUDA_SUCCESS);
    EXPECT_EQ(driver().cuCtxSetCurrent(ctx), CUDA_SUCCESS);
    EXPECT_EQ(driver().cuMemAlloc(&ptr, bytes), CUDA_SUCCESS);
  }
  ~DeviceBuffer() {
    EXPECT_EQ(driver().cuMemFree(ptr), CUDA_SUCCESS);
    EXPECT_EQ(driver().cuDevicePrimaryCtxRelease(0), CUDA_SUCCESS);
  }
  void upload(const HostTensor& t) {
    EXPECT_EQ(driver().cuMemcpyHtoDAsync(ptr, t.data(), static_cast<size_t>(t.byteSize()), nullptr), CUDA_SUCCESS);
  }
  HostTensor download(const TensorType& type) {
    HostTensor t(type);
    EXPECT_EQ(driver().cuMemcpyDtoHAsync(t.data(), ptr, static_cast<size_t>(t.byteSize()), nullptr), CUDA_SUCCESS);
    return t;
  }
};

class FakeCudaTest : public ::testing::Test {
 protected:
  FakeCuda& fake = FakeCuda::get();
  DlcFakeCudaCounts before{};

  void SetUp() override {
    if (std::getenv("DLC_FAKE_CUDA_EXPECT_MISSING")) GTEST_SKIP() << "the incomplete driver is loaded";
    std::string why = unavailableReason();
    ASSERT_EQ(why, "") << "the fake driver " << fake.libraryPath() << " cannot be used";
    fake.clearFailures();
    fake.takeMisuse();
    before = fake.counts();
  }

  void TearDown() override {
    if (IsSkipped()) return;
    fake.clearFailures();
    expectNothingLeft();
    EXPECT_EQ(fake.takeMisuse(), "");
  }

  void expectNothingLeft() {
    DlcFakeCudaCounts now = fake.counts();
    EXPECT_EQ(now.allocations, before.allocations);
    EXPECT_EQ(now.allocatedBytes, before.allocatedBytes);
    EXPECT_EQ(now.modules, before.modules);
    EXPECT_EQ(now.streams, before.streams);
    EXPECT_EQ(now.graphs, before.graphs);
    EXPECT_EQ(now.graphExecs, before.graphExecs);
    EXPECT_EQ(now.events, before.events);
    EXPECT_EQ(now.contextRetains, before.contextRetains);
  }
};

TEST_F(FakeCudaTest, DeviceInfoIsTheFakesSm90) {
  DeviceInfo info = deviceInfo();
  EXPECT_EQ(info.arch, "sm_90");
  EXPECT_EQ(info.smCount, 132);
  EXPECT_NE(info.name.find("fake"), std::string::npos) << info.name;
  EXPECT_EQ(info.driverVersion, CUDA_VERSION);
}

TEST_F(FakeCudaTest, RunBorrowedAndDeviceBuffersMatchTheHost) {
  Program p = addProgram(1000);
  CudaPlan plan = fake.plan(p);
  std::vector<HostTensor> in = list(randomTensor(DType::F32, {1000}, 1), randomTensor(DType::F32, {1000}, 2));
  std::vector<HostTensor> want = runOnHost(p, in);
  CudaExecutor ex(p, plan, {});
  EXPECT_GT(ex.deviceBytes(), 3 * 4000);
  expectSame(ex.run(in), want);

  HostTensor out(TensorType{DType::F32, {1000}});
  ex.run({in[0].cref(), in[1].cref()}, {out.ref()});
  expectSame(list(std::move(out)), want);

  DeviceBuffer x(4000), y(4000), z(4000);
  x.upload(in[0]);
  y.upload(in[1]);
  ex.runDevice({{x.ptr, in[0].type()}, {y.ptr, in[1].type()}}, {{z.ptr, want[0].type()}});
  expectSame(list(z.download(want[0].type())), want);
}

TEST_F(FakeCudaTest, GraphReplayEqualsPlainRunsOnNewInputs) {
  Program p = logProgram();
  CudaPlan plan = fake.plan(p);
  CudaExecutor plain(p, plan, {});
  RunOptions o;
  o.cudaGraph = true;
  CudaExecutor graphed(p, plan, o);
  EXPECT_FALSE(graphed.graphCaptured());
  for (uint32_t seed : {1u, 2u, 3u}) {
    std::vector<HostTensor> in = list(test::randomReal(DType::F32, {2, 8}, seed));
    for (int i = 0; i < 16; ++i) in[0].as<float>()[i] = std::abs(in[0].as<float>()[i]) + 0.5f;
    DlcFakeCudaCounts c0 = fake.counts();
    std::vector<HostTensor> g = graphed.run(in);
    DlcFakeCudaCounts c1 = fake.counts();
    EXPECT_TRUE(graphed.graphCaptured());
    EXPECT_EQ(c1.graphLaunches - c0.graphLaunches, 1);
    EXPECT_EQ(c1.kernelRuns - c0.kernelRuns, 2);
    // Captured once: later runs only replay.
    EXPECT_EQ(c1.launchCalls - c0.launchCalls, seed == 1 ? 2 : 0);
    expectSame(g, plain.run(in));
    expectSame(g, runOnHost(p, in));
  }
}

TEST_F(FakeCudaTest, WrongInputsAreRefusedBeforeAnyLaunchWithTheHostsMessages) {
  Program p = addProgram(8);
  CudaPlan plan = fake.plan(p);
  CudaExecutor ex(p, plan, {});
  HostTensor good = randomTensor(DType::F32, {8}, 1);
  for (int c = 0; c < 4; ++c) {
    std::vector<HostTensor> in;
    in.push_back(copy(good));
    if (c == 1) in.push_back(randomTensor(DType::F32, {9}, 1));  // shape
    if (c == 2) in.push_back(randomTensor(DType::F64, {8}, 1));  // dtype
    if (c == 3) in.push_back(copy(good)), in.push_back(copy(good));  // count (0: too few, 3: too many)
    DlcFakeCudaCounts c0 = fake.counts();
    std::string host = messageOf<RunError>([&] { runOnHost(p, in); });
    std::string cuda = messageOf<RunError>([&] { ex.run(in); });
    EXPECT_EQ(cuda, host);
    EXPECT_NE(host, "no exception");
    DlcFakeCudaCounts c1 = fake.counts();
    EXPECT_EQ(c1.launchCalls, c0.launchCalls);
    EXPECT_EQ(c1.copies, c0.copies);
  }
  // Output buffers of the wrong type, and device buffers likewise.
  HostTensor wrong(TensorType{DType::F32, {7}});
  EXPECT_NE(messageOf<RunError>([&] { ex.run({good.cref(), good.cref()}, {wrong.ref()}); }).find("output 0"),
            std::string::npos);
  EXPECT_NE(messageOf<RunError>([&] { ex.runDevice({{0, good.type()}}, {}); }), "no exception");
  std::vector<HostTensor> both;
  both.push_back(copy(good));
  both.push_back(copy(good));
  expectSame(ex.run(both), runOnHost(p, both));
}

TEST_F(FakeCudaTest, KernelStatusWordGivesTheHostsMessageAndTheExecutorStaysUsable) {
  Program p = test::gatherProgram();
  CudaPlan plan = fake.plan(p);
  HostTensor x = randomTensor(DType::F32, {2, 5}, 1);
  std::vector<HostTensor> bad, good;
  bad.push_back(copy(x));
  bad.push_back(makeTensor(DType::I64, {3}, {0, 7, 1}));
  good.push_back(copy(x));
  good.push_back(makeTensor(DType::I64, {3}, {4, -1, 0}));
  // The host names the index; a status word says only which check failed,
  // so the device gives the same op and check without the value.
  std::string host = messageOf<RunError>([&] { runOnHost(p, bad); });
  EXPECT_EQ(host, "node 'Gather_3': gather: index 7 is out of range for dimension 1 of size 5");
  const std::string device = "node 'Gather_3': gather: an index is out of range for dimension 1 of size 5";
  for (bool graph : {false, true}) {
    RunOptions o;
    o.cudaGraph = graph;
    CudaExecutor ex(p, plan, o);
    EXPECT_EQ(messageOf<RunError>([&] { ex.run(bad); }), device) << "graph " << graph;
    expectSame(ex.run(good), runOnHost(p, good));
    EXPECT_EQ(messageOf<RunError>([&] { ex.run(bad); }), device) << "graph " << graph;
  }
}

TEST_F(FakeCudaTest, OutOfMemorySaysBytesAndLeavesNothingThenASmallerModelRuns) {
  fake.setMemoryBytes(64 * 1024);
  Program big = addProgram(16 * 1024);  // 3 x 64 KiB
  CudaPlan bigPlan = fake.plan(big);
  std::string msg;
  try {
    CudaExecutor ex(big, bigPlan, {});
    ADD_FAILURE() << "the big model fit";
  } catch (const DeviceUnavailable& e) {
    msg = e.what();
  }
  EXPECT_NE(msg.find("out of device memory"), std::string::npos) << msg;
  EXPECT_NE(msg.find(std::to_string(3 * 64 * 1024 + 256) + " bytes"), std::string::npos) << msg;
  EXPECT_NE(msg.find(std::to_string(64 * 1024) + " bytes free of " + std::to_string(64 * 1024)), std::string::npos)
      << msg;
  expectNothingLeft();
  Program small = addProgram(1000);
  CudaPlan smallPlan = fake.plan(small);
  std::vector<HostTensor> in = list(randomTensor(DType::F32, {1000}, 1), randomTensor(DType::F32, {1000}, 2));
  {
    CudaExecutor ex(small, smallPlan, {});
    expectSame(ex.run(in), runOnHost(small, in));
  }
  fake.setMemoryBytes(int64_t(1) << 30);
}

// Every driver call the constructor makes, failing in turn: a DeviceError
// naming the call and the CUresult, and nothing left behind.
TEST_F(FakeCudaTest, AFailureAnywhereInConstructionLeavesNothing) {
  Program p = logProgram();
  CudaPlan plan = fake.plan(p);
  int failures = 0;
  for (const char* call : {"cuDeviceGet", "cuDevicePrimaryCtxRetain", "cuCtxSetCurrent", "cuStreamCreate",
                           "cuModuleLoadDataEx", "cuModuleGetFunction", "cuMemAlloc_v2", "cuStreamSynchronize"}) {
    for (int nth : {1, 2}) {
      fake.failCall(call, nth, CUDA_ERROR_INVALID_VALUE);
      std::string msg = messageOf<DeviceError>([&] { CudaExecutor ex(p, plan, {}); });
      fake.clearFailures();
      if (msg == "no exception") continue;  // the call is made fewer than nth times
      ++failures;
      EXPECT_NE(msg.find(std::string(call) + " failed: CUDA_ERROR_INVALID_VALUE (invalid argument)"),
                std::string::npos)
          << call << " #" << nth << ": " << msg;
      expectNothingLeft();
    }
  }
  EXPECT_GE(failures, 10);
}

TEST_F(FakeCudaTest, InjectedFailuresNameTheCallTheResultAndTheOp) {
  Program p = addProgram(64);
  CudaPlan plan = fake.plan(p);
  std::vector<HostTensor> in = list(randomTensor(DType::F32, {64}, 1), randomTensor(DType::F32, {64}, 2));

  fake.failCall("cuModuleLoadDataEx", 1, CUDA_ERROR_INVALID_IMAGE);
  std::string load = messageOf<DeviceError>([&] { CudaExecutor ex(p, plan, {}); });
  EXPECT_NE(load.find("cuModuleLoadDataEx failed: CUDA_ERROR_INVALID_IMAGE (device kernel image is invalid): "
                      "loading the CUBIN built for sm_90"),
            std::string::npos)
      << load;
  EXPECT_NE(load.find("injected failure"), std::string::npos) << "the JIT log: " << load;

  for (bool graph : {false, true}) {
    RunOptions o;
    o.cudaGraph = graph;
    CudaExecutor ex(p, plan, o);
    fake.failCall("cuLaunchKernel", 1, CUDA_ERROR_LAUNCH_FAILED);
    std::string launch = messageOf<DeviceError>([&] { ex.run(in); });
    EXPECT_NE(launch.find("node 'Add_0': kernel '"), std::string::npos) << launch;
    EXPECT_NE(launch.find("cuLaunchKernel failed: CUDA_ERROR_LAUNCH_FAILED (unspecified launch failure)"),
              std::string::npos)
        << launch;
    EXPECT_FALSE(ex.graphCaptured());

    fake.failCall("cuMemcpyHtoDAsync_v2", 2, CUDA_ERROR_ILLEGAL_ADDRESS);
    std::string copy = messageOf<DeviceError>([&] { ex.run(in); });
    EXPECT_NE(copy.find("copying input 1 to the device: cuMemcpyHtoDAsync_v2 failed: CUDA_ERROR_ILLEGAL_ADDRESS"),
              std::string::npos)
        << copy;
    if (graph) {
      fake.failCall("cuGraphInstantiateWithFlags", 1, CUDA_ERROR_OUT_OF_MEMORY);
      std::string inst = messageOf<DeviceError>([&] { ex.run(in); });
      EXPECT_NE(inst.find("instantiating the captured CUDA graph: cuGraphInstantiateWithFlags failed: "
                          "CUDA_ERROR_OUT_OF_MEMORY"),
                std::string::npos)
          << inst;
      EXPECT_FALSE(ex.graphCaptured());
    }
    // A failed run leaves the executor usable.
    expectSame(ex.run(in), runOnHost(p, in));
    EXPECT_EQ(ex.graphCaptured(), graph);
  }
}

TEST_F(FakeCudaTest, CheckNanGivesTheHostsReport) {
  Program p = logProgram();
  CudaPlan plan = fake.plan(p);
  std::vector<HostTensor> in = list(test::randomReal(DType::F32, {2, 8}, 4));
  in[0].as<float>()[5] = -1.0f;
  in[0].as<float>()[9] = 0.0f;
  HostRunOptions hostOptions;
  hostOptions.checkNan = true;
  std::string host = messageOf<RunError>([&] { runOnHost(p, in, hostOptions); });
  EXPECT_NE(host.find("node 'Log_1': --check-nan: kernel 0"), std::string::npos) << host;
  RunOptions o;
  o.checkNan = true;
  CudaExecutor checked(p, plan, o);
  EXPECT_EQ(messageOf<RunError>([&] { checked.run(in); }), host);
  // Without the check the same run succeeds, NaN and all.
  CudaExecutor plain(p, plan, {});
  EXPECT_EQ(values(plain.run(in)[0]).size(), 16u);
  // Finite values pass the check.
  for (int i = 0; i < 16; ++i) in[0].as<float>()[i] = std::abs(in[0].as<float>()[i]) + 0.5f;
  expectSame(checked.run(in), runOnHost(p, in, hostOptions));
}

// `dlc bench`'s timing: events around the run and between the steps, read
// after the run; refused with a graph (steps between events) or --check-nan.
TEST_F(FakeCudaTest, TimingEventsGiveTheRunAndEveryStep) {
  Program p = logProgram();
  CudaPlan plan = fake.plan(p);
  std::vector<HostTensor> in = list(test::randomReal(DType::F32, {2, 8}, 5));
  for (int i = 0; i < 16; ++i) in[0].as<float>()[i] = std::abs(in[0].as<float>()[i]) + 0.5f;
  {
    CudaExecutor untimed(p, plan, {});
    untimed.run(in);
    EXPECT_EQ(untimed.lastTiming().runMs, -1);
    EXPECT_TRUE(untimed.lastTiming().stepMs.empty());
  }
  RunOptions o;
  o.timeRun = o.timeSteps = true;
  CudaExecutor timed(p, plan, o);
  expectSame(timed.run(in), runOnHost(p, in));
  const RunTiming& t = timed.lastTiming();
  ASSERT_EQ(t.stepMs.size(), plan.steps.size());
  ASSERT_EQ(t.stepBeginMs.size(), plan.steps.size());
  EXPECT_GE(t.runMs, 0);
  EXPECT_EQ(t.stepBeginMs[0], 0);
  double sum = 0;
  for (size_t i = 0; i < t.stepMs.size(); ++i) {
    EXPECT_GE(t.stepMs[i], 0);
    if (i > 0) {
      EXPECT_GE(t.stepBeginMs[i], t.stepBeginMs[i - 1]);
    }
    sum += t.stepMs[i];
  }
  // The step events lie inside the run's pair (host clock: equal or later).
  EXPECT_LE(sum, t.runMs + 1e-3);

  RunOptions graphTimed = o;
  graphTimed.cudaGraph = true;
  EXPECT_NE(messageOf<DeviceError>([&] { CudaExecutor(p, plan, graphTimed); }).find("does not go with cudaGraph"),
            std::string::npos);
  RunOptions checkTimed = o;
  checkTimed.checkNan = true;
  EXPECT_NE(messageOf<DeviceError>([&] { CudaExecutor(p, plan, checkTimed); }).find("checkNan"), std::string::npos);
}

// Run by the ctest entry cuda_fake_missing_entry_point only, with
// $DLC_LIBCUDA naming libdlc_fake_cuda_incomplete.so (no cuGraphLaunch).
// --- splat constants (runtime/Program.h) -------------------------------------

// A splat constant of `type` whose element is `element`.
int32_t addSplat(Program& p, TensorType type, double element) {
  HostTensor e(TensorType{type.dtype, {}});
  storeFromDouble(e.ref(), 0, element);
  p.values.push_back(splatConstant(type, std::move(e)));
  return static_cast<int32_t>(p.values.size() - 1);
}

// out = scatter-add(base, idx, updates) with splat updates, which the
// scatter kernel reads through a pointer: the device fills the splat's
// buffer itself (one 32-bit word repeated: 1-, 2- and 4-byte elements, and
// 8-byte ones whose halves are equal) or uploads it expanded (an f64 0.1).
// Each dtype's result is the host device's.
TEST_F(FakeCudaTest, SplatsThatAKernelLoadsAreFilledOnTheDevice) {
  struct Case {
    DType dtype;
    double element;
  };
  for (Case c : {Case{DType::F32, 1.5}, Case{DType::F16, -2.0}, Case{DType::I8, 3.0}, Case{DType::F64, 0.1},
                 Case{DType::I64, -1.0}, Case{DType::I32, 7.0}}) {
    SCOPED_TRACE(dtypeName(c.dtype));
    ProgramBuilder b;
    int32_t base = b.input({c.dtype, {5, 3}}, "base");
    int32_t idx = b.input({DType::I64, {4}}, "idx");
    int32_t updates = addSplat(b.program, {c.dtype, {4, 3}}, c.element);
    b.beginKernel(KernelKind::Scatter);
    int32_t out = b.output(OpCode::Scatter, {base, idx, updates}, {c.dtype, {5, 3}}, -1, uint8_t(ScatterKind::Add));
    b.endKernel();
    b.program.outputs = {out};
    Program& p = b.program;
    CudaPlan plan = fake.plan(p);
    ASSERT_EQ(plan.kernels.size(), 1u);
    EXPECT_NE(std::find(plan.kernels[0].args.begin(), plan.kernels[0].args.end(), updates),
              plan.kernels[0].args.end())
        << "the scatter kernel loads its updates";
    std::vector<HostTensor> in = list(randomTensor(c.dtype, {5, 3}, 7), makeTensor(DType::I64, {4}, {4, 0, 4, 2}));
    std::vector<HostTensor> want = runOnHost(p, in);
    CudaExecutor ex(p, plan, {});
    expectSame(ex.run(in), want);
  }
}

// y = x * 2 where the splat 2 is listed among the kernel's inputs (as the
// lowering lists a top-level constant an unfused op reads): the generated
// kernel takes it as a literal, so it is no parameter and takes no device
// memory; the result is the host device's.
TEST_F(FakeCudaTest, SplatsTakenAsLiteralsAreNoParameters) {
  ProgramBuilder b;
  int32_t x = b.input({DType::F32, {1000}}, "x");
  int32_t two = addSplat(b.program, {DType::F32, {1000}}, 2.0);
  b.beginKernel();
  b.program.kernels.back().inputs.push_back(two);
  int32_t y = b.output(OpCode::Binary, {x, two}, {DType::F32, {1000}}, -1, uint8_t(BinaryKind::Mul));
  b.endKernel();
  b.program.outputs = {y};
  Program& p = b.program;
  CudaPlan plan = fake.plan(p);
  ASSERT_EQ(plan.kernels.size(), 1u);
  EXPECT_EQ(plan.kernels[0].args, (std::vector<int32_t>{x, y}));
  std::vector<HostTensor> in = list(randomTensor(DType::F32, {1000}, 3));
  std::vector<HostTensor> want = runOnHost(p, in);
  CudaExecutor ex(p, plan, {});
  EXPECT_LT(ex.deviceBytes(), 3 * 4000) << "x and y only, with the status words";
  expectSame(ex.run(in), want);
}

TEST(FakeCudaMissingEntry, TheDriverIsUnavailableNamingTheEntryPoint) {
  if (!std::getenv("DLC_FAKE_CUDA_EXPECT_MISSING")) GTEST_SKIP() << "run by cuda_fake_missing_entry_point";
  FakeCuda::get();
  std::string why = unavailableReason();
  EXPECT_NE(why.find("has no cuGraphLaunch"), std::string::npos) << why;
  std::string msg = messageOf<DeviceUnavailable>([&] { deviceInfo(); });
  EXPECT_NE(msg.find("has no cuGraphLaunch"), std::string::npos) << msg;
}

}  // namespace
}  // namespace dlc::rt::cuda

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  dlc::test::FakeCuda::get();  // $DLC_LIBCUDA before the runtime loads a driver
  return RUN_ALL_TESTS();
}
