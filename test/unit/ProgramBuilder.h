// Builds host Programs by hand for the runtime's tests: kernels of several
// instructions, Local values and arena offsets, without the compiler.
#pragma once

#include <string>
#include <vector>

#include "runtime/Program.h"

namespace dlc::rt::test {

struct ProgramBuilder {
  Program program;

  int32_t input(TensorType type, std::string name = "") {
    int32_t id = value(std::move(type), ValueKind::Input);
    program.values[id].inputIndex = static_cast<int32_t>(program.inputs.size());
    program.values[id].name = std::move(name);
    program.inputs.push_back(id);
    return id;
  }

  // Starts a kernel; its inputs are collected from what its instructions
  // read from outside it, its outputs are the Intermediates they write.
  void beginKernel(KernelKind kind = KernelKind::Loop) {
    Kernel k;
    k.kind = kind;
    k.begin = k.end = static_cast<int32_t>(program.instrs.size());
    program.kernels.push_back(k);
  }
  void endKernel() { program.kernels.back().end = static_cast<int32_t>(program.instrs.size()); }

  // An instruction writing a value that lives only inside the kernel.
  int32_t local(OpCode op, std::vector<int32_t> operands, TensorType type, uint8_t kind = 0) {
    return instr(op, std::move(operands), std::move(type), ValueKind::Local, -1, kind);
  }
  // A Constant value holding `value` (its type is the value's).
  int32_t constant(HostTensor value) {
    int32_t id = this->value(value.type(), ValueKind::Constant);
    program.values[id].constant = std::move(value);
    return id;
  }
  // An instruction writing one of the kernel's outputs, at `offset` in the
  // arena (-1: a buffer of its own).
  int32_t output(OpCode op, std::vector<int32_t> operands, TensorType type, int64_t offset = -1,
                 uint8_t kind = 0) {
    int32_t id = instr(op, std::move(operands), std::move(type), ValueKind::Intermediate, offset, kind);
    program.kernels.back().outputs.push_back(id);
    return id;
  }

 private:
  int32_t value(TensorType type, ValueKind kind) {
    ValueInfo v;
    v.type = std::move(type);
    v.kind = kind;
    program.values.push_back(std::move(v));
    return static_cast<int32_t>(program.values.size() - 1);
  }

  int32_t instr(OpCode op, std::vector<int32_t> operands, TensorType type, ValueKind kind,
                int64_t offset, uint8_t opKind) {
    Kernel& k = program.kernels.back();
    for (int32_t id : operands) {
      bool inside = false;
      for (int32_t i = k.begin; i < static_cast<int32_t>(program.instrs.size()); ++i)
        inside = inside || program.instrs[i].result == id;
      bool listed = false;
      for (int32_t in : k.inputs) listed = listed || in == id;
      if (!inside && !listed && program.values[id].kind != ValueKind::Constant) k.inputs.push_back(id);
    }
    int32_t id = value(std::move(type), kind);
    program.values[id].offset = offset;
    Instr in;
    in.op = op;
    in.operands = std::move(operands);
    in.result = id;
    in.kind = opKind;
    program.instrs.push_back(std::move(in));
    return id;
  }
};

// y = gather(x, idx) along axis 1, one kernel whose source op is
// "node 'Gather_3'": the devices' data-error (index out of range) tests.
inline Program gatherProgram() {
  ProgramBuilder b;
  int32_t x = b.input({DType::F32, {2, 5}}, "x");
  int32_t idx = b.input({DType::I64, {3}}, "idx");
  b.beginKernel();
  int32_t y = b.output(OpCode::Gather, {x, idx}, {DType::F32, {2, 3}});
  b.endKernel();
  b.program.instrs.back().axis = 1;
  b.program.instrs.back().location = "node 'Gather_3'";
  b.program.kernels.back().location = "node 'Gather_3'";
  b.program.outputs = {y};
  return std::move(b.program);
}

}  // namespace dlc::rt::test
