// The CUDA device's pure mappings, tested without a GPU:
// - GemmCall -> cuBLASLt's column-major problem (GemmLayout.h): layouts,
//   transposes, strided batch and batch loop, checked field by field for
//   hand-derived cases and numerically by simulating cuBLASLt's documented
//   semantics (op(A) x op(B), column-major, leading dimensions, batch
//   strides) against a direct evaluation of the row-major GemmCall;
// - ConvCall -> cuDNN descriptors (ConvLayout.h);
// - the plan checks and the status messages (PlanCheck.h).
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "ProgramBuilder.h"
#include "runtime/cuda/ConvLayout.h"
#include "runtime/cuda/GemmLayout.h"
#include "runtime/cuda/PlanCheck.h"

namespace dlc::rt::cuda {
namespace {

MatrixView rowMajor(int32_t value, int64_t rows, int64_t cols, int64_t offset = 0) {
  return {value, offset, rows, cols, cols, 1};
}
// A rows x cols view of a matrix stored transposed (cols x rows, row-major).
MatrixView colMajor(int32_t value, int64_t rows, int64_t cols, int64_t offset = 0) {
  return {value, offset, rows, cols, 1, rows};
}

GemmCall call(int64_t m, int64_t n, int64_t k, MatrixView a, MatrixView b, MatrixView d) {
  GemmCall g;
  g.m = m;
  g.n = n;
  g.k = k;
  g.a = a;
  g.b = b;
  g.d = d;
  return g;
}

using Buffers = std::map<int32_t, std::vector<double>>;

// D as the GemmCall defines it, in row-major terms, for every batch index.
void evaluateCall(const GemmCall& g, Buffers& buf) {
  std::vector<int64_t> idx(g.batch.size(), 0);
  const Buffers in = buf;  // C may alias D: read the values before the call
  while (true) {
    int64_t oa = g.a.offset, ob = g.b.offset, oc = g.c.offset, od = g.d.offset;
    for (size_t j = 0; j < idx.size(); ++j) {
      oa += idx[j] * g.batch[j].strideA;
      ob += idx[j] * g.batch[j].strideB;
      oc += idx[j] * g.batch[j].strideC;
      od += idx[j] * g.batch[j].strideD;
    }
    for (int64_t i = 0; i < g.m; ++i)
      for (int64_t j = 0; j < g.n; ++j) {
        double s = 0;
        for (int64_t p = 0; p < g.k; ++p)
          s += in.at(g.a.value)[oa + i * g.a.rowStride + p * g.a.colStride] *
               in.at(g.b.value)[ob + p * g.b.rowStride + j * g.b.colStride];
        double v = g.alpha * s;
        if (g.c.value >= 0) v += g.beta * in.at(g.c.value)[oc + i * g.c.rowStride + j * g.c.colStride];
        if (g.bias >= 0) v += in.at(g.bias)[j];
        buf[g.d.value][od + i * g.d.rowStride + j * g.d.colStride] = v;
      }
    size_t j = idx.size();
    while (j > 0 && ++idx[j - 1] == g.batch[j - 1].count) idx[--j] = 0;
    if (j == 0) break;
  }
}

// What cuBLASLt computes for the mapped problem: for each loop index and
// strided-batch index, D = alpha op(A) op(B) + beta C (+ bias along D's
// rows), column-major with leading dimensions.
void simulateLt(const LtGemm& g, double alpha, double beta, Buffers& buf) {
  const Buffers in = buf;
  auto at = [&](const LtMatrix& m, int64_t base, int64_t r, int64_t c) {
    // element (r, c) of op(M)
    return m.transpose ? base + c + r * m.ld : base + r + c * m.ld;
  };
  for (int64_t call = 0; call < g.calls(); ++call) {
    LtGemm::Offsets o = g.loopOffsets(call);
    for (int64_t b = 0; b < g.batchCount; ++b) {
      int64_t ba = g.a.offset + o.a + b * g.a.batchStride, bb = g.b.offset + o.b + b * g.b.batchStride;
      int64_t bc = g.c.offset + o.c + b * g.c.batchStride, bd = g.d.offset + o.d + b * g.d.batchStride;
      for (int64_t i = 0; i < g.m; ++i)
        for (int64_t j = 0; j < g.n; ++j) {
          double s = 0;
          for (int64_t p = 0; p < g.k; ++p)
            s += in.at(g.a.value)[at(g.a, ba, i, p)] * in.at(g.b.value)[at(g.b, bb, p, j)];
          double v = alpha * s;
          if (g.c.value >= 0) v += beta * in.at(g.c.value)[bc + i + j * g.c.ld];
          if (g.bias >= 0) v += in.at(g.bias)[i];
          buf[g.d.value][bd + i + j * g.d.ld] = v;
        }
    }
  }
}

// Fills values with random small integers (sums stay exact in double), then
// compares the two evaluations element by element, D's untouched elements
// included.
void expectSameResult(const GemmCall& g, const std::map<int32_t, int64_t>& sizes) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> dist(-4, 4);
  Buffers init;
  for (const auto& [id, n] : sizes) {
    init[id].resize(static_cast<size_t>(n));
    for (double& v : init[id]) v = dist(rng);
  }
  LtGemm lt = mapGemm(g);
  Buffers want = init, got = init;
  evaluateCall(g, want);
  simulateLt(lt, g.alpha, g.beta, got);
  for (const auto& [id, v] : want)
    for (size_t i = 0; i < v.size(); ++i)
      ASSERT_EQ(v[i], got[id][i]) << "value " << id << " element " << i << ": " << describe(lt);
}

TEST(GemmLayoutTest, RowMajorProductIsSwapped) {
  // D(3x5) = A(3x4) B(4x5), all row-major: cuBLASLt computes D^T = B^T A^T.
  GemmCall g = call(3, 5, 4, rowMajor(0, 3, 4), rowMajor(1, 4, 5), rowMajor(2, 3, 5));
  LtGemm lt = mapGemm(g);
  EXPECT_TRUE(lt.swapped);
  EXPECT_EQ(lt.m, 5);
  EXPECT_EQ(lt.n, 3);
  EXPECT_EQ(lt.k, 4);
  EXPECT_EQ(lt.a.value, 1);  // cuBLASLt's A is our B, stored 5x4 column-major with ld 5
  EXPECT_FALSE(lt.a.transpose);
  EXPECT_EQ(lt.a.rows, 5);
  EXPECT_EQ(lt.a.cols, 4);
  EXPECT_EQ(lt.a.ld, 5);
  EXPECT_EQ(lt.b.value, 0);
  EXPECT_FALSE(lt.b.transpose);
  EXPECT_EQ(lt.b.rows, 4);
  EXPECT_EQ(lt.b.cols, 3);
  EXPECT_EQ(lt.b.ld, 4);
  EXPECT_EQ(lt.d.rows, 5);
  EXPECT_EQ(lt.d.cols, 3);
  EXPECT_EQ(lt.d.ld, 5);
  EXPECT_EQ(lt.c.value, -1);
  EXPECT_EQ(lt.batchCount, 1);
  EXPECT_EQ(lt.calls(), 1);
  expectSameResult(g, {{0, 12}, {1, 20}, {2, 15}});
}

TEST(GemmLayoutTest, TransposedOperandsAreReadTransposed) {
  // A is stored 4x3 (A^T row-major), B stored 5x4: both read transposed.
  GemmCall g = call(3, 5, 4, colMajor(0, 3, 4), colMajor(1, 4, 5), rowMajor(2, 3, 5));
  LtGemm lt = mapGemm(g);
  EXPECT_TRUE(lt.swapped);
  EXPECT_TRUE(lt.a.transpose);  // our B: stored as a 4x5 column-major matrix, ld 4
  EXPECT_EQ(lt.a.rows, 4);
  EXPECT_EQ(lt.a.cols, 5);
  EXPECT_EQ(lt.a.ld, 4);
  EXPECT_TRUE(lt.b.transpose);  // our A: stored as a 3x4 column-major matrix, ld 3
  EXPECT_EQ(lt.b.rows, 3);
  EXPECT_EQ(lt.b.cols, 4);
  EXPECT_EQ(lt.b.ld, 3);
  expectSameResult(g, {{0, 12}, {1, 20}, {2, 15}});
}

TEST(GemmLayoutTest, ColumnMajorResultIsNotSwapped) {
  GemmCall g = call(3, 5, 4, rowMajor(0, 3, 4), colMajor(1, 4, 5), colMajor(2, 3, 5));
  LtGemm lt = mapGemm(g);
  EXPECT_FALSE(lt.swapped);
  EXPECT_EQ(lt.m, 3);
  EXPECT_EQ(lt.n, 5);
  EXPECT_EQ(lt.a.value, 0);
  EXPECT_TRUE(lt.a.transpose);
  EXPECT_FALSE(lt.b.transpose);
  EXPECT_EQ(lt.d.ld, 3);
  expectSameResult(g, {{0, 12}, {1, 20}, {2, 15}});
}

TEST(GemmLayoutTest, PaddedLeadingDimensionsAndOffsets) {
  // Views into larger buffers: row strides beyond the width, non-zero starts.
  GemmCall g = call(2, 3, 4, {0, 5, 2, 4, 7, 1}, {1, 1, 4, 3, 1, 6}, {2, 3, 2, 3, 8, 1});
  LtGemm lt = mapGemm(g);
  EXPECT_EQ(lt.alignA, 4);  // our B starts 1 float in
  EXPECT_EQ(lt.alignD, 4);
  expectSameResult(g, {{0, 40}, {1, 40}, {2, 40}});
}

TEST(GemmLayoutTest, NestedBatchDimensionsCollapseIntoOneStridedBatch) {
  GemmCall g = call(3, 5, 4, rowMajor(0, 3, 4), rowMajor(1, 4, 5), rowMajor(2, 3, 5));
  g.batch = {{2, 3 * 12, 3 * 20, 0, 3 * 15}, {3, 12, 20, 0, 15}};
  LtGemm lt = mapGemm(g);
  EXPECT_EQ(lt.batchCount, 6);
  EXPECT_TRUE(lt.loop.empty());
  EXPECT_EQ(lt.a.batchStride, 20);  // our B's
  EXPECT_EQ(lt.b.batchStride, 12);
  EXPECT_EQ(lt.d.batchStride, 15);
  expectSameResult(g, {{0, 72}, {1, 120}, {2, 90}});
}

TEST(GemmLayoutTest, BroadcastOperandOverTheBatch) {
  // B shared by every product (stride 0): still one strided batch.
  GemmCall g = call(3, 5, 4, rowMajor(0, 3, 4), rowMajor(1, 4, 5), rowMajor(2, 3, 5));
  g.batch = {{2, 36, 0, 0, 45}, {3, 12, 0, 0, 15}};
  LtGemm lt = mapGemm(g);
  EXPECT_EQ(lt.batchCount, 6);
  EXPECT_EQ(lt.a.batchStride, 0);
  expectSameResult(g, {{0, 72}, {1, 20}, {2, 90}});
}

TEST(GemmLayoutTest, BatchDimensionsThatDoNotNestBecomeALoop) {
  // B varies over the inner dimension only (broadcast over the outer one).
  GemmCall g = call(3, 5, 4, rowMajor(0, 3, 4), rowMajor(1, 4, 5), rowMajor(2, 3, 5));
  g.batch = {{2, 36, 0, 0, 45}, {1, 999, 999, 0, 999}, {3, 12, 20, 0, 15}};
  LtGemm lt = mapGemm(g);
  EXPECT_EQ(lt.batchCount, 3);
  ASSERT_EQ(lt.loop.size(), 1u);
  EXPECT_EQ(lt.loop[0].count, 2);
  EXPECT_EQ(lt.loop[0].strideA, 0);  // our B, swapped
  EXPECT_EQ(lt.loop[0].strideB, 36);
  EXPECT_EQ(lt.calls(), 2);
  EXPECT_EQ(lt.loopOffsets(1).d, 45);
  expectSameResult(g, {{0, 72}, {1, 60}, {2, 90}});
}

TEST(GemmLayoutTest, ResidualCAliasingDAndBias) {
  GemmCall g = call(3, 5, 4, rowMajor(0, 3, 4), colMajor(1, 4, 5), rowMajor(2, 3, 5));
  g.c = g.d;
  g.beta = 1.0f;
  g.alpha = 2.0f;
  g.epilogue = GemmEpilogue::Bias;
  g.bias = 3;
  LtGemm lt = mapGemm(g);
  EXPECT_EQ(lt.c.value, 2);
  EXPECT_EQ(lt.c.ld, lt.d.ld);
  EXPECT_EQ(lt.bias, 3);
  expectSameResult(g, {{0, 12}, {1, 20}, {2, 15}, {3, 5}});
}

TEST(GemmLayoutTest, VectorsFitEitherLayout) {
  // m = 1 and n = 1: the size-1 dimension's stride does not matter.
  GemmCall g = call(1, 5, 4, {0, 0, 1, 4, 0, 1}, rowMajor(1, 4, 5), {2, 0, 1, 5, 77, 1});
  expectSameResult(g, {{0, 4}, {1, 20}, {2, 5}});
  GemmCall h = call(3, 1, 4, rowMajor(0, 3, 4), {1, 0, 4, 1, 1, 0}, {2, 0, 3, 1, 1, 0});
  expectSameResult(h, {{0, 12}, {1, 4}, {2, 3}});
}

void expectLayoutError(const GemmCall& g, const std::string& part) {
  try {
    mapGemm(g);
    FAIL() << "accepted: " << part;
  } catch (const GemmLayoutError& e) {
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

TEST(GemmLayoutTest, RefusesWhatCublasLtCannotExpress) {
  GemmCall g = call(3, 5, 4, {0, 0, 3, 4, 8, 2}, rowMajor(1, 4, 5), rowMajor(2, 3, 5));
  expectLayoutError(g, "neither row- nor column-major");
  g = call(3, 5, 4, rowMajor(0, 3, 4), rowMajor(1, 4, 5), colMajor(2, 3, 5));
  g.epilogue = GemmEpilogue::BiasRelu;
  g.bias = 3;
  expectLayoutError(g, "bias epilogue needs a row-major D");
  g = call(3, 5, 4, rowMajor(0, 3, 4), rowMajor(1, 4, 5), rowMajor(2, 3, 5));
  g.batch = {{2, 12, 20, 0, 0}};
  expectLayoutError(g, "same D");
  g = call(3, 5, 4, rowMajor(0, 3, 4), rowMajor(1, 4, 5), rowMajor(2, 3, 5));
  g.c = colMajor(3, 3, 5);
  expectLayoutError(g, "must have D's layout");
  g = call(3, 5, 4, rowMajor(0, 3, 4), rowMajor(1, 4, 6), rowMajor(2, 3, 5));
  expectLayoutError(g, "must be 4x5");
}

// --- cuDNN descriptors -------------------------------------------------------

ConvCall conv(Shape x, Shape w, Shape y, std::vector<int64_t> strides, std::vector<int64_t> pad,
              std::vector<int64_t> dilations, int64_t groups) {
  ConvCall c;
  c.x = 0;
  c.w = 1;
  c.y = 2;
  c.xShape = std::move(x);
  c.wShape = std::move(w);
  c.yShape = std::move(y);
  c.strides = std::move(strides);
  c.padLow = pad;
  c.padHigh = pad;
  c.dilations = std::move(dilations);
  c.groups = groups;
  return c;
}

TEST(ConvLayoutTest, GroupedDilatedPadded2D) {
  // x 2x4x9x8, w 6x2x3x3, groups 2, stride 2x1, pad 1x2, dilation 1x2:
  // R = (9+2-3)/2+1 = 5, (8+4-5)/1+1 = 8.
  CudnnConv d = mapConv(conv({2, 4, 9, 8}, {6, 2, 3, 3}, {2, 6, 5, 8}, {2, 1}, {1, 2}, {1, 2}, 2));
  EXPECT_EQ(d.nbDims, 4);
  EXPECT_EQ(d.xDims, (std::vector<int>{2, 4, 9, 8}));
  EXPECT_EQ(d.xStrides, (std::vector<int>{288, 72, 8, 1}));
  EXPECT_EQ(d.wDims, (std::vector<int>{6, 2, 3, 3}));
  EXPECT_EQ(d.yDims, (std::vector<int>{2, 6, 5, 8}));
  EXPECT_EQ(d.yStrides, (std::vector<int>{240, 40, 8, 1}));
  EXPECT_EQ(d.pad, (std::vector<int>{1, 2}));
  EXPECT_EQ(d.stride, (std::vector<int>{2, 1}));
  EXPECT_EQ(d.dilation, (std::vector<int>{1, 2}));
  EXPECT_EQ(d.groups, 2);
  EXPECT_EQ(d.biasDims, (std::vector<int>{1, 6, 1, 1}));
  EXPECT_EQ(d.biasStrides, (std::vector<int>{6, 1, 1, 1}));
}

TEST(ConvLayoutTest, OneDimensionalBecomesTwoDimensional) {
  CudnnConv d = mapConv(conv({1, 3, 10}, {4, 3, 3}, {1, 4, 4}, {2}, {0}, {1}, 1));
  EXPECT_EQ(d.nbDims, 4);
  EXPECT_EQ(d.xDims, (std::vector<int>{1, 3, 10, 1}));
  EXPECT_EQ(d.wDims, (std::vector<int>{4, 3, 3, 1}));
  EXPECT_EQ(d.yDims, (std::vector<int>{1, 4, 4, 1}));
  EXPECT_EQ(d.pad, (std::vector<int>{0, 0}));
  EXPECT_EQ(d.stride, (std::vector<int>{2, 1}));
  EXPECT_EQ(d.dilation, (std::vector<int>{1, 1}));
}

TEST(ConvLayoutTest, ThreeDimensional) {
  CudnnConv d = mapConv(conv({1, 2, 4, 5, 6}, {3, 2, 3, 3, 3}, {1, 3, 4, 5, 6}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, 1));
  EXPECT_EQ(d.nbDims, 5);
  EXPECT_EQ(d.xStrides, (std::vector<int>{240, 120, 30, 6, 1}));
  EXPECT_EQ(d.biasDims, (std::vector<int>{1, 3, 1, 1, 1}));
}

void expectConvError(const ConvCall& c, const std::string& part) {
  try {
    mapConv(c);
    FAIL() << "accepted: " << part;
  } catch (const ConvLayoutError& e) {
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

TEST(ConvLayoutTest, RefusesWhatCudnnCannotExpress) {
  ConvCall c = conv({1, 3, 8, 8}, {4, 3, 3, 3}, {1, 4, 8, 8}, {1, 1}, {1, 1}, {1, 1}, 1);
  c.padHigh = {2, 1};
  c.yShape = {1, 4, 9, 8};
  expectConvError(c, "asymmetric");
  expectConvError(conv({1, 3, 8, 8}, {4, 3, 3, 3}, {1, 4, 7, 8}, {1, 1}, {1, 1}, {1, 1}, 1),
                  "does not follow");
  expectConvError(conv({1, 4, 8, 8}, {4, 3, 3, 3}, {1, 4, 8, 8}, {1, 1}, {1, 1}, {1, 1}, 2),
                  "group");
  expectConvError(conv({1, 3, 8, 8, 8, 8}, {4, 3, 1, 1, 1, 1}, {1, 4, 8, 8, 8, 8}, {1, 1, 1, 1},
                       {0, 0, 0, 0}, {1, 1, 1, 1}, 1),
                  "1 to 3");
}

// --- plan checks and status messages ------------------------------------------

using test::gatherProgram;
using test::ProgramBuilder;


CudaPlan gatherPlan() {
  CudaPlan plan;
  CudaKernel k;
  k.name = "k0_gather";
  k.grid = {1, 1, 1};
  k.block = {128, 1, 1};
  k.args = {0, 1, 2};
  plan.kernels.push_back(k);
  CudaStep s;
  s.programKernel = 0;
  s.kernel = 0;
  plan.steps.push_back(s);
  return plan;
}

void expectPlanError(const Program& p, const CudaPlan& plan, const std::string& part) {
  try {
    verifyPlan(p, plan);
    FAIL() << "accepted: " << part;
  } catch (const InvalidProgram& e) {
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

TEST(PlanCheckTest, AcceptsAndRefuses) {
  Program p = gatherProgram();
  verifyPlan(p, gatherPlan());
  CudaPlan plan = gatherPlan();
  plan.steps.clear();
  expectPlanError(p, plan, "0 steps for 1 Program kernels");
  plan = gatherPlan();
  plan.kernels[0].args.push_back(9);
  expectPlanError(p, plan, "value 9");
  plan = gatherPlan();
  plan.kernels[0].block = {2048, 1, 1};
  expectPlanError(p, plan, "1 to 1024 threads");
  plan = gatherPlan();
  plan.steps[0].kernel = 3;
  expectPlanError(p, plan, "step 0 (node 'Gather_3') names kernel 3");
}

TEST(PlanCheckTest, GemmViewsMustStayInsideTheirValues) {
  ProgramBuilder b;
  int32_t a = b.input({DType::F32, {3, 4}});
  int32_t w = b.input({DType::F32, {4, 5}});
  b.beginKernel(KernelKind::Gemm);
  int32_t y = b.output(OpCode::DotGeneral, {a, w}, {DType::F32, {3, 5}});
  b.endKernel();
  b.program.outputs = {y};
  CudaPlan plan;
  CudaStep s;
  s.kind = StepKind::Gemm;
  s.programKernel = 0;
  s.gemm = call(3, 5, 4, rowMajor(a, 3, 4), rowMajor(w, 4, 5), rowMajor(y, 3, 5));
  plan.steps.push_back(s);
  verifyPlan(b.program, plan);
  plan.steps[0].gemm.d.offset = 1;
  expectPlanError(b.program, plan, "GEMM result D reaches elements [1, 15]");
  plan.steps[0].gemm.d.offset = 0;
  plan.steps[0].gemm.batch = {{2, 0, 0, 0, 15}};
  expectPlanError(b.program, plan, "GEMM result D reaches elements [0, 29]");
  plan.steps[0].gemm.batch.clear();
  plan.steps[0].gemm.aType = DType::F16;
  expectPlanError(b.program, plan, "GEMM operand A is f16");
}

TEST(PlanCheckTest, StatusMessagesNameTheFailingOp) {
  Program p = gatherProgram();
  EXPECT_EQ(statusMessage(p, p.kernels[0], 1),
            "node 'Gather_3': gather: an index is out of range for dimension 1 of size 5");
  EXPECT_EQ(statusMessage(p, p.kernels[0], 2), "node 'Gather_3': integer division by zero");
  EXPECT_NE(statusMessage(p, p.kernels[0], 42).find("status 42"), std::string::npos);
}

}  // namespace
}  // namespace dlc::rt::cuda
