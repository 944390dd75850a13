// Lowering to the host device: a dlc.fusion becomes one kernel whose body
// values are Local and whose yielded values land in the fusion's results;
// an unfused op is a kernel of its own kind; the memory plan's attributes
// become offsets. Each program is then run on the host device.
#include <gtest/gtest.h>

#include <cmath>

#include "codegen/host/LowerToHost.h"
#include "ir/Dialect.h"
#include "runtime/host/HostDevice.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"

namespace dlc {
namespace {

using rt::HostTensor;
using rt::KernelKind;
using rt::OpCode;
using rt::ValueKind;

// Parses and lowers `ir`; on failure `error` says why and the program is empty.
struct Lowered {
  mlir::MLIRContext ctx;
  rt::Program program;
  std::string error;
  bool ok = false;

  explicit Lowered(const char* ir) {
    ctx.loadDialect<DlcDialect, mlir::func::FuncDialect>();
    auto module = mlir::parseSourceString<mlir::ModuleOp>(ir, &ctx);
    if (!module) {
      error = "does not parse";
      return;
    }
    ok = lowerToHost(*module, program, error);
  }

  const rt::ValueInfo& value(int32_t id) const { return program.values[static_cast<size_t>(id)]; }
  const rt::Instr& instr(int32_t i) const { return program.instrs[static_cast<size_t>(i)]; }
};

HostTensor f32(std::vector<float> xs) {
  HostTensor t(rt::TensorType{rt::DType::F32, {static_cast<int64_t>(xs.size())}});
  for (size_t i = 0; i < xs.size(); ++i) t.as<float>()[i] = xs[i];
  return t;
}

std::vector<float> floats(const HostTensor& t) {
  return {t.as<float>(), t.as<float>() + t.numElements()};
}

std::vector<HostTensor> run(const rt::Program& p, std::vector<std::vector<float>> inputs) {
  std::vector<HostTensor> ts;
  for (auto& xs : inputs) ts.push_back(f32(std::move(xs)));
  return rt::runOnHost(p, ts);
}

// Two fusions with a plan: one kernel each, body values Local except the
// yielded ones, which are the fusion's results at their arena offsets.
const char* kTwoFusions = R"mlir(
func.func @main(%x: tensor<4xf32>, %y: tensor<4xf32>) -> tensor<4xf32>
    attributes {dlc.arena_bytes = 512 : i64} {
  %a:2 = dlc.fusion loop (%x, %y) {dlc.offsets = array<i64: 0, 256>} : (tensor<4xf32>, tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  ^bb0(%p: tensor<4xf32>, %q: tensor<4xf32>):
    %0 = dlc.add %p, %q : tensor<4xf32>
    %1 = dlc.exp %0 : tensor<4xf32>
    %2 = dlc.mul %1, %p : tensor<4xf32>
    dlc.yield %2, %0 : tensor<4xf32>, tensor<4xf32>
  }
  %b = dlc.fusion reduction (%a#0, %a#1) {dlc.offsets = array<i64: -1>} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%p: tensor<4xf32>, %q: tensor<4xf32>):
    %0 = dlc.sub %p, %q : tensor<4xf32>
    %1 = dlc.reduce sum %0, dims = [0] : tensor<4xf32> -> tensor<f32>
    %2 = dlc.broadcast_in_dim %1, dims = [] : tensor<f32> -> tensor<4xf32>
    %3 = dlc.add %2, %0 : tensor<4xf32>
    dlc.yield %3 : tensor<4xf32>
  }
  return %b : tensor<4xf32>
}
)mlir";

TEST(LowerToHost, FusionIsOneKernelWithLocals) {
  Lowered l(kTwoFusions);
  ASSERT_TRUE(l.ok) << l.error;
  const rt::Program& p = l.program;
  EXPECT_EQ(p.arenaBytes, 512);
  ASSERT_EQ(p.kernels.size(), 2u);
  const rt::Kernel& k0 = p.kernels[0];
  EXPECT_EQ(k0.kind, KernelKind::Loop);
  EXPECT_EQ(k0.begin, 0);
  EXPECT_EQ(k0.end, 3);
  EXPECT_EQ(k0.inputs, p.inputs);
  ASSERT_EQ(k0.outputs.size(), 2u);
  // add writes the second result, exp is Local, mul writes the first.
  EXPECT_EQ(l.instr(0).result, k0.outputs[1]);
  EXPECT_EQ(l.value(l.instr(1).result).kind, ValueKind::Local);
  EXPECT_EQ(l.instr(2).result, k0.outputs[0]);
  EXPECT_EQ(l.value(k0.outputs[0]).kind, ValueKind::Intermediate);
  EXPECT_EQ(l.value(k0.outputs[0]).offset, 0);
  EXPECT_EQ(l.value(k0.outputs[1]).offset, 256);

  const rt::Kernel& k1 = p.kernels[1];
  EXPECT_EQ(k1.kind, KernelKind::Reduction);
  EXPECT_EQ(k1.begin, 3);
  EXPECT_EQ(k1.end, 7);
  EXPECT_EQ(k1.inputs, k0.outputs);
  for (int32_t i = 3; i < 6; ++i) EXPECT_EQ(l.value(l.instr(i).result).kind, ValueKind::Local) << i;
  EXPECT_EQ(l.value(k1.outputs[0]).offset, -1);
  EXPECT_EQ(p.outputs, k1.outputs);

  std::vector<float> x = {0.5f, -1, 2, 0}, y = {1, 1, -1, 0.25f};
  std::vector<HostTensor> out = run(p, {x, y});
  std::vector<float> d(4);
  float sum = 0;
  for (size_t i = 0; i < 4; ++i) {
    float s = x[i] + y[i];
    d[i] = std::exp(s) * x[i] - s;
    sum += d[i];
  }
  std::vector<float> got = floats(out[0]);
  for (size_t i = 0; i < 4; ++i) EXPECT_NEAR(got[i], sum + d[i], 1e-5) << i;
}

// A yielded block argument, a value yielded twice and a yielded constant are
// copied into their results; a constant inside the body is a Constant value.
TEST(LowerToHost, YieldsThatNeedCopies) {
  Lowered l(R"mlir(
func.func @main(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %r:4 = dlc.fusion loop (%x) : (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  ^bb0(%p: tensor<4xf32>):
    %c = dlc.constant dense<2.0> : tensor<4xf32>
    %0 = dlc.mul %p, %c : tensor<4xf32>
    dlc.yield %0, %p, %0, %c : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
  }
  return %r#0, %r#1, %r#2, %r#3 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}
)mlir");
  ASSERT_TRUE(l.ok) << l.error;
  const rt::Program& p = l.program;
  ASSERT_EQ(p.kernels.size(), 1u);
  ASSERT_EQ(p.instrs.size(), 4u);  // mul + three copies
  EXPECT_EQ(l.value(l.instr(0).operands[1]).kind, ValueKind::Constant);
  EXPECT_EQ(l.instr(0).result, p.outputs[0]);
  for (int32_t i = 1; i < 4; ++i) {
    EXPECT_EQ(l.instr(i).op, OpCode::Reshape) << i;
    EXPECT_EQ(l.instr(i).result, p.outputs[static_cast<size_t>(i)]) << i;
  }
  EXPECT_EQ(l.instr(1).operands[0], p.inputs[0]);
  EXPECT_EQ(l.instr(2).operands[0], p.outputs[0]);
  std::vector<HostTensor> out = run(p, {{1, 2, 3, 4}});
  EXPECT_EQ(floats(out[0]), (std::vector<float>{2, 4, 6, 8}));
  EXPECT_EQ(floats(out[1]), (std::vector<float>{1, 2, 3, 4}));
  EXPECT_EQ(floats(out[2]), (std::vector<float>{2, 4, 6, 8}));
  EXPECT_EQ(floats(out[3]), (std::vector<float>{2, 2, 2, 2}));
}

// A splat constant (a ReLU's 0.0 at the activation's shape, an i1 mask) is
// lowered to its one element, never expanded: the ResNet-50 batch-32 bug,
// where 50 such splats took 1.2 GB of the Program. A non-splat keeps its data.
TEST(LowerToHost, SplatConstantsStayOneElement) {
  Lowered l(R"mlir(
func.func @main(%x: tensor<32x256x56x56xf32>, %w: tensor<2xf32>) -> (tensor<32x256x56x56xf32>, tensor<2xf32>) {
  %r = dlc.fusion loop (%x) : (tensor<32x256x56x56xf32>) -> tensor<32x256x56x56xf32> {
  ^bb0(%p: tensor<32x256x56x56xf32>):
    %zero = dlc.constant dense<0.0> : tensor<32x256x56x56xf32>
    %yes = dlc.constant dense<true> : tensor<32x256x56x56xi1>
    %m = dlc.max %p, %zero : tensor<32x256x56x56xf32>
    %s = dlc.select %yes, %m, %zero : tensor<32x256x56x56xi1>, tensor<32x256x56x56xf32>
    dlc.yield %s : tensor<32x256x56x56xf32>
  }
  %c = dlc.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %a = dlc.add %w, %c : tensor<2xf32>
  return %r, %a : tensor<32x256x56x56xf32>, tensor<2xf32>
}
)mlir");
  ASSERT_TRUE(l.ok) << l.error;
  const rt::Program& p = l.program;
  int64_t stored = 0;
  int splats = 0;
  for (const rt::ValueInfo& v : p.values) {
    stored += rt::storedConstantBytes(v);
    if (!v.splat) continue;
    ++splats;
    EXPECT_EQ(v.constant.numElements(), 1) << v.type.str();
    EXPECT_EQ(v.constant.dtype(), v.type.dtype);
  }
  EXPECT_EQ(splats, 2);
  EXPECT_EQ(stored, 4 + 1 + 8);  // 0.0f, true, and the two floats of %c
  const rt::Instr& max = l.instr(0);
  ASSERT_EQ(max.op, OpCode::Binary);
  EXPECT_EQ(l.value(max.operands[1]).constant.as<float>()[0], 0.0f);
  const rt::Instr& sel = l.instr(1);
  ASSERT_EQ(sel.op, OpCode::Select);
  EXPECT_EQ(l.value(sel.operands[0]).constant.as<uint8_t>()[0], 1);
  const rt::ValueInfo& c = l.value(l.instr(2).operands[1]);
  EXPECT_FALSE(c.splat);
  EXPECT_EQ(floats(c.constant), (std::vector<float>{1, 2}));
  rt::verifyProgram(p);
}

// A splat fusion at a small shape runs as it did when the constant was full.
TEST(LowerToHost, SplatConstantsRun) {
  Lowered l(R"mlir(
func.func @main(%x: tensor<6xf32>) -> (tensor<6xf32>, tensor<6xf32>) {
  %r = dlc.fusion loop (%x) : (tensor<6xf32>) -> tensor<6xf32> {
  ^bb0(%p: tensor<6xf32>):
    %zero = dlc.constant dense<0.0> : tensor<6xf32>
    %m = dlc.max %p, %zero : tensor<6xf32>
    dlc.yield %m : tensor<6xf32>
  }
  %half = dlc.constant dense<0.5> : tensor<6xf32>
  return %r, %half : tensor<6xf32>, tensor<6xf32>
}
)mlir");
  ASSERT_TRUE(l.ok) << l.error;
  std::vector<HostTensor> out = run(l.program, {{-2, -0.0f, 0, 0.25f, 1, -3}});
  EXPECT_EQ(floats(out[0]), (std::vector<float>{0, 0, 0, 0.25f, 1, 0}));
  EXPECT_EQ(floats(out[1]), (std::vector<float>(6, 0.5f)));
}

// Unfused IR: every op but constants is a kernel of the kind its class implies.
TEST(LowerToHost, UnfusedOpsAreKernelsOfTheirKind) {
  Lowered l(R"mlir(
func.func @main(%x: tensor<2x3xf32>, %w: tensor<3x4xf32>) -> tensor<2xf32> {
  %c = dlc.constant dense<1.0> : tensor<2x3xf32>
  %a = dlc.add %x, %c : tensor<2x3xf32>
  %d = dlc.dot_general %a, %w, batch = [] x [], contract = [1] x [0] : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  %r = dlc.reduce sum %d, dims = [1] : tensor<2x4xf32> -> tensor<2xf32>
  return %r : tensor<2xf32>
}
)mlir");
  ASSERT_TRUE(l.ok) << l.error;
  const rt::Program& p = l.program;
  ASSERT_EQ(p.kernels.size(), 3u);
  EXPECT_EQ(p.kernels[0].kind, KernelKind::Loop);
  EXPECT_EQ(p.kernels[1].kind, KernelKind::Gemm);
  EXPECT_EQ(p.kernels[2].kind, KernelKind::Reduction);
  for (size_t k = 0; k < 3; ++k) {
    EXPECT_EQ(p.kernels[k].end - p.kernels[k].begin, 1) << k;
    EXPECT_EQ(l.value(p.kernels[k].outputs[0]).kind, ValueKind::Intermediate) << k;
    EXPECT_EQ(l.value(p.kernels[k].outputs[0]).offset, -1) << k;
  }
  EXPECT_EQ(p.arenaBytes, 0);
  rt::verifyProgram(p);
}

// An output planned over the input it replaces, read again later in the
// same kernel: the host stages the output, so s = p + (-p) is 0.
TEST(LowerToHost, InPlaceFusionOutputRunsRight) {
  Lowered l(R"mlir(
func.func @main(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
    attributes {dlc.arena_bytes = 256 : i64} {
  %a = dlc.add %x, %x {dlc.offsets = array<i64: 0>} : tensor<4xf32>
  %r:2 = dlc.fusion loop (%a) {dlc.offsets = array<i64: 0, -1>} : (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  ^bb0(%p: tensor<4xf32>):
    %n = dlc.neg %p : tensor<4xf32>
    %s = dlc.add %p, %n : tensor<4xf32>
    dlc.yield %n, %s : tensor<4xf32>, tensor<4xf32>
  }
  %m = dlc.mul %r#0, %x {dlc.offsets = array<i64: -1>} : tensor<4xf32>
  return %r#1, %m : tensor<4xf32>, tensor<4xf32>
}
)mlir");
  ASSERT_TRUE(l.ok) << l.error;
  std::vector<HostTensor> out = run(l.program, {{1, -2, 3, 0.5f}});
  EXPECT_EQ(floats(out[0]), (std::vector<float>{0, 0, 0, 0}));
  EXPECT_EQ(floats(out[1]), (std::vector<float>{-2, -8, -18, -0.5f}));
}

TEST(LowerToHost, MalformedPlanIsAnErrorNamingTheOp) {
  Lowered wrongLength(R"mlir(
func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
  %a = dlc.add %x, %x {dlc.offsets = array<i64: 0, 256>} : tensor<4xf32> loc("Add_0")
  return %a : tensor<4xf32>
}
)mlir");
  EXPECT_FALSE(wrongLength.ok);
  EXPECT_EQ(wrongLength.error,
            "node 'Add_0': 'dlc.add': dlc.offsets must be an array<i64> with one offset per result (1)");

  Lowered notI64Array(R"mlir(
func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
  %a = dlc.exp %x {dlc.offsets = [0]} : tensor<4xf32>
  return %a : tensor<4xf32>
}
)mlir");
  EXPECT_FALSE(notI64Array.ok);
  EXPECT_NE(notI64Array.error.find("'dlc.exp': dlc.offsets must be an array<i64>"), std::string::npos)
      << notI64Array.error;

  Lowered badArena(R"mlir(
func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> attributes {dlc.arena_bytes = 1.0 : f32} {
  %a = dlc.exp %x : tensor<4xf32>
  return %a : tensor<4xf32>
}
)mlir");
  EXPECT_FALSE(badArena.ok);
  EXPECT_EQ(badArena.error, "@main: dlc.arena_bytes must be an i64 attribute");
}

// A plan that lowers fine but breaks the arena's rules is refused at run time.
TEST(LowerToHost, PlanOutsideTheArenaIsRefused) {
  Lowered l(R"mlir(
func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> attributes {dlc.arena_bytes = 256 : i64} {
  %a = dlc.exp %x {dlc.offsets = array<i64: 256>} : tensor<4xf32>
  %b = dlc.neg %a : tensor<4xf32>
  return %b : tensor<4xf32>
}
)mlir");
  ASSERT_TRUE(l.ok) << l.error;
  EXPECT_THROW(run(l.program, {{1, 2, 3, 4}}), rt::InvalidProgram);
}

}  // namespace
}  // namespace dlc
