#include "runtime/cuda/PlanCheck.h"

#include <algorithm>

namespace dlc::rt::cuda {
namespace {

[[noreturn]] void fail(const std::string& why) { throw InvalidProgram("CUDA plan: " + why); }

std::string stepName(const Program& p, size_t i) {
  const std::string& loc = p.kernels[i].location;
  return "step " + std::to_string(i) + (loc.empty() ? "" : " (" + loc + ")");
}

void checkValue(const Program& p, int32_t id, const std::string& who) {
  if (id < 0 || static_cast<size_t>(id) >= p.values.size())
    fail(who + " names value " + std::to_string(id) + ", which does not exist");
}

void checkView(const Program& p, const MatrixView& v, DType t, const std::vector<BatchDim>& batch,
               int64_t BatchDim::*stride, const std::string& who, bool staged = false) {
  checkValue(p, v.value, who);
  const TensorType& type = p.values[v.value].type;
  if (type.dtype != t && !staged)
    fail(who + " is " + std::string(dtypeName(t)) + " but value " + std::to_string(v.value) + " is " + type.str());
  if (v.rows <= 0 || v.cols <= 0) return;  // an empty product reads nothing
  int64_t lo = v.offset, hi = v.offset;
  auto span = [&](int64_t count, int64_t s) {
    if (count <= 0) return;
    (s < 0 ? lo : hi) += (count - 1) * s;
  };
  span(v.rows, v.rowStride);
  span(v.cols, v.colStride);
  for (const BatchDim& b : batch) span(b.count, b.*stride);
  if (lo < 0 || hi >= type.numElements())
    fail(who + " reaches elements [" + std::to_string(lo) + ", " + std::to_string(hi) + "] of value " +
         std::to_string(v.value) + " (" + type.str() + ")");
}

// A staged result is read back by the epilogue through its first argument.
void checkStagedEpilogue(const CudaPlan& plan, const CudaStep& s, int32_t output, const std::string& who) {
  if (s.epilogue < 0 || static_cast<size_t>(s.epilogue) >= plan.kernels.size() ||
      plan.kernels[s.epilogue].args.empty() || plan.kernels[s.epilogue].args[0] != output)
    fail(who + ": the library call writes another element type than value " + std::to_string(output) +
         " holds, so it needs an epilogue kernel whose first argument is that value");
}

}  // namespace

bool stagedByType(const Program& p, const CudaStep& s) {
  auto differs = [&](int32_t id, DType t) {
    return id >= 0 && static_cast<size_t>(id) < p.values.size() && p.values[id].type.dtype != t;
  };
  if (s.kind == StepKind::Gemm) return differs(s.gemm.d.value, s.gemm.cdType);
  if (s.kind == StepKind::Conv) return differs(s.conv.y, s.conv.dtype);
  return false;
}

void verifyPlan(const Program& p, const CudaPlan& plan) {
  if (plan.steps.size() != p.kernels.size())
    fail(std::to_string(plan.steps.size()) + " steps for " + std::to_string(p.kernels.size()) +
         " Program kernels (one step per kernel, in order)");
  for (size_t k = 0; k < plan.kernels.size(); ++k) {
    const CudaKernel& ck = plan.kernels[k];
    std::string who = "kernel '" + ck.name + "'";
    if (ck.name.empty()) fail("kernel " + std::to_string(k) + " has no name");
    for (int32_t id : ck.args) checkValue(p, id, who);
    if (ck.block.x == 0 || ck.block.y == 0 || ck.block.z == 0 ||
        uint64_t(ck.block.x) * ck.block.y * ck.block.z > 1024)
      fail(who + " has block " + std::to_string(ck.block.x) + "x" + std::to_string(ck.block.y) + "x" +
           std::to_string(ck.block.z) + " (1 to 1024 threads)");
  }
  auto kernelIndex = [&](int32_t k, const std::string& who, bool optional) {
    if (optional && k == -1) return;
    if (k < 0 || static_cast<size_t>(k) >= plan.kernels.size())
      fail(who + " names kernel " + std::to_string(k) + " of " + std::to_string(plan.kernels.size()));
  };
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    const CudaStep& s = plan.steps[i];
    std::string who = stepName(p, i);
    if (s.programKernel != static_cast<int32_t>(i))
      fail(who + " is for Program kernel " + std::to_string(s.programKernel) + " (steps follow the kernels in order)");
    switch (s.kind) {
      case StepKind::Kernel: kernelIndex(s.kernel, who, false); break;
      case StepKind::Gemm: {
        kernelIndex(s.epilogue, who + " epilogue", true);
        const GemmCall& g = s.gemm;
        checkView(p, g.a, g.aType, g.batch, &BatchDim::strideA, who + " GEMM operand A");
        checkView(p, g.b, g.bType, g.batch, &BatchDim::strideB, who + " GEMM operand B");
        checkValue(p, g.d.value, who + " GEMM result D");
        bool staged = stagedByType(p, s);
        if (staged) checkStagedEpilogue(plan, s, g.d.value, who);
        checkView(p, g.d, g.cdType, g.batch, &BatchDim::strideD, who + " GEMM result D", staged);
        if (g.c.value != -1) checkView(p, g.c, g.cdType, g.batch, &BatchDim::strideC, who + " GEMM operand C");
        if (g.bias != -1) {
          checkValue(p, g.bias, who + " GEMM bias");
          const TensorType& t = p.values[g.bias].type;
          if (t.dtype != g.cdType || t.numElements() != g.n)
            fail(who + " GEMM bias must be " + std::to_string(g.n) + " elements of " +
                 std::string(dtypeName(g.cdType)) + ", value " + std::to_string(g.bias) + " is " + t.str());
        }
        break;
      }
      case StepKind::Conv: {
        kernelIndex(s.epilogue, who + " epilogue", true);
        const ConvCall& c = s.conv;
        checkValue(p, c.y, who + " convolution output");
        bool staged = stagedByType(p, s);
        if (staged) checkStagedEpilogue(plan, s, c.y, who);
        auto value = [&](int32_t id, const Shape& shape, const char* name) {
          checkValue(p, id, who + " convolution " + name);
          TensorType want{c.dtype, shape};
          if (staged && id == c.y) want.dtype = p.values[id].type.dtype;
          if (p.values[id].type != want)
            fail(who + " convolution " + name + " is " + want.str() + " but value " + std::to_string(id) + " is " +
                 p.values[id].type.str());
        };
        value(c.x, c.xShape, "input");
        value(c.w, c.wShape, "filter");
        value(c.y, c.yShape, "output");
        if (c.bias != -1) value(c.bias, {c.wShape.empty() ? 0 : c.wShape[0]}, "bias");
        break;
      }
    }
  }
}

std::string statusMessage(const Program& p, const Kernel& k, int32_t code) {
  auto find = [&](auto pred) -> const Instr* {
    for (int32_t i = k.begin; i < k.end; ++i)
      if (pred(p.instrs[i])) return &p.instrs[i];
    return nullptr;
  };
  if (code == static_cast<int32_t>(KernelStatus::IndexOutOfRange)) {
    const Instr* in = find([](const Instr& i) { return i.op == OpCode::Gather || i.op == OpCode::Scatter; });
    if (!in) return k.location + ": an index is out of range";
    const char* op = in->op == OpCode::Gather ? "gather" : "scatter";
    // The dimension indexed: the operand's (gather) or the result's (scatter) axis.
    const TensorType& t = p.values[in->op == OpCode::Gather ? in->operands[0] : in->result].type;
    int64_t size = in->axis >= 0 && in->axis < t.rank() ? t.shape[in->axis] : -1;
    return in->location + ": " + op + ": an index is out of range for dimension " + std::to_string(in->axis) +
           " of size " + std::to_string(size);
  }
  if (code == static_cast<int32_t>(KernelStatus::IntegerDivByZero)) {
    const Instr* in = find([&](const Instr& i) {
      if (i.op != OpCode::Binary || isFloat(p.values[i.result].type.dtype)) return false;
      auto kind = static_cast<BinaryKind>(i.kind);
      return kind == BinaryKind::Div || kind == BinaryKind::Rem;
    });
    return (in ? in->location : k.location) + ": integer division by zero";
  }
  return k.location + ": the kernel reported status " + std::to_string(code) + ", which this runtime does not know";
}

}  // namespace dlc::rt::cuda
