#include "codegen/cuda/VectorLoop.h"

#include <algorithm>
#include <map>
#include <set>

#include "codegen/cuda/CudaTypes.h"
#include "codegen/cuda/KernelEmitter.h"

namespace dlc::codegen::cuda {

using rt::OpCode;

namespace {

std::string num(int64_t v) { return std::to_string(v); }

constexpr int64_t kVectorBytes = 16;
constexpr int64_t kMaxLanes = 8;  // elements per thread: registers of long chains

// Elements between consecutive values of result dimension `d`.
int64_t strideOf(const rt::Shape& shape, int64_t d) {
  int64_t stride = 1;
  for (size_t i = static_cast<size_t>(d) + 1; i < shape.size(); ++i) stride *= shape[i];
  return stride;
}

// The flat index of broadcast `b`'s operand read at the result's flat index
// `f`: each operand dimension (of size > 1) takes the coordinate of the
// result dimension it maps to.
std::string spreadIndex(const rt::Instr& b, const rt::Program& p, const std::string& f) {
  const rt::Shape& to = p.values[b.result].type.shape;
  const rt::Shape& from = p.values[b.operands[0]].type.shape;
  std::string sum;
  int64_t fromStride = 1;
  for (size_t i = from.size(); i-- > 0;) {
    if (from[i] != 1) {
      int64_t d = b.dims[i], stride = strideOf(to, d);
      std::string term = stride == 1 ? f : "(" + f + " / " + num(stride) + ")";
      if (d != 0) term = "(" + term + " % " + num(to[d]) + ")";  // f < n: no wrap in dimension 0
      if (fromStride != 1) term += " * " + num(fromStride);
      sum = sum.empty() ? term : term + " + " + sum;
    }
    fromStride *= from[i];
  }
  return sum.empty() ? "0" : sum;
}

// Whether the `lanes` elements of one vector (starting at a multiple of
// `lanes`) all read the same operand element: every dimension the operand
// varies along changes at most once per `lanes` elements.
bool spreadShared(const rt::Instr& b, const rt::Program& p, int64_t lanes) {
  const rt::Shape& from = p.values[b.operands[0]].type.shape;
  for (size_t i = 0; i < from.size(); ++i)
    if (from[i] != 1 && strideOf(p.values[b.result].type.shape, b.dims[i]) % lanes != 0) return false;
  return true;
}

}  // namespace

std::optional<KernelBody> vectorLoopBody(const rt::Program& p, const rt::Kernel& k, const std::string& idx) {
  if (k.kind != rt::KernelKind::Loop || k.outputs.empty() || k.begin >= k.end) return std::nullopt;
  const int64_t n = p.values[k.outputs.front()].type.numElements();
  auto count = [&](int32_t v) { return p.values[v].type.numElements(); };
  // Every value has n elements (read at the element written) or one (the
  // same for every element); ops only combine elements at one index. The
  // exception are broadcasts of a tensor in memory (a bias [C] over
  // [N,C,H,W], through reshapes): each element reads the operand at an
  // index computed from its own (see `spread` below).
  std::set<int32_t> defined, streamed;  // streamed: memory values of n elements
  std::map<int32_t, int32_t> side;      // reshapes of memory values that only broadcasts read: their operand
  std::vector<const rt::Instr*> spreads;  // broadcasts of such values
  auto inMemory = [&](int32_t v) { return !defined.count(v) && !KernelEmitter::isSplat(p.values[v]); };
  int64_t widest = 1;
  for (int32_t i = k.begin; i < k.end; ++i) {
    const rt::Instr& in = p.instrs[i];
    bool whole = count(in.result) == n || count(in.result) == 1;
    switch (in.op) {
      case OpCode::Unary: case OpCode::Binary: case OpCode::Compare: case OpCode::Select:
      case OpCode::Convert: case OpCode::BitcastConvert:
        break;
      case OpCode::Reshape:
        if (whole) break;
        if (!inMemory(in.operands[0]) && !side.count(in.operands[0])) return std::nullopt;
        side[in.result] = in.operands[0];
        defined.insert(in.result);
        continue;
      case OpCode::BroadcastInDim: {
        // A scalar spread, or a broadcast that changes nothing.
        int32_t from = in.operands[0];
        if (count(from) == 1) break;
        bool identity = p.values[from].type.shape == p.values[in.result].type.shape;
        for (size_t d = 0; identity && d < in.dims.size(); ++d) identity = in.dims[d] == int64_t(d);
        if (identity) break;
        if (count(in.result) != n || (!inMemory(from) && !side.count(from))) return std::nullopt;
        spreads.push_back(&in);
        defined.insert(in.result);
        continue;
      }
      default:
        return std::nullopt;
    }
    if (!whole) return std::nullopt;
    for (int32_t v : in.operands) {
      if (count(v) != n && count(v) != 1) return std::nullopt;  // a side value read elementwise, too
      if (!defined.count(v) && count(v) == n && !KernelEmitter::isSplat(p.values[v])) streamed.insert(v);
    }
    defined.insert(in.result);
  }
  for (int32_t o : k.outputs)
    if (count(o) != n) return std::nullopt;
  for (int32_t v : streamed) widest = std::max<int64_t>(widest, rt::dtypeSize(p.values[v].type.dtype));
  for (int32_t o : k.outputs) widest = std::max<int64_t>(widest, rt::dtypeSize(p.values[o].type.dtype));
  const int64_t lanes = std::min(kMaxLanes, kVectorBytes / widest);
  if (lanes < 2 || n < lanes) return std::nullopt;
  const int64_t vectors = n / lanes;

  CodeWriter w;
  w.setIndent(1);
  KernelEmitter e(p, k, w, idx);
  // One flat dimension for every value (scalars: rank 0): each element's
  // index is its flat index, and loads are at it.
  auto flatType = [&](int32_t v) {
    const rt::TensorType& t = p.values[v].type;
    return rt::TensorType{t.dtype, count(v) == 1 && n != 1 ? rt::Shape{} : rt::Shape{count(v)}};
  };
  // A broadcast's operand, followed back through reshapes to the memory
  // value it reads (reshapes keep the flat order: same flat index).
  auto source = [&](int32_t v) {
    for (auto it = side.find(v); it != side.end(); it = side.find(v)) v = it->second;
    return v;
  };
  for (int32_t i = k.begin; i < k.end; ++i) {
    for (int32_t v : p.instrs[i].operands) e.retype(v, flatType(v));
    e.retype(p.instrs[i].result, flatType(p.instrs[i].result));
  }
  const std::string I = idx;
  auto cast = [&](const std::string& x) { return "static_cast<" + I + ">(" + x + ")"; };
  std::string start = cast("blockIdx.x") + " * blockDim.x + threadIdx.x";
  std::string stride = cast("gridDim.x") + " * blockDim.x";

  // The vector path needs every streamed pointer aligned to its access.
  std::string aligned;
  auto needAligned = [&](int32_t v) {
    int64_t bytes = lanes * rt::dtypeSize(p.values[v].type.dtype);
    aligned += std::string(aligned.empty() ? "" : " && ") + "dlc_aligned(" + KernelEmitter::ptr(v) + ", " +
               num(bytes) + ")";
  };
  for (int32_t v : streamed) needAligned(v);
  for (int32_t o : k.outputs) needAligned(o);
  w.line("// " + num(lanes) + " elements per thread while every buffer is aligned to its vector");
  w.line("const bool vectors = " + aligned + ";");
  w.open("if (vectors)");
  w.open("for (" + I + " q = " + start + "; q < " + num(vectors) + "; q += " + stride + ")");
  e.pushScope();
  std::string base = e.let(I, "q * " + num(lanes), "i");
  std::vector<std::string> flat(lanes);
  for (int64_t l = 0; l < lanes; ++l) flat[l] = l == 0 ? base : e.let(I, base + " + " + num(l), "i");
  for (int32_t v : streamed) {
    std::string st = storageType(p.values[v].type.dtype), name = "x" + num(v);
    w.line("const dlc_vec<" + st + ", " + num(lanes) + "> " + name + " = dlc_ldv<" + num(lanes) + ">(" +
           KernelEmitter::ptr(v) + ", " + base + ");");
    for (int64_t l = 0; l < lanes; ++l) e.overrideLoad(v, flat[l], "dlc_ld(" + name + ".v, " + num(l) + ")");
  }
  for (const rt::Instr* b : spreads) {
    int32_t from = source(b->operands[0]);
    if (spreadShared(*b, p, lanes)) {
      std::string v = e.emit(from, {spreadIndex(*b, p, base)});
      for (int64_t l = 0; l < lanes; ++l) e.preset(b->result, {flat[l]}, v);
    } else {
      for (int64_t l = 0; l < lanes; ++l) e.preset(b->result, {flat[l]}, e.emit(from, {spreadIndex(*b, p, flat[l])}));
    }
  }
  std::vector<std::vector<std::string>> values(k.outputs.size());
  for (int64_t l = 0; l < lanes; ++l)
    for (size_t o = 0; o < k.outputs.size(); ++o) values[o].push_back(e.emit(k.outputs[o], {flat[l]}));
  for (size_t o = 0; o < k.outputs.size(); ++o) {
    int32_t out = k.outputs[o];
    std::string st = storageType(p.values[out].type.dtype), name = "y" + num(out);
    w.line("dlc_vec<" + st + ", " + num(lanes) + "> " + name + ";");
    for (int64_t l = 0; l < lanes; ++l) w.line("dlc_st(" + name + ".v, " + num(l) + ", " + values[o][l] + ");");
    w.line("dlc_stv<" + num(lanes) + ">(" + KernelEmitter::ptr(out) + ", " + base + ", " + name + ");");
  }
  e.popScope();
  w.close();
  w.close();
  // The elements after the last whole vector, or all of them when a buffer
  // is not aligned: one per thread.
  w.open("for (" + I + " e = (vectors ? " + num(vectors * lanes) + " : 0) + " + start + "; e < " + num(n) +
         "; e += " + stride + ")");
  e.pushScope();
  for (const rt::Instr* b : spreads)
    e.preset(b->result, {"e"}, e.emit(source(b->operands[0]), {spreadIndex(*b, p, "e")}));
  std::vector<std::pair<int32_t, std::string>> stores;
  for (int32_t o : k.outputs) stores.emplace_back(o, e.emit(o, {"e"}));
  for (auto& [o, v] : stores) w.line("dlc_st(" + KernelEmitter::ptr(o) + ", e, " + v + ");");
  e.popScope();
  w.close();

  KernelBody body;
  body.body = dropUnusedIndices(w.str());
  body.reads = e.memoryReads();
  for (int32_t v : streamed)  // loaded as vectors even where no output reaches them
    if (std::find(body.reads.begin(), body.reads.end(), v) == body.reads.end()) body.reads.push_back(v);
  body.work = (n + lanes - 1) / lanes;
  return body;
}

}  // namespace dlc::codegen::cuda
