// codegen/cuda: the generated module against the host device. Each test
// builds a Program by hand, plans it for CUDA, runs the plan's module
// compiled by the host C++ compiler (test/cuda/EmulatedDevice) and compares
// every output with runOnHost on the same random inputs. Plus the emitter's
// shape of code: names, comments, index types, no #include in the CUDA branch.
#include <gtest/gtest.h>

#include <optional>

#include "ProgramBuilder.h"
#include "codegen/cuda/PlanCuda.h"
#include "codegen/cuda/Prelude.h"
#include "runtime/host/HostDevice.h"
#include "test/cuda/EmulatedDevice.h"

namespace dlc::rt::test {
namespace {

using dlc::codegen::CudaTarget;
using dlc::codegen::planCuda;

TensorType T(DType d, Shape s) { return {d, std::move(s)}; }

// Runs `p` on the host and emulated; every output must agree.
void expectSame(const Program& p, double rtol = 1e-5, double atol = 1e-6,
                const std::vector<HostTensor>& given = {}, CudaTarget target = {}) {
  CudaPlan plan = planCuda(p, target);
  std::vector<HostTensor> random;
  if (given.empty()) random = dlc::test::randomInputs(p, 7);
  const std::vector<HostTensor>& inputs = given.empty() ? random : given;
  std::vector<HostTensor> want = runOnHost(p, inputs);
  std::vector<HostTensor> got = dlc::test::runEmulated(p, plan, inputs);
  ASSERT_EQ(want.size(), got.size());
  for (size_t i = 0; i < want.size(); ++i) {
    std::string diff = dlc::test::compareTensors(want[i], got[i], rtol, atol);
    EXPECT_EQ(diff, "") << "output " << i << "\n" << plan.source.substr(plan.source.find("//===--- kernels"));
  }
}

// A program of one kernel with one instruction over fresh inputs.
Program single(OpCode op, std::vector<TensorType> ins, TensorType out, uint8_t kind = 0,
               std::function<void(Instr&)> setup = {}) {
  ProgramBuilder b;
  std::vector<int32_t> ids;
  for (auto& t : ins) ids.push_back(b.input(t));
  b.beginKernel(op == OpCode::Reduce ? KernelKind::Reduction
                : op == OpCode::Argsort ? KernelKind::Sort
                : op == OpCode::Scatter ? KernelKind::Scatter : KernelKind::Loop);
  int32_t r = b.output(op, ids, out, -1, kind);
  if (setup) setup(b.program.instrs.back());
  b.endKernel();
  b.program.outputs = {r};
  return std::move(b.program);
}

// Many one-op kernels in one Program, so that one module (one host compile)
// covers a whole table of ops and dtypes. `nonzero` inputs get no zeros.
struct Batch {
  ProgramBuilder b;
  std::vector<std::string> names;
  std::vector<int32_t> nonzero;
  void add(std::string name, OpCode op, std::vector<TensorType> ins, TensorType out, uint8_t kind = 0,
           bool nonzeroLast = false) {
    std::vector<int32_t> ids;
    for (auto& t : ins) ids.push_back(b.input(t));
    if (nonzeroLast) nonzero.push_back(static_cast<int32_t>(b.program.inputs.size() - 1));
    b.beginKernel();
    b.program.outputs.push_back(b.output(op, ids, out, -1, kind));
    b.endKernel();
    names.push_back(std::move(name));
  }
  void check(double rtolF16, double rtol32) {
    Program& p = b.program;
    CudaPlan plan = planCuda(p, {});
    std::vector<HostTensor> in = dlc::test::randomInputs(p, 11);
    for (int32_t i : nonzero)
      for (int64_t e = 0; e < in[i].numElements(); ++e)
        if (loadAsDouble(in[i].cref(), e) == 0) storeFromDouble(in[i].ref(), e, 3);
    std::vector<HostTensor> want = runOnHost(p, in), got = dlc::test::runEmulated(p, plan, in);
    for (size_t i = 0; i < want.size(); ++i) {
      DType d = want[i].dtype();
      double tol = d == DType::F16 || d == DType::BF16 ? rtolF16 : rtol32;
      EXPECT_EQ(dlc::test::compareTensors(want[i], got[i], tol, tol), "") << names[i];
    }
  }
};

const DType kFloats[] = {DType::F32, DType::F16, DType::BF16, DType::F64};
const DType kInts[] = {DType::I64, DType::I32, DType::I16, DType::I8,
                       DType::U8, DType::U16, DType::U32, DType::U64};

TEST(CudaCodegenTest, FloatUnaryEveryKind) {
  Batch batch;
  for (DType d : kFloats)
    for (int k = 0; k <= int(UnaryKind::Sign); ++k)
      batch.add(std::string(dtypeName(d)) + " " + std::string(unaryKindName(UnaryKind(k))), OpCode::Unary,
                {T(d, {3, 5})}, T(d, {3, 5}), uint8_t(k));
  batch.check(1e-2, 1e-6);
}

TEST(CudaCodegenTest, IntUnaryAndBinaryEveryKind) {
  Batch batch;
  for (DType d : kInts) {
    for (UnaryKind k : {UnaryKind::Neg, UnaryKind::Abs, UnaryKind::Sign, UnaryKind::Not})
      batch.add(std::string(dtypeName(d)) + " " + std::string(unaryKindName(k)), OpCode::Unary, {T(d, {17})},
                T(d, {17}), uint8_t(k));
    for (int k = 0; k <= int(BinaryKind::ShiftRight); ++k) {
      auto kind = BinaryKind(k);
      if (kind == BinaryKind::Atan2) continue;
      batch.add(std::string(dtypeName(d)) + " " + std::string(binaryKindName(kind)), OpCode::Binary,
                {T(d, {4, 6}), T(d, {4, 6})}, T(d, {4, 6}), uint8_t(k),
                kind == BinaryKind::Div || kind == BinaryKind::Rem);
    }
  }
  for (BinaryKind k : {BinaryKind::And, BinaryKind::Or, BinaryKind::Xor, BinaryKind::Max, BinaryKind::Min})
    batch.add("i1 " + std::string(binaryKindName(k)), OpCode::Binary, {T(DType::I1, {9}), T(DType::I1, {9})},
              T(DType::I1, {9}), uint8_t(k));
  batch.add("i1 not", OpCode::Unary, {T(DType::I1, {9})}, T(DType::I1, {9}), uint8_t(UnaryKind::Not));
  batch.check(0, 0);
}

TEST(CudaCodegenTest, FloatBinaryCompareSelect) {
  Batch batch;
  for (DType d : kFloats) {
    std::string n(dtypeName(d));
    for (BinaryKind k : {BinaryKind::Add, BinaryKind::Sub, BinaryKind::Mul, BinaryKind::Div, BinaryKind::Pow,
                         BinaryKind::Max, BinaryKind::Min, BinaryKind::Rem, BinaryKind::Atan2})
      batch.add(n + " " + std::string(binaryKindName(k)), OpCode::Binary, {T(d, {2, 9}), T(d, {2, 9})},
                T(d, {2, 9}), uint8_t(k));
    for (int k = 0; k < 6; ++k)
      batch.add(n + " compare", OpCode::Compare, {T(d, {11}), T(d, {11})}, T(DType::I1, {11}), uint8_t(k));
    batch.add(n + " select", OpCode::Select, {T(DType::I1, {11}), T(d, {11}), T(d, {11})}, T(d, {11}));
  }
  batch.check(1e-2, 1e-6);
}

TEST(CudaCodegenTest, ConvertAndBitcastEveryPair) {
  std::vector<DType> all = {DType::F32, DType::F16, DType::BF16, DType::F64, DType::I64, DType::I32,
                            DType::I8, DType::I1, DType::I16, DType::U8, DType::U16, DType::U32, DType::U64};
  Batch batch;
  for (DType from : all)
    for (DType to : all) {
      std::string n = std::string(dtypeName(from)) + " -> " + std::string(dtypeName(to));
      batch.add("convert " + n, OpCode::Convert, {T(from, {13})}, T(to, {13}));
      if (dtypeSize(from) == dtypeSize(to) && from != DType::I1 && to != DType::I1)
        batch.add("bitcast " + n, OpCode::BitcastConvert, {T(from, {13})}, T(to, {13}));
    }
  // Large values: saturation and rounding.
  for (DType to : all) {
    Program dummy;
    batch.add("convert big f64 -> " + std::string(dtypeName(to)), OpCode::Convert, {T(DType::F64, {13})},
              T(to, {13}));
  }
  batch.check(0, 0);
}

TEST(CudaCodegenTest, DataMovement) {
  DType f = DType::F32;
  expectSame(single(OpCode::BroadcastInDim, {T(f, {3, 1})}, T(f, {2, 3, 4}), 0,
                    [](Instr& i) { i.dims = {1, 2}; }));
  expectSame(single(OpCode::Reshape, {T(f, {6, 4})}, T(f, {2, 3, 4})));
  expectSame(single(OpCode::Transpose, {T(DType::F16, {2, 3, 4})}, T(DType::F16, {4, 2, 3}), 0,
                    [](Instr& i) { i.dims = {2, 0, 1}; }));
  expectSame(single(OpCode::Slice, {T(f, {7, 9})}, T(f, {3, 4}), 0, [](Instr& i) {
    i.start = {1, 0}; i.limit = {7, 8}; i.strides = {2, 2};
  }));
  expectSame(single(OpCode::Concatenate, {T(f, {2, 3}), T(f, {2, 0}), T(f, {2, 5})}, T(f, {2, 8}), 0,
                    [](Instr& i) { i.axis = 1; }));
  expectSame(single(OpCode::Pad, {T(f, {3, 4}), T(f, {})}, T(f, {7, 9}), 0, [](Instr& i) {
    i.low = {1, -1}; i.high = {1, 1}; i.interior = {1, 2};
  }));
  expectSame(single(OpCode::Reverse, {T(DType::I8, {3, 4})}, T(DType::I8, {3, 4}), 0,
                    [](Instr& i) { i.dims = {0, 1}; }));
  expectSame(single(OpCode::Iota, {}, T(DType::F16, {3, 5}), 0, [](Instr& i) { i.axis = 1; }));
}

TEST(CudaCodegenTest, GatherAndItsIndexCheck) {
  Program p = single(OpCode::Gather, {T(DType::F32, {5, 4}), T(DType::I64, {2, 3})}, T(DType::F32, {5, 2, 3}), 0,
                     [](Instr& i) { i.axis = 1; });
  std::vector<HostTensor> in = dlc::test::randomInputs(p, 1);
  int64_t idx[] = {0, -1, 3, 2, -4, 1};
  std::memcpy(in[1].data(), idx, sizeof idx);
  expectSame(p, 0, 0, in);
  idx[4] = 4;  // out of range
  std::memcpy(in[1].data(), idx, sizeof idx);
  CudaPlan plan = planCuda(p, {});
  EXPECT_THROW(dlc::test::runEmulated(p, plan, in), RunError);
}

TEST(CudaCodegenTest, IntegerDivisionByZeroSetsStatus) {
  Program p = single(OpCode::Binary, {T(DType::I32, {4}), T(DType::I32, {4})}, T(DType::I32, {4}),
                     uint8_t(BinaryKind::Div));
  std::vector<HostTensor> in = dlc::test::randomInputs(p, 1);
  std::memset(in[1].data(), 0, 16);
  EXPECT_THROW(dlc::test::runEmulated(p, planCuda(p, {}), in), RunError);
}

TEST(CudaCodegenTest, ReduceEveryKindAndDtype) {
  for (DType d : {DType::F32, DType::F16, DType::F64, DType::I32, DType::U8, DType::I1})
    for (int k = 0; k < 4; ++k) {
      SCOPED_TRACE(std::string(dtypeName(d)) + " " + std::string(reduceKindName(ReduceKind(k))));
      if (d == DType::I1) continue;
      double tol = d == DType::F16 ? 1e-2 : 1e-5;
      expectSame(single(OpCode::Reduce, {T(d, {3, 4, 5})}, T(d, {4}), uint8_t(k),
                        [](Instr& i) { i.dims = {0, 2}; }), tol, tol);
    }
}

TEST(CudaCodegenTest, DotGeneralBatched) {
  for (DType d : {DType::F32, DType::BF16, DType::I32}) {
    Program p = single(OpCode::DotGeneral, {T(d, {2, 3, 4}), T(d, {2, 5, 3})}, T(d, {2, 4, 5}), 0,
                       [](Instr& i) { i.dot = {{0}, {0}, {1}, {2}}; });
    expectSame(p, d == DType::BF16 ? 2e-2 : 1e-5, 1e-5);
  }
}

TEST(CudaCodegenTest, ConvolutionGroupsStridesPadding) {
  Program p = single(OpCode::Convolution, {T(DType::F32, {2, 4, 7, 6}), T(DType::F32, {6, 2, 3, 2})},
                     T(DType::F32, {2, 6, 4, 4}), 0, [](Instr& i) {
                       i.conv = {{2, 2}, {1, 1}, {1, 1}, {1, 2}, 2};
                     });
  expectSame(p, 1e-5, 1e-5);
}

TEST(CudaCodegenTest, ReduceWindowMaxAndSum) {
  for (int k : {0, 1}) {
    Program p = single(OpCode::ReduceWindow, {T(DType::F32, {1, 2, 5, 5})}, T(DType::F32, {1, 2, 3, 3}),
                       uint8_t(k), [](Instr& i) {
                         i.window = {{1, 1, 3, 3}, {1, 1, 2, 2}, {0, 0, 1, 1}, {0, 0, 1, 1}, {1, 1, 1, 1}};
                       });
    expectSame(p, 1e-5, 1e-5);
  }
}

TEST(CudaCodegenTest, ArgsortStableBothDirections) {
  for (uint8_t desc : {0, 1}) {
    Program p = single(OpCode::Argsort, {T(DType::F32, {3, 6, 2})}, T(DType::I64, {3, 6, 2}), desc,
                       [](Instr& i) { i.axis = 1; });
    std::vector<HostTensor> in = dlc::test::randomInputs(p, 2);
    float* x = in[0].as<float>();
    x[0] = x[2] = x[4] = 1.0f;  // ties
    x[6] = std::numeric_limits<float>::quiet_NaN();
    x[8] = -0.0f, x[10] = 0.0f;
    expectSame(p, 0, 0, in);
  }
}

TEST(CudaCodegenTest, ScatterEveryKindInIndexOrder) {
  for (int k = 0; k <= int(ScatterKind::Replace); ++k) {
    Program p = single(OpCode::Scatter, {T(DType::F32, {3, 5}), T(DType::I32, {4}), T(DType::F32, {3, 4})},
                       T(DType::F32, {3, 5}), uint8_t(k), [](Instr& i) { i.axis = 1; });
    std::vector<HostTensor> in = dlc::test::randomInputs(p, 4);
    int32_t idx[] = {1, -1, 1, 0};  // a duplicate
    std::memcpy(in[1].data(), idx, sizeof idx);
    expectSame(p, 1e-6, 1e-6, in);
  }
}

// A fused kernel with locals, two outputs of different counts (a row
// kernel) and a second kernel computing in place in the arena.
TEST(CudaCodegenTest, FusedSoftmaxRowKernelAndInPlaceLoop) {
  ProgramBuilder b;
  TensorType full = T(DType::F32, {4, 7}), row = T(DType::F32, {4});
  int32_t x = b.input(full);
  b.beginKernel(KernelKind::Reduction);
  int32_t mx = b.output(OpCode::Reduce, {x}, row, 0, uint8_t(ReduceKind::Max));
  b.program.instrs.back().dims = {1};
  int32_t bm = b.local(OpCode::BroadcastInDim, {mx}, full);
  b.program.instrs.back().dims = {0};
  int32_t sub = b.local(OpCode::Binary, {x, bm}, full, uint8_t(BinaryKind::Sub));
  int32_t ex = b.local(OpCode::Unary, {sub}, full, uint8_t(UnaryKind::Exp));
  int32_t sum = b.local(OpCode::Reduce, {ex}, row, uint8_t(ReduceKind::Sum));
  b.program.instrs.back().dims = {1};
  int32_t bs = b.local(OpCode::BroadcastInDim, {sum}, full);
  b.program.instrs.back().dims = {0};
  int32_t sm = b.output(OpCode::Binary, {ex, bs}, full, 256, uint8_t(BinaryKind::Div));
  b.endKernel();
  b.beginKernel(KernelKind::Loop);
  int32_t y = b.output(OpCode::Unary, {sm}, full, 256, uint8_t(UnaryKind::Neg));  // in place
  b.endKernel();
  b.program.arenaBytes = 512;
  b.program.outputs = {y, mx};
  expectSame(b.program, 1e-5, 1e-6);
}

// The source of kernel `name` (its comment through its trampoline).
std::string kernelSource(const CudaPlan& plan, const std::string& name) {
  size_t at = plan.source.find("// " + name + ":");
  if (at == std::string::npos) return "";
  return plan.source.substr(at, plan.source.find("#endif", at) - at);
}

// A row-reduction kernel over the innermost `dims` of `full`. Floats:
// softmax (max, exp-sum, divide) writing the per-element result, the row max
// and the row's log-sum-exp. Integers: sum, max and min of the row, writing
// x * max - sum per element and the three per row. Broadcasts of a row value
// take the reduced form, or with keepDims a reshape to the kept-1 shape and
// an identity broadcast.
Program rowKernel(DType d, Shape full, std::vector<int64_t> dims, bool keepDims) {
  ProgramBuilder b;
  Shape row, keep = full;
  std::vector<int64_t> kept;
  for (size_t i = 0; i < full.size(); ++i) {
    if (std::find(dims.begin(), dims.end(), int64_t(i)) != dims.end()) {
      keep[i] = 1;
      continue;
    }
    row.push_back(full[i]);
    kept.push_back(int64_t(i));
  }
  std::vector<int64_t> identity;
  for (size_t i = 0; i < full.size(); ++i) identity.push_back(int64_t(i));
  int32_t x = b.input(T(d, full));
  b.beginKernel(KernelKind::Reduction);
  auto reduce = [&](ReduceKind k, int32_t v, bool out) {
    int32_t r = out ? b.output(OpCode::Reduce, {v}, T(d, row), -1, uint8_t(k))
                    : b.local(OpCode::Reduce, {v}, T(d, row), uint8_t(k));
    b.program.instrs.back().dims = dims;
    return r;
  };
  auto spread = [&](int32_t r) {
    if (keepDims) {
      r = b.local(OpCode::Reshape, {r}, T(d, keep));
      int32_t s = b.local(OpCode::BroadcastInDim, {r}, T(d, full));
      b.program.instrs.back().dims = identity;
      return s;
    }
    int32_t s = b.local(OpCode::BroadcastInDim, {r}, T(d, full));
    b.program.instrs.back().dims = kept;
    return s;
  };
  auto binary = [&](BinaryKind k, int32_t a, int32_t c, bool out, TensorType t) {
    return out ? b.output(OpCode::Binary, {a, c}, t, -1, uint8_t(k)) : b.local(OpCode::Binary, {a, c}, t, uint8_t(k));
  };
  if (isFloat(d)) {
    int32_t mx = reduce(ReduceKind::Max, x, true);
    int32_t sub = binary(BinaryKind::Sub, x, spread(mx), false, T(d, full));
    int32_t ex = b.local(OpCode::Unary, {sub}, T(d, full), uint8_t(UnaryKind::Exp));
    int32_t sum = reduce(ReduceKind::Sum, ex, false);
    int32_t sm = binary(BinaryKind::Div, ex, spread(sum), true, T(d, full));
    int32_t lg = b.local(OpCode::Unary, {sum}, T(d, row), uint8_t(UnaryKind::Log));
    int32_t lse = binary(BinaryKind::Add, lg, mx, true, T(d, row));
    b.program.outputs = {sm, mx, lse};
  } else {
    int32_t sum = reduce(ReduceKind::Sum, x, true);
    int32_t mx = reduce(ReduceKind::Max, x, true);
    int32_t mn = reduce(ReduceKind::Min, x, true);
    int32_t y = binary(BinaryKind::Sub, binary(BinaryKind::Mul, x, spread(mx), false, T(d, full)), spread(sum), true,
                       T(d, full));
    b.program.outputs = {y, sum, mx, mn};
  }
  b.endKernel();
  return std::move(b.program);
}

// Row lengths around the warp size and long rows (a warp per row, several
// rows per warp, a block per row), several rows, both broadcast forms,
// outputs per element and per row; the kernel is the row kernel.
TEST(CudaCodegenTest, RowReductionLengths) {
  struct Case { int64_t rows, len; bool keepDims; CudaTarget target; const char* shape; };
  CudaTarget few;
  few.smCount = 1;  // 300 rows fill it: a warp per row even for long rows
  for (Case c : {Case{5, 1, false, {}, "tid % 32 / 1;"}, Case{3, 31, true, {}, "tid % 32 / 32"},
                 Case{70, 32, false, {}, "dlc_shfl_xor(racc1, 16)"}, Case{4, 33, true, {}, "dlc_shfl_xor(racc1, 16)"},
                 Case{3, 1000, false, {}, "__syncthreads"}, Case{300, 1000, true, few, "rcache0[32]"},
                 Case{2, 5000, true, {}, "__launch_bounds__(512)"}, Case{9, 6, false, {}, "tid % 32 / 8"}}) {
    SCOPED_TRACE(std::to_string(c.rows) + " rows of " + std::to_string(c.len));
    Program p = rowKernel(DType::F32, {c.rows, c.len}, {1}, c.keepDims);
    CudaPlan plan = planCuda(p, c.target);
    std::string src = kernelSource(plan, plan.kernels[0].name);
    EXPECT_NE(src.find(c.shape), std::string::npos) << src;
    expectSame(p, 1e-5, 1e-6, {}, c.target);
  }
}

// f16/bf16/f64 softmax rows and i32/i8/u16 rows (exact), reduced over the
// two innermost dims with size-1 dims among them.
TEST(CudaCodegenTest, RowReductionDtypes) {
  for (DType d : {DType::F16, DType::BF16, DType::F64, DType::I32, DType::I8, DType::U16}) {
    SCOPED_TRACE(std::string(dtypeName(d)));
    double tol = d == DType::F16 || d == DType::BF16 ? 2e-2 : d == DType::F64 ? 1e-12 : 0;
    expectSame(rowKernel(d, {3, 1, 5, 1, 7}, {2, 3, 4}, false), tol, tol);
    expectSame(rowKernel(d, {2, 40}, {1}, true), tol, tol);
  }
  // i1 rows: any/all combine with || and &&, whose short circuit must not
  // skip a lane's shuffle (a hang, in the emulation as on the GPU).
  for (ReduceKind k : {ReduceKind::Max, ReduceKind::Min}) {
    Program p = single(OpCode::Reduce, {T(DType::I1, {40, 2})}, T(DType::I1, {40}), uint8_t(k),
                       [](Instr& i) { i.dims = {1}; });
    expectSame(p, 0, 0);
  }
}

// Reductions over outer dims (a column reduction) and kernels whose row
// values are not aligned with their rows keep the elemental path.
TEST(CudaCodegenTest, RowReductionConditions) {
  Program columns = rowKernel(DType::F32, {6, 33}, {0}, false);
  EXPECT_EQ(planCuda(columns, {}).source.find("dlc_shfl_xor(racc"), std::string::npos);
  expectSame(columns, 1e-5, 1e-6);
  // A transpose of the softmax inside the kernel reads other rows.
  ProgramBuilder b;
  int32_t x = b.input(T(DType::F32, {4, 4}));
  b.beginKernel(KernelKind::Reduction);
  int32_t s = b.local(OpCode::Reduce, {x}, T(DType::F32, {4}), uint8_t(ReduceKind::Sum));
  b.program.instrs.back().dims = {1};
  int32_t bs = b.local(OpCode::BroadcastInDim, {s}, T(DType::F32, {4, 4}));
  b.program.instrs.back().dims = {0};
  int32_t t = b.local(OpCode::Transpose, {bs}, T(DType::F32, {4, 4}));
  b.program.instrs.back().dims = {1, 0};
  int32_t y = b.output(OpCode::Binary, {x, t}, T(DType::F32, {4, 4}), -1, uint8_t(BinaryKind::Div));
  b.endKernel();
  b.program.outputs = {y};
  EXPECT_EQ(planCuda(b.program, {}).source.find("dlc_shfl_xor(racc"), std::string::npos);
  expectSame(b.program, 1e-5, 1e-6);
}

// A loop kernel of contiguous values: x * reshape(y) + broadcast(scalar s)
// written as d, compared with x (an i1 output) and, with `to`, converted.
// `offset`: the first output's arena offset (-1: a buffer of its own).
Program contiguousLoop(DType d, Shape shape, std::optional<DType> to, int64_t offset = -1) {
  ProgramBuilder b;
  int64_t n = 1;
  for (int64_t x : shape) n *= x;
  int32_t x = b.input(T(d, shape)), y = b.input(T(d, {n})), s = b.input(T(d, {}));
  b.beginKernel();
  int32_t ry = b.local(OpCode::Reshape, {y}, T(d, shape));
  int32_t bs = b.local(OpCode::BroadcastInDim, {s}, T(d, shape));
  int32_t t = b.local(OpCode::Binary, {x, ry}, T(d, shape), uint8_t(BinaryKind::Mul));
  int32_t u = b.output(OpCode::Binary, {t, bs}, T(d, shape), offset, uint8_t(BinaryKind::Add));
  int32_t c = b.output(OpCode::Compare, {u, x}, T(DType::I1, shape), -1, uint8_t(CompareKind::GT));
  b.program.outputs = {u, c};
  if (to) b.program.outputs.push_back(b.output(OpCode::Convert, {u}, T(*to, shape)));
  b.endKernel();
  b.program.arenaBytes = offset >= 0 ? offset + n * 8 : 0;
  return std::move(b.program);
}

// 16 bytes of the widest type per thread, a scalar tail, every dtype width;
// inputs whose addresses are not aligned take the scalar loop (the
// emulation aborts on a misaligned vector access, as the GPU faults).
TEST(CudaCodegenTest, VectorisedLoops) {
  struct Case { DType d; Shape shape; std::optional<DType> to; const char* vector; };
  for (Case c : {Case{DType::F32, {3, 1367}, DType::F16, "dlc_ldv<4>"}, Case{DType::F16, {5, 203}, {}, "dlc_ldv<8>"},
                 Case{DType::BF16, {2, 20}, DType::F32, "dlc_ldv<4>"}, Case{DType::F64, {3, 3}, {}, "dlc_ldv<2>"},
                 Case{DType::I32, {4, 9}, DType::I64, "dlc_ldv<2>"}, Case{DType::U8, {1, 70}, {}, "dlc_ldv<8>"}}) {
    SCOPED_TRACE(std::string(dtypeName(c.d)));
    Program p = contiguousLoop(c.d, c.shape, c.to);
    CudaPlan plan = planCuda(p, {});
    EXPECT_NE(kernelSource(plan, plan.kernels[0].name).find(c.vector), std::string::npos);
    double tol = c.d == DType::F16 || c.d == DType::BF16 ? 1e-2 : 1e-6;
    expectSame(p, tol, tol);
  }
  for (unsigned offset : {4u, 8u, 16u}) {
    SCOPED_TRACE("inputs " + std::to_string(offset) + " bytes past an aligned address");
    Program p = contiguousLoop(DType::F32, {4, 65}, {}, 256);
    CudaPlan plan = planCuda(p, {});
    std::vector<HostTensor> in = dlc::test::randomInputs(p, 5);
    dlc::test::EmulationOptions options;
    options.inputByteOffset = offset;
    std::vector<HostTensor> want = runOnHost(p, in), got = dlc::test::runEmulated(p, plan, in, options);
    for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(dlc::test::compareTensors(want[i], got[i], 1e-6, 1e-6), "");
  }
  // A transpose reads another element than it writes: elemental.
  Program moved = single(OpCode::Transpose, {T(DType::F32, {8, 8})}, T(DType::F32, {8, 8}), 0,
                         [](Instr& i) { i.dims = {1, 0}; });
  CudaPlan movedPlan = planCuda(moved, {});
  EXPECT_EQ(kernelSource(movedPlan, movedPlan.kernels[0].name).find("dlc_ldv"), std::string::npos);
}

// Broadcasts of a tensor in memory stay on the vector path: a bias [C]
// (through a reshape to [1,C,1,1]) over [N,C,H,W], whose C changes once per
// H*W elements (one load per vector when H*W is a multiple of the lanes,
// one per element otherwise), and a bias over the last dimension (a load
// per element).
Program biasLoop(DType d, Shape shape, int64_t axis) {
  ProgramBuilder b;
  TensorType t = T(d, shape);
  int32_t x = b.input(t), bias = b.input(T(d, {shape[static_cast<size_t>(axis)]}));
  b.beginKernel();
  int32_t from = bias;
  std::vector<int64_t> dims{axis};
  if (axis == 1 && shape.size() == 4) {
    from = b.local(OpCode::Reshape, {bias}, T(d, {1, shape[1], 1, 1}));
    dims = {0, 1, 2, 3};
  }
  int32_t spread = b.local(OpCode::BroadcastInDim, {from}, t);
  b.program.instrs.back().dims = dims;
  int32_t sum = b.local(OpCode::Binary, {x, spread}, t, uint8_t(BinaryKind::Add));
  int32_t zero = b.constant(HostTensor(t));  // a splat: a literal in the kernel
  b.output(OpCode::Binary, {sum, zero}, t, -1, uint8_t(BinaryKind::Max));
  b.endKernel();
  b.program.outputs = {b.program.instrs.back().result};
  return std::move(b.program);
}

TEST(CudaCodegenTest, VectorisedLoopsReadBroadcastsOfMemory) {
  struct Case { DType d; Shape shape; int64_t axis; bool oneLoadPerVector; };
  for (Case c : {Case{DType::F32, {2, 3, 4, 5}, 1, true}, Case{DType::F32, {2, 3, 3, 3}, 1, false},
                 Case{DType::F16, {1, 5, 4, 4}, 1, true}, Case{DType::F32, {3, 7, 12}, 2, false},
                 Case{DType::BF16, {6, 16}, 1, false}}) {
    SCOPED_TRACE(std::string(dtypeName(c.d)) + " " + shapeString(c.shape) + " axis " + std::to_string(c.axis));
    Program p = biasLoop(c.d, c.shape, c.axis);
    CudaPlan plan = planCuda(p, {});
    std::string src = kernelSource(plan, plan.kernels[0].name);
    EXPECT_NE(src.find("dlc_ldv<"), std::string::npos) << src;
    // The bias is read once per vector, or once per lane.
    size_t from = src.find("if (vectors)"), tail = src.find(" e = (vectors");
    ASSERT_LT(from, tail);
    std::string vectorLoop = src.substr(from, tail - from);
    size_t biasLoads = 0;
    for (size_t at = vectorLoop.find("dlc_ld(p1,"); at != std::string::npos; at = vectorLoop.find("dlc_ld(p1,", at + 1))
      ++biasLoads;
    EXPECT_EQ(biasLoads == 1, c.oneLoadPerVector) << vectorLoop;
    double tol = c.d == DType::F32 ? 1e-6 : 1e-2;
    expectSame(p, tol, tol);
  }
}

TEST(CudaCodegenTest, SourceIsReadableAndSelfContained) {
  Program p = single(OpCode::Binary, {T(DType::F32, {8}), T(DType::F32, {8})}, T(DType::F32, {8}),
                     uint8_t(BinaryKind::Add));
  p.kernels[0].location = "node 'plus'";
  CudaPlan plan = planCuda(p, {});
  ASSERT_EQ(plan.kernels.size(), 1u);
  EXPECT_EQ(plan.kernels[0].name, "k0_loop_add");
  EXPECT_EQ(plan.kernels[0].fused, "add");
  EXPECT_NE(plan.source.find("// k0_loop_add: Program kernel 0 (loop), node 'plus'"), std::string::npos);
  EXPECT_NE(plan.source.find("extern \"C\" __global__ void k0_loop_add("), std::string::npos);
  // Every #include is inside the host-emulation branch.
  size_t emu = plan.source.find("#ifdef DLC_HOST_EMULATION"), end = plan.source.find("#endif  // DLC_HOST_EMULATION");
  for (size_t at = plan.source.find("\n#include"); at != std::string::npos; at = plan.source.find("\n#include", at + 1))
    EXPECT_TRUE(at > emu && at < end) << "an #include outside the emulation branch at " << at;
  EXPECT_EQ(plan.steps.size(), 1u);
  EXPECT_EQ(plan.steps[0].kind, StepKind::Kernel);
  EXPECT_EQ(plan.kernels[0].args, (std::vector<int32_t>{0, 1, 2}));
}

// The prelude's emulation of block synchronisation, warp shuffles and shared
// memory (for the row-reduction kernels): a hand-written block sum over two
// blocks of 64 threads, checked against the host's reduce.
TEST(CudaCodegenTest, EmulationOfSyncShuffleAndSharedMemory) {
  Program p = single(OpCode::Reduce, {T(DType::F32, {2, 64})}, T(DType::F32, {2}), uint8_t(ReduceKind::Sum),
                     [](Instr& i) { i.dims = {1}; });
  CudaPlan plan = planCuda(p, {});
  plan.source = std::string(dlc::codegen::cuda::preludeSource()) + R"(
extern "C" __global__ void block_sum(const float* x, float* y, int* status) {
  __shared__ float partial[2];
  float v = x[blockIdx.x * 64 + threadIdx.x];
  for (int m = 16; m > 0; m /= 2) v += __shfl_xor_sync(0xffffffffu, v, m);
  if (threadIdx.x % 32 == 0) partial[threadIdx.x / 32] = v;
  __syncthreads();
  if (threadIdx.x == 0) y[blockIdx.x] = partial[0] + partial[1];
}
#ifdef DLC_HOST_EMULATION
extern "C" void block_sum_emulate(void** a, const unsigned* g) {
  dlc_emu::launch({g[0], g[1], g[2]}, {g[3], g[4], g[5]}, true, [&] {
    block_sum(static_cast<const float*>(a[0]), static_cast<float*>(a[1]), static_cast<int*>(a[2]));
  });
}
#endif
)";
  plan.kernels[0].name = "block_sum";
  plan.kernels[0].grid = {2, 1, 1};
  plan.kernels[0].block = {64, 1, 1};
  std::vector<HostTensor> in = dlc::test::randomInputs(p, 9);
  std::vector<HostTensor> want = runOnHost(p, in), got = dlc::test::runEmulated(p, plan, in);
  EXPECT_EQ(dlc::test::compareTensors(want[0], got[0], 1e-5, 1e-6), "");
}

TEST(CudaCodegenTest, CompareTensorsCatchesADifference) {
  HostTensor a(T(DType::F32, {3})), b(T(DType::F32, {3}));
  b.as<float>()[1] = 1.0f;
  EXPECT_NE(dlc::test::compareTensors(a, b, 1e-3, 1e-3), "");
  HostTensor c(T(DType::I32, {2})), d(T(DType::I32, {2}));
  d.as<int32_t>()[0] = 1;
  EXPECT_NE(dlc::test::compareTensors(c, d, 0, 0), "");
}

}  // namespace
}  // namespace dlc::rt::test
