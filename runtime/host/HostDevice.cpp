#include "runtime/host/HostDevice.h"

#include <cmath>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>

#include "runtime/host/NonFinite.h"

namespace dlc::rt {
namespace {

bool overlaps(const void* a, int64_t aBytes, const void* b, int64_t bBytes) {
  auto pa = reinterpret_cast<uintptr_t>(a), pb = reinterpret_cast<uintptr_t>(b);
  return aBytes > 0 && bBytes > 0 && pa < pb + static_cast<uintptr_t>(bBytes) &&
         pb < pa + static_cast<uintptr_t>(aBytes);
}

// Storage of every value during one run, laid out as the memory plan says
// (the same arena offsets a GPU would use):
//   Input, Constant: the caller's tensors and the program's data, borrowed;
//     a splat constant expanded into a buffer of its own while a kernel
//     that reads it runs;
//   Intermediate at offset >= 0: in the one arena; at offset -1: a buffer of
//     its own, kept to the end of the run;
//   Local: a buffer of its own, freed when its kernel ends (on a GPU it never
//     reaches memory).
// The host runs a kernel's instructions one after another, while a GPU
// thread reads all of a kernel's inputs before it writes; so an output whose
// bytes overlap one of the kernel's inputs (in-place reuse in the arena, or
// an output written over its aliased input) is staged in a buffer of its own
// and copied into place when the kernel ends.
class Frame {
 public:
  // `direct`: by value id, a caller's buffer that the value is computed in
  // directly (a model output with a buffer of its own); empty: none.
  Frame(const Program& p, const std::vector<ConstTensorRef>& inputs, std::vector<TensorRef> direct)
      : p_(p), owned_(p.values.size()), refs_(p.values.size()), staged_(p.values.size()),
        direct_(std::move(direct)) {
    direct_.resize(p.values.size());
    for (size_t id = 0; id < p.values.size(); ++id) {
      const ValueInfo& v = p.values[id];
      if (v.kind == ValueKind::Input) refs_[id] = inputs[v.inputIndex];
      if (v.kind == ValueKind::Constant && !v.splat) refs_[id] = v.constant.cref();
    }
    // Filled with 0xff bytes rather than zeros: like GPU memory, the arena
    // holds whatever was there, and a kernel must write all of its output.
    if (p.arenaBytes > 0) {
      int64_t rounded = (p.arenaBytes + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment;
      auto bytes = static_cast<size_t>(rounded);
      arena_.reset(static_cast<std::byte*>(std::aligned_alloc(kArenaAlignment, bytes)));
      if (!arena_) throw std::bad_alloc();
      std::memset(arena_.get(), 0xff, bytes);
    }
  }

  ConstTensorRef in(int32_t id) const { return refs_[id]; }

  TensorRef out(int32_t id) {
    const ValueInfo& v = p_.values[id];
    if (inArena(v) && !staged_[id]) {
      TensorRef ref{arena_.get() + v.offset, v.type};
      refs_[id] = ref;
      return ref;
    }
    if (direct_[id].data && !staged_[id]) {
      refs_[id] = direct_[id];
      return direct_[id];
    }
    owned_[id] = HostTensor(v.type);
    refs_[id] = owned_[id].cref();
    return owned_[id].ref();
  }

  void beginKernel(const Kernel& k) {
    // Splat constants the kernel reads are expanded for as long as it runs
    // (a GPU reads them as literals); the reference kernels want buffers.
    auto expand = [&](int32_t id) {
      const ValueInfo& v = p_.values[id];
      if (!v.splat || refs_[id].data) return;
      owned_[id] = expandConstant(v);
      refs_[id] = owned_[id].cref();
      expanded_.push_back(id);
    };
    for (int32_t id : k.inputs) expand(id);
    for (int32_t i = k.begin; i < k.end; ++i)
      for (int32_t id : p_.instrs[i].operands) expand(id);
    for (int32_t o : k.outputs) {
      if (direct_[o].data) {
        for (int32_t i : k.inputs)
          if (overlaps(refs_[i].data, refs_[i].type.byteSize(), direct_[o].data, direct_[o].type.byteSize()))
            staged_[o] = true;
        continue;
      }
      if (!inArena(p_.values[o])) continue;
      for (int32_t i : k.inputs)
        if (inArena(p_.values[i]) && overlap(p_.values[o], p_.values[i])) staged_[o] = true;
    }
  }

  void endKernel(const Kernel& k) {
    for (int32_t o : k.outputs) {
      if (!staged_[o]) continue;
      const ValueInfo& v = p_.values[o];
      void* at = direct_[o].data ? direct_[o].data : arena_.get() + v.offset;
      std::memcpy(at, owned_[o].data(), static_cast<size_t>(v.type.byteSize()));
      refs_[o] = {at, v.type};
      owned_[o] = HostTensor();
      staged_[o] = false;
    }
    for (int32_t i = k.begin; i < k.end; ++i) {
      int32_t r = p_.instrs[i].result;
      if (p_.values[r].kind != ValueKind::Local) continue;
      owned_[r] = HostTensor();
      refs_[r] = {};
    }
    for (int32_t id : expanded_) {
      owned_[id] = HostTensor();
      refs_[id] = {};
    }
    expanded_.clear();
  }

  // Model outputs are returned as tensors of their own (an arena buffer is
  // reused after its last use, and an output may be listed twice).
  // (A splat constant returned as it is expanded here.)
  HostTensor take(int32_t id) const {
    if (p_.values[id].splat) return expandConstant(p_.values[id]);
    return HostTensor(refs_[id].type, refs_[id].data);
  }
  // Copies value `id` into `out` unless it was computed there.
  void copyOut(int32_t id, TensorRef out) const {
    if (p_.values[id].splat) return fillWithElement(out, p_.values[id].constant.data());
    if (refs_[id].data != out.data && out.type.byteSize() > 0)
      std::memmove(out.data, refs_[id].data, static_cast<size_t>(out.type.byteSize()));
  }

 private:
  static bool inArena(const ValueInfo& v) { return v.kind == ValueKind::Intermediate && v.offset >= 0; }
  static bool overlap(const ValueInfo& a, const ValueInfo& b) {
    return a.offset < b.offset + b.type.byteSize() && b.offset < a.offset + a.type.byteSize();
  }

  struct FreeArena {
    void operator()(std::byte* p) const { std::free(p); }
  };
  const Program& p_;
  std::unique_ptr<std::byte, FreeArena> arena_;
  std::vector<HostTensor> owned_;
  std::vector<ConstTensorRef> refs_;
  std::vector<bool> staged_;  // outputs of the running kernel computed off to the side
  std::vector<TensorRef> direct_;
  std::vector<int32_t> expanded_;  // splat constants of the running kernel
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

void checkRunInputs(const Program& program, const std::vector<ConstTensorRef>& inputs) {
  verifyProgram(program);
  if (inputs.size() != program.inputs.size())
    throw RunError("the model takes " + std::to_string(program.inputs.size()) +
                   " input(s), " + std::to_string(inputs.size()) + " given");
  for (size_t i = 0; i < inputs.size(); ++i) {
    const ValueInfo& v = program.values[program.inputs[i]];
    if (inputs[i].type != v.type)
      throw RunError("input " + std::to_string(i) + " ('" + v.name + "') must be " +
                     v.type.str() + ", got " + inputs[i].type.str());
    if (v.isSpecialized) {
      int64_t bytes = inputs[i].type.byteSize();
      if (bytes > 0 && std::memcmp(v.specialized.data(), inputs[i].data, static_cast<size_t>(bytes)) != 0)
        throw RunError("input " + std::to_string(i) + " ('" + v.name +
                       "') was specialised at compile time to the value it had then (an op "
                       "needs it as a constant); this executable cannot take another value");
    }
  }
}

namespace {

// --check-nan: the first output of kernel `index` that holds NaN or Inf.
void checkFinite(const Program& program, size_t index, const Frame& frame) {
  for (int32_t o : program.kernels[index].outputs) {
    const ValueInfo& v = program.values[o];
    if (!isFloat(v.type.dtype)) continue;
    NonFiniteCount c = countNonFinite(frame.in(o));
    if (c.count != 0) throw RunError(nonFiniteMessage(program, index, o, c));
  }
}

void runKernels(const Program& program, Frame& frame, const HostRunOptions& options = {}) {
  for (size_t ki = 0; ki < program.kernels.size(); ++ki) {
    const Kernel& k = program.kernels[ki];
    std::chrono::steady_clock::time_point begin;
    if (options.onKernelTimed) begin = std::chrono::steady_clock::now();
    frame.beginKernel(k);
    for (int32_t i = k.begin; i < k.end; ++i) {
      const Instr& in = program.instrs[i];
      try {
        execute(in, frame);
      } catch (const KernelError& e) {
        throw RunError(in.location + ": " + e.what());
      }
    }
    frame.endKernel(k);
    if (options.onKernelTimed) options.onKernelTimed(ki, begin, std::chrono::steady_clock::now());
    if (options.checkNan) checkFinite(program, ki, frame);
  }
}

// The arena and the buffers of a run, or a RunError saying what did not fit
// (a model can be valid and still too large for this host).
template <typename Body>
void withMemory(const Program& program, Body body) {
  try {
    body();
  } catch (const std::bad_alloc&) {
    throw RunError("out of host memory (the plan needs an arena of " +
                   std::to_string(program.arenaBytes) + " bytes, plus the outputs)");
  }
}

}  // namespace

std::vector<HostTensor> runOnHost(const Program& program, const std::vector<HostTensor>& inputs,
                                  const HostRunOptions& options) {
  std::vector<ConstTensorRef> refs;
  for (const HostTensor& t : inputs) refs.push_back(t.cref());
  checkRunInputs(program, refs);
  std::vector<HostTensor> outs;
  withMemory(program, [&] {
    Frame frame(program, refs, {});
    runKernels(program, frame, options);
    for (int32_t id : program.outputs) outs.push_back(frame.take(id));
  });
  return outs;
}

void runOnHost(const Program& program, const std::vector<ConstTensorRef>& inputs,
               const std::vector<TensorRef>& outputs) {
  checkRunInputs(program, inputs);
  if (outputs.size() != program.outputs.size())
    throw RunError("the model has " + std::to_string(program.outputs.size()) + " output(s), " +
                   std::to_string(outputs.size()) + " given");
  for (size_t i = 0; i < outputs.size(); ++i) {
    const ValueInfo& v = program.values[program.outputs[i]];
    if (outputs[i].type != v.type)
      throw RunError("output " + std::to_string(i) + " ('" + v.name + "') is " + v.type.str() +
                     ", the buffer given for it is " + outputs[i].type.str());
    if (outputs[i].data == nullptr && v.type.byteSize() > 0)
      throw RunError("output " + std::to_string(i) + " ('" + v.name + "'): no buffer given");
  }
  // An output with a buffer of its own is computed in the caller's buffer,
  // unless the value is listed twice or the buffer overlaps an input (which
  // would be overwritten while still being read): except that an output
  // aliased in place to an input (Program::aliases) is computed straight
  // into that input's buffer when the caller passes the same buffer for
  // both, as the planner proved no later kernel reads the input.
  std::vector<int32_t> inPlaceInput(outputs.size(), -1);
  for (const OutputAlias& a : program.aliases)
    if (a.inPlace) inPlaceInput[a.output] = a.input;
  std::vector<TensorRef> direct(program.values.size());
  std::vector<int> uses(program.values.size());
  for (int32_t id : program.outputs) ++uses[id];
  for (size_t i = 0; i < outputs.size(); ++i) {
    int32_t id = program.outputs[i];
    const ValueInfo& v = program.values[id];
    if (v.kind != ValueKind::Intermediate || v.offset >= 0 || uses[id] != 1) continue;
    bool clash = false;
    for (size_t j = 0; j < inputs.size(); ++j) {
      const ConstTensorRef& in = inputs[j];
      bool same = static_cast<int32_t>(j) == inPlaceInput[i] && in.data == outputs[i].data;
      clash |= !same && overlaps(in.data, in.type.byteSize(), outputs[i].data, outputs[i].type.byteSize());
    }
    if (!clash) direct[id] = outputs[i];
  }
  withMemory(program, [&] {
    Frame frame(program, inputs, std::move(direct));
    runKernels(program, frame);
    for (size_t i = 0; i < outputs.size(); ++i) frame.copyOut(program.outputs[i], outputs[i]);
  });
}

}  // namespace dlc::rt
