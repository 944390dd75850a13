// Output aliases (Program::aliases): an output written into an input's
// buffer, as a training step updates its parameters. What verifyProgram
// accepts and refuses, and how the host device runs them when the caller
// passes one buffer as both the input and the output.
#include "runtime/host/HostDevice.h"

#include "ProgramBuilder.h"
#include "TestUtil.h"

namespace dlc::rt::test {
namespace {

const TensorType kF32x4{DType::F32, {4}};
const TensorType kF32x2x2{DType::F32, {2, 2}};

uint8_t binary(BinaryKind k) { return static_cast<uint8_t>(k); }

// A step over a parameter p and its gradient g:
//   kernel 0: loss = p * g                      (reads p)
//   kernel 1: p' = p - g; q = p + p'            (reads p after writing p')
// outputs (loss, p', q), p' aliased to input 0 (p).
Program sgdStep(bool inPlace) {
  ProgramBuilder b;
  int32_t p = b.input(kF32x4, "p");
  int32_t g = b.input(kF32x4, "g");
  b.beginKernel();
  int32_t loss = b.output(OpCode::Binary, {p, g}, kF32x4, -1, binary(BinaryKind::Mul));
  b.endKernel();
  b.beginKernel();
  int32_t pNew = b.output(OpCode::Binary, {p, g}, kF32x4, -1, binary(BinaryKind::Sub));
  int32_t q = b.output(OpCode::Binary, {p, pNew}, kF32x4, -1, binary(BinaryKind::Add));
  b.endKernel();
  b.program.outputs = {loss, pNew, q};
  b.program.aliases = {{1, 0, inPlace}};
  return std::move(b.program);
}

void expectInvalid(const Program& p, const std::string& part) {
  try {
    verifyProgram(p);
    FAIL() << "accepted; expected an error containing \"" << part << "\"";
  } catch (const InvalidProgram& e) {
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

TEST(OutputAliasTest, InPlaceUpdateOfTheCallersBuffer) {
  for (bool inPlace : {true, false}) {
    Program prog = sgdStep(inPlace);
    HostTensor p = makeTensor(DType::F32, {4}, {1, 2, 3, 4});
    HostTensor g = makeTensor(DType::F32, {4}, {0.5, 1, -1, 2});
    HostTensor loss(kF32x4), q(kF32x4);
    // Two steps over the same buffers, as `dlc train` runs them.
    runOnHost(prog, {p.cref(), g.cref()}, {loss.ref(), p.ref(), q.ref()});
    EXPECT_EQ(values(loss), (std::vector<double>{0.5, 2, -3, 8})) << inPlace;
    EXPECT_EQ(values(p), (std::vector<double>{0.5, 1, 4, 2})) << inPlace;
    // q reads the old p after p' is written over it: 2 p - g.
    EXPECT_EQ(values(q), (std::vector<double>{1.5, 3, 7, 6})) << inPlace;
    runOnHost(prog, {p.cref(), g.cref()}, {loss.ref(), p.ref(), q.ref()});
    EXPECT_EQ(values(loss), (std::vector<double>{0.25, 1, -4, 4})) << inPlace;
    EXPECT_EQ(values(p), (std::vector<double>{0, 0, 5, 0})) << inPlace;
  }
}

// Separate buffers: the input is left as it was.
TEST(OutputAliasTest, SeparateBuffersLeaveTheInput) {
  Program prog = sgdStep(true);
  HostTensor p = makeTensor(DType::F32, {4}, {1, 2, 3, 4});
  HostTensor g = makeTensor(DType::F32, {4}, {0.5, 1, -1, 2});
  HostTensor loss(kF32x4), pNew(kF32x4), q(kF32x4);
  runOnHost(prog, {p.cref(), g.cref()}, {loss.ref(), pNew.ref(), q.ref()});
  EXPECT_EQ(values(p), (std::vector<double>{1, 2, 3, 4}));
  EXPECT_EQ(values(pNew), (std::vector<double>{0.5, 1, 4, 2}));
  std::vector<HostTensor> in;
  in.push_back(makeTensor(DType::F32, {4}, {1, 2, 3, 4}));
  in.push_back(makeTensor(DType::F32, {4}, {0.5, 1, -1, 2}));
  EXPECT_EQ(values(runOnHost(prog, in)[1]), (std::vector<double>{0.5, 1, 4, 2}));
}

TEST(OutputAliasTest, VerifierRefusesUnsafeOrMalformedAliases) {
  EXPECT_NO_THROW(verifyProgram(sgdStep(true)));

  Program p = sgdStep(true);
  p.aliases[0].output = 3;
  expectInvalid(p, "the program has 3 outputs and 2 inputs");
  p = sgdStep(true);
  p.aliases[0] = {0, 1, false};
  p.aliases.push_back({1, 1, false});
  expectInvalid(p, "in another alias too");
  p = sgdStep(true);
  p.aliases[0].input = 1;
  EXPECT_NO_THROW(verifyProgram(p));  // g has p's type; no kernel reads it later

  // A kernel after the writer reads the input: not in place (a copy is fine).
  ProgramBuilder b;
  int32_t x = b.input(kF32x4, "x");
  b.beginKernel();
  int32_t xNew = b.output(OpCode::Unary, {x}, kF32x4, -1, static_cast<uint8_t>(UnaryKind::Neg));
  b.endKernel();
  b.beginKernel();
  int32_t later = b.output(OpCode::Binary, {x, x}, kF32x4, -1, binary(BinaryKind::Add));
  b.endKernel();
  b.program.outputs = {xNew, later};
  b.program.aliases = {{0, 0, true}};
  expectInvalid(b.program, "reads the input after kernel 0 writes the output over it");
  b.program.aliases[0].inPlace = false;
  EXPECT_NO_THROW(verifyProgram(b.program));
  b.program.aliases = {{1, 0, true}};  // the later kernel itself writes it: fine
  EXPECT_NO_THROW(verifyProgram(b.program));

  // The writer reads the input at other indices (a transpose).
  ProgramBuilder t;
  int32_t m = t.input(kF32x2x2, "m");
  t.beginKernel();
  int32_t mt = t.local(OpCode::Transpose, {m}, kF32x2x2);
  t.program.instrs.back().dims = {1, 0};
  int32_t mNew = t.output(OpCode::Binary, {m, mt}, kF32x2x2, -1, binary(BinaryKind::Add));
  t.endKernel();
  t.program.outputs = {mNew};
  t.program.aliases = {{0, 0, true}};
  expectInvalid(t.program, "reads the input at other indices than it writes");

  // Types differ; the output in the arena; the input also an output.
  p = sgdStep(true);
  p.values[p.inputs[0]].type = TensorType{DType::F32, {2, 2}};
  expectInvalid(p, "alias 0 (output 1 into input 0): the output is");
  ProgramBuilder a;
  int32_t y = a.input(kF32x4, "y");
  a.program.arenaBytes = 256;
  a.beginKernel();
  int32_t inArena = a.output(OpCode::Unary, {y}, kF32x4, 0, static_cast<uint8_t>(UnaryKind::Neg));
  int32_t out = a.output(OpCode::Unary, {inArena}, kF32x4, -1, static_cast<uint8_t>(UnaryKind::Neg));
  a.endKernel();
  a.program.outputs = {out, y};
  a.program.aliases = {{0, 0, true}};
  expectInvalid(a.program, "the input is an output too");
}

}  // namespace
}  // namespace dlc::rt::test
