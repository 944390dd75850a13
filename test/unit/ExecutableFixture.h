// An executable that sets every field of Program and CudaPlan to something
// other than its default, and is still a valid program (so that the loader's
// checks accept it and the host device runs it): the fixture of the format's
// round-trip tests.
#pragma once

#include "ProgramBuilder.h"
#include "TestUtil.h"
#include "runtime/Executable.h"

namespace dlc::rt::test {

inline int32_t addConstant(Program& p, HostTensor t, std::string name) {
  ValueInfo v;
  v.type = t.type();
  v.kind = ValueKind::Constant;
  v.constant = std::move(t);
  v.name = std::move(name);
  p.values.push_back(std::move(v));
  return static_cast<int32_t>(p.values.size() - 1);
}

// A splat constant of `type`: every element `element` (runtime/Program.h).
inline int32_t addSplat(Program& p, TensorType type, double element, std::string name) {
  HostTensor e(TensorType{type.dtype, {}});
  storeFromDouble(e.ref(), 0, element);
  p.values.push_back(splatConstant(type, std::move(e)));
  p.values.back().name = std::move(name);
  return static_cast<int32_t>(p.values.size() - 1);
}

inline HostTensor iotaTensor(DType dtype, Shape shape, double scale) {
  HostTensor t(TensorType{dtype, std::move(shape)});
  for (int64_t i = 0; i < t.numElements(); ++i) storeFromDouble(t.ref(), i, (i % 7 - 3) * scale);
  return t;
}

inline Executable everyFieldExecutable() {
  ProgramBuilder b;
  Program& p = b.program;
  const DType f32 = DType::F32;
  int32_t x = b.input({f32, {2, 3, 4}}, "x");
  int32_t idx = b.input({DType::I64, {2}}, "idx");
  p.values[idx].isSpecialized = true;
  p.values[idx].specialized = makeTensor(DType::I64, {2}, {3, 1});
  int32_t padValue = addConstant(p, makeTensor(f32, {}, {0.5}), "pad_value");
  int32_t w = addConstant(p, iotaTensor(f32, {3, 5, 2}, 0.25), "w");
  int32_t filter = addConstant(p, iotaTensor(f32, {2, 3, 2}, 0.5), "filter");
  int32_t table = addConstant(p, iotaTensor(f32, {4}, 1.5), "table");
  int32_t half = addSplat(p, {f32, {2, 3, 4}}, -0.5, "half");

  // Kernel 0: transpose, slice, pad into the arena.
  b.beginKernel(KernelKind::Loop);
  int32_t t = b.local(OpCode::Transpose, {x}, {f32, {2, 4, 3}});
  p.instrs.back().dims = {0, 2, 1};
  p.instrs.back().location = "transpose_0";
  int32_t s = b.local(OpCode::Slice, {t}, {f32, {2, 2, 3}});
  p.instrs.back().start = {0, 1, 0};
  p.instrs.back().limit = {2, 4, 3};
  p.instrs.back().strides = {1, 2, 1};
  int32_t padded = b.output(OpCode::Pad, {s, padValue}, {f32, {3, 4, 5}}, 0);
  p.instrs.back().low = {0, 1, 0};
  p.instrs.back().high = {1, 0, 2};
  p.instrs.back().interior = {0, 1, 0};
  b.endKernel();
  p.kernels.back().location = "model.onnx: node 'transpose_0'";

  // Kernel 1: a batched dot_general into the arena.
  b.beginKernel(KernelKind::Gemm);
  int32_t d = b.output(OpCode::DotGeneral, {padded, w}, {f32, {3, 4, 2}}, 256);
  p.instrs.back().dot = {{0}, {0}, {2}, {1}};
  b.endKernel();

  // Kernel 2: a strided, padded convolution, a buffer of its own.
  b.beginKernel(KernelKind::Conv);
  int32_t conv = b.output(OpCode::Convolution, {x, filter}, {f32, {2, 2, 2}});
  p.instrs.back().conv = {{2}, {1}, {0}, {1}, 1};
  b.endKernel();

  // Kernel 3: window reduction, then a reduction.
  b.beginKernel(KernelKind::Reduction);
  int32_t pooled = b.local(OpCode::ReduceWindow, {d}, {f32, {3, 2, 2}},
                           static_cast<uint8_t>(ReduceKind::Max));
  p.instrs.back().window = {{1, 2, 1}, {1, 2, 1}, {0, 0, 0}, {0, 0, 0}, {1, 1, 1}};
  int32_t sum = b.output(OpCode::Reduce, {pooled}, {f32, {3, 2}}, -1, static_cast<uint8_t>(ReduceKind::Sum));
  p.instrs.back().dims = {1};
  b.endKernel();

  // Kernel 4: a descending argsort.
  b.beginKernel(KernelKind::Sort);
  int32_t order = b.output(OpCode::Argsort, {x}, {DType::I64, {2, 3, 4}}, -1, 1);
  p.instrs.back().axis = 2;
  b.endKernel();

  // Kernel 5: gather with the specialised indices, concatenate, iota.
  b.beginKernel(KernelKind::Loop);
  int32_t g = b.local(OpCode::Gather, {table, idx}, {f32, {2}});
  int32_t cat = b.output(OpCode::Concatenate, {g, g}, {f32, {4}});
  int32_t io = b.output(OpCode::Iota, {}, {DType::I32, {2, 3}});
  p.instrs.back().axis = 1;
  b.endKernel();

  // Kernel 6: x's new value, written over x in place (an output alias),
  // scaled by a splat constant.
  b.beginKernel(KernelKind::Loop);
  int32_t negated = b.local(OpCode::Unary, {x}, {f32, {2, 3, 4}}, static_cast<uint8_t>(UnaryKind::Neg));
  int32_t xNew = b.output(OpCode::Binary, {negated, half}, {f32, {2, 3, 4}}, -1, static_cast<uint8_t>(BinaryKind::Mul));
  b.endKernel();

  p.arenaBytes = 512;
  p.outputs = {conv, sum, order, cat, io, d, sum, xNew};
  p.aliases = {{7, 0, true}};
  p.values[conv].name = "y";

  Executable exe;
  exe.program = std::move(b.program);
  exe.info = {"9.8.7", "every-field.onnx", "--target cuda --input-shape x=2x3x4", "unit test", 1700000000};
  exe.target = "cuda";
  CudaPlan plan;
  plan.arch = "sm_80";
  plan.nvrtcVersion = "13.0";
  plan.source = "extern \"C\" __global__ void k0(const float* x, float* y, int* status) {}\n";
  plan.ptx = ".version 8.0\n.target sm_80\n";
  plan.cubin = std::string("\x7f" "ELF\0\1\2\3", 8);
  for (int i = 0; i < 4; ++i) {
    CudaKernel k;
    k.name = "k" + std::to_string(i) + "_loop";
    k.fused = "transpose, slice, pad";
    k.grid = {static_cast<uint32_t>(i + 2), 3, 4};
    k.block = {128, static_cast<uint32_t>(i + 1), 1};
    k.sharedBytes = 1024u * static_cast<uint32_t>(i);
    k.args = {x, padded, static_cast<int32_t>(i)};
    plan.kernels.push_back(k);
  }
  for (int32_t i = 0; i < 7; ++i) {
    CudaStep st;
    st.programKernel = i;
    st.kind = i == 1 ? StepKind::Gemm : i == 2 ? StepKind::Conv : StepKind::Kernel;
    st.kernel = i == 1 || i == 2 ? -1 : i % 4;
    st.epilogue = i == 1 ? 3 : -1;
    plan.steps.push_back(st);
  }
  GemmCall& gm = plan.steps[1].gemm;
  gm.aType = DType::F16;
  gm.bType = DType::BF16;
  gm.cdType = DType::F64;
  gm.m = 4, gm.n = 2, gm.k = 5;
  gm.a = {padded, 7, 4, 5, 5, 1};
  gm.b = {w, 9, 5, 2, 1, 5};
  gm.c = {d, 11, 4, 2, 2, 1};
  gm.d = {d, 13, 4, 2, 2, 1};
  gm.batch = {{3, 20, 10, 8, 8}, {2, 0, 1, 2, 3}};
  gm.alpha = 0.75f;
  gm.beta = -2.5f;
  gm.epilogue = GemmEpilogue::BiasGelu;
  gm.bias = table;
  gm.allowTf32 = true;
  ConvCall& cv = plan.steps[2].conv;
  cv.dtype = DType::BF16;
  cv.x = x, cv.w = filter, cv.y = conv, cv.bias = table;
  cv.xShape = {2, 3, 4};
  cv.wShape = {2, 3, 2};
  cv.yShape = {2, 2, 2};
  cv.strides = {2};
  cv.padLow = {1};
  cv.padHigh = {3};
  cv.dilations = {4};
  cv.groups = 5;
  cv.activation = ConvActivation::Relu;
  cv.allowTf32 = true;
  exe.cuda = std::move(plan);
  return exe;
}

inline std::vector<HostTensor> everyFieldInputs() {
  std::vector<HostTensor> in;
  in.push_back(iotaTensor(DType::F32, {2, 3, 4}, 0.125));
  in.push_back(makeTensor(DType::I64, {2}, {3, 1}));
  return in;
}

}  // namespace dlc::rt::test
