// The cost model of `dlc bench --profile` (runtime/KernelCost.h): FLOPs and
// bytes of hand-built kernels, each figure worked out by hand in a comment.
// Also the host device's per-kernel timing hook.
#include "runtime/KernelCost.h"

#include <chrono>

#include "ProgramBuilder.h"
#include "TestUtil.h"
#include "runtime/host/HostDevice.h"

namespace dlc::rt::test {
namespace {

int32_t constant(ProgramBuilder& b, TensorType type) { return b.constant(HostTensor(type)); }

// y = dot(x[4x8], w[8x16]) + broadcast(b[16]): one gemm kernel.
Program denseLayer() {
  ProgramBuilder b;
  int32_t x = b.input({DType::F32, {4, 8}}, "x");
  int32_t w = constant(b, {DType::F32, {8, 16}});
  int32_t bias = constant(b, {DType::F32, {16}});
  b.beginKernel(KernelKind::Gemm);
  int32_t d = b.local(OpCode::DotGeneral, {x, w}, {DType::F32, {4, 16}});
  b.program.instrs.back().dot.lhsContract = {1};
  b.program.instrs.back().dot.rhsContract = {0};
  int32_t bb = b.local(OpCode::BroadcastInDim, {bias}, {DType::F32, {4, 16}});
  b.program.instrs.back().dims = {1};
  int32_t y = b.output(OpCode::Binary, {d, bb}, {DType::F32, {4, 16}}, -1,
                       static_cast<uint8_t>(BinaryKind::Add));
  b.endKernel();
  b.program.outputs = {y};
  return std::move(b.program);
}

TEST(KernelCostTest, DenseLayer) {
  Program p = denseLayer();
  KernelCost c = kernelCost(p, 0);
  // dot: 2 * (4*16 outputs) * K=8 = 1024; add: 64 outputs; broadcast: 0.
  EXPECT_DOUBLE_EQ(c.flops, 1088);
  // read x 4*8*4 = 128, w 8*16*4 = 512, b 16*4 = 64; write y 4*16*4 = 256.
  EXPECT_EQ(c.bytesRead, 704);
  EXPECT_EQ(c.bytesWritten, 256);
  EXPECT_EQ(c.bytes(), 960);
  EXPECT_EQ(kernelOps(p, 0), "dot_general, add");
}

TEST(KernelCostTest, ReductionAndValueReadTwice) {
  ProgramBuilder b;
  int32_t x = b.input({DType::F32, {4, 8}}, "x");
  b.beginKernel(KernelKind::Reduction);
  int32_t sq = b.local(OpCode::Binary, {x, x}, {DType::F32, {4, 8}}, static_cast<uint8_t>(BinaryKind::Mul));
  int32_t s = b.output(OpCode::Reduce, {sq}, {DType::F32, {4}}, -1, static_cast<uint8_t>(ReduceKind::Sum));
  b.program.instrs.back().dims = {1};
  b.endKernel();
  b.program.outputs = {s};
  KernelCost c = kernelCost(b.program, 0);
  // mul: 32 outputs; reduce: 32 input elements.
  EXPECT_DOUBLE_EQ(c.flops, 64);
  // x is read by both operands but moved once: 128 bytes; 4 floats out.
  EXPECT_EQ(c.bytesRead, 128);
  EXPECT_EQ(c.bytesWritten, 16);
  EXPECT_EQ(kernelOps(b.program, 0), "mul, reduce_sum");
}

TEST(KernelCostTest, ConvolutionAndPooling) {
  ProgramBuilder b;
  int32_t x = b.input({DType::F32, {1, 3, 8, 8}}, "x");
  int32_t w = constant(b, {DType::F32, {4, 3, 3, 3}});
  b.beginKernel(KernelKind::Conv);
  int32_t y = b.output(OpCode::Convolution, {x, w}, {DType::F32, {1, 4, 6, 6}});
  b.program.instrs.back().conv.strides = {1, 1};
  b.endKernel();
  b.beginKernel(KernelKind::Loop);
  int32_t m = b.output(OpCode::ReduceWindow, {y}, {DType::F32, {1, 4, 3, 3}}, -1,
                       static_cast<uint8_t>(ReduceKind::Max));
  b.program.instrs.back().window.window = {1, 1, 2, 2};
  b.endKernel();
  b.program.outputs = {m};
  KernelCost conv = kernelCost(b.program, 0);
  // 2 * (4*6*6 = 144 outputs) * (3 channels * 3*3 window = 27) = 7776.
  EXPECT_DOUBLE_EQ(conv.flops, 7776);
  // x 3*64*4 = 768, w 4*27*4 = 432 read; y 144*4 = 576 written.
  EXPECT_EQ(conv.bytesRead, 1200);
  EXPECT_EQ(conv.bytesWritten, 576);
  // 36 outputs, a 2x2 window each: 144; reads y (576), writes 36*4 = 144.
  KernelCost pool = kernelCost(b.program, 1);
  EXPECT_DOUBLE_EQ(pool.flops, 144);
  EXPECT_EQ(pool.bytes(), 720);
}

TEST(KernelCostTest, BatchedDotAndDataMovement) {
  ProgramBuilder b;
  int32_t q = b.input({DType::F16, {2, 5, 3}}, "q");
  int32_t k = b.input({DType::F16, {2, 3, 7}}, "k");
  b.beginKernel(KernelKind::Gemm);
  int32_t s = b.output(OpCode::DotGeneral, {q, k}, {DType::F16, {2, 5, 7}});
  b.program.instrs.back().dot = {{0}, {0}, {2}, {1}};
  b.endKernel();
  b.beginKernel(KernelKind::Loop);
  int32_t t = b.output(OpCode::Transpose, {s}, {DType::F16, {2, 7, 5}});
  b.program.instrs.back().dims = {0, 2, 1};
  b.endKernel();
  b.program.outputs = {t};
  // 2 * (2*5*7 = 70 outputs) * K=3 = 420; f16: 2 bytes an element.
  KernelCost dot = kernelCost(b.program, 0);
  EXPECT_DOUBLE_EQ(dot.flops, 420);
  EXPECT_EQ(dot.bytes(), (30 + 42 + 70) * 2);
  // A transpose moves data only: no FLOPs, its op named all the same.
  KernelCost tr = kernelCost(b.program, 1);
  EXPECT_DOUBLE_EQ(tr.flops, 0);
  EXPECT_EQ(tr.bytes(), 280);
  EXPECT_EQ(kernelOps(b.program, 1), "transpose");
}

TEST(KernelCostTest, HostDeviceTimesEveryKernelInOrder) {
  Program p = denseLayer();
  std::vector<HostTensor> in;
  in.push_back(HostTensor({DType::F32, {4, 8}}));
  std::vector<size_t> seen;
  HostRunOptions o;
  o.onKernelTimed = [&](size_t k, std::chrono::steady_clock::time_point b, std::chrono::steady_clock::time_point e) {
    EXPECT_LE(b, e);
    seen.push_back(k);
  };
  runOnHost(p, in, o);
  EXPECT_EQ(seen, std::vector<size_t>{0});
}

}  // namespace
}  // namespace dlc::rt::test
