#include "codegen/cuda/SpecialKernels.h"

#include "codegen/cuda/CudaTypes.h"
#include "codegen/cuda/KernelEmitter.h"

namespace dlc::codegen::cuda {

namespace {
std::string n(int64_t v) { return std::to_string(v); }

std::string gridLoop(const std::string& idx, const std::string& var, int64_t count) {
  return "for (" + idx + " " + var + " = static_cast<" + idx + ">(blockIdx.x) * blockDim.x + threadIdx.x; " +
         var + " < " + n(count) + "; " + var + " += static_cast<" + idx + ">(gridDim.x) * blockDim.x)";
}
}  // namespace

std::string argsortBody(const rt::Program& p, const rt::Instr& in, const std::string& idx, int64_t& work) {
  const rt::TensorType& xt = p.values[in.operands[0]].type;
  int64_t len = xt.shape[in.axis], inner = 1;
  for (size_t d = in.axis + 1; d < xt.shape.size(); ++d) inner *= xt.shape[d];
  work = xt.numElements();
  std::string x = KernelEmitter::ptr(in.operands[0]), out = KernelEmitter::ptr(in.result);
  std::string reg = registerType(xt.dtype);
  bool descending = in.kind != 0;
  CodeWriter w;
  w.setIndent(1);
  w.line("// Element j of its row goes to position rank(j): the number of row");
  w.line("// elements that sort before it, ties broken by index (a stable sort).");
  w.open(gridLoop(idx, "e", work));
  w.line("const " + idx + " j = (e / " + n(inner) + ") % " + n(len) + ";");
  w.line("const " + idx + " base = e - j * " + n(inner) + ";");
  w.line("const " + reg + " key = dlc_ld(" + x + ", e);");
  w.line("dlc_i64 rank = 0;");
  w.open("for (" + idx + " t = 0; t < " + n(len) + "; ++t)");
  w.line("const " + reg + " other = dlc_ld(" + x + ", base + t * " + n(inner) + ");");
  std::string before = descending ? "dlc_sorts_before(key, other)" : "dlc_sorts_before(other, key)";
  std::string after = descending ? "dlc_sorts_before(other, key)" : "dlc_sorts_before(key, other)";
  w.line("rank += (" + before + " || (!" + after + " && t < j)) ? 1 : 0;");
  w.close();
  w.line("dlc_st(" + out + ", base + rank * " + n(inner) + ", static_cast<dlc_i64>(j));");
  w.close();
  return w.str();
}

std::string scatterBody(const rt::Program& p, const rt::Instr& in, const std::string& idx, int64_t& work) {
  const rt::TensorType& bt = p.values[in.operands[0]].type;
  const rt::TensorType& it = p.values[in.operands[1]].type;
  rt::DType t = bt.dtype;
  int64_t axisLen = bt.shape[in.axis], inner = 1, outer = 1;
  for (size_t d = in.axis + 1; d < bt.shape.size(); ++d) inner *= bt.shape[d];
  for (int64_t d = 0; d < in.axis; ++d) outer *= bt.shape[d];
  int64_t count = it.numElements();
  work = outer * inner;
  std::string base = KernelEmitter::ptr(in.operands[0]), ind = KernelEmitter::ptr(in.operands[1]);
  std::string upd = KernelEmitter::ptr(in.operands[2]), out = KernelEmitter::ptr(in.result);
  std::string reg = registerType(t), u = "u", v = "v", c;
  bool isF = rt::isFloat(t), isB = t == rt::DType::I1;
  switch (static_cast<rt::ScatterKind>(in.kind)) {
    case rt::ScatterKind::Add: c = isB ? v + " || " + u : isF ? roundTo(t, v + " + " + u) : "dlc_wadd(v, u)"; break;
    case rt::ScatterKind::Mul: c = isB ? v + " && " + u : isF ? roundTo(t, v + " * " + u) : "dlc_wmul(v, u)"; break;
    case rt::ScatterKind::Max: c = isB ? v + " || " + u : isF ? "dlc_fmax(v, u)" : "dlc_imax(v, u)"; break;
    case rt::ScatterKind::Min: c = isB ? v + " && " + u : isF ? "dlc_fmin(v, u)" : "dlc_imin(v, u)"; break;
    case rt::ScatterKind::Replace: c = u; break;
  }
  CodeWriter w;
  w.setIndent(1);
  w.line("// One thread per column (outer, inner) of the result: copy the base,");
  w.line("// then apply the updates in index order, so duplicates combine in order.");
  w.open(gridLoop(idx, "col", work));
  w.line("const " + idx + " o = col / " + n(inner) + ", in = col % " + n(inner) + ";");
  w.line("const " + idx + " first = o * " + n(axisLen * inner) + " + in;");
  w.open("for (" + idx + " a = 0; a < " + n(axisLen) + "; ++a)");
  w.line("dlc_st(" + out + ", first + a * " + n(inner) + ", dlc_ld(" + base + ", first + a * " + n(inner) + "));");
  w.close();
  w.open("for (" + idx + " j = 0; j < " + n(count) + "; ++j)");
  w.line("dlc_i64 a = dlc_ld(" + ind + ", j);");
  w.line("if (a < 0) a += " + n(axisLen) + ";");
  w.open("if (a < 0 || a >= " + n(axisLen) + ")");
  w.line("dlc_fail(status, DLC_INDEX_OUT_OF_RANGE);");
  w.line("continue;");
  w.close();
  w.line("const " + idx + " at = first + static_cast<" + idx + ">(a) * " + n(inner) + ";");
  w.line("const " + reg + " u = dlc_ld(" + upd + ", (o * " + n(count) + " + j) * " + n(inner) + " + in);");
  w.line("const " + reg + " v = dlc_ld(" + out + ", at);");
  w.line("dlc_st(" + out + ", at, static_cast<" + reg + ">(" + c + "));");
  w.close();
  w.close();
  return w.str();
}

}  // namespace dlc::codegen::cuda
