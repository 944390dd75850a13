// The host device: its run-time checks (the signature, inputs the compiler
// specialised on), and how it runs kernels over the memory plan: Local
// values, arena offsets reused across kernels, outputs written in place over
// their inputs, and plans it refuses.
#include "runtime/host/HostDevice.h"

#include <cstring>
#include <functional>

#include "ProgramBuilder.h"
#include "TestUtil.h"

namespace dlc::rt::test {
namespace {

const TensorType kF32x2x3{DType::F32, {2, 3}};
const TensorType kF32x3x2{DType::F32, {3, 2}};

// y = reshape(x) with a second input `shape` that the compiler consumed as a
// constant: the program only passes x through.
Program specializedReshape(const HostTensor& shapeValue) {
  ProgramBuilder b;
  int32_t x = b.input(kF32x2x3, "x");
  int32_t shape = b.input(shapeValue.type(), "shape");
  b.program.values[shape].isSpecialized = true;
  b.program.values[shape].specialized = HostTensor(shapeValue.type(), shapeValue.data());
  b.beginKernel();
  int32_t y = b.output(OpCode::Reshape, {x}, kF32x3x2);
  b.endKernel();
  b.program.outputs = {y};
  return std::move(b.program);
}

TEST(HostDeviceTest, SpecializedInputAcceptsItsValue) {
  Program p = specializedReshape(makeTensor(DType::I64, {2}, {3, 2}));
  std::vector<HostTensor> inputs;
  inputs.push_back(makeTensor(DType::F32, {2, 3}, {1, 2, 3, 4, 5, 6}));
  inputs.push_back(makeTensor(DType::I64, {2}, {3, 2}));
  std::vector<HostTensor> out = runOnHost(p, inputs);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].type(), kF32x3x2);
  EXPECT_EQ(values(out[0]), (std::vector<double>{1, 2, 3, 4, 5, 6}));
}

TEST(HostDeviceTest, SpecializedInputRefusesAnotherValue) {
  Program p = specializedReshape(makeTensor(DType::I64, {2}, {3, 2}));
  std::vector<HostTensor> inputs;
  inputs.push_back(makeTensor(DType::F32, {2, 3}, {1, 2, 3, 4, 5, 6}));
  inputs.push_back(makeTensor(DType::I64, {2}, {2, 3}));
  try {
    runOnHost(p, inputs);
    FAIL() << "a different value of a specialised input was accepted";
  } catch (const RunError& e) {
    EXPECT_NE(std::string(e.what()).find("'shape'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("specialised"), std::string::npos) << e.what();
  }
}

TEST(HostDeviceTest, WrongInputTypeIsRefused) {
  Program p = specializedReshape(makeTensor(DType::I64, {2}, {3, 2}));
  std::vector<HostTensor> inputs;
  inputs.push_back(makeTensor(DType::F32, {3, 2}, {1, 2, 3, 4, 5, 6}));
  inputs.push_back(makeTensor(DType::I64, {2}, {3, 2}));
  EXPECT_THROW(runOnHost(p, inputs), RunError);
}

const TensorType kF32x4{DType::F32, {4}};  // 16 bytes: one 256-byte arena slot

std::vector<HostTensor> oneInput(std::vector<double> x) {
  std::vector<HostTensor> inputs;
  inputs.push_back(makeTensor(DType::F32, {static_cast<int64_t>(x.size())}, x));
  return inputs;
}

// Two fused kernels of several instructions with Local values:
//   k0: t = exp(x) (Local); a = t * x      -> arena 0
//   k1: u = a + x (Local); v = neg(u) (Local); y = v * u -> own buffer (output)
TEST(HostDeviceTest, FusedKernelsWithLocals) {
  ProgramBuilder b;
  int32_t x = b.input(kF32x4);
  b.program.arenaBytes = 256;
  b.beginKernel(KernelKind::Loop);
  int32_t t = b.local(OpCode::Unary, {x}, kF32x4, static_cast<uint8_t>(UnaryKind::Exp));
  int32_t a = b.output(OpCode::Binary, {t, x}, kF32x4, 0, static_cast<uint8_t>(BinaryKind::Mul));
  b.endKernel();
  b.beginKernel(KernelKind::Loop);
  int32_t u = b.local(OpCode::Binary, {a, x}, kF32x4, static_cast<uint8_t>(BinaryKind::Add));
  int32_t v = b.local(OpCode::Unary, {u}, kF32x4, static_cast<uint8_t>(UnaryKind::Neg));
  int32_t y = b.output(OpCode::Binary, {v, u}, kF32x4, -1, static_cast<uint8_t>(BinaryKind::Mul));
  b.endKernel();
  b.program.outputs = {y};
  ASSERT_EQ(b.program.kernels.size(), 2u);
  EXPECT_EQ(b.program.kernels[1].inputs, (std::vector<int32_t>{a, x}));
  EXPECT_EQ(b.program.kernels[1].outputs, (std::vector<int32_t>{y}));

  std::vector<double> xs = {0, 0.5, -1, 2};
  std::vector<HostTensor> out = runOnHost(b.program, oneInput(xs));
  std::vector<double> expected;
  for (double xv : xs) {
    double uv = static_cast<double>(std::exp(static_cast<float>(xv)) * static_cast<float>(xv)) + xv;
    expected.push_back(-uv * uv);
  }
  ASSERT_EQ(out.size(), 1u);
  expectNear(values(out[0]), expected, 1e-6);
}

// Buffers reused across kernels: c takes a's slot once a is dead.
//   k0: a = x + x        -> arena 0
//   k1: b = a * a        -> arena 256
//   k2: c = b - x        -> arena 0 (a's last use was k1)
//   k3: y = c + b        -> own buffer
// The program, with its plan or structure changed by `edit`.
Program reusePlan(const std::function<void(Program&)>& edit) {
  ProgramBuilder b;
  int32_t x = b.input(kF32x4);
  b.program.arenaBytes = 512;
  auto bin = [](BinaryKind k) { return static_cast<uint8_t>(k); };
  b.beginKernel();
  int32_t a = b.output(OpCode::Binary, {x, x}, kF32x4, 0, bin(BinaryKind::Add));
  b.endKernel();
  b.beginKernel();
  int32_t bb = b.output(OpCode::Binary, {a, a}, kF32x4, 256, bin(BinaryKind::Mul));
  b.endKernel();
  b.beginKernel();
  int32_t c = b.output(OpCode::Binary, {bb, x}, kF32x4, 0, bin(BinaryKind::Sub));
  b.endKernel();
  b.beginKernel();
  int32_t y = b.output(OpCode::Binary, {c, bb}, kF32x4, -1, bin(BinaryKind::Add));
  b.endKernel();
  b.program.outputs = {y};
  edit(b.program);
  return std::move(b.program);
}

// Value ids in reusePlan's program.
constexpr int32_t kX = 0, kA = 1, kB = 2, kC = 3, kY = 4;

TEST(HostDeviceTest, ArenaSlotsReusedAcrossKernels) {
  // b, an arena value, is also an output: returned as its own tensor.
  Program p = reusePlan([](Program& p) { p.outputs = {kY, kB}; });
  std::vector<HostTensor> out = runOnHost(p, oneInput({1, 2, 3, 4}));
  ASSERT_EQ(out.size(), 2u);
  // a = 2x, b = 4x^2, c = 4x^2 - x, y = 8x^2 - x
  EXPECT_EQ(values(out[0]), (std::vector<double>{7, 30, 69, 124}));
  EXPECT_EQ(values(out[1]), (std::vector<double>{4, 16, 36, 64}));
}

// The borrowed-buffer run: y (a buffer of its own) is computed in the
// caller's buffer, b (an arena value) is copied out; the results equal the
// owning run's.
TEST(HostDeviceTest, RunIntoCallerBuffers) {
  Program p = reusePlan([](Program& p) { p.outputs = {kY, kB}; });
  HostTensor x = std::move(oneInput({1, 2, 3, 4})[0]);
  HostTensor y(kF32x4), b(kF32x4);
  runOnHost(p, {x.cref()}, {y.ref(), b.ref()});
  std::vector<HostTensor> expected = runOnHost(p, oneInput({1, 2, 3, 4}));
  EXPECT_EQ(values(y), values(expected[0]));
  EXPECT_EQ(values(b), values(expected[1]));
}

// An output buffer that is also the input: written only after the run reads x.
TEST(HostDeviceTest, RunIntoTheInputBuffer) {
  Program p = reusePlan([](Program&) {});
  HostTensor x = std::move(oneInput({1, 2, 3, 4})[0]);
  std::vector<HostTensor> expected = runOnHost(p, oneInput({1, 2, 3, 4}));
  runOnHost(p, {x.cref()}, {x.ref()});
  EXPECT_EQ(values(x), values(expected[0]));
}

TEST(HostDeviceTest, RunIntoWrongBufferIsRefused) {
  Program p = reusePlan([](Program&) {});
  HostTensor x = std::move(oneInput({1, 2, 3, 4})[0]);
  HostTensor wrong(kF32x2x3);
  EXPECT_THROW(runOnHost(p, {x.cref()}, {wrong.ref()}), RunError);
  EXPECT_THROW(runOnHost(p, {x.cref()}, {}), RunError);
}

// In-place reuse: b = neg(a) takes a's arena slot (a dies in this kernel),
// but the same kernel reads a again after computing b. A GPU thread reads
// all inputs before writing; the host must stage b and give c = a + b = 0.
TEST(HostDeviceTest, InPlaceOutputDoesNotClobberItsInput) {
  ProgramBuilder b;
  int32_t x = b.input(kF32x4);
  b.program.arenaBytes = 256;
  b.beginKernel();
  int32_t a = b.output(OpCode::Binary, {x, x}, kF32x4, 0, static_cast<uint8_t>(BinaryKind::Add));
  b.endKernel();
  b.beginKernel();
  int32_t neg = b.output(OpCode::Unary, {a}, kF32x4, 0, static_cast<uint8_t>(UnaryKind::Neg));
  int32_t c = b.output(OpCode::Binary, {a, neg}, kF32x4, -1, static_cast<uint8_t>(BinaryKind::Add));
  b.endKernel();
  b.beginKernel();  // reads neg from the shared slot after the kernel wrote it back
  int32_t d = b.output(OpCode::Binary, {neg, x}, kF32x4, -1, static_cast<uint8_t>(BinaryKind::Mul));
  b.endKernel();
  b.program.outputs = {c, d};

  std::vector<HostTensor> out = runOnHost(b.program, oneInput({1, -2, 3, 0.5}));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(values(out[0]), (std::vector<double>{0, 0, 0, 0}));
  EXPECT_EQ(values(out[1]), (std::vector<double>{-2, -8, -18, -0.5}));
}

// A transpose written in place over its input: without staging, the host
// kernel would read elements it has already overwritten.
TEST(HostDeviceTest, InPlaceTransposeIsRight) {
  ProgramBuilder b;
  int32_t x = b.input(kF32x2x3);
  b.program.arenaBytes = 256;
  b.beginKernel();
  int32_t a = b.output(OpCode::Unary, {x}, kF32x2x3, 0, static_cast<uint8_t>(UnaryKind::Abs));
  b.endKernel();
  b.beginKernel();
  int32_t t = b.output(OpCode::Transpose, {a}, kF32x3x2, 0);
  b.program.instrs.back().dims = {1, 0};
  b.endKernel();
  b.beginKernel();
  int32_t y = b.output(OpCode::Reshape, {t}, kF32x3x2, -1);
  b.endKernel();
  b.program.outputs = {y};

  std::vector<HostTensor> inputs;
  inputs.push_back(makeTensor(DType::F32, {2, 3}, {1, -2, 3, -4, 5, -6}));
  std::vector<HostTensor> out = runOnHost(b.program, inputs);
  EXPECT_EQ(values(out[0]), (std::vector<double>{1, 4, 2, 5, 3, 6}));
}

// A fused kernel's output that is not an arena value (offset -1) and its
// Locals next to arena outputs: mixed placement in one kernel.
TEST(HostDeviceTest, MultiOutputKernelMixesPlacements) {
  ProgramBuilder b;
  int32_t x = b.input(kF32x4);
  b.program.arenaBytes = 512;
  auto bin = [](BinaryKind k) { return static_cast<uint8_t>(k); };
  b.beginKernel();
  int32_t s = b.local(OpCode::Binary, {x, x}, kF32x4, bin(BinaryKind::Add));
  int32_t p = b.output(OpCode::Binary, {s, x}, kF32x4, 256, bin(BinaryKind::Mul));
  int32_t q = b.output(OpCode::Binary, {s, x}, kF32x4, -1, bin(BinaryKind::Sub));
  int32_t r = b.output(OpCode::Binary, {p, q}, kF32x4, 0, bin(BinaryKind::Add));
  b.endKernel();
  b.beginKernel();
  int32_t y = b.output(OpCode::Binary, {r, p}, kF32x4, -1, bin(BinaryKind::Sub));
  b.endKernel();
  b.program.outputs = {y, q};
  std::vector<HostTensor> out = runOnHost(b.program, oneInput({1, 2, 3, 4}));
  // s = 2x, p = 2x^2, q = x, r = 2x^2 + x, y = x
  EXPECT_EQ(values(out[0]), (std::vector<double>{1, 2, 3, 4}));
  EXPECT_EQ(values(out[1]), (std::vector<double>{1, 2, 3, 4}));
}

// Run-time data errors inside a fused kernel name the instruction's source op.
TEST(HostDeviceTest, KernelErrorNamesTheSourceOp) {
  ProgramBuilder b;
  const TensorType i32{DType::I32, {2}};
  int32_t x = b.input(i32);
  b.beginKernel();
  int32_t zero = b.local(OpCode::Binary, {x, x}, i32, static_cast<uint8_t>(BinaryKind::Sub));
  b.program.instrs.back().location = "node 'Sub_0'";
  int32_t y = b.output(OpCode::Binary, {x, zero}, i32, -1, static_cast<uint8_t>(BinaryKind::Div));
  b.program.instrs.back().location = "node 'Div_1'";
  b.endKernel();
  b.program.outputs = {y};
  std::vector<HostTensor> inputs;
  inputs.push_back(makeTensor(DType::I32, {2}, {1, 2}));
  try {
    runOnHost(b.program, inputs);
    FAIL() << "a division by zero ran";
  } catch (const RunError& e) {
    EXPECT_NE(std::string(e.what()).find("node 'Div_1': integer division by zero"), std::string::npos)
        << e.what();
  }
}

void expectRefused(const Program& p, const std::string& why) {
  try {
    runOnHost(p, oneInput({1, 2, 3, 4}));
    FAIL() << "a bad program ran (expected: " << why << ")";
  } catch (const InvalidProgram& e) {
    EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << e.what();
  }
}

TEST(HostDeviceTest, GoodPlanRuns) {
  std::vector<HostTensor> out = runOnHost(reusePlan([](Program&) {}), oneInput({1, 2, 3, 4}));
  EXPECT_EQ(values(out[0]), (std::vector<double>{7, 30, 69, 124}));
}

TEST(HostDeviceTest, BadPlansAreRefused) {
  expectRefused(reusePlan([](Program& p) { p.values[kB].offset = 128; }),
                "value 2 (tensor<4xf32> at arena [128, 144)), written by kernel 1, has arena offset 128, "
                "which is not a multiple of 256");
  expectRefused(reusePlan([](Program& p) { p.values[kB].offset = 512; }),
                "does not fit in the 512-byte arena");
  expectRefused(reusePlan([](Program& p) { p.arenaBytes = 260; }),
                "value 2 (tensor<4xf32> at arena [256, 272)), written by kernel 1, does not fit in the "
                "260-byte arena");
  expectRefused(reusePlan([](Program& p) { p.values[kB].offset = -256; }), "has arena offset -256");
  // An end past int64 is described, never computed (UBSan found the overflow
  // through a damaged executable file).
  expectRefused(reusePlan([](Program& p) { p.values[kB].offset = INT64_MAX; }),
                "value 2 (tensor<4xf32> at arena [9223372036854775807, past 2^63)), written by kernel 1, "
                "has arena offset 9223372036854775807");
  expectRefused(reusePlan([](Program& p) { p.values[kX].offset = 0; }),
                "is not a kernel's output but has arena offset 0");
  // c over b, which c's own kernel reads and k3 reads after it: b is still live.
  expectRefused(reusePlan([](Program& p) { p.values[kC].offset = 256; }),
                "places value 3 (tensor<4xf32> at arena [256, 272)), written by kernel 2, over "
                "value 2 (tensor<4xf32> at arena [256, 272)), which is still live");
  // b over a: a dies at b's kernel, so in place is fine ...
  std::vector<HostTensor> out = runOnHost(reusePlan([](Program& p) {
    p.values[kB].offset = 0;
    p.values[kC].offset = 256;
  }), oneInput({1, 2, 3, 4}));
  EXPECT_EQ(values(out[0]), (std::vector<double>{7, 30, 69, 124}));
  // ... but an output (y, read after the run) must not be overwritten.
  expectRefused(reusePlan([](Program& p) {
    p.outputs = {kY, kA};
  }), "places value 3 (tensor<4xf32> at arena [0, 16)), written by kernel 2, over value 1");
}

TEST(HostDeviceTest, MalformedProgramsAreRefused) {
  expectRefused(reusePlan([](Program& p) { p.kernels[1].begin = 2; }),
                "kernel 1 covers instructions [2, 2)");
  expectRefused(reusePlan([](Program& p) { p.kernels.pop_back(); }),
                "instructions from 3 on belong to no kernel");
  expectRefused(reusePlan([](Program& p) { p.kernels[2].inputs = {kX}; }),
                "reads value 2 (tensor<4xf32> at arena [256, 272)), which is not among the kernel's inputs");
  expectRefused(reusePlan([](Program& p) {
    p.values[kB].kind = ValueKind::Local;
    p.values[kB].offset = -1;
    p.kernels[1].outputs.clear();
  }),
                "a value local to another kernel");
  expectRefused(reusePlan([](Program& p) { p.instrs[2].operands[0] = kY; }),
                "reads value 4 (tensor<4xf32>) before it is computed");
  expectRefused(reusePlan([](Program& p) { p.kernels[3].outputs.clear(); }),
                "which is neither Local nor among the kernel's outputs");
  expectRefused(reusePlan([](Program& p) { p.instrs[1].result = kA; }), "which is already written");
  expectRefused(reusePlan([](Program& p) { p.instrs[1].operands.pop_back(); }), "has 1 operands");
  expectRefused(reusePlan([](Program& p) { p.outputs = {7}; }),
                "output 0 refers to value 7, but the program has 5 values");
}

// --- splat constants (runtime/Program.h: one element, expanded only while
// a kernel that reads it runs) ------------------------------------------------

std::vector<float> floats(const HostTensor& t) {
  return std::vector<float>(t.as<float>(), t.as<float>() + t.numElements());
}

ValueInfo& addSplat(ProgramBuilder& b, TensorType type, double element) {
  HostTensor e(TensorType{type.dtype, {}});
  storeFromDouble(e.ref(), 0, element);
  b.program.values.push_back(splatConstant(type, std::move(e)));
  return b.program.values.back();
}

// Splats read inside a fused kernel (f32, f16, f64 whose halves differ, i1),
// by an unfused kernel that lists one among its inputs, and returned as an
// output as they are: each reads as its expansion.
TEST(HostDeviceTest, SplatConstantsReadAsTheirExpansion) {
  ProgramBuilder b;
  const TensorType f32{DType::F32, {2, 3}}, f16{DType::F16, {2, 3}}, f64{DType::F64, {2, 3}},
      i1{DType::I1, {2, 3}};
  int32_t x = b.input(f32, "x");
  addSplat(b, f32, 0.0);
  int32_t zero = static_cast<int32_t>(b.program.values.size() - 1);
  addSplat(b, f16, 1.5);
  int32_t h = static_cast<int32_t>(b.program.values.size() - 1);
  addSplat(b, f64, 0.1);  // 0x3FB999999999999A: a fill of one 32-bit word cannot make it
  int32_t d = static_cast<int32_t>(b.program.values.size() - 1);
  addSplat(b, i1, 1.0);
  int32_t yes = static_cast<int32_t>(b.program.values.size() - 1);
  // Kernel 0: relu(x) * 1.5 (in f32) and x + 0.1 (in f64), and select(true, x, 0).
  b.beginKernel();
  int32_t relu = b.local(OpCode::Binary, {x, zero}, f32, static_cast<uint8_t>(BinaryKind::Max));
  int32_t hf = b.local(OpCode::Convert, {h}, f32);
  int32_t scaled = b.output(OpCode::Binary, {relu, hf}, f32, -1, static_cast<uint8_t>(BinaryKind::Mul));
  int32_t xd = b.local(OpCode::Convert, {x}, f64);
  int32_t shifted = b.output(OpCode::Binary, {xd, d}, f64, -1, static_cast<uint8_t>(BinaryKind::Add));
  int32_t picked = b.output(OpCode::Select, {yes, x, zero}, f32);
  b.endKernel();
  // Kernel 1: an unfused op whose operand is a splat listed as an input.
  b.beginKernel();
  b.program.kernels.back().inputs.push_back(h);
  int32_t widened = b.output(OpCode::Convert, {h}, f32);
  b.endKernel();
  b.program.outputs = {scaled, shifted, picked, widened, h, yes};
  verifyProgram(b.program);

  std::vector<HostTensor> in;
  in.push_back(makeTensor(DType::F32, {2, 3}, {-2, -0.5, 0, 0.25, 1, 3}));
  std::vector<HostTensor> out = runOnHost(b.program, in);
  ASSERT_EQ(out.size(), 6u);
  EXPECT_EQ(floats(out[0]), (std::vector<float>{0, 0, 0, 0.375f, 1.5f, 4.5f}));
  const double x64[] = {-2, -0.5, 0, 0.25, 1, 3};
  for (int64_t i = 0; i < 6; ++i) EXPECT_EQ(out[1].as<double>()[i], x64[i] + 0.1) << i;
  EXPECT_EQ(floats(out[2]), (std::vector<float>{-2, -0.5f, 0, 0.25f, 1, 3}));
  EXPECT_EQ(floats(out[3]), (std::vector<float>(6, 1.5f)));
  EXPECT_EQ(out[4].type(), f16);
  for (int64_t i = 0; i < 6; ++i) EXPECT_EQ(out[4].as<uint16_t>()[i], 0x3e00) << i;  // 1.5 in f16
  EXPECT_EQ(out[5].type(), i1);
  for (int64_t i = 0; i < 6; ++i) EXPECT_EQ(out[5].as<uint8_t>()[i], 1) << i;

  // The same through caller buffers (copyOut fills a splat output).
  std::vector<HostTensor> bufs;
  std::vector<TensorRef> refs;
  for (int32_t o : b.program.outputs) bufs.emplace_back(b.program.values[o].type);
  for (HostTensor& t : bufs) refs.push_back(t.ref());
  runOnHost(b.program, {in[0].cref()}, refs);
  for (size_t i = 0; i < out.size(); ++i)
    EXPECT_EQ(std::memcmp(bufs[i].data(), out[i].data(), static_cast<size_t>(out[i].byteSize())), 0) << i;
}

// A splat whose element is not one element of its dtype, or a splat flag on
// another kind of value, is a broken program.
TEST(HostDeviceTest, BrokenSplatsAreInvalidPrograms) {
  ProgramBuilder b;
  int32_t x = b.input({DType::F32, {4}}, "x");
  addSplat(b, {DType::F32, {4}}, 2.0);
  int32_t c = static_cast<int32_t>(b.program.values.size() - 1);
  b.beginKernel();
  int32_t y = b.output(OpCode::Binary, {x, c}, {DType::F32, {4}}, -1, static_cast<uint8_t>(BinaryKind::Add));
  b.endKernel();
  b.program.outputs = {y};
  Program& p = b.program;
  verifyProgram(p);
  p.values[c].constant = HostTensor(TensorType{DType::F64, {}});
  EXPECT_THROW(verifyProgram(p), InvalidProgram) << "an f64 element of an f32 splat";
  p.values[c].constant = HostTensor(TensorType{DType::F32, {4}});
  EXPECT_THROW(verifyProgram(p), InvalidProgram) << "a full tensor flagged a splat";
  p.values[c].constant = HostTensor(TensorType{DType::F32, {}});
  verifyProgram(p);
  p.values[x].splat = true;
  EXPECT_THROW(verifyProgram(p), InvalidProgram) << "an Input flagged a splat";
}

}  // namespace
}  // namespace dlc::rt::test
