// codegen/cuda/LibraryCalls: which GEMM and convolution kernels become
// cuBLASLt/cuDNN calls, with which descriptor and epilogue, and that the
// plan computes what the host device computes. The emulated device runs a
// GemmCall/ConvCall by a plain host implementation of the descriptor, so a
// wrong view, stride, batch or epilogue gives wrong numbers; every plan must
// also pass PlanCheck (what the CUDA device checks before it runs one).
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

int32_t constant(ProgramBuilder& b, TensorType t, double fill) {
  HostTensor v(t);
  for (int64_t i = 0; i < v.numElements(); ++i) storeFromDouble(v.ref(), i, fill);
  return b.constant(std::move(v));
}

int32_t local(ProgramBuilder& b, OpCode op, std::vector<int32_t> operands, TensorType t, uint8_t kind = 0,
              std::vector<int64_t> dims = {}) {
  int32_t v = b.local(op, std::move(operands), std::move(t), kind);
  b.program.instrs.back().dims = std::move(dims);
  return v;
}

int32_t binary(ProgramBuilder& b, BinaryKind k, int32_t x, int32_t y) {
  return local(b, OpCode::Binary, {x, y}, b.program.values[x].type, uint8_t(k));
}

// Plans `p` with libraries, checks the plan with PlanCheck and runs it
// emulated against the host; returns the plan for the caller's checks.
CudaPlan planAndRun(const Program& p, double tol = 1e-5, CudaTarget target = {}) {
  CudaPlan plan = planCuda(p, target);
  EXPECT_NO_THROW(cuda::verifyPlan(p, plan));
  std::vector<HostTensor> in = dlc::test::randomInputs(p, 5);
  std::vector<HostTensor> want = runOnHost(p, in), got = dlc::test::runEmulated(p, plan, in);
  EXPECT_EQ(want.size(), got.size());
  for (size_t i = 0; i < want.size() && i < got.size(); ++i)
    EXPECT_EQ(dlc::test::compareTensors(want[i], got[i], tol, tol), "")
        << "output " << i << "\n" << plan.source.substr(plan.source.find("//===--- kernels"));
  return plan;
}

// Finishes a one-kernel program whose last instruction writes the output.
Program finish(ProgramBuilder& b) {
  Instr& last = b.program.instrs.back();
  b.program.values[last.result].kind = ValueKind::Intermediate;
  b.program.kernels.back().outputs = {last.result};
  b.endKernel();
  b.program.outputs = {last.result};
  return std::move(b.program);
}

int32_t dot(ProgramBuilder& b, int32_t lhs, int32_t rhs, DotDims dims, TensorType out) {
  int32_t v = b.local(OpCode::DotGeneral, {lhs, rhs}, std::move(out));
  b.program.instrs.back().dot = std::move(dims);
  return v;
}

// [m,k] x [k,n] + broadcast(bias[n]) then max(., 0): an MLP layer.
Program mlpLayer(DType d, int64_t m, int64_t k, int64_t n, bool relu = true) {
  ProgramBuilder b;
  int32_t x = b.input(T(d, {m, k})), w = b.input(T(d, {k, n})), bias = b.input(T(d, {n}));
  b.beginKernel(KernelKind::Gemm);
  int32_t y = dot(b, x, w, {{}, {}, {1}, {0}}, T(d, {m, n}));
  int32_t bb = local(b, OpCode::BroadcastInDim, {bias}, T(d, {m, n}), 0, {1});
  int32_t s = binary(b, BinaryKind::Add, y, bb);
  if (relu) binary(b, BinaryKind::Max, s, constant(b, T(d, {m, n}), 0.0));
  return finish(b);
}

CudaStep onlyStep(const CudaPlan& plan) {
  EXPECT_EQ(plan.steps.size(), 1u);
  return plan.steps[0];
}

TEST(CudaLibraryCallsTest, MlpLayerIsOneGemmWithBiasRelu) {
  Program p = mlpLayer(DType::F32, 6, 9, 5);
  CudaPlan plan = planAndRun(p);
  CudaStep s = onlyStep(plan);
  ASSERT_EQ(s.kind, StepKind::Gemm);
  EXPECT_EQ(s.gemm.epilogue, GemmEpilogue::BiasRelu);
  EXPECT_EQ(s.gemm.bias, 2);
  EXPECT_EQ(s.epilogue, -1);
  EXPECT_EQ(s.gemm.c.value, -1);
  EXPECT_EQ(s.gemm.m, 6);
  EXPECT_EQ(s.gemm.n, 5);
  EXPECT_EQ(s.gemm.k, 9);
  EXPECT_TRUE(plan.kernels.empty());
  // TF32 only when the target allows it.
  EXPECT_FALSE(s.gemm.allowTf32);
  CudaTarget tf32;
  tf32.allowTf32 = true;
  EXPECT_TRUE(planCuda(p, tf32).steps[0].gemm.allowTf32);
  // Without libraries the same kernel is generated.
  CudaTarget none;
  none.useLibraries = false;
  CudaPlan gen = planCuda(p, none);
  EXPECT_EQ(gen.steps[0].kind, StepKind::Kernel);
}

// f64 takes the bias; f16/bf16 leave it to the generated epilogue, which
// adds it to the rounded product as the host does (1e-3 tolerance, well
// below a bf16 ulp: a bias inside the call would fail it).
TEST(CudaLibraryCallsTest, BiasInF64And16BitEpilogues) {
  for (DType d : {DType::F16, DType::BF16, DType::F64}) {
    Program p = mlpLayer(d, 5, 12, 7, /*relu=*/d != DType::F64);
    CudaPlan plan = planAndRun(p, d == DType::F64 ? 1e-12 : 1e-3);
    ASSERT_EQ(plan.steps[0].kind, StepKind::Gemm) << dtypeName(d);
    EXPECT_EQ(plan.steps[0].gemm.epilogue, d == DType::F64 ? GemmEpilogue::Bias : GemmEpilogue::None);
    EXPECT_EQ(plan.steps[0].epilogue >= 0, d != DType::F64);
    EXPECT_EQ(plan.steps[0].gemm.cdType, d);
  }
  // Relu right after a 16-bit dot commutes with the rounding: taken.
  ProgramBuilder b;
  int32_t x = b.input(T(DType::BF16, {4, 6})), w = b.input(T(DType::BF16, {6, 5}));
  b.beginKernel(KernelKind::Gemm);
  int32_t y = dot(b, x, w, {{}, {}, {1}, {0}}, T(DType::BF16, {4, 5}));
  binary(b, BinaryKind::Max, y, constant(b, T(DType::BF16, {4, 5}), 0.0));
  Program p = finish(b);
  CudaStep s = onlyStep(planAndRun(p, 1e-3));
  ASSERT_EQ(s.kind, StepKind::Gemm);
  EXPECT_EQ(s.gemm.epilogue, GemmEpilogue::Relu);
}

// Operands read transposed through in-kernel transposes and dimension
// numbers: A column-major, B read as B^T.
TEST(CudaLibraryCallsTest, TransposedOperands) {
  ProgramBuilder b;
  int32_t xt = b.input(T(DType::F32, {7, 4})), w = b.input(T(DType::F32, {5, 7}));
  b.beginKernel(KernelKind::Gemm);
  int32_t x = local(b, OpCode::Transpose, {xt}, T(DType::F32, {4, 7}), 0, {1, 0});
  dot(b, x, w, {{}, {}, {1}, {1}}, T(DType::F32, {4, 5}));
  Program p = finish(b);
  CudaStep s = onlyStep(planAndRun(p));
  ASSERT_EQ(s.kind, StepKind::Gemm);
  EXPECT_EQ(s.gemm.a.rowStride, 1);  // column-major A
  EXPECT_EQ(s.gemm.a.colStride, 4);
  EXPECT_EQ(s.gemm.b.rowStride, 1);  // B^T
  EXPECT_EQ(s.gemm.b.colStride, 7);
}

// Attention's scores: [B,H,S,D] x [B,H,D,S] with K given as [B,S,H,D]
// (transposed in the kernel), batch dims {0,1}.
TEST(CudaLibraryCallsTest, AttentionScoresBatched) {
  ProgramBuilder b;
  int32_t q = b.input(T(DType::F32, {2, 3, 5, 4})), kIn = b.input(T(DType::F32, {2, 5, 3, 4}));
  b.beginKernel(KernelKind::Gemm);
  int32_t kt = local(b, OpCode::Transpose, {kIn}, T(DType::F32, {2, 3, 4, 5}), 0, {0, 2, 3, 1});
  int32_t s = dot(b, q, kt, {{0, 1}, {0, 1}, {3}, {2}}, T(DType::F32, {2, 3, 5, 5}));
  binary(b, BinaryKind::Mul, s, constant(b, T(DType::F32, {2, 3, 5, 5}), 0.5));  // scale: generated
  Program p = finish(b);
  CudaStep st = onlyStep(planAndRun(p));
  ASSERT_EQ(st.kind, StepKind::Gemm);
  ASSERT_EQ(st.gemm.batch.size(), 2u);
  EXPECT_EQ(st.gemm.batch[0].count, 2);
  EXPECT_EQ(st.gemm.batch[1].count, 3);
  EXPECT_EQ(st.gemm.batch[1].strideB, 4);  // H's stride in [B,S,H,D]
  EXPECT_GE(st.epilogue, 0);               // the scaling
}

// A rank-3 x rank-2 MatMul broadcast to a batch: B's batch stride is 0.
TEST(CudaLibraryCallsTest, BroadcastOperandHasBatchStrideZero) {
  ProgramBuilder b;
  int32_t x = b.input(T(DType::F32, {3, 4, 6})), w = b.input(T(DType::F32, {6, 5}));
  b.beginKernel(KernelKind::Gemm);
  int32_t wb = local(b, OpCode::BroadcastInDim, {w}, T(DType::F32, {3, 6, 5}), 0, {1, 2});
  dot(b, x, wb, {{0}, {0}, {2}, {1}}, T(DType::F32, {3, 4, 5}));
  Program p = finish(b);
  CudaStep s = onlyStep(planAndRun(p));
  ASSERT_EQ(s.kind, StepKind::Gemm);
  ASSERT_EQ(s.gemm.batch.size(), 1u);
  EXPECT_EQ(s.gemm.batch[0].strideB, 0);
  EXPECT_EQ(s.gemm.batch[0].strideA, 24);
}

// Residual added after the bias and before the relu: C with beta 1.
TEST(CudaLibraryCallsTest, ResidualIsC) {
  ProgramBuilder b;
  int32_t x = b.input(T(DType::F32, {4, 6})), w = b.input(T(DType::F32, {6, 8}));
  int32_t bias = b.input(T(DType::F32, {8})), r = b.input(T(DType::F32, {4, 8}));
  b.beginKernel(KernelKind::Gemm);
  int32_t y = dot(b, x, w, {{}, {}, {1}, {0}}, T(DType::F32, {4, 8}));
  int32_t bb = local(b, OpCode::BroadcastInDim, {bias}, T(DType::F32, {4, 8}), 0, {1});
  int32_t s1 = binary(b, BinaryKind::Add, y, bb);
  int32_t s2 = binary(b, BinaryKind::Add, r, s1);  // the residual on the left
  binary(b, BinaryKind::Max, constant(b, T(DType::F32, {4, 8}), 0.0), s2);
  Program p = finish(b);
  CudaStep s = onlyStep(planAndRun(p));
  ASSERT_EQ(s.kind, StepKind::Gemm);
  EXPECT_EQ(s.gemm.epilogue, GemmEpilogue::BiasRelu);
  EXPECT_EQ(s.gemm.c.value, r);
  EXPECT_EQ(s.gemm.beta, 1.0f);
  EXPECT_EQ(s.epilogue, -1);
}

// An epilogue cuBLASLt does not have (tanh, and an erf GELU): the call takes
// the bias, a generated kernel the rest, in place on the output.
TEST(CudaLibraryCallsTest, OtherEpilogueIsAGeneratedKernelInPlace) {
  ProgramBuilder b;
  int32_t x = b.input(T(DType::F32, {5, 6})), w = b.input(T(DType::F32, {6, 7})), bias = b.input(T(DType::F32, {7}));
  b.beginKernel(KernelKind::Gemm);
  TensorType t = T(DType::F32, {5, 7});
  int32_t y = dot(b, x, w, {{}, {}, {1}, {0}}, t);
  int32_t s = binary(b, BinaryKind::Add, y, local(b, OpCode::BroadcastInDim, {bias}, t, 0, {1}));
  // x/2 * (1 + erf(x / sqrt 2)): the ONNX default GELU, never cuBLASLt's.
  int32_t e = local(b, OpCode::Unary, {binary(b, BinaryKind::Mul, s, constant(b, t, 0.70710678118654752))}, t,
                    uint8_t(UnaryKind::Erf));
  int32_t h = binary(b, BinaryKind::Mul, s, constant(b, t, 0.5));
  binary(b, BinaryKind::Mul, h, binary(b, BinaryKind::Add, e, constant(b, t, 1.0)));
  Program p = finish(b);
  CudaPlan plan = planAndRun(p);
  CudaStep st = onlyStep(plan);
  ASSERT_EQ(st.kind, StepKind::Gemm);
  EXPECT_EQ(st.gemm.epilogue, GemmEpilogue::Bias);
  ASSERT_GE(st.epilogue, 0);
  const CudaKernel& k = plan.kernels[st.epilogue];
  // It reads the output's buffer and writes it.
  EXPECT_EQ(k.args.front(), p.outputs[0]);
  EXPECT_EQ(k.args.back(), p.outputs[0]);
  EXPECT_NE(k.fused.find("erf"), std::string::npos);
}

// Attention's context [B,H,S,D] stored as [B,S,H*D]: the call writes through
// the store's strides; with an op before the store, the epilogue kernel
// reads it back through the inverse of the store.
TEST(CudaLibraryCallsTest, StridedStore) {
  for (bool withTanh : {false, true}) {
    ProgramBuilder b;
    int32_t pr = b.input(T(DType::F32, {2, 3, 4, 4})), v = b.input(T(DType::F32, {2, 3, 4, 5}));
    b.beginKernel(KernelKind::Gemm);
    int32_t c = dot(b, pr, v, {{0, 1}, {0, 1}, {3}, {2}}, T(DType::F32, {2, 3, 4, 5}));
    if (withTanh) c = local(b, OpCode::Unary, {c}, T(DType::F32, {2, 3, 4, 5}), uint8_t(UnaryKind::Tanh));
    int32_t tr = local(b, OpCode::Transpose, {c}, T(DType::F32, {2, 4, 3, 5}), 0, {0, 2, 1, 3});
    local(b, OpCode::Reshape, {tr}, T(DType::F32, {2, 4, 15}));
    Program p = finish(b);
    CudaStep s = onlyStep(planAndRun(p));
    ASSERT_EQ(s.kind, StepKind::Gemm) << withTanh;
    EXPECT_EQ(s.gemm.d.rowStride, 15);  // S's stride in [B,S,H*D]
    EXPECT_EQ(s.gemm.d.colStride, 1);
    ASSERT_EQ(s.gemm.batch.size(), 2u);
    EXPECT_EQ(s.gemm.batch[1].strideD, 5);  // H's
    EXPECT_EQ(s.epilogue >= 0, withTanh);
  }
  // A permutation that is not its own inverse: [B,H,S,D] -> [H,S,B,D] -> [H,S*B*D].
  for (bool withTanh : {false, true}) {
    ProgramBuilder b;
    int32_t pr = b.input(T(DType::F32, {2, 3, 4, 4})), v = b.input(T(DType::F32, {2, 3, 4, 5}));
    b.beginKernel(KernelKind::Gemm);
    int32_t c = dot(b, pr, v, {{0, 1}, {0, 1}, {3}, {2}}, T(DType::F32, {2, 3, 4, 5}));
    if (withTanh) c = local(b, OpCode::Unary, {c}, T(DType::F32, {2, 3, 4, 5}), uint8_t(UnaryKind::Tanh));
    int32_t tr = local(b, OpCode::Transpose, {c}, T(DType::F32, {3, 4, 2, 5}), 0, {1, 2, 0, 3});
    local(b, OpCode::Reshape, {tr}, T(DType::F32, {3, 40}));
    Program p = finish(b);
    CudaStep s = onlyStep(planAndRun(p));
    ASSERT_EQ(s.kind, StepKind::Gemm) << withTanh;
    EXPECT_EQ(s.gemm.d.rowStride, 10);
    ASSERT_EQ(s.gemm.batch.size(), 2u);
    EXPECT_EQ(s.gemm.batch[0].strideD, 5);   // B's
    EXPECT_EQ(s.gemm.batch[1].strideD, 40);  // H's
    EXPECT_EQ(s.epilogue >= 0, withTanh);
  }
}

// Matrix x vector and vector x matrix: m or n is 1 (a dimension with no
// stride of its own).
TEST(CudaLibraryCallsTest, MatrixVectorProducts) {
  {
    ProgramBuilder b;
    int32_t x = b.input(T(DType::F32, {4, 6})), v = b.input(T(DType::F32, {6}));
    b.beginKernel(KernelKind::Gemm);
    dot(b, x, v, {{}, {}, {1}, {0}}, T(DType::F32, {4}));
    Program p = finish(b);
    CudaStep s = onlyStep(planAndRun(p));
    ASSERT_EQ(s.kind, StepKind::Gemm);
    EXPECT_EQ(s.gemm.n, 1);
  }
  {
    ProgramBuilder b;
    int32_t v = b.input(T(DType::F32, {6})), w = b.input(T(DType::F32, {5, 6}));
    b.beginKernel(KernelKind::Gemm);
    dot(b, v, w, {{}, {}, {0}, {1}}, T(DType::F32, {5}));
    Program p = finish(b);
    CudaStep s = onlyStep(planAndRun(p));
    ASSERT_EQ(s.kind, StepKind::Gemm);
    EXPECT_EQ(s.gemm.m, 1);
  }
}

// Views no cuBLASLt layout takes, and integer products, stay generated.
TEST(CudaLibraryCallsTest, InexpressibleViewsStayGenerated) {
  {  // free dims of A that do not nest: [3,2,4] transposed to [2,3,4]
    ProgramBuilder b;
    int32_t x = b.input(T(DType::F32, {3, 2, 4})), w = b.input(T(DType::F32, {4, 5}));
    b.beginKernel(KernelKind::Gemm);
    int32_t xt = local(b, OpCode::Transpose, {x}, T(DType::F32, {2, 3, 4}), 0, {1, 0, 2});
    dot(b, xt, w, {{}, {}, {2}, {0}}, T(DType::F32, {2, 3, 5}));
    Program p = finish(b);
    EXPECT_EQ(onlyStep(planAndRun(p)).kind, StepKind::Kernel);
  }
  {  // an operand computed by an op that is not a view
    ProgramBuilder b;
    int32_t x = b.input(T(DType::F32, {3, 4})), w = b.input(T(DType::F32, {4, 5}));
    b.beginKernel(KernelKind::Gemm);
    int32_t xe = local(b, OpCode::Unary, {x}, T(DType::F32, {3, 4}), uint8_t(UnaryKind::Exp));
    dot(b, xe, w, {{}, {}, {1}, {0}}, T(DType::F32, {3, 5}));
    Program p = finish(b);
    EXPECT_EQ(onlyStep(planAndRun(p)).kind, StepKind::Kernel);
  }
  {  // an output that takes over an input's arena buffer (in place): the call
     // would overwrite what it (or its epilogue) reads
    ProgramBuilder b;
    int32_t x = b.input(T(DType::F32, {4, 4})), w = b.input(T(DType::F32, {4, 4}));
    b.beginKernel(KernelKind::Loop);
    int32_t t = b.output(OpCode::Unary, {x}, T(DType::F32, {4, 4}), 0, uint8_t(UnaryKind::Neg));
    b.endKernel();
    b.beginKernel(KernelKind::Gemm);
    int32_t y = b.output(OpCode::DotGeneral, {t, w}, T(DType::F32, {4, 4}), 0);
    b.program.instrs.back().dot = {{}, {}, {1}, {0}};
    b.endKernel();
    b.beginKernel(KernelKind::Loop);
    int32_t z = b.output(OpCode::Unary, {y}, T(DType::F32, {4, 4}), -1, uint8_t(UnaryKind::Neg));
    b.endKernel();
    b.program.arenaBytes = 256;
    b.program.outputs = {z};
    // (Planned only: the memory planner never makes such a plan, and the
    // elemental dot cannot run in place either.)
    CudaPlan plan = planCuda(b.program, {});
    EXPECT_EQ(plan.steps[1].kind, StepKind::Kernel);
  }
  {  // integers
    ProgramBuilder b;
    int32_t x = b.input(T(DType::I32, {3, 4})), w = b.input(T(DType::I32, {4, 5}));
    b.beginKernel(KernelKind::Gemm);
    dot(b, x, w, {{}, {}, {1}, {0}}, T(DType::I32, {3, 5}));
    Program p = finish(b);
    EXPECT_EQ(onlyStep(planAndRun(p, 0)).kind, StepKind::Kernel);
  }
  {  // an empty contraction (k = 0): the library refuses it
    ProgramBuilder b;
    int32_t x = b.input(T(DType::F32, {3, 0})), w = b.input(T(DType::F32, {0, 5}));
    b.beginKernel(KernelKind::Gemm);
    dot(b, x, w, {{}, {}, {1}, {0}}, T(DType::F32, {3, 5}));
    Program p = finish(b);
    EXPECT_EQ(onlyStep(planAndRun(p)).kind, StepKind::Kernel);
  }
}

// Convolutions: the convolution is one cuDNN call and its epilogue (bias[O]
// + relu, tanh ...) one generated kernel run in place after it (one pass
// over the output, not cuDNN's add and activation passes); groups, strides,
// dilations, 1-D and 3-D; asymmetric padding stays generated.
struct ConvCase {
  Shape x, w, y;
  ConvParams params;
  bool biasRelu = true, tanh = false, bareOutput = false;
};

Program convProgram(const ConvCase& c) {
  ProgramBuilder b;
  int32_t x = b.input(T(DType::F32, c.x)), w = b.input(T(DType::F32, c.w)), bias = b.input(T(DType::F32, {c.w[0]}));
  b.beginKernel(KernelKind::Conv);
  TensorType yt = T(DType::F32, c.y);
  int32_t y = b.local(OpCode::Convolution, {x, w}, yt);
  b.program.instrs.back().conv = c.params;
  if (c.biasRelu) {
    y = binary(b, BinaryKind::Add, y, local(b, OpCode::BroadcastInDim, {bias}, yt, 0, {1}));
    y = binary(b, BinaryKind::Max, y, constant(b, yt, 0.0));
  }
  if (c.tanh) local(b, OpCode::Unary, {y}, yt, uint8_t(UnaryKind::Tanh));
  if (!c.biasRelu && !c.tanh && !c.bareOutput) binary(b, BinaryKind::Mul, y, constant(b, yt, 1.0));  // bias unused: an input still
  return finish(b);
}

TEST(CudaLibraryCallsTest, ConvolutionsBecomeCudnnCalls) {
  std::vector<ConvCase> cases = {
      {{2, 3, 8, 7}, {4, 3, 3, 3}, {2, 4, 8, 7}, {{1, 1}, {1, 1}, {1, 1}, {1, 1}, 1}},       // same padding
      {{1, 4, 9, 9}, {6, 2, 3, 3}, {1, 6, 4, 4}, {{2, 2}, {0, 0}, {0, 0}, {1, 1}, 2}},       // groups, stride
      {{1, 2, 9, 8}, {3, 2, 2, 2}, {1, 3, 9, 5}, {{1, 1}, {1, 0}, {1, 0}, {2, 3}, 1}},       // dilation
      {{2, 3, 11}, {5, 3, 3}, {2, 5, 6}, {{2}, {1}, {1}, {1}, 1}},                          // 1-D
      {{1, 2, 4, 5, 6}, {3, 2, 2, 3, 3}, {1, 3, 3, 3, 4}, {{1, 1, 1}, {0, 0, 0}, {0, 0, 0}, {1, 1, 1}, 1}},  // 3-D
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    Program p = convProgram(cases[i]);
    CudaStep s = onlyStep(planAndRun(p, 1e-4));
    ASSERT_EQ(s.kind, StepKind::Conv) << "case " << i;
    EXPECT_EQ(s.conv.bias, -1) << "case " << i;
    EXPECT_EQ(s.conv.activation, ConvActivation::None) << "case " << i;
    EXPECT_GE(s.epilogue, 0) << "case " << i;
  }
  ConvCase withTanh = cases[0];
  withTanh.tanh = true;
  CudaStep t = onlyStep(planAndRun(convProgram(withTanh), 1e-4));
  ASSERT_EQ(t.kind, StepKind::Conv);
  EXPECT_EQ(t.conv.activation, ConvActivation::None);
  EXPECT_GE(t.epilogue, 0);
  // A convolution with nothing after it needs no epilogue kernel.
  ConvCase bare = cases[0];
  bare.biasRelu = false;
  bare.bareOutput = true;
  CudaStep u = onlyStep(planAndRun(convProgram(bare), 1e-4));
  ASSERT_EQ(u.kind, StepKind::Conv);
  EXPECT_EQ(u.epilogue, -1);

  ConvCase asymmetric = {{1, 2, 6, 6}, {2, 2, 3, 3}, {1, 2, 5, 5}, {{1, 1}, {0, 0}, {1, 1}, {1, 1}, 1}};
  EXPECT_EQ(onlyStep(planAndRun(convProgram(asymmetric), 1e-4)).kind, StepKind::Kernel);
}

}  // namespace
}  // namespace dlc::rt::test
