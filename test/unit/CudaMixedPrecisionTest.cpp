// Mixed precision on the CUDA side (docs/precision.md): a dot_general on
// f16/bf16 operands with an f32 result is one cuBLASLt call with A/B 16-bit
// and C/D f32 (its bias taken: an f32 add on the f32 accumulator); a GEMM or
// convolution whose output has another element type than the call writes
// (a convert in the epilogue) is staged: the call writes scratch, the
// generated epilogue reads it (PlanCheck.h stagedByType). Each plan passes
// PlanCheck and runs emulated against the host device.
#include <gtest/gtest.h>

#include "ProgramBuilder.h"
#include "codegen/cuda/PlanCuda.h"
#include "runtime/cuda/PlanCheck.h"
#include "runtime/host/HostDevice.h"
#include "test/cuda/EmulatedDevice.h"

namespace dlc::rt::test {
namespace {

using dlc::codegen::CudaTarget;
using dlc::codegen::planCuda;

TensorType T(DType d, Shape s) { return {d, std::move(s)}; }

int32_t zeros(ProgramBuilder& b, TensorType t) { return b.constant(HostTensor(t)); }  // HostTensor starts zeroed

int32_t op(ProgramBuilder& b, OpCode code, std::vector<int32_t> operands, TensorType t, uint8_t kind = 0,
           std::vector<int64_t> dims = {}) {
  int32_t v = b.local(code, std::move(operands), std::move(t), kind);
  b.program.instrs.back().dims = std::move(dims);
  return v;
}

int32_t add(ProgramBuilder& b, int32_t x, int32_t y) {
  return op(b, OpCode::Binary, {x, y}, b.program.values[x].type, uint8_t(BinaryKind::Add));
}

Program finish(ProgramBuilder& b) {
  Instr& last = b.program.instrs.back();
  b.program.values[last.result].kind = ValueKind::Intermediate;
  b.program.kernels.back().outputs = {last.result};
  b.endKernel();
  b.program.outputs = {last.result};
  return std::move(b.program);
}

CudaStep planAndRun(const Program& p, double tol) {
  CudaPlan plan = planCuda(p, CudaTarget{});
  EXPECT_NO_THROW(cuda::verifyPlan(p, plan));
  std::vector<HostTensor> in = dlc::test::randomInputs(p, 7);
  std::vector<HostTensor> want = runOnHost(p, in), got = dlc::test::runEmulated(p, plan, in);
  EXPECT_EQ(want.size(), got.size());
  for (size_t i = 0; i < want.size() && i < got.size(); ++i)
    EXPECT_EQ(dlc::test::compareTensors(want[i], got[i], tol, tol), "") << "output " << i << "\n" << plan.source;
  EXPECT_EQ(plan.steps.size(), 1u);
  return plan.steps.at(0);
}

// x[m,k] (16-bit) x w[k,n] (16-bit) -> f32, + bias[n] (f32), then an
// optional convert of the result to `out`.
Program mixedLinear(DType low, DType out) {
  ProgramBuilder b;
  int32_t x = b.input(T(low, {6, 9})), w = b.input(T(low, {9, 5})), bias = b.input(T(DType::F32, {5}));
  b.beginKernel(KernelKind::Gemm);
  int32_t y = b.local(OpCode::DotGeneral, {x, w}, T(DType::F32, {6, 5}));
  b.program.instrs.back().dot = {{}, {}, {1}, {0}};
  int32_t bb = op(b, OpCode::BroadcastInDim, {bias}, T(DType::F32, {6, 5}), 0, {1});
  int32_t s = add(b, y, bb);
  if (out != DType::F32) op(b, OpCode::Convert, {s}, T(out, {6, 5}));
  return finish(b);
}

TEST(CudaMixedPrecisionTest, MixedGemmTakesItsBias) {
  for (DType low : {DType::F16, DType::BF16}) {
    // f32 result: exact agreement up to f32 accumulation order.
    CudaStep s = planAndRun(mixedLinear(low, DType::F32), 1e-5);
    ASSERT_EQ(s.kind, StepKind::Gemm) << dtypeName(low);
    EXPECT_EQ(s.gemm.aType, low);
    EXPECT_EQ(s.gemm.bType, low);
    EXPECT_EQ(s.gemm.cdType, DType::F32);
    EXPECT_EQ(s.gemm.epilogue, GemmEpilogue::Bias);
    EXPECT_EQ(s.epilogue, -1);
    EXPECT_FALSE(s.gemm.allowTf32);
  }
}

TEST(CudaMixedPrecisionTest, GemmWithA16BitOutputIsStaged) {
  for (DType low : {DType::F16, DType::BF16}) {
    Program p = mixedLinear(low, low);
    // The host rounds the same f32 value once: equal up to an ulp where the
    // f32 accumulation order moves a value across a rounding boundary.
    CudaStep s = planAndRun(p, 1e-2);
    ASSERT_EQ(s.kind, StepKind::Gemm) << dtypeName(low);
    EXPECT_EQ(s.gemm.cdType, DType::F32);
    EXPECT_EQ(s.gemm.epilogue, GemmEpilogue::Bias);
    EXPECT_TRUE(cuda::stagedByType(p, CudaStep(s)));
    EXPECT_GE(s.epilogue, 0);
  }
}

// A 16-bit convolution widened to f32, + bias (f32), relu: cuDNN computes
// the 16-bit convolution, the staged epilogue converts, adds and clamps.
TEST(CudaMixedPrecisionTest, ConvolutionWidenedIsStaged) {
  for (DType low : {DType::F16, DType::BF16}) {
    ProgramBuilder b;
    int32_t x = b.input(T(low, {2, 3, 8, 7})), w = b.input(T(low, {4, 3, 3, 3}));
    int32_t bias = b.input(T(DType::F32, {4}));
    b.beginKernel(KernelKind::Conv);
    int32_t y = b.local(OpCode::Convolution, {x, w}, T(low, {2, 4, 8, 7}));
    b.program.instrs.back().conv = {{1, 1}, {1, 1}, {1, 1}, {1, 1}, 1};
    TensorType ft = T(DType::F32, {2, 4, 8, 7});
    int32_t wide = op(b, OpCode::Convert, {y}, ft);
    int32_t s = add(b, wide, op(b, OpCode::BroadcastInDim, {bias}, ft, 0, {1}));
    op(b, OpCode::Binary, {s, zeros(b, ft)}, ft, uint8_t(BinaryKind::Max));
    Program p = finish(b);
    CudaStep st = planAndRun(p, 1e-6);  // the same 16-bit conv, the same f32 epilogue
    ASSERT_EQ(st.kind, StepKind::Conv) << dtypeName(low);
    EXPECT_EQ(st.conv.dtype, low);
    EXPECT_EQ(st.conv.bias, -1);  // the bias is added after the convert: generated
    EXPECT_TRUE(cuda::stagedByType(p, st));
    EXPECT_GE(st.epilogue, 0);
  }
}

// PlanCheck refuses a staged call without an epilogue to read the scratch.
TEST(CudaMixedPrecisionTest, StagedCallNeedsAnEpilogue) {
  Program p = mixedLinear(DType::F16, DType::F16);
  CudaPlan plan = planCuda(p, CudaTarget{});
  ASSERT_EQ(plan.steps.at(0).kind, StepKind::Gemm);
  plan.steps[0].epilogue = -1;
  EXPECT_THROW(cuda::verifyPlan(p, plan), InvalidProgram);
}

}  // namespace
}  // namespace dlc::rt::test
