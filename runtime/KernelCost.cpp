#include "runtime/KernelCost.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace dlc::rt {

namespace {

int64_t elems(const Program& p, int32_t id) { return p.values[id].type.numElements(); }

int64_t product(const Shape& s, const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= s[static_cast<size_t>(d)];
  return n;
}

// Ops that only move or re-type data: left out of a kernel's op list when
// anything else is there.
bool movesData(OpCode op) {
  switch (op) {
    case OpCode::BroadcastInDim: case OpCode::Reshape: case OpCode::Convert: case OpCode::Iota:
    case OpCode::BitcastConvert: return true;
    default: return false;
  }
}

}  // namespace

double instrFlops(const Program& p, const Instr& in) {
  const double out = static_cast<double>(elems(p, in.result));
  switch (in.op) {
    case OpCode::Unary: case OpCode::Binary: case OpCode::Compare: case OpCode::Select:
      return out;
    case OpCode::Reduce:
      return static_cast<double>(elems(p, in.operands[0]));
    case OpCode::ReduceWindow: {
      int64_t window = 1;
      for (int64_t w : in.window.window) window *= w;
      return out * static_cast<double>(window);
    }
    case OpCode::DotGeneral: {
      const Shape& lhs = p.values[in.operands[0]].type.shape;
      return 2.0 * out * static_cast<double>(product(lhs, in.dot.lhsContract));
    }
    case OpCode::Convolution: {
      // filter O x C/groups x K1..Kk: each output element reads one filter row.
      const Shape& w = p.values[in.operands[1]].type.shape;
      int64_t row = 1;
      for (size_t i = 1; i < w.size(); ++i) row *= w[i];
      return 2.0 * out * static_cast<double>(row);
    }
    case OpCode::Scatter:
      return static_cast<double>(elems(p, in.operands[2]));
    case OpCode::Argsort: {
      const Shape& s = p.values[in.operands[0]].type.shape;
      int64_t n = s.empty() ? 1 : s[static_cast<size_t>(in.axis)];
      return n > 1 ? out * std::ceil(std::log2(static_cast<double>(n))) : 0.0;
    }
    default:
      return 0;
  }
}

KernelCost kernelCost(const Program& p, size_t index) {
  const Kernel& k = p.kernels[index];
  KernelCost c;
  std::vector<int32_t> read(k.inputs.begin(), k.inputs.end());
  for (int32_t i = k.begin; i < k.end; ++i) {
    const Instr& in = p.instrs[i];
    c.flops += instrFlops(p, in);
    for (int32_t id : in.operands)
      if (p.values[id].kind == ValueKind::Constant) read.push_back(id);
  }
  std::sort(read.begin(), read.end());
  read.erase(std::unique(read.begin(), read.end()), read.end());
  // A splat constant is a literal in a generated kernel: it reads its one
  // element at most.
  for (int32_t id : read)
    c.bytesRead += p.values[id].splat ? storedConstantBytes(p.values[id]) : p.values[id].type.byteSize();
  std::vector<int32_t> written(k.outputs.begin(), k.outputs.end());
  std::sort(written.begin(), written.end());
  written.erase(std::unique(written.begin(), written.end()), written.end());
  for (int32_t id : written) c.bytesWritten += p.values[id].type.byteSize();
  return c;
}

std::string opName(const Instr& in) {
  switch (in.op) {
    case OpCode::Unary: return std::string(unaryKindName(static_cast<UnaryKind>(in.kind)));
    case OpCode::Binary: return std::string(binaryKindName(static_cast<BinaryKind>(in.kind)));
    case OpCode::Compare: return "compare_" + std::string(compareKindName(static_cast<CompareKind>(in.kind)));
    case OpCode::Select: return "select";
    case OpCode::Convert: return "convert";
    case OpCode::Iota: return "iota";
    case OpCode::BroadcastInDim: return "broadcast_in_dim";
    case OpCode::Reshape: return "reshape";
    case OpCode::Transpose: return "transpose";
    case OpCode::Slice: return "slice";
    case OpCode::Concatenate: return "concatenate";
    case OpCode::Pad: return "pad";
    case OpCode::Gather: return "gather";
    case OpCode::Scatter: return "scatter_" + std::string(scatterKindName(static_cast<ScatterKind>(in.kind)));
    case OpCode::Reverse: return "reverse";
    case OpCode::Reduce: return "reduce_" + std::string(reduceKindName(static_cast<ReduceKind>(in.kind)));
    case OpCode::DotGeneral: return "dot_general";
    case OpCode::Convolution: return "convolution";
    case OpCode::ReduceWindow: return "reduce_window_" + std::string(reduceKindName(static_cast<ReduceKind>(in.kind)));
    case OpCode::BitcastConvert: return "bitcast_convert";
    case OpCode::Argsort: return "argsort";
  }
  return "op";
}

std::string kernelOps(const Program& p, size_t index) {
  const Kernel& k = p.kernels[index];
  std::vector<std::string> names;
  for (bool all : {false, true}) {
    for (int32_t i = k.begin; i < k.end; ++i) {
      const Instr& in = p.instrs[i];
      if (!all && movesData(in.op)) continue;
      std::string n = opName(in);
      if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
    }
    if (!names.empty()) break;
  }
  std::string s;
  for (const std::string& n : names) s += (s.empty() ? "" : ", ") + n;
  return s;
}

}  // namespace dlc::rt
