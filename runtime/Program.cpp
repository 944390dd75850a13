#include "runtime/Program.h"

#include <algorithm>
#include <limits>

namespace dlc::rt {

const char* kernelKindName(KernelKind k) {
  switch (k) {
    case KernelKind::Loop: return "loop";
    case KernelKind::Reduction: return "reduction";
    case KernelKind::Gemm: return "gemm";
    case KernelKind::Conv: return "conv";
    case KernelKind::Sort: return "sort";
    case KernelKind::Scatter: return "scatter";
  }
  return "unknown";
}

ValueInfo splatConstant(const TensorType& type, HostTensor element) {
  ValueInfo v;
  v.type = type;
  v.kind = ValueKind::Constant;
  v.constant = std::move(element);
  v.splat = true;
  return v;
}

HostTensor expandConstant(const ValueInfo& v) {
  if (!v.splat) return HostTensor(v.constant.type(), v.constant.data());
  HostTensor t(v.type);
  fillWithElement(t.ref(), v.constant.data());
  return t;
}

int64_t storedConstantBytes(const ValueInfo& v) {
  if (v.kind != ValueKind::Constant) return 0;
  return v.splat ? dtypeSize(v.type.dtype) : v.type.byteSize();
}

namespace {

// The operand count of each opcode (-1: one or more).
int operandCount(OpCode op) {
  switch (op) {
    case OpCode::Iota: return 0;
    case OpCode::Unary: case OpCode::Convert: case OpCode::BitcastConvert:
    case OpCode::BroadcastInDim: case OpCode::Reshape: case OpCode::Transpose:
    case OpCode::Slice: case OpCode::Reverse: case OpCode::Reduce:
    case OpCode::ReduceWindow: case OpCode::Argsort:
      return 1;
    case OpCode::Binary: case OpCode::Compare: case OpCode::Pad: case OpCode::Gather:
    case OpCode::DotGeneral: case OpCode::Convolution:
      return 2;
    case OpCode::Select: case OpCode::Scatter: return 3;
    case OpCode::Concatenate: return -1;
  }
  return -1;
}

class Verifier {
 public:
  explicit Verifier(const Program& p)
      : p_(p), writer_(p.values.size(), -1), lastUse_(p.values.size(), -1) {}

  void run() {
    checkSignature();
    checkSplats();
    checkKernels();
    for (size_t i = 0; i < p_.outputs.size(); ++i) {
      int32_t id = checkId(p_.outputs[i], "output " + std::to_string(i));
      if (p_.values[id].kind == ValueKind::Local)
        fail("output " + std::to_string(i) + " is " + describe(id) + ", a value local to a kernel");
      if (p_.values[id].kind == ValueKind::Intermediate && writer_[id] < 0)
        fail("output " + std::to_string(i) + " is " + describe(id) + ", which no kernel writes");
      lastUse_[id] = static_cast<int32_t>(p_.kernels.size());  // live to the end
    }
    checkPlacement();
    checkOverlaps();
    checkAliases();
  }

 private:
  [[noreturn]] void fail(const std::string& why) const { throw InvalidProgram(why); }

  int32_t checkId(int32_t id, const std::string& who) const {
    if (id < 0 || static_cast<size_t>(id) >= p_.values.size())
      fail(who + " refers to value " + std::to_string(id) + ", but the program has " +
           std::to_string(p_.values.size()) + " values");
    return id;
  }

  std::string describe(int32_t id) const {
    const ValueInfo& v = p_.values[id];
    std::string s = "value " + std::to_string(id) + " (" + v.type.str();
    if (v.kind == ValueKind::Intermediate && v.offset >= 0) {
      // A broken plan (a damaged executable file) may place a buffer where
      // its end is past int64: say so rather than compute it.
      int64_t size = v.type.byteSize();
      s += " at arena [" + std::to_string(v.offset) + ", " +
           (size <= std::numeric_limits<int64_t>::max() - v.offset ? std::to_string(v.offset + size)
                                                                   : std::string("past 2^63")) +
           ")";
    }
    return s + ")";
  }

  std::string kernelName(size_t k) const {
    const std::string& where = p_.kernels[k].location;
    return "kernel " + std::to_string(k) + (where.empty() ? "" : " (" + where + ")");
  }

  void checkSignature() const {
    for (size_t i = 0; i < p_.inputs.size(); ++i) {
      int32_t id = checkId(p_.inputs[i], "input " + std::to_string(i));
      if (p_.values[id].kind != ValueKind::Input || p_.values[id].inputIndex != static_cast<int32_t>(i))
        fail("input " + std::to_string(i) + " is " + describe(id) + ", which is not Input " +
             std::to_string(i));
    }
    for (size_t id = 0; id < p_.values.size(); ++id) {
      const ValueInfo& v = p_.values[id];
      if (v.kind != ValueKind::Input) continue;
      if (v.inputIndex < 0 || static_cast<size_t>(v.inputIndex) >= p_.inputs.size() ||
          p_.inputs[v.inputIndex] != static_cast<int32_t>(id))
        fail(describe(static_cast<int32_t>(id)) + " is an Input missing from the signature");
    }
  }

  // The host device expands a splat from its one element: it must be there.
  void checkSplats() const {
    for (size_t id = 0; id < p_.values.size(); ++id) {
      const ValueInfo& v = p_.values[id];
      if (!v.splat) continue;
      if (v.kind != ValueKind::Constant)
        fail(describe(static_cast<int32_t>(id)) + " is a splat but not a Constant");
      if (v.constant.type() != TensorType{v.type.dtype, {}} || v.constant.data() == nullptr)
        fail(describe(static_cast<int32_t>(id)) + " is a splat whose element is " + v.constant.type().str() +
             ", not one " + std::string(dtypeName(v.type.dtype)));
    }
  }

  bool computedBefore(int32_t id) const {
    ValueKind kind = p_.values[id].kind;
    return kind == ValueKind::Input || kind == ValueKind::Constant || writer_[id] >= 0;
  }

  void checkKernels() {
    int32_t next = 0;
    for (size_t ki = 0; ki < p_.kernels.size(); ++ki) {
      const Kernel& k = p_.kernels[ki];
      const auto kernel = static_cast<int32_t>(ki);
      if (k.begin != next || k.end <= k.begin || static_cast<size_t>(k.end) > p_.instrs.size())
        fail(kernelName(ki) + " covers instructions [" + std::to_string(k.begin) + ", " +
             std::to_string(k.end) + "); kernels must cover the " + std::to_string(p_.instrs.size()) +
             " instructions in order, none empty");
      for (int32_t id : k.inputs) {
        checkId(id, kernelName(ki) + "'s input");
        if (p_.values[id].kind == ValueKind::Local)
          fail(kernelName(ki) + " takes " + describe(id) + ", a value local to another kernel");
        if (!computedBefore(id))
          fail(kernelName(ki) + " takes " + describe(id) + ", which is not computed before it");
      }
      for (int32_t id : k.outputs) checkId(id, kernelName(ki) + "'s output");
      for (int32_t i = k.begin; i < k.end; ++i) checkInstr(i, kernel);
      for (int32_t id : k.outputs)
        if (writer_[id] != kernel || p_.values[id].kind != ValueKind::Intermediate)
          fail(kernelName(ki) + " lists " + describe(id) + " as an output but does not compute it");
      next = k.end;
    }
    if (static_cast<size_t>(next) != p_.instrs.size())
      fail("instructions from " + std::to_string(next) + " on belong to no kernel");
  }

  void checkInstr(int32_t i, int32_t kernel) {
    const Instr& in = p_.instrs[i];
    const Kernel& k = p_.kernels[kernel];
    std::string who = "instruction " + std::to_string(i) + " (" + in.location + ") of " + kernelName(kernel);
    int count = operandCount(in.op);
    if (count >= 0 ? in.operands.size() != static_cast<size_t>(count) : in.operands.empty())
      fail(who + " has " + std::to_string(in.operands.size()) + " operands");
    for (int32_t id : in.operands) {
      checkId(id, who);
      if (!computedBefore(id)) fail(who + " reads " + describe(id) + " before it is computed");
      ValueKind kind = p_.values[id].kind;
      if (kind != ValueKind::Constant && writer_[id] != kernel) {  // from outside the kernel
        if (kind == ValueKind::Local)
          fail(who + " reads " + describe(id) + ", a value local to another kernel");
        if (std::find(k.inputs.begin(), k.inputs.end(), id) == k.inputs.end())
          fail(who + " reads " + describe(id) + ", which is not among the kernel's inputs");
      }
      lastUse_[id] = kernel;
    }
    int32_t r = checkId(in.result, who);
    ValueKind kind = p_.values[r].kind;
    if (kind != ValueKind::Intermediate && kind != ValueKind::Local)
      fail(who + " writes " + describe(r) + ", which is an input or a constant");
    if (writer_[r] >= 0) fail(who + " writes " + describe(r) + ", which is already written");
    writer_[r] = kernel;
    lastUse_[r] = kernel;
    if (kind == ValueKind::Intermediate &&
        std::find(k.outputs.begin(), k.outputs.end(), r) == k.outputs.end())
      fail(who + " writes " + describe(r) + ", which is neither Local nor among the kernel's outputs");
  }

  // A value and the kernel that writes it, for the memory plan's errors.
  std::string placed(int32_t id) const {
    return describe(id) + (writer_[id] >= 0 ? ", written by " + kernelName(writer_[id]) + "," : "");
  }

  void checkPlacement() const {
    if (p_.arenaBytes < 0) fail("the arena size is negative (" + std::to_string(p_.arenaBytes) + ")");
    for (size_t i = 0; i < p_.values.size(); ++i) {
      const ValueInfo& v = p_.values[i];
      auto id = static_cast<int32_t>(i);
      if (v.offset == -1) continue;
      if (v.kind != ValueKind::Intermediate)
        fail(describe(id) + " is not a kernel's output but has arena offset " + std::to_string(v.offset));
      if (v.offset < 0 || v.offset % kArenaAlignment != 0)
        fail(placed(id) + " has arena offset " + std::to_string(v.offset) +
             ", which is not a multiple of " + std::to_string(kArenaAlignment));
      if (v.type.byteSize() > p_.arenaBytes - v.offset)
        fail(placed(id) + " does not fit in the " + std::to_string(p_.arenaBytes) + "-byte arena");
    }
  }

  bool overlap(int32_t a, int32_t b) const {
    const ValueInfo& x = p_.values[a];
    const ValueInfo& y = p_.values[b];
    return x.offset < y.offset + y.type.byteSize() && y.offset < x.offset + x.type.byteSize();
  }

  // Sweeps the kernels in order with the set of arena buffers still live.
  // An input that dies at a kernel may share bytes with that kernel's
  // outputs (in-place reuse); nothing else live at the same time may.
  void checkOverlaps() const {
    std::vector<int32_t> live;
    for (size_t ki = 0; ki < p_.kernels.size(); ++ki) {
      const auto kernel = static_cast<int32_t>(ki);
      std::vector<int32_t> outs;
      for (int32_t id : p_.kernels[ki].outputs)
        if (p_.values[id].offset >= 0 && p_.values[id].type.byteSize() > 0) outs.push_back(id);
      for (size_t i = 0; i < outs.size(); ++i) {
        for (int32_t other : live)
          if (lastUse_[other] > kernel && overlap(outs[i], other))
            fail("the memory plan places " + describe(outs[i]) + ", written by " + kernelName(ki) +
                 ", over " + describe(other) + ", which is still live");
        for (size_t j = 0; j < i; ++j)
          if (overlap(outs[i], outs[j]))
            fail("the memory plan places " + describe(outs[i]) + " over " + describe(outs[j]) +
                 ", both written by " + kernelName(ki));
      }
      live.erase(std::remove_if(live.begin(), live.end(), [&](int32_t id) { return lastUse_[id] <= kernel; }),
                 live.end());
      for (int32_t id : outs)
        if (lastUse_[id] > kernel) live.push_back(id);
    }
  }

  // OutputAlias (Program.h). Runs last: it needs writer_ and lastUse_.
  void checkAliases() const {
    std::vector<bool> outputSeen(p_.outputs.size()), inputSeen(p_.inputs.size());
    for (size_t n = 0; n < p_.aliases.size(); ++n) {
      const OutputAlias& a = p_.aliases[n];
      std::string who = "alias " + std::to_string(n) + " (output " + std::to_string(a.output) + " into input " +
                        std::to_string(a.input) + ")";
      if (a.output < 0 || static_cast<size_t>(a.output) >= p_.outputs.size() || a.input < 0 ||
          static_cast<size_t>(a.input) >= p_.inputs.size())
        fail(who + ": the program has " + std::to_string(p_.outputs.size()) + " outputs and " +
             std::to_string(p_.inputs.size()) + " inputs");
      if (outputSeen[a.output] || inputSeen[a.input])
        fail(who + ": that output or input is in another alias too");
      outputSeen[a.output] = inputSeen[a.input] = true;
      int32_t v = p_.outputs[a.output], in = p_.inputs[a.input];
      if (p_.values[v].type != p_.values[in].type)
        fail(who + ": the output is " + describe(v) + ", the input " + describe(in));
      if (a.inPlace) checkInPlace(who, v, in);
    }
  }

  void checkInPlace(const std::string& who, int32_t v, int32_t in) const {
    if (v == in) return;  // the input returned as it is: nothing is written
    const ValueInfo& out = p_.values[v];
    if (out.kind != ValueKind::Intermediate || out.offset >= 0)
      fail(who + " is in place, but the output is " + describe(v) + ", not a kernel's output outside the arena");
    if (std::count(p_.outputs.begin(), p_.outputs.end(), v) != 1)
      fail(who + " is in place, but " + describe(v) + " is listed more than once among the outputs");
    if (std::count(p_.outputs.begin(), p_.outputs.end(), in) != 0)
      fail(who + " is in place, but the input is an output too");
    int32_t k = writer_[v];
    if (lastUse_[in] > k)
      fail(who + " is in place, but " + kernelName(static_cast<size_t>(lastUse_[in])) +
           " reads the input after " + kernelName(static_cast<size_t>(k)) + " writes the output over it");
    // Within the writer, what is computed from the input keeps its index.
    const Kernel& kernel = p_.kernels[k];
    int64_t count = out.type.numElements();
    std::vector<bool> derived(p_.values.size());
    derived[in] = true;
    for (int32_t i = kernel.begin; i < kernel.end; ++i) {
      const Instr& instr = p_.instrs[i];
      if (std::none_of(instr.operands.begin(), instr.operands.end(), [&](int32_t o) { return derived[o]; }))
        continue;
      bool sameIndex = instr.op == OpCode::Unary || instr.op == OpCode::Binary || instr.op == OpCode::Compare ||
                       instr.op == OpCode::Select || instr.op == OpCode::Convert || instr.op == OpCode::Reshape;
      if (!sameIndex || p_.values[instr.result].type.numElements() != count ||
          (kernel.kind != KernelKind::Loop && kernel.kind != KernelKind::Reduction))
        fail(who + " is in place, but instruction " + std::to_string(i) + " (" + instr.location + ") of " +
             kernelName(static_cast<size_t>(k)) + " reads the input at other indices than it writes");
      derived[instr.result] = true;
    }
  }

  const Program& p_;
  std::vector<int32_t> writer_;   // the kernel that writes each value, -1 if none
  std::vector<int32_t> lastUse_;  // the last kernel that reads it (kernels.size(): an output)
};

}  // namespace

void verifyProgram(const Program& p) { Verifier(p).run(); }

}  // namespace dlc::rt
