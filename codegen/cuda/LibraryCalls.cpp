#include "codegen/cuda/LibraryCalls.h"

#include <algorithm>
#include <functional>
#include <set>

#include "codegen/cuda/OperandViews.h"
#include "runtime/cuda/ConvLayout.h"
#include "runtime/cuda/GemmLayout.h"

namespace dlc::codegen::cuda {

using rt::BinaryKind;
using rt::DType;
using rt::OpCode;

namespace {

// The instructions of one kernel: who defines a value, how often it is read.
struct KernelGraph {
  const rt::Program& p;
  const rt::Kernel& k;
  std::map<int32_t, int32_t> definer;  // value id -> instr index
  std::map<int32_t, int> uses;         // value id -> reads inside the kernel

  KernelGraph(const rt::Program& prog, const rt::Kernel& kern) : p(prog), k(kern) {
    for (int32_t i = k.begin; i < k.end; ++i) {
      definer[p.instrs[i].result] = i;
      for (int32_t v : p.instrs[i].operands) ++uses[v];
    }
  }
  const rt::Instr* def(int32_t v) const {
    auto it = definer.find(v);
    return it == definer.end() ? nullptr : &p.instrs[it->second];
  }
  // The one instruction of the kernel that reads v, if it has exactly one
  // reader and is not also written out.
  const rt::Instr* soleUser(int32_t v) const {
    auto it = uses.find(v);
    if (it == uses.end() || it->second != 1) return nullptr;
    if (std::find(k.outputs.begin(), k.outputs.end(), v) != k.outputs.end()) return nullptr;
    for (int32_t i = k.begin; i < k.end; ++i)
      for (int32_t o : p.instrs[i].operands)
        if (o == v) return &p.instrs[i];
    return nullptr;
  }
};

bool isZeroConstant(const rt::Program& p, const rt::Kernel& k, int32_t v) {
  std::optional<StridedView> view = operandView(p, k, v, true);
  if (!view) return false;
  const rt::ValueInfo& info = p.values[view->value];
  if (info.kind != rt::ValueKind::Constant || info.constant.numElements() == 0) return false;
  for (int64_t i = 0; i < info.constant.numElements(); ++i)
    if (rt::loadAsDouble(info.constant.cref(), i) != 0.0) return false;
  return true;
}

// One elementwise op at the start of the fusion's epilogue that the library
// computes itself.
enum class Step { Bias, Residual, Relu };
struct EpilogueStep {
  Step kind;
  const rt::Instr* instr;
  StridedView side;  // Bias/Residual: the other operand's view over the result's shape
};

// The other operand of a binary op that reads `cur`.
int32_t otherOperand(const rt::Instr& in, int32_t cur) {
  if (in.operands.size() != 2) return -1;
  if (in.operands[0] == cur && in.operands[1] != cur) return in.operands[1];
  if (in.operands[1] == cur && in.operands[0] != cur) return in.operands[0];
  return -1;
}

// The parts of a GEMM or convolution fusion (FusionRules' checkContraction):
// the contraction, the start of the elementwise epilogue the library can
// take (candidates, in order), the value `last` that the store moves into
// the output (store: from the output back to `last`), and the output.
struct Fusion {
  const rt::Instr* hero = nullptr;
  std::vector<EpilogueStep> steps;
  std::vector<const rt::Instr*> store;  // output first
  int32_t last = -1, output = -1;
};

// `classify(instr, cur)`: the step this op would be, or nullopt to stop.
using Classifier = std::function<std::optional<EpilogueStep>(const rt::Instr&, int32_t)>;

std::optional<Fusion> analyse(const KernelGraph& g, const Classifier& classify) {
  const rt::Program& p = g.p;
  const rt::Kernel& k = g.k;
  if (k.outputs.size() != 1) return std::nullopt;
  Fusion f;
  for (int32_t i = k.begin; i < k.end; ++i) {
    const rt::Instr& in = p.instrs[i];
    if (in.op != OpCode::DotGeneral && in.op != OpCode::Convolution) continue;
    if (f.hero) return std::nullopt;  // two contractions: not a library call
    f.hero = &in;
  }
  if (!f.hero) return std::nullopt;
  f.output = k.outputs[0];
  // The store: the transposes and reshapes that move a value of the
  // contraction's shape (`last`) into the output.
  int32_t v = f.output;
  for (const rt::Instr* d = g.def(v); d && (d->op == OpCode::Transpose || d->op == OpCode::Reshape);
       d = g.def(v)) {
    f.store.push_back(d);
    v = d->operands[0];
  }
  f.last = v;
  const rt::TensorType& heroType = p.values[f.hero->result].type;
  if (p.values[f.last].type.shape != heroType.shape) return std::nullopt;
  // `last` must be computed from the contraction (it always is in a fusion
  // that FusionRules made; a hand-made Program may differ).
  std::set<int32_t> fromHero{f.hero->result};
  for (int32_t i = k.begin; i < k.end; ++i)
    for (int32_t o : p.instrs[i].operands)
      if (fromHero.count(o)) fromHero.insert(p.instrs[i].result);
  if (!fromHero.count(f.last)) return std::nullopt;
  // The epilogue's start, as long as each value feeds only the next step.
  int32_t cur = f.hero->result;
  while (cur != f.last) {
    const rt::Instr* user = g.soleUser(cur);
    if (!user) break;
    std::optional<EpilogueStep> s = classify(*user, cur);
    if (!s) break;
    f.steps.push_back(*s);
    cur = user->result;
    if (s->kind == Step::Relu) break;
  }
  return f;
}

// The value the library call leaves in the output: the contraction's result
// after the first `taken` steps.
int32_t boundary(const Fusion& f, size_t taken) { return taken == 0 ? f.hero->result : f.steps[taken - 1].instr->result; }

// The view of `last` (the contraction's shape) inside the output's buffer:
// the store's transposes and reshapes walked back from the output.
std::optional<StridedView> storeView(const rt::Program& p, const Fusion& f) {
  StridedView view = contiguousView(f.output, p.values[f.output].type.shape);
  for (const rt::Instr* s : f.store) {
    const rt::Shape& operandShape = p.values[s->operands[0]].type.shape;
    if (s->op == OpCode::Transpose) {  // result dim d is operand dim perm[d]
      StridedView in = view;
      for (size_t d = 0; d < s->dims.size(); ++d) {
        in.shape[s->dims[d]] = view.shape[d];
        in.strides[s->dims[d]] = view.strides[d];
      }
      view = in;
    } else if (!reshapeView(view, operandShape)) {
      return std::nullopt;
    }
  }
  return view;
}

// The rest of the fusion after `taken` epilogue steps, reading the library's
// result (of element type `written`) back from the output buffer, or from
// the scratch buffer the runtime stages it in when `written` is not the
// output's type (nullopt: nothing is left).
std::optional<EpilogueKernel> restOfFusion(const rt::Program& p, const rt::Kernel& k, const Fusion& f,
                                           size_t taken, DType written) {
  int32_t b = boundary(f, taken);
  if (b == f.last) return std::nullopt;
  std::set<int32_t> done{f.hero->result};
  for (size_t i = 0; i < taken; ++i) done.insert(f.steps[i].instr->result);

  EpilogueKernel e;
  rt::Program& q = e.program;
  q.values.resize(p.values.size());
  std::vector<bool> copied(p.values.size(), false);
  auto copyValue = [&](int32_t v) {
    if (copied[v]) return;
    copied[v] = true;
    const rt::ValueInfo& from = p.values[v];
    rt::ValueInfo& to = q.values[v];
    to.type = from.type;
    to.kind = from.kind;
    to.offset = from.offset;
    to.name = from.name;
    if (from.kind == rt::ValueKind::Constant) {
      to.constant = rt::HostTensor(from.constant.type(), from.constant.data());
      to.splat = from.splat;
    }
  };
  auto fresh = [&](const rt::TensorType& t) {
    rt::ValueInfo v;
    v.type = t;
    v.kind = rt::ValueKind::Local;
    q.values.push_back(std::move(v));
    return static_cast<int32_t>(q.values.size() - 1);
  };
  // The output's buffer, read where the library wrote b; back through the
  // inverse of the store to b's shape.
  const rt::TensorType& outType = p.values[f.output].type;
  int32_t x = fresh(rt::TensorType{written, outType.shape});
  q.values[x].kind = rt::ValueKind::Intermediate;
  e.aliases[x] = f.output;
  int32_t cur = x;
  for (const rt::Instr* s : f.store) {
    rt::Instr inv;
    inv.op = s->op;
    inv.operands = {cur};
    inv.location = s->location;
    const rt::TensorType t{written, p.values[s->operands[0]].type.shape};
    if (s->op == OpCode::Transpose) {
      inv.dims.assign(s->dims.size(), 0);
      for (size_t d = 0; d < s->dims.size(); ++d) inv.dims[s->dims[d]] = static_cast<int64_t>(d);
    }
    inv.result = fresh(t);
    cur = inv.result;
    q.instrs.push_back(std::move(inv));
  }
  copyValue(b);
  q.values[b].kind = rt::ValueKind::Local;
  rt::Instr toB;
  toB.op = OpCode::Reshape;
  toB.operands = {cur};
  toB.result = b;
  q.instrs.push_back(std::move(toB));
  // Everything else the kernel computes (the contraction's operand views
  // stay, unused: the emitter computes only what the output needs).
  for (int32_t i = k.begin; i < k.end; ++i) {
    const rt::Instr& in = p.instrs[i];
    if (done.count(in.result) || in.result == b) continue;
    for (int32_t v : in.operands) copyValue(v);
    copyValue(in.result);
    q.instrs.push_back(in);
  }
  e.kernel.kind = rt::KernelKind::Loop;
  e.kernel.begin = 0;
  e.kernel.end = static_cast<int32_t>(q.instrs.size());
  e.kernel.inputs = {x};
  e.kernel.outputs = {f.output};
  e.kernel.location = k.location;
  return e;
}

// Byte ranges in the arena: a library call must not read what it writes.
bool overlaps(const rt::Program& p, int32_t a, int32_t b) {
  const rt::ValueInfo &x = p.values[a], &y = p.values[b];
  if (a == b) return true;
  if (x.kind != rt::ValueKind::Intermediate || y.kind != rt::ValueKind::Intermediate || x.offset < 0 ||
      y.offset < 0)
    return false;
  return x.offset < y.offset + y.type.byteSize() && y.offset < x.offset + x.type.byteSize();
}

bool libraryFloat(DType t) {
  return t == DType::F32 || t == DType::F16 || t == DType::BF16 || t == DType::F64;
}

const char* epilogueName(rt::GemmEpilogue e) {
  switch (e) {
    case rt::GemmEpilogue::None: return "none";
    case rt::GemmEpilogue::Bias: return "bias";
    case rt::GemmEpilogue::Relu: return "relu";
    case rt::GemmEpilogue::BiasRelu: return "bias+relu";
    case rt::GemmEpilogue::Gelu: return "gelu";
    case rt::GemmEpilogue::BiasGelu: return "bias+gelu";
  }
  return "?";
}

//===--- GEMM ---------------------------------------------------------------===//

struct GemmDims {
  std::vector<int64_t> lhsFree, rhsFree, batch, m, n;  // batch/m/n: result dims
};

std::vector<int64_t> freeDims(size_t rank, const std::vector<int64_t>& batch, const std::vector<int64_t>& contract) {
  std::vector<int64_t> out;
  for (int64_t d = 0; d < static_cast<int64_t>(rank); ++d)
    if (std::find(batch.begin(), batch.end(), d) == batch.end() &&
        std::find(contract.begin(), contract.end(), d) == contract.end())
      out.push_back(d);
  return out;
}

// A view over the result's shape as an m x n MatrixView (its batch strides
// come separately).
std::optional<rt::MatrixView> resultMatrix(const StridedView& v, const GemmDims& d) {
  std::optional<Extent> m = collapse(v, d.m), n = collapse(v, d.n);
  if (!m || !n) return std::nullopt;
  return rt::MatrixView{v.value, v.offset, m->size, n->size, m->stride, n->stride};
}

// The kernel's (last) instruction with opcode `op`: its hero; null if none.
const rt::Instr* lastOf(const rt::Program& p, const rt::Kernel& k, OpCode op) {
  const rt::Instr* hero = nullptr;
  for (int32_t i = k.begin; i < k.end; ++i)
    if (p.instrs[i].op == op) hero = &p.instrs[i];
  return hero;
}

std::optional<LibraryCall> planGemm(const rt::Program& p, const rt::Kernel& k, size_t ki, bool allowTf32) {
  KernelGraph g(p, k);
  const rt::Instr* hero = lastOf(p, k, OpCode::DotGeneral);
  if (!hero) return std::nullopt;
  const rt::DotDims& dd = hero->dot;
  const rt::TensorType& rt_ = p.values[hero->result].type;
  DType t = rt_.dtype;
  if (!libraryFloat(t)) return std::nullopt;
  std::optional<StridedView> lhs = operandView(p, k, hero->operands[0], true);
  std::optional<StridedView> rhs = operandView(p, k, hero->operands[1], true);
  if (!lhs || !rhs) return std::nullopt;
  // Operands of the result's type, or f16/bf16 operands of an f32 result
  // (mixed precision: cuBLASLt's A/B 16-bit, C/D f32, compute 32F).
  DType ot = p.values[lhs->value].type.dtype;
  bool mixed = t == DType::F32 && (ot == DType::F16 || ot == DType::BF16);
  if ((ot != t && !mixed) || p.values[rhs->value].type.dtype != ot) return std::nullopt;

  GemmDims d;
  d.lhsFree = freeDims(lhs->shape.size(), dd.lhsBatch, dd.lhsContract);
  d.rhsFree = freeDims(rhs->shape.size(), dd.rhsBatch, dd.rhsContract);
  int64_t nb = static_cast<int64_t>(dd.lhsBatch.size());
  for (int64_t i = 0; i < nb; ++i) d.batch.push_back(i);
  for (size_t i = 0; i < d.lhsFree.size(); ++i) d.m.push_back(nb + static_cast<int64_t>(i));
  for (size_t i = 0; i < d.rhsFree.size(); ++i)
    d.n.push_back(nb + static_cast<int64_t>(d.lhsFree.size() + i));
  if (static_cast<size_t>(nb) + d.lhsFree.size() + d.rhsFree.size() != rt_.shape.size()) return std::nullopt;

  std::optional<Extent> am = collapse(*lhs, d.lhsFree), ak = collapse(*lhs, dd.lhsContract);
  std::optional<Extent> bk = collapse(*rhs, dd.rhsContract), bn = collapse(*rhs, d.rhsFree);
  if (!am || !ak || !bk || !bn) return std::nullopt;

  // Epilogue candidates: + bias (n-vector over rows), + residual, max(x, 0).
  auto classify = [&](const rt::Instr& in, int32_t cur) -> std::optional<EpilogueStep> {
    if (in.op != OpCode::Binary) return std::nullopt;
    auto kind = static_cast<BinaryKind>(in.kind);
    int32_t side = otherOperand(in, cur);
    if (side < 0) return std::nullopt;
    if (kind == BinaryKind::Max && isZeroConstant(p, k, side)) return EpilogueStep{Step::Relu, &in, {}};
    // The host rounds a 16-bit dot's result before it adds to it; cuBLASLt
    // adds in f32 and rounds once, which differs by an ulp (bf16: 4e-3)
    // where the fusion's output is compared with the host's. Relu commutes
    // with rounding, so it is taken for every type.
    if (kind != BinaryKind::Add || t == DType::F16 || t == DType::BF16) return std::nullopt;
    std::optional<StridedView> v = operandView(p, k, side, true);
    if (!v || p.values[v->value].type.dtype != t) return std::nullopt;
    bool constantOverRows = v->offset == 0;
    for (int64_t dim : d.batch) constantOverRows = constantOverRows && (v->shape[dim] == 1 || v->strides[dim] == 0);
    for (int64_t dim : d.m) constantOverRows = constantOverRows && (v->shape[dim] == 1 || v->strides[dim] == 0);
    std::optional<Extent> vn = collapse(*v, d.n);
    if (constantOverRows && vn && (vn->stride == 1 || vn->size == 1) &&
        p.values[v->value].type.numElements() == vn->size)
      return EpilogueStep{Step::Bias, &in, *v};
    return EpilogueStep{Step::Residual, &in, *v};
  };
  std::optional<Fusion> f = analyse(g, classify);
  if (!f || f->hero != hero) return std::nullopt;
  // An output of another type (a convert in the epilogue) is staged: the
  // call writes t to scratch, the epilogue reads it (PlanCheck.h).
  bool staged = p.values[f->output].type.dtype != t;
  std::optional<StridedView> dv = storeView(p, *f);
  if (!dv) return std::nullopt;
  std::optional<rt::MatrixView> dm = resultMatrix(*dv, d);
  if (!dm) return std::nullopt;

  // Take the longest start of the epilogue that cuBLASLt computes in this
  // order (bias and C in any order, then relu), whose views it takes.
  for (size_t taken = f->steps.size() + 1; taken-- > 0;) {
    rt::GemmCall call;
    call.aType = call.bType = ot;
    call.cdType = t;
    call.m = am->size;
    call.n = bn->size;
    call.k = ak->size;
    if (bk->size != call.k) return std::nullopt;
    call.a = {lhs->value, lhs->offset, am->size, ak->size, am->stride, ak->stride};
    call.b = {rhs->value, rhs->offset, bk->size, bn->size, bk->stride, bn->stride};
    call.d = *dm;
    call.allowTf32 = allowTf32 && t == DType::F32 && ot == DType::F32;
    const StridedView* residual = nullptr;
    bool bias = false, relu = false, ok = true;
    std::vector<int32_t> reads = {lhs->value, rhs->value};
    for (size_t i = 0; i < taken && ok; ++i) {
      const EpilogueStep& s = f->steps[i];
      if (s.kind == Step::Bias && !bias && !relu) {
        bias = true;
        call.bias = s.side.value;
        reads.push_back(s.side.value);
      } else if ((s.kind == Step::Residual || s.kind == Step::Bias) && !residual && !relu) {
        residual = &s.side;
        std::optional<rt::MatrixView> c = resultMatrix(s.side, d);
        if (!c) ok = false;
        else call.c = *c;
        call.beta = 1.0f;
        reads.push_back(s.side.value);
      } else if (s.kind == Step::Relu && !relu) {
        relu = true;
      } else {
        ok = false;
      }
    }
    if (!ok) continue;
    call.epilogue = bias ? (relu ? rt::GemmEpilogue::BiasRelu : rt::GemmEpilogue::Bias)
                         : (relu ? rt::GemmEpilogue::Relu : rt::GemmEpilogue::None);
    for (int64_t i : d.batch) {
      rt::BatchDim bd;
      bd.count = rt_.shape[i];
      bd.strideA = lhs->strides[dd.lhsBatch[i]];
      bd.strideB = rhs->strides[dd.rhsBatch[i]];
      bd.strideC = residual ? residual->strides[i] : 0;
      bd.strideD = dv->strides[i];
      call.batch.push_back(bd);
    }
    bool aliasing = false;
    for (int32_t r : reads) aliasing = aliasing || overlaps(p, r, f->output);
    if (aliasing) return std::nullopt;
    try {
      rt::cuda::mapGemm(call);
    } catch (const rt::cuda::GemmLayoutError&) {
      continue;  // a shorter epilogue, or the elemental path
    }
    LibraryCall lc;
    lc.step.kind = rt::StepKind::Gemm;
    lc.step.programKernel = static_cast<int32_t>(ki);
    lc.step.gemm = call;
    lc.epilogue = restOfFusion(p, k, *f, taken, t);
    if (staged && !lc.epilogue) continue;  // nothing would convert the call's result
    int64_t batches = 1;
    for (const rt::BatchDim& b : call.batch) batches *= b.count;
    lc.summary = "cuBLASLt GEMM m=" + std::to_string(call.m) + " n=" + std::to_string(call.n) +
                 " k=" + std::to_string(call.k) + (batches > 1 ? " batch=" + std::to_string(batches) : "") +
                 (mixed ? ", " + std::string(rt::dtypeName(ot)) + " x " + std::string(rt::dtypeName(ot)) + " -> f32" : "") +
                 (staged ? ", staged for the " + std::string(rt::dtypeName(p.values[f->output].type.dtype)) +
                               " epilogue"
                         : "") +
                 ", epilogue " + epilogueName(call.epilogue) + (call.c.value >= 0 ? ", C = residual" : "");
    return lc;
  }
  return std::nullopt;
}

//===--- convolution --------------------------------------------------------===//

std::optional<LibraryCall> planConv(const rt::Program& p, const rt::Kernel& k, size_t ki, bool allowTf32) {
  KernelGraph g(p, k);
  const rt::Instr* hero = lastOf(p, k, OpCode::Convolution);
  if (!hero) return std::nullopt;
  const rt::TensorType& yt = p.values[hero->result].type;
  if (!libraryFloat(yt.dtype)) return std::nullopt;
  int32_t x = hero->operands[0], w = hero->operands[1];
  // cuDNN reads whole packed tensors: the operands must be values in memory.
  for (int32_t v : {x, w})
    if (g.def(v) || p.values[v].kind == rt::ValueKind::Local || p.values[v].type.dtype != yt.dtype)
      return std::nullopt;
  // The call is the convolution alone: its whole epilogue (bias, residual,
  // relu ...) is one generated kernel, one pass over the output. cuDNN's
  // legacy bias and activation (cudnnAddTensor, cudnnActivationForward)
  // would each be a pass of their own, reading and writing the output
  // again; the runtime still runs them for executables that ask for them.
  auto classify = [](const rt::Instr&, int32_t) -> std::optional<EpilogueStep> { return std::nullopt; };
  std::optional<Fusion> f = analyse(g, classify);
  if (!f || f->hero != hero) return std::nullopt;
  // cuDNN writes a packed output of the convolution's own type; an output
  // of another type (the widening convert of a 16-bit convolution: mixed
  // precision) is staged, the epilogue converts (PlanCheck.h).
  const rt::TensorType& outType = p.values[f->output].type;
  if (!f->store.empty() || outType.shape != yt.shape) return std::nullopt;
  bool staged = outType.dtype != yt.dtype;
  if (overlaps(p, x, f->output) || overlaps(p, w, f->output)) return std::nullopt;

  rt::ConvCall call;
  call.dtype = yt.dtype;
  call.x = x;
  call.w = w;
  call.y = f->output;
  call.xShape = p.values[x].type.shape;
  call.wShape = p.values[w].type.shape;
  call.yShape = yt.shape;
  call.strides = hero->conv.strides;
  call.padLow = hero->conv.padLow;
  call.padHigh = hero->conv.padHigh;
  call.dilations = hero->conv.dilations;
  call.groups = hero->conv.groups;
  call.allowTf32 = allowTf32 && yt.dtype == DType::F32;
  try {
    rt::cuda::mapConv(call);
  } catch (const rt::cuda::ConvLayoutError&) {
    return std::nullopt;
  }
  LibraryCall lc;
  lc.step.kind = rt::StepKind::Conv;
  lc.step.programKernel = static_cast<int32_t>(ki);
  lc.step.conv = call;
  lc.epilogue = restOfFusion(p, k, *f, 0, yt.dtype);
  if (staged && !lc.epilogue) return std::nullopt;
  lc.summary = "cuDNN convolution " + rt::shapeString(call.xShape) + " * " + rt::shapeString(call.wShape) +
               (call.groups > 1 ? ", " + std::to_string(call.groups) + " groups" : "") +
               (staged ? ", staged for the " + std::string(rt::dtypeName(outType.dtype)) + " epilogue" : "");
  return lc;
}

}  // namespace

std::optional<LibraryCall> planLibraryCall(const rt::Program& p, size_t kernelIndex, bool allowTf32) {
  const rt::Kernel& k = p.kernels[kernelIndex];
  // The call writes the output before the epilogue kernel reads the other
  // inputs: none may share its memory (the memory planner never lets a
  // GEMM/conv fusion run in place; a hand-made Program might).
  for (int32_t in : k.inputs)
    for (int32_t out : k.outputs)
      if (overlaps(p, in, out)) return std::nullopt;
  if (k.kind == rt::KernelKind::Gemm) return planGemm(p, k, kernelIndex, allowTf32);
  if (k.kind == rt::KernelKind::Conv) return planConv(p, k, kernelIndex, allowTf32);
  return std::nullopt;
}

}  // namespace dlc::codegen::cuda
