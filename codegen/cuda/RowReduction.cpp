#include "codegen/cuda/RowReduction.h"

#include <algorithm>
#include <functional>
#include <set>

#include "codegen/cuda/CudaTypes.h"
#include "codegen/cuda/KernelEmitter.h"

namespace dlc::codegen::cuda {

using rt::OpCode;

namespace {

std::string num(int64_t v) { return std::to_string(v); }

// Registers a thread may spend on row elements kept between the phases
// (beyond that, later phases load again: from L1/L2, as the row was just read).
constexpr int64_t kCacheRegisters = 32;

struct Rows {
  rt::Shape full;               // the reductions' operand shape
  int64_t rows = 0, len = 0;    // full = rows x len, row-major
  int64_t count = 0;            // rows * len
  std::vector<int32_t> reduces;  // instruction indices, program order
};

bool elementwise(OpCode op) {
  return op == OpCode::Unary || op == OpCode::Binary || op == OpCode::Compare || op == OpCode::Select ||
         op == OpCode::Convert || op == OpCode::BitcastConvert;
}

// The row structure of `k`, or nullopt. Besides the reductions sharing one
// operand shape and one set of dims, the reduced dims must be the innermost
// non-1 dims, and every value depending on a reduction must keep the flat
// index of its row (elementwise ops and reshapes on per-element or per-row
// values, broadcasts of a per-row value over its row), so that a
// reduction's result can be one register for the whole row. Outputs must be
// per element or per row.
std::optional<Rows> analyze(const rt::Program& p, const rt::Kernel& k) {
  if (k.kind != rt::KernelKind::Reduction) return std::nullopt;
  Rows r;
  std::vector<int64_t> dims;
  for (int32_t i = k.begin; i < k.end; ++i) {
    const rt::Instr& in = p.instrs[i];
    if (in.op == OpCode::Argsort || in.op == OpCode::Scatter) return std::nullopt;
    if (in.op != OpCode::Reduce) continue;
    const rt::Shape& s = p.values[in.operands[0]].type.shape;
    if (r.reduces.empty()) {
      r.full = s;
      dims = in.dims;
    } else if (s != r.full || in.dims != dims) {
      return std::nullopt;
    }
    r.reduces.push_back(i);
  }
  if (r.reduces.empty()) return std::nullopt;
  std::vector<bool> reduced(r.full.size(), false);
  for (int64_t d : dims) reduced[d] = true;
  std::vector<int64_t> keptNon1;
  bool seenReduced = false;
  r.len = 1;
  for (size_t d = 0; d < r.full.size(); ++d) {
    if (r.full[d] == 1) continue;
    if (reduced[d]) {
      seenReduced = true;
      r.len *= r.full[d];
    } else {
      if (seenReduced) return std::nullopt;  // a column reduction
      keptNon1.push_back(static_cast<int64_t>(d));
    }
  }
  r.count = 1;
  for (int64_t x : r.full) r.count *= x;
  if (r.count == 0) return std::nullopt;
  r.rows = r.count / r.len;

  auto count = [&](int32_t v) { return p.values[v].type.numElements(); };
  auto aligned = [&](int32_t v) { return count(v) == r.count || count(v) == r.rows; };
  std::set<int32_t> dependent;
  for (int32_t i = k.begin; i < k.end; ++i) {
    const rt::Instr& in = p.instrs[i];
    if (in.op == OpCode::Reduce) {
      dependent.insert(in.result);
      continue;
    }
    bool uses = false;
    for (int32_t v : in.operands) uses = uses || dependent.count(v);
    if (!uses) continue;
    dependent.insert(in.result);
    const rt::Shape& rs = p.values[in.result].type.shape;
    if (elementwise(in.op) || in.op == OpCode::Reshape) {
      if (!aligned(in.result)) return std::nullopt;
    } else if (in.op == OpCode::BroadcastInDim) {
      if (rs != r.full) return std::nullopt;
      const rt::Shape& xs = p.values[in.operands[0]].type.shape;
      bool identity = xs == rs;
      for (size_t d = 0; identity && d < in.dims.size(); ++d) identity = in.dims[d] == int64_t(d);
      std::vector<int64_t> mapped;
      for (size_t d = 0; d < xs.size(); ++d)
        if (xs[d] != 1) mapped.push_back(in.dims[d]);
      if (!identity && mapped != keptNon1) return std::nullopt;
    } else {
      return std::nullopt;
    }
  }
  for (int32_t o : k.outputs)
    if (!aligned(o)) return std::nullopt;
  return r;
}

// Values read from memory (not computed in the kernel) that computing
// `roots` reaches, not looking through reductions (their results are
// registers by then).
std::set<int32_t> memoryReach(const rt::Program& p, const rt::Kernel& k, std::vector<int32_t> roots) {
  std::map<int32_t, int32_t> definer;
  for (int32_t i = k.begin; i < k.end; ++i) definer[p.instrs[i].result] = i;
  std::set<int32_t> seen, reads;
  while (!roots.empty()) {
    int32_t v = roots.back();
    roots.pop_back();
    if (!seen.insert(v).second) continue;
    auto d = definer.find(v);
    if (d == definer.end()) {
      reads.insert(v);
      continue;
    }
    const rt::Instr& in = p.instrs[d->second];
    if (in.op == OpCode::Reduce) continue;
    roots.insert(roots.end(), in.operands.begin(), in.operands.end());
  }
  return reads;
}

int64_t nextPow2(int64_t x) {
  int64_t p = 1;
  while (p < x) p *= 2;
  return p;
}

}  // namespace

std::optional<KernelBody> rowReductionBody(const rt::Program& p, const rt::Kernel& k, const std::string& idx,
                                           int smCount) {
  std::optional<Rows> found = analyze(p, k);
  if (!found) return std::nullopt;
  const Rows& r = *found;
  const std::string I = idx;
  auto cast = [&](const std::string& e) { return "static_cast<" + I + ">(" + e + ")"; };

  // Geometry. A warp per row (W lanes: rows shorter than 32 share a warp)
  // unless rows are long, or long enough and too few to fill the GPU with
  // warps: then a block per row.
  const bool perBlock = r.len > 1024 || (r.len >= 256 && r.rows < 2 * int64_t(smCount));
  const int64_t block = perBlock ? (r.len > 4096 ? 512 : 256) : 256;
  const int64_t width = perBlock ? block : std::min<int64_t>(32, nextPow2(r.len));  // threads per row
  const int64_t rowsPerBlock = block / width;
  const int64_t maxBlocks = std::max<int64_t>(1, int64_t(smCount) * (2048 / block));
  KernelBody out;
  out.block = {static_cast<uint32_t>(block), 1, 1};
  out.grid = {static_cast<uint32_t>(std::clamp<int64_t>((r.rows + rowsPerBlock - 1) / rowsPerBlock, 1, maxBlocks)),
              1, 1};
  out.synchronises = true;
  out.launchBounds = static_cast<uint32_t>(block);
  out.work = r.count;

  // Inputs of the full shape that two or more phases read stay in registers
  // from one load: each thread's elements of its row (K of them).
  const int64_t perThread = (r.len + width - 1) / width;
  std::vector<int32_t> fullOutputs, rowOutputs;
  for (int32_t o : k.outputs)
    (p.values[o].type.numElements() == r.count ? fullOutputs : rowOutputs).push_back(o);
  std::map<int32_t, int> phasesReading;
  for (int32_t ri : r.reduces)
    for (int32_t v : memoryReach(p, k, {p.instrs[ri].operands[0]})) ++phasesReading[v];
  for (int32_t v : memoryReach(p, k, fullOutputs)) ++phasesReading[v];
  std::vector<int32_t> cached;
  int64_t registers = 0;
  for (int32_t v : k.inputs) {
    const rt::TensorType& t = p.values[v].type;
    if (t.shape != r.full || phasesReading[v] < 2) continue;
    int64_t need = perThread * (rt::dtypeSize(t.dtype) == 8 ? 2 : 1);
    if (registers + need > kCacheRegisters) continue;
    registers += need;
    cached.push_back(v);
  }
  const bool unrolled = !cached.empty();

  CodeWriter w;
  w.setIndent(1);
  KernelEmitter e(p, k, w, I);
  auto cacheName = [](int32_t v) { return "rcache" + num(v); };
  // The loop over this thread's elements of the row: `body` sees the flat
  // index of the element in the full shape, its multi-index, and the
  // registers of the cached inputs at it.
  auto columns = [&](const std::function<void(const std::string&, const Index&)>& body) {
    if (unrolled) {
      w.line("DLC_UNROLL");
      w.open("for (int j = 0; j < " + num(perThread) + "; ++j)");
      w.line("const " + I + " col = lane + " + cast("j") + " * " + num(width) + ";");
      bool ragged = r.len % width != 0;
      if (ragged) w.open("if (col < " + num(r.len) + ")");
    } else {
      w.open("for (" + I + " col = lane; col < " + num(r.len) + "; col += " + num(width) + ")");
    }
    e.pushScope();
    std::string flat = e.let(I, r.len == 1 ? "row" : "row * " + num(r.len) + " + col", "i");
    Index m = e.unflatten(flat, r.full);
    for (int32_t v : cached) e.preset(v, m, cacheName(v) + "[j]");
    body(flat, m);
    e.popScope();
    if (unrolled && r.len % width != 0) w.close();
    w.close();
  };

  w.line("const " + I + " tid = " + cast("threadIdx.x") + ";");
  w.line("const " + I + " lane = tid % " + num(width) + ";");
  std::vector<std::string> shared;
  if (perBlock) {
    for (size_t n = 0; n < r.reduces.size(); ++n) {
      rt::DType t = p.values[p.instrs[r.reduces[n]].operands[0]].type.dtype;
      w.line("__shared__ " + accumType(t) + " rpart" + num(n) + "[" + num(block / 32) + "];");
    }
    w.open("for (" + I + " row = " + cast("blockIdx.x") + "; row < " + num(r.rows) + "; row += " +
           cast("gridDim.x") + ")");
  } else {
    // Rows of a warp are consecutive; the loop is warp-uniform, so every
    // lane reaches every shuffle (lanes past the last row add identities).
    int64_t rowsPerWarp = 32 / width;
    w.open("for (" + I + " rb = (" + cast("blockIdx.x") + " * " + num(block) + " + tid) / 32 * " +
           num(rowsPerWarp) + "; rb < " + num(r.rows) + "; rb += " + cast("gridDim.x") + " * " +
           num(block / 32 * rowsPerWarp) + ")");
    w.line("const " + I + " row = rb + tid % 32 / " + num(width) + ";");
    w.line("const bool active = row < " + num(r.rows) + ";");
  }
  for (int32_t v : cached) {
    const rt::TensorType& t = p.values[v].type;
    w.line(registerType(t.dtype) + " " + cacheName(v) + "[" + num(perThread) + "];");
  }
  if (!cached.empty()) {
    if (!perBlock) w.open("if (active)");
    columns([&](const std::string&, const Index& m) {
      for (int32_t v : cached) w.line(cacheName(v) + "[j] = " + e.load(v, m) + ";");
    });
    if (!perBlock) w.close();
  }
  // The reductions, in program order: per-thread partials over the row,
  // then a butterfly over the warp (every lane ends with the result), then
  // for a block the warps' partials through shared memory, combined in the
  // same order by every thread.
  for (size_t n = 0; n < r.reduces.size(); ++n) {
    const rt::Instr& in = p.instrs[r.reduces[n]];
    rt::DType t = p.values[in.operands[0]].type.dtype;
    auto kind = static_cast<rt::ReduceKind>(in.kind);
    std::string acc = "racc" + num(n), red = "rred" + num(n);
    w.line("// " + std::string(rt::reduceKindName(kind)) + " over the row: p" + num(in.result));
    w.line(accumType(t) + " " + acc + " = " + reduceIdentity(t, kind) + ";");
    if (!perBlock) w.open("if (active)");
    columns([&](const std::string&, const Index& m) {
      std::string v = e.emit(in.operands[0], m);
      w.line(acc + " = " + reduceCombine(t, kind, acc, v) + ";");
    });
    if (!perBlock) w.close();
    // The lane's value is exchanged before it is combined: an i1 combine is
    // || or &&, and every lane must reach the shuffle.
    std::string other = "rother" + num(n);
    if (width > 1) w.line(accumType(t) + " " + other + ";");
    for (int64_t mask = std::min<int64_t>(width, 32) / 2; mask >= 1; mask /= 2) {
      w.line(other + " = dlc_shfl_xor(" + acc + ", " + num(mask) + ");");
      w.line(acc + " = " + reduceCombine(t, kind, acc, other) + ";");
    }
    if (perBlock) {
      std::string part = "rpart" + num(n);
      w.line("if (tid % 32 == 0) " + part + "[tid / 32] = " + acc + ";");
      w.line("__syncthreads();");
      w.line(acc + " = " + part + "[0];");
      w.line("for (int q = 1; q < " + num(block / 32) + "; ++q) " + acc + " = " +
             reduceCombine(t, kind, acc, part + "[q]") + ";");
      w.line("__syncthreads();  // " + part + " is written again for the next row");
    }
    w.line("const " + registerType(t) + " " + red + " = " + roundTo(t, acc) + ";");
    e.bind(in.result, red);
  }
  // The epilogue: per-element outputs by every thread (all computed before
  // any is stored), per-row outputs by the row's first thread.
  if (!perBlock) w.open("if (active)");
  if (!fullOutputs.empty()) {
    columns([&](const std::string& flat, const Index&) {
      std::vector<std::pair<int32_t, std::string>> stores;
      for (int32_t o : fullOutputs) stores.emplace_back(o, e.emit(o, e.unflatten(flat, p.values[o].type.shape)));
      for (auto& [o, v] : stores) w.line("dlc_st(" + KernelEmitter::ptr(o) + ", " + flat + ", " + v + ");");
    });
  }
  if (!rowOutputs.empty()) {
    w.open("if (lane == 0)");
    e.pushScope();
    std::vector<std::pair<int32_t, std::string>> stores;
    for (int32_t o : rowOutputs) stores.emplace_back(o, e.emit(o, e.unflatten("row", p.values[o].type.shape)));
    for (auto& [o, v] : stores) w.line("dlc_st(" + KernelEmitter::ptr(o) + ", row, " + v + ");");
    e.popScope();
    w.close();
  }
  if (!perBlock) w.close();
  w.close();
  out.body = dropUnusedIndices(w.str());
  out.reads = e.memoryReads();
  return out;
}

}  // namespace dlc::codegen::cuda
