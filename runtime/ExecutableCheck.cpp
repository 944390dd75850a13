#include "runtime/ExecutableCheck.h"

#include <initializer_list>

#include "ir/ShapeRules.h"

namespace dlc::rt {
namespace {

// Bounds that keep the shape rules' arithmetic (sums of a size and two
// paddings, a dilation or interior padding times a size) inside int64 for
// any file; no real model comes near them.
constexpr int64_t kMaxDim = int64_t{1} << 40;
constexpr int64_t kMaxFactor = int64_t{1} << 22;  // dilations, interior padding

struct OpChecker {
  const Program& p;
  const Instr& in;
  std::string problem;

  const TensorType& type(int32_t id) const { return p.values[id].type; }
  const TensorType& operand(size_t i) const { return type(in.operands[i]); }
  const TensorType& result() const { return type(in.result); }

  bool fail(const std::string& why) {
    if (problem.empty()) problem = why;
    return false;
  }
  bool sameType(const TensorType& a, const TensorType& b, const char* what) {
    return a == b || fail(std::string(what) + " is " + a.str() + ", expected " + b.str());
  }
  bool sameShape(const TensorType& a, const TensorType& b, const char* what) {
    return a.shape == b.shape || fail(std::string(what) + " has shape " + shapeString(a.shape) + ", expected " +
                                      shapeString(b.shape));
  }
  bool sameDType(const TensorType& a, const TensorType& b, const char* what) {
    return a.dtype == b.dtype || fail(std::string(what) + " is " + a.str() + ", of another element type than " +
                                      b.str());
  }
  bool isDType(const TensorType& t, std::initializer_list<DType> ok, const char* what) {
    for (DType d : ok)
      if (t.dtype == d) return true;
    return fail(std::string(what) + " has the wrong element type: " + t.str());
  }
  bool kindAtMost(uint8_t last) {
    return in.kind <= last || fail("kind code " + std::to_string(in.kind) + " is unknown for this op");
  }
  bool ruleGives(const ShapeOr& r, const TensorType& t) {
    if (!r.ok()) return fail(r.message());
    return r.shape() == t.shape ||
           fail("the result is " + t.str() + ", the op's shape rule gives " + shapeString(r.shape()));
  }
  bool bounded() {
    auto within = [&](const std::vector<int64_t>& v, int64_t limit) {
      for (int64_t x : v)
        if (x > limit || x < -limit) return fail("parameter " + std::to_string(x) + " is out of range");
      return true;
    };
    for (const auto* v : {&in.dims, &in.start, &in.limit, &in.strides, &in.low, &in.high, &in.dot.lhsBatch,
                          &in.dot.rhsBatch, &in.dot.lhsContract, &in.dot.rhsContract, &in.conv.strides,
                          &in.conv.padLow, &in.conv.padHigh, &in.window.window, &in.window.strides,
                          &in.window.padLow, &in.window.padHigh})
      if (!within(*v, kMaxDim)) return false;
    for (const auto* v : {&in.interior, &in.conv.dilations, &in.window.dilations})
      if (!within(*v, kMaxFactor)) return false;
    if (in.axis > kMaxDim || in.axis < -kMaxDim || in.conv.groups > kMaxDim || in.conv.groups < -kMaxDim)
      return fail("parameter out of range");
    return true;
  }

  bool run() {
    if (!bounded()) return false;
    const TensorType& r = result();
    switch (in.op) {
      case OpCode::Unary:
        return kindAtMost(static_cast<uint8_t>(UnaryKind::Not)) && sameType(operand(0), r, "the operand");
      case OpCode::Binary:
        return kindAtMost(static_cast<uint8_t>(BinaryKind::ShiftRight)) && sameType(operand(0), r, "operand 0") &&
               sameType(operand(1), r, "operand 1");
      case OpCode::Compare:
        return kindAtMost(static_cast<uint8_t>(CompareKind::GE)) && isDType(r, {DType::I1}, "the result") &&
               sameShape(operand(0), r, "operand 0") && sameType(operand(1), operand(0), "operand 1");
      case OpCode::Select:
        return isDType(operand(0), {DType::I1}, "the predicate") && sameShape(operand(0), r, "the predicate") &&
               sameType(operand(1), r, "operand 1") && sameType(operand(2), r, "operand 2");
      case OpCode::Convert:
        return sameShape(operand(0), r, "the operand");
      case OpCode::BitcastConvert:
        return sameShape(operand(0), r, "the operand") &&
               (dtypeSize(operand(0).dtype) == dtypeSize(r.dtype) ||
                fail("bitcast between element types of different sizes"));
      case OpCode::Iota:
        return (r.rank() > 0 && in.axis >= 0 && in.axis < r.rank()) ||
               fail("dimension " + std::to_string(in.axis) + " is out of range for " + r.str());
      case OpCode::BroadcastInDim:
        return sameDType(operand(0), r, "the operand") &&
               ruleGives(checkBroadcastInDim(operand(0).shape, in.dims, r.shape), r);
      case OpCode::Reshape:
        return sameDType(operand(0), r, "the operand") &&
               (operand(0).numElements() == r.numElements() || fail("reshape changes the element count"));
      case OpCode::Transpose:
        return sameDType(operand(0), r, "the operand") && ruleGives(inferTranspose(operand(0).shape, in.dims), r);
      case OpCode::Slice:
        return sameDType(operand(0), r, "the operand") &&
               ruleGives(inferSlice(operand(0).shape, in.start, in.limit, in.strides), r);
      case OpCode::Concatenate: {
        std::vector<Dims> shapes;
        for (size_t i = 0; i < in.operands.size(); ++i) {
          if (!sameDType(operand(i), r, "an operand")) return false;
          shapes.push_back(operand(i).shape);
        }
        return ruleGives(inferConcatenate(shapes, in.axis), r);
      }
      case OpCode::Pad:
        return sameDType(operand(0), r, "the operand") && sameType(operand(1), TensorType{r.dtype, {}}, "the pad value") &&
               ruleGives(inferPad(operand(0).shape, in.low, in.high, in.interior), r);
      case OpCode::Gather:
        return sameDType(operand(0), r, "the operand") && isDType(operand(1), {DType::I32, DType::I64}, "the indices") &&
               ruleGives(inferGather(operand(0).shape, operand(1).shape, in.axis), r);
      case OpCode::Scatter: {
        if (!kindAtMost(static_cast<uint8_t>(ScatterKind::Replace)) || !sameType(operand(0), r, "the base") ||
            !isDType(operand(1), {DType::I32, DType::I64}, "the indices") ||
            !sameDType(operand(2), r, "the updates"))
          return false;
        return ruleGives(inferGather(r.shape, operand(1).shape, in.axis), operand(2));
      }
      case OpCode::Reverse:
        return sameType(operand(0), r, "the operand") && (inferReduce(r.shape, in.dims).ok() ||
                                                            fail(inferReduce(r.shape, in.dims).message()));
      case OpCode::Reduce:
        return kindAtMost(static_cast<uint8_t>(ReduceKind::Prod)) && sameDType(operand(0), r, "the operand") &&
               ruleGives(inferReduce(operand(0).shape, in.dims), r);
      case OpCode::DotGeneral: {
        // The result has the operands' type, or f32 for f16/bf16 operands
        // (mixed precision).
        DType a = operand(0).dtype;
        bool widened = r.dtype == DType::F32 && (a == DType::F16 || a == DType::BF16);
        return (widened || sameDType(operand(0), r, "the lhs")) && sameDType(operand(1), operand(0), "the rhs") &&
               ruleGives(inferDotGeneral(operand(0).shape, operand(1).shape, in.dot.lhsBatch, in.dot.rhsBatch,
                                         in.dot.lhsContract, in.dot.rhsContract),
                         r);
      }
      case OpCode::Convolution:
        return isDType(r, {DType::F32, DType::F16, DType::BF16, DType::F64}, "the result") &&
               sameDType(operand(0), r, "the input") && sameDType(operand(1), r, "the filter") &&
               ruleGives(inferConvolution(operand(0).shape, operand(1).shape, in.conv.strides, in.conv.padLow,
                                          in.conv.padHigh, in.conv.dilations, in.conv.groups),
                         r);
      case OpCode::ReduceWindow:
        return kindAtMost(static_cast<uint8_t>(ReduceKind::Prod)) && sameDType(operand(0), r, "the operand") &&
               ruleGives(inferReduceWindow(operand(0).shape, in.window.window, in.window.strides,
                                           in.window.padLow, in.window.padHigh, in.window.dilations),
                         r);
      case OpCode::Argsort:
        return kindAtMost(1) && isDType(r, {DType::I64}, "the result") && sameShape(operand(0), r, "the operand") &&
               ((in.axis >= 0 && in.axis < r.rank()) ||
                fail("dimension " + std::to_string(in.axis) + " is out of range for " + r.str()));
    }
    return fail("unknown opcode");
  }
};

bool typeBounded(const TensorType& t) {
  for (int64_t d : t.shape)
    if (d > kMaxDim) return false;
  return true;
}

std::string valueRef(const Program& p, int32_t id, const std::string& who) {
  if (id < 0 || static_cast<size_t>(id) >= p.values.size())
    return who + " refers to value " + std::to_string(id) + ", but the program has " +
           std::to_string(p.values.size()) + " values";
  return "";
}

}  // namespace

// Runs after verifyProgram: ids are in range and operand counts right.
std::string checkProgramOps(const Program& p) {
  for (size_t id = 0; id < p.values.size(); ++id)
    if (!typeBounded(p.values[id].type))
      return "value " + std::to_string(id) + " (" + p.values[id].type.str() + ") has a dimension over 2^40";
  for (size_t i = 0; i < p.instrs.size(); ++i) {
    OpChecker c{p, p.instrs[i], ""};
    if (!c.run())
      return "instruction " + std::to_string(i) + " (" + p.instrs[i].location + "): " + c.problem;
  }
  return "";
}

std::string checkCudaPlan(const Program& p, const CudaPlan& plan) {
  if (plan.steps.size() != p.kernels.size())
    return "the CUDA plan has " + std::to_string(plan.steps.size()) + " steps for " +
           std::to_string(p.kernels.size()) + " kernels";
  for (size_t i = 0; i < plan.kernels.size(); ++i) {
    const CudaKernel& k = plan.kernels[i];
    std::string who = "CUDA kernel " + std::to_string(i) + " ('" + k.name + "')";
    if (k.name.empty()) return who + " has no name";
    for (int32_t id : k.args)
      if (std::string e = valueRef(p, id, who); !e.empty()) return e;
  }
  auto kernelRef = [&](int32_t k, const std::string& who, bool optional) -> std::string {
    if ((optional && k == -1) || (k >= 0 && static_cast<size_t>(k) < plan.kernels.size())) return "";
    return who + " refers to CUDA kernel " + std::to_string(k) + ", but the plan has " +
           std::to_string(plan.kernels.size());
  };
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    const CudaStep& s = plan.steps[i];
    std::string who = "CUDA step " + std::to_string(i);
    if (s.programKernel != static_cast<int32_t>(i))
      return who + " is for kernel " + std::to_string(s.programKernel) + ", expected " + std::to_string(i);
    std::string e;
    switch (s.kind) {
      case StepKind::Kernel:
        e = kernelRef(s.kernel, who, false);
        break;
      case StepKind::Gemm: {
        const GemmCall& g = s.gemm;
        for (const MatrixView* v : {&g.a, &g.b, &g.d})
          if (e.empty()) e = valueRef(p, v->value, who + "'s GEMM");
        if (e.empty() && g.c.value != -1) e = valueRef(p, g.c.value, who + "'s GEMM");
        if (e.empty() && g.bias != -1) e = valueRef(p, g.bias, who + "'s GEMM bias");
        break;
      }
      case StepKind::Conv: {
        const ConvCall& c = s.conv;
        for (int32_t id : {c.x, c.w, c.y})
          if (e.empty()) e = valueRef(p, id, who + "'s convolution");
        if (e.empty() && c.bias != -1) e = valueRef(p, c.bias, who + "'s convolution bias");
        break;
      }
    }
    if (e.empty() && s.kind != StepKind::Kernel) e = kernelRef(s.epilogue, who + "'s epilogue", true);
    if (!e.empty()) return e;
  }
  return "";
}

}  // namespace dlc::rt
