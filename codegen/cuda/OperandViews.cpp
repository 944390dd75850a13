#include "codegen/cuda/OperandViews.h"

namespace dlc::codegen::cuda {

using rt::OpCode;

StridedView contiguousView(int32_t value, const rt::Shape& shape) {
  StridedView v;
  v.value = value;
  v.shape = shape;
  v.strides.assign(shape.size(), 0);
  int64_t s = 1;
  for (size_t d = shape.size(); d-- > 0;) {
    v.strides[d] = s;
    s *= shape[d];
  }
  return v;
}

bool reshapeView(StridedView& v, const rt::Shape& to) {
  // Size-1 dimensions have no meaningful stride: drop them, then match groups
  // of old and new dimensions with equal element counts; each old group must
  // be contiguous, and the new group's strides follow from its innermost.
  std::vector<int64_t> size, stride;
  for (size_t d = 0; d < v.shape.size(); ++d)
    if (v.shape[d] != 1) size.push_back(v.shape[d]), stride.push_back(v.strides[d]);
  std::vector<int64_t> strides(to.size(), 0);
  size_t i = 0, j = 0;
  while (j < to.size()) {
    if (to[j] == 1) {
      ++j;
      continue;
    }
    if (i >= size.size()) return false;
    size_t i0 = i, j0 = j;
    int64_t po = size[i++], pn = to[j++];
    while (po != pn) {
      if (po < pn) {
        if (i >= size.size()) return false;
        po *= size[i++];
      } else {
        while (j < to.size() && to[j] == 1) ++j;
        if (j >= to.size()) return false;
        pn *= to[j++];
      }
    }
    for (size_t q = i0; q + 1 < i; ++q)
      if (stride[q] != stride[q + 1] * size[q + 1]) return false;
    int64_t s = stride[i - 1];
    for (size_t q = j; q-- > j0;) {
      if (to[q] == 1) continue;
      strides[q] = s;
      s *= to[q];
    }
  }
  if (i != size.size()) return false;
  v.shape = to;
  v.strides = strides;
  return true;
}

std::optional<StridedView> operandView(const rt::Program& p, const rt::Kernel& k, int32_t v,
                                       bool allowBroadcast) {
  const rt::Instr* def = nullptr;
  for (int32_t i = k.begin; i < k.end; ++i)
    if (p.instrs[i].result == v) def = &p.instrs[i];
  if (!def) {
    const rt::ValueInfo& info = p.values[v];
    if (info.kind == rt::ValueKind::Local) return std::nullopt;
    return contiguousView(v, info.type.shape);
  }
  const rt::Shape& out = p.values[v].type.shape;
  switch (def->op) {
    case OpCode::Reshape: case OpCode::Transpose: case OpCode::Slice: break;
    case OpCode::BroadcastInDim:
      if (allowBroadcast) break;
      return std::nullopt;
    default: return std::nullopt;
  }
  std::optional<StridedView> in = operandView(p, k, def->operands[0], allowBroadcast);
  if (!in) return std::nullopt;
  StridedView view = *in;
  switch (def->op) {
    case OpCode::Reshape:
      if (!reshapeView(view, out)) return std::nullopt;
      break;
    case OpCode::Transpose:  // out.shape[i] = x.shape[perm[i]]
      for (size_t d = 0; d < def->dims.size(); ++d) {
        view.shape[d] = in->shape[def->dims[d]];
        view.strides[d] = in->strides[def->dims[d]];
      }
      break;
    case OpCode::Slice:
      for (size_t d = 0; d < view.shape.size(); ++d) {
        view.offset += def->start[d] * in->strides[d];
        view.strides[d] = in->strides[d] * def->strides[d];
        view.shape[d] = out[d];
      }
      break;
    case OpCode::BroadcastInDim:  // operand dim i -> result dim dims[i]; size-1 dims broadcast
      view.shape = out;
      view.strides.assign(out.size(), 0);
      for (size_t i = 0; i < def->dims.size(); ++i)
        if (in->shape[i] == out[def->dims[i]]) view.strides[def->dims[i]] = in->strides[i];
      break;
    default: return std::nullopt;
  }
  return view;
}

std::optional<Extent> collapse(const StridedView& v, const std::vector<int64_t>& dims) {
  Extent e;
  bool any = false;
  for (int64_t d : dims) {
    int64_t size = v.shape[d], stride = v.strides[d];
    if (size == 1) continue;
    if (!any) {
      e = {size, stride};
      any = true;
      continue;
    }
    // The running extent is the outer one: it must step over whole copies of d.
    if (e.stride != stride * size) return std::nullopt;
    e = {e.size * size, stride};
  }
  return e;
}

}  // namespace dlc::codegen::cuda
