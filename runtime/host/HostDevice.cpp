#include "runtime/host/HostDevice.h"

#include <cstring>

namespace dlc::rt {
namespace {

// Storage of every value during one run: inputs and constants are borrowed,
// intermediates are owned.
class Frame {
 public:
  Frame(const Program& p, const std::vector<HostTensor>& inputs) : p_(p), owned_(p.values.size()) {
    refs_.resize(p.values.size());
    for (size_t id = 0; id < p.values.size(); ++id) {
      const ValueInfo& v = p.values[id];
      if (v.kind == ValueKind::Input) refs_[id] = inputs[v.inputIndex].cref();
      if (v.kind == ValueKind::Constant) refs_[id] = v.constant.cref();
    }
  }
  ConstTensorRef in(int32_t id) const { return refs_[id]; }
  TensorRef out(int32_t id) {
    owned_[id] = HostTensor(p_.values[id].type);
    refs_[id] = owned_[id].cref();
    return owned_[id].ref();
  }
  HostTensor take(int32_t id) const { return HostTensor(refs_[id].type, refs_[id].data); }

 private:
  const Program& p_;
  std::vector<HostTensor> owned_;
  std::vector<ConstTensorRef> refs_;
};

void execute(const Instr& in, Frame& f) {
  auto arg = [&](size_t i) { return f.in(in.operands[i]); };
  TensorRef out = f.out(in.result);
  switch (in.op) {
    case OpCode::Unary: return unary(static_cast<UnaryKind>(in.kind), arg(0), out);
    case OpCode::Binary: return binary(static_cast<BinaryKind>(in.kind), arg(0), arg(1), out);
    case OpCode::Compare: return compare(static_cast<CompareKind>(in.kind), arg(0), arg(1), out);
    case OpCode::Select: return select(arg(0), arg(1), arg(2), out);
    case OpCode::Convert: return convert(arg(0), out);
    case OpCode::BitcastConvert: return bitcastConvert(arg(0), out);
    case OpCode::Iota: return iota(in.axis, out);
    case OpCode::BroadcastInDim: return broadcastInDim(arg(0), in.dims, out);
    case OpCode::Reshape: return reshape(arg(0), out);
    case OpCode::Transpose: return transpose(arg(0), in.dims, out);
    case OpCode::Slice: return slice(arg(0), in.start, in.limit, in.strides, out);
    case OpCode::Concatenate: {
      std::vector<ConstTensorRef> xs;
      for (size_t i = 0; i < in.operands.size(); ++i) xs.push_back(arg(i));
      return concatenate(xs, in.axis, out);
    }
    case OpCode::Pad: return pad(arg(0), arg(1), in.low, in.high, in.interior, out);
    case OpCode::Gather: return gather(arg(0), arg(1), in.axis, out);
    case OpCode::Scatter:
      return scatter(static_cast<ScatterKind>(in.kind), arg(0), arg(1), arg(2), in.axis, out);
    case OpCode::Reverse: return reverse(arg(0), in.dims, out);
    case OpCode::Reduce: return reduce(static_cast<ReduceKind>(in.kind), arg(0), in.dims, out);
    case OpCode::DotGeneral: return dotGeneral(arg(0), arg(1), in.dot, out);
    case OpCode::Convolution: return convolution(arg(0), arg(1), in.conv, out);
    case OpCode::ReduceWindow:
      return reduceWindow(static_cast<ReduceKind>(in.kind), arg(0), in.window, out);
    case OpCode::Argsort: return argsort(arg(0), in.axis, in.kind != 0, out);
  }
}

}  // namespace

std::vector<HostTensor> runOnHost(const Program& program, const std::vector<HostTensor>& inputs) {
  if (inputs.size() != program.inputs.size())
    throw RunError("the model takes " + std::to_string(program.inputs.size()) +
                   " input(s), " + std::to_string(inputs.size()) + " given");
  for (size_t i = 0; i < inputs.size(); ++i) {
    const ValueInfo& v = program.values[program.inputs[i]];
    if (inputs[i].type() != v.type)
      throw RunError("input " + std::to_string(i) + " ('" + v.name + "') must be " +
                     v.type.str() + ", got " + inputs[i].type().str());
    if (v.isSpecialized) {
      if (inputs[i].byteSize() > 0 && std::memcmp(v.specialized.data(), inputs[i].data(), inputs[i].byteSize()) != 0)
        throw RunError("input " + std::to_string(i) + " ('" + v.name +
                       "') was specialised at compile time to the value it had then (an op "
                       "needs it as a constant); this executable cannot take another value");
    }
  }
  Frame frame(program, inputs);
  for (const Instr& in : program.instrs) {
    try {
      execute(in, frame);
    } catch (const KernelError& e) {
      throw RunError(in.location + ": " + e.what());
    }
  }
  std::vector<HostTensor> outs;
  for (int32_t id : program.outputs) outs.push_back(frame.take(id));
  return outs;
}

}  // namespace dlc::rt
