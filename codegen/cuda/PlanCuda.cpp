// planCuda: one CUDA C++ module for a Program. Every Program kernel becomes
// one generated __global__ function (elemental code, KernelEmitter), except
// argsort and scatter kernels (SpecialKernels) and the GEMM/convolution
// kernels that LibraryCalls hands to cuBLASLt/cuDNN.
#include "codegen/cuda/PlanCuda.h"

#include <algorithm>
#include <optional>
#include <set>

#include "codegen/cuda/CudaTypes.h"
#include "codegen/cuda/KernelEmitter.h"
#include "codegen/cuda/LibraryCalls.h"
#include "codegen/cuda/Prelude.h"
#include "codegen/cuda/RowReduction.h"
#include "codegen/cuda/SpecialKernels.h"
#include "codegen/cuda/VectorLoop.h"
#include "runtime/KernelCost.h"

namespace dlc::codegen {

using namespace cuda;

namespace {

constexpr uint32_t kBlock = 256;

// Ops that only move or re-type data do not name a kernel.
bool salient(const rt::Instr& in) {
  switch (in.op) {
    case rt::OpCode::BroadcastInDim: case rt::OpCode::Reshape: case rt::OpCode::Convert:
    case rt::OpCode::Iota: return false;
    default: return true;
  }
}

std::string kindName(rt::KernelKind k) { return rt::kernelKindName(k); }

std::string lowerIdent(std::string s) {
  for (char& c : s) c = (std::isalnum(static_cast<unsigned char>(c)) ? std::tolower(c) : '_');
  return s;
}

// k<index>_<kind>_<up to three salient ops>, e.g. k3_reduction_reduce_max_exp_div.
std::string kernelName(const rt::Program& p, size_t index, const rt::Kernel& k) {
  std::string name = "k" + std::to_string(index) + "_" + lowerIdent(kindName(k.kind));
  std::vector<std::string> seen;
  for (int32_t i = k.begin; i < k.end && seen.size() < 3; ++i) {
    const rt::Instr& in = p.instrs[i];
    if (!salient(in)) continue;
    std::string n = rt::opName(in);
    if (std::find(seen.begin(), seen.end(), n) == seen.end()) seen.push_back(n);
  }
  if (seen.empty() && k.begin < k.end) seen.push_back(rt::opName(p.instrs[k.begin]));
  for (const std::string& s : seen) name += "_" + s;
  return name;
}

std::string fusedList(const rt::Program& p, const rt::Kernel& k) {
  std::string s;
  for (int32_t i = k.begin; i < k.end; ++i) s += (s.empty() ? "" : ", ") + rt::opName(p.instrs[i]);
  return s;
}

// int32 index arithmetic when every element count of the kernel (and a grid
// stride past it) stays far from 2^31.
std::string indexType(const rt::Program& p, const rt::Kernel& k) {
  int64_t most = 0;
  auto see = [&](int32_t v) { most = std::max(most, p.values[v].type.numElements()); };
  for (int32_t v : k.inputs) see(v);
  for (int32_t i = k.begin; i < k.end; ++i) {
    see(p.instrs[i].result);
    for (int32_t v : p.instrs[i].operands) see(v);
  }
  return most < (int64_t(1) << 30) ? "int" : "dlc_i64";
}

uint32_t gridFor(int64_t work, const CudaTarget& target) {
  int64_t blocks = (work + kBlock - 1) / kBlock;
  int64_t cap = std::max<int64_t>(1, int64_t(target.smCount) * 8);
  return static_cast<uint32_t>(std::clamp<int64_t>(blocks, 1, cap));
}

// The parameter list and the emulation trampoline of a generated kernel.
// A generated kernel's parameters: its inputs, the constants it reads that
// are not inputs, then its outputs (from index `outputsFrom`). A splat input
// that the body does not load (it is a literal there) is no parameter, so
// the device never allocates it.
std::vector<int32_t> kernelParams(const rt::Program& p, const rt::Kernel& k, const std::vector<int32_t>& reads,
                                  size_t& outputsFrom) {
  std::vector<int32_t> args;
  for (int32_t v : k.inputs)
    if (!KernelEmitter::isSplat(p.values[v]) || std::find(reads.begin(), reads.end(), v) != reads.end())
      args.push_back(v);
  for (int32_t v : reads)
    if (std::find(args.begin(), args.end(), v) == args.end()) args.push_back(v);
  outputsFrom = args.size();
  args.insert(args.end(), k.outputs.begin(), k.outputs.end());
  return args;
}

std::string signature(const rt::Program& p, const std::vector<int32_t>& args, size_t outputsFrom) {
  std::string s;
  for (size_t i = 0; i < args.size(); ++i) {
    const rt::TensorType& t = p.values[args[i]].type;
    s += (i < outputsFrom ? "const " : "") + storageType(t.dtype) + "* " + KernelEmitter::ptr(args[i]) + ", ";
  }
  return s + "int* status";
}

std::string trampoline(const rt::Program& p, const std::string& name, const std::vector<int32_t>& args,
                       size_t outputsFrom, bool synchronises) {
  std::string call;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string t = storageType(p.values[args[i]].type.dtype);
    call += "static_cast<" + std::string(i < outputsFrom ? "const " : "") + t + "*>(a[" + std::to_string(i) + "]), ";
  }
  call += "static_cast<int*>(a[" + std::to_string(args.size()) + "])";
  return "#ifdef DLC_HOST_EMULATION\n"
         "extern \"C\" void " + name + "_emulate(void** a, const unsigned* g) {\n"
         "  dlc_emu::launch({g[0], g[1], g[2]}, {g[3], g[4], g[5]}, " + (synchronises ? "true" : "false") +
         ", [&] { " + name + "(" + call + "); });\n"
         "}\n"
         "#endif\n";
}

// The elemental kernel: one grid-stride loop per distinct output element
// count (a loop kernel has one; a row kernel's per-row and per-element
// outputs get one each), computing every output of that count at the
// loop's flat index, all loads before any store.
using Generated = KernelBody;

Generated elementalBody(const rt::Program& p, const rt::Kernel& k, const std::string& idx) {
  CodeWriter w;
  w.setIndent(1);
  KernelEmitter e(p, k, w, idx);
  std::vector<int64_t> counts;
  for (int32_t o : k.outputs) {
    int64_t n = p.values[o].type.numElements();
    if (std::find(counts.begin(), counts.end(), n) == counts.end()) counts.push_back(n);
  }
  Generated g;
  for (size_t c = 0; c < counts.size(); ++c) {
    int64_t n = counts[c];
    g.work = std::max(g.work, n);
    std::string i = counts.size() == 1 ? "e" : "e" + std::to_string(c);
    w.open("for (" + idx + " " + i + " = static_cast<" + idx + ">(blockIdx.x) * blockDim.x + threadIdx.x; " + i +
           " < " + std::to_string(n) + "; " + i + " += static_cast<" + idx + ">(gridDim.x) * blockDim.x)");
    e.pushScope();
    std::vector<std::pair<int32_t, std::string>> stores;
    for (int32_t o : k.outputs) {
      const rt::TensorType& t = p.values[o].type;
      if (t.numElements() != n) continue;
      stores.emplace_back(o, e.emit(o, e.unflatten(i, t.shape)));
    }
    for (auto& [o, v] : stores) w.line("dlc_st(" + KernelEmitter::ptr(o) + ", " + i + ", " + v + ");");
    e.popScope();
    w.close();
  }
  g.body = dropUnusedIndices(w.str());
  g.reads = e.memoryReads();
  return g;
}

// The generated rest of a library call's fusion (LibraryCalls.h): elemental
// code over the epilogue's own Program, whose parameters are then mapped to
// the real values' buffers (its input is the output buffer, read in place).
int32_t emitEpilogue(const EpilogueKernel& e, const std::string& name, size_t ki, const CudaTarget& target,
                     rt::CudaPlan& plan, std::string& kernels) {
  const rt::Program& p = e.program;
  const rt::Kernel& k = e.kernel;
  std::string idx = indexType(p, k);
  std::optional<KernelBody> vectors = vectorLoopBody(p, k, idx);
  Generated g = vectors ? std::move(*vectors) : elementalBody(p, k, idx);
  size_t outputsFrom = 0;
  std::vector<int32_t> args = kernelParams(p, k, g.reads, outputsFrom);
  rt::CudaKernel ck;
  ck.name = name;
  ck.fused = fusedList(p, k);
  ck.block = {kBlock, 1, 1};
  ck.grid = {gridFor(g.work, target), 1, 1};
  for (int32_t v : args) {
    auto alias = e.aliases.find(v);
    ck.args.push_back(alias == e.aliases.end() ? v : alias->second);
  }
  kernels += "// " + name + ": the rest of Program kernel " + std::to_string(ki) +
             " after its library call, in place on its output\n//   computes: " + ck.fused + "\n";
  for (auto& [v, real] : e.aliases)
    kernels += "//   p" + std::to_string(v) + " is the output p" + std::to_string(real) + ", read back\n";
  kernels += "extern \"C\" __global__ void " + name + "(" + signature(p, args, outputsFrom) + ") {\n" + g.body +
             "}\n" + trampoline(p, name, args, outputsFrom, false) + "\n";
  plan.kernels.push_back(std::move(ck));
  return static_cast<int32_t>(plan.kernels.size() - 1);
}

}  // namespace

rt::CudaPlan planCuda(const rt::Program& program, const CudaTarget& target) {
  rt::verifyProgram(program);
  rt::CudaPlan plan;
  plan.arch = target.arch;
  std::string kernels;
  for (size_t ki = 0; ki < program.kernels.size(); ++ki) {
    const rt::Kernel& k = program.kernels[ki];
    rt::CudaStep step;
    step.programKernel = static_cast<int32_t>(ki);
    std::string name = kernelName(program, ki, k);
    if (target.useLibraries) {
      std::optional<LibraryCall> lib;
      try {
        lib = planLibraryCall(program, ki, target.allowTf32);
        if (lib) {
          kernels += "// Program kernel " + std::to_string(ki) + " (" + kindName(k.kind) + "), " + k.location +
                     ": " + lib->summary + "\n//   fuses: " + fusedList(program, k) + "\n\n";
          if (lib->epilogue) lib->step.epilogue = emitEpilogue(*lib->epilogue, name + "_epilogue", ki, target, plan, kernels);
        }
      } catch (const std::exception& e) {
        throw CodegenError(k.location + ": planning the library call of Program kernel " + std::to_string(ki) +
                           " (" + kindName(k.kind) + ") failed: " + e.what());
      }
      if (lib) {
        plan.steps.push_back(std::move(lib->step));
        continue;
      }
    }
    std::string idx = indexType(program, k);
    Generated g;
    const rt::Instr& first = program.instrs[k.begin];
    try {
      if (k.kind == rt::KernelKind::Sort && first.op == rt::OpCode::Argsort) {
        g.body = argsortBody(program, first, idx, g.work);
        g.reads = {first.operands[0]};
      } else if (k.kind == rt::KernelKind::Scatter && first.op == rt::OpCode::Scatter) {
        g.body = scatterBody(program, first, idx, g.work);
        g.reads = {first.operands[0], first.operands[1], first.operands[2]};
      } else if (auto rows = rowReductionBody(program, k, idx, target.smCount)) {
        g = std::move(*rows);
      } else if (auto vectors = vectorLoopBody(program, k, idx)) {
        g = std::move(*vectors);
      } else {
        g = elementalBody(program, k, idx);
      }
    } catch (const std::exception& e) {
      throw CodegenError(k.location + ": CUDA code generation failed for Program kernel " +
                         std::to_string(ki) + " (" + kindName(k.kind) + "): " + e.what());
    }
    size_t outputsFrom = 0;
    std::vector<int32_t> args = kernelParams(program, k, g.reads, outputsFrom);

    rt::CudaKernel ck;
    ck.name = name;
    ck.fused = fusedList(program, k);
    ck.block = g.grid.x ? g.block : rt::Dim3{kBlock, 1, 1};
    ck.grid = g.grid.x ? g.grid : rt::Dim3{gridFor(g.work, target), 1, 1};
    ck.args = args;
    kernels += "// " + name + ": Program kernel " + std::to_string(ki) + " (" + kindName(k.kind) +
               "), " + k.location + "\n//   fuses: " + ck.fused + "\n//   writes:";
    for (int32_t o : k.outputs) kernels += " p" + std::to_string(o) + " " + program.values[o].type.str();
    std::string bounds = g.launchBounds ? "__launch_bounds__(" + std::to_string(g.launchBounds) + ") " : "";
    kernels += "\nextern \"C\" __global__ void " + bounds + name + "(" + signature(program, args, outputsFrom) +
               ") {\n" + g.body + "}\n" + trampoline(program, name, args, outputsFrom, g.synchronises) + "\n";
    step.kind = rt::StepKind::Kernel;
    step.kernel = static_cast<int32_t>(plan.kernels.size());
    plan.kernels.push_back(std::move(ck));
    plan.steps.push_back(std::move(step));
  }
  plan.source = "// CUDA module generated by dlc: the prelude, then one kernel per Program kernel.\n" +
                std::string(preludeSource()) + "\n//===--- kernels ---===//\n\n" + kernels;
  return plan;
}

}  // namespace dlc::codegen
