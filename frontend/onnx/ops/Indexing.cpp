// ONNX ops whose results are driven by indices: the gather/scatter family
// (Gather, GatherElements, GatherND, ScatterElements, ScatterND, Scatter),
// and the masks and permutations built from iotas (OneHot, EyeLike, Trilu,
// ReverseSequence, Compress).
//
// Element-wise and N-d indexing are written as the one-axis core ops on a
// flattened operand: the index tensor becomes flat (row-major) positions.
// Negative indices are wrapped with compare/select/add on the index tensor,
// and an index out of range becomes a position past the end, which the
// gather/scatter kernels reject at run time (never a silently wrong element).
#include <algorithm>

#include "frontend/onnx/OnnxNode.h"
#include "frontend/onnx/TensorProtoIO.h"

namespace dlc::onnx_import {
namespace {

using mlir::Value;

Value i64Constant(Emitter& e, const Dims& values, const Dims& shape) {
  rt::HostTensor t({rt::DType::I64, shape}, values.data());
  return e.constant(t);
}

// Row-major strides of a shape.
Dims stridesOf(const Dims& s) {
  Dims st(s.size(), 1);
  for (size_t i = s.size(); i-- > 1;) st[i - 1] = st[i] * s[i];
  return st;
}

Value requireIndices(OnnxNode& n, size_t i, bool allowI32 = true) {
  Value idx = n.input(i);
  mlir::Type t = Emitter::elementType(idx);
  if (!(t.isInteger(64) || (allowI32 && t.isInteger(32))))
    n.fail(std::string("indices must be int64") + (allowI32 ? " or int32" : ""));
  return idx;
}

// idx + size where idx < 0 (size broadcasts against idx).
Value wrapNegative(Emitter& e, Value idx, Value size) {
  Value zero = e.splat(0, Emitter::elementType(idx));
  Value sum = e.add(idx, size);
  return e.select(e.compare(CompareDirection::LT, idx, zero), sum, idx);
}

// 0 <= idx < size, element-wise.
Value inRange(Emitter& e, Value idx, Value size) {
  Value zero = e.splat(0, Emitter::elementType(idx));
  Value cond = e.compare(CompareDirection::LT, idx, size);
  return e.binary<AndOp>(e.compare(CompareDirection::GE, idx, zero), cond);
}

// x * factor (x is i64); a factor of 1 emits nothing.
Value scaled(Emitter& e, Value x, int64_t factor) {
  if (factor == 1) return x;
  return e.mul(x, e.splat(static_cast<double>(factor), e.builder().getI64Type()));
}

// The flat positions in a tensor of shape xs of the elements an
// element-wise index tensor addresses (GatherElements, ScatterElements):
// along `axis` the (wrapped) index, along every other dimension the index
// tensor's own coordinate. Invalid indices give numElements(xs).
Value elementPositions(OnnxNode& n, const Dims& xs, Value indices, int64_t axis) {
  Emitter& e = n.e();
  mlir::Type i64 = e.builder().getI64Type();
  Dims is = Emitter::shape(indices);
  if (is.size() != xs.size())
    n.fail("indices have rank " + std::to_string(is.size()) + ", the data rank " +
           std::to_string(xs.size()));
  for (size_t d = 0; d < xs.size(); ++d)
    if (static_cast<int64_t>(d) != axis && is[d] > xs[d])
      n.fail("indices shape " + dimsString(is) + " exceeds the data shape " + dimsString(xs) +
             " in dimension " + std::to_string(d));
  Dims st = stridesOf(xs);
  Value idx = e.convert(indices, i64);
  Value size = e.splat(static_cast<double>(xs[axis]), i64);
  idx = wrapNegative(e, idx, size);
  Value valid = inRange(e, idx, size);
  Value pos = scaled(e, idx, st[axis]);
  for (int64_t d = 0; d < static_cast<int64_t>(xs.size()); ++d) {
    if (d == axis || is[d] == 1) continue;
    pos = e.add(pos, scaled(e, e.iota(is, d, i64), st[d]));
  }
  return e.select(valid, pos, e.splat(static_cast<double>(rt::numElements(xs)), i64));
}

// GatherND/ScatterND positions: data of shape xs viewed as
// [prod(batch), prod(indexed), rest...] flattened to [rows, rest...]; the
// result (shape indices.shape[:-1]) holds the row each index tuple selects.
// Invalid tuples give `rows`.
struct NdPositions {
  Value rows;      // i64 positions, shape indices.shape[:-1]
  int64_t numRows;
  Dims rest;       // xs[batchDims + k:]
};

NdPositions ndPositions(OnnxNode& n, const Dims& xs, Value indices, int64_t batchDims) {
  Emitter& e = n.e();
  mlir::Type i64 = e.builder().getI64Type();
  Dims is = Emitter::shape(indices);
  const int64_t r = static_cast<int64_t>(xs.size()), q = static_cast<int64_t>(is.size());
  if (q < 1) n.fail("indices must have rank >= 1");
  if (batchDims < 0 || batchDims >= std::min(r, q))
    n.fail("batch_dims " + std::to_string(batchDims) + " must be less than both ranks (" +
           std::to_string(r) + ", " + std::to_string(q) + ")");
  const int64_t k = is.back();
  if (batchDims + k > r)
    n.fail("index tuples of length " + std::to_string(k) + " (after " +
           std::to_string(batchDims) + " batch dimensions) exceed the data rank " +
           std::to_string(r));
  for (int64_t d = 0; d < batchDims; ++d)
    if (is[d] != xs[d])
      n.fail("batch dimension " + std::to_string(d) + " differs: data " + dimsString(xs) +
             ", indices " + dimsString(is));
  Dims indexed(xs.begin() + batchDims, xs.begin() + batchDims + k);
  Dims q1(is.begin(), is.end() - 1);
  int64_t perBatch = rt::numElements(indexed), batches = 1;
  for (int64_t d = 0; d < batchDims; ++d) batches *= xs[d];

  // Each tuple, wrapped and checked, dotted with the strides of `indexed`.
  Value idx = e.convert(indices, i64);
  Value sizes = i64Constant(e, indexed, {k});
  idx = wrapNegative(e, idx, sizes);
  Value valid = e.reduce(ReduceKind::Min, inRange(e, idx, sizes), {q - 1});
  Value pos = k == 1 ? e.reshape(idx, q1)
                     : e.reduce(ReduceKind::Sum, e.mul(idx, i64Constant(e, stridesOf(indexed), {k})),
                                {q - 1});
  // Plus the batch's first row.
  if (batchDims > 0) {
    Dims bst = stridesOf(Dims(q1.begin(), q1.begin() + batchDims));
    for (int64_t d = 0; d < batchDims; ++d)
      pos = e.add(pos, scaled(e, e.iota(q1, d, i64), bst[d] * perBatch));
  }
  int64_t rows = batches * perBatch;
  pos = e.select(valid, pos, e.splat(static_cast<double>(rows), i64));
  return {pos, rows, Dims(xs.begin() + batchDims + k, xs.end())};
}

ScatterKind scatterReduction(OnnxNode& n) {
  std::string r = n.attrString("reduction", "none");
  if (r == "none") return ScatterKind::Replace;
  if (r == "add") return ScatterKind::Add;
  if (r == "mul") return ScatterKind::Mul;
  if (r == "max") return ScatterKind::Max;
  if (r == "min") return ScatterKind::Min;
  n.fail("reduction '" + r + "' is not supported (none, add, mul, max or min)");
}

//===--- gathers ----------------------------------------------------------===//

std::vector<Value> gather(OnnxNode& n) {
  n.onlyAttrs({"axis"});
  Emitter& e = n.e();
  Value x = n.input(0), idx = requireIndices(n, 1);
  int64_t axis = n.axis(n.attrInt("axis", 0), Emitter::rank(x));
  Value size = e.splat(static_cast<double>(Emitter::shape(x)[axis]), Emitter::elementType(idx));
  return {e.gather(x, wrapNegative(e, idx, size), axis)};
}

std::vector<Value> gatherElements(OnnxNode& n) {
  n.onlyAttrs({"axis"});
  Emitter& e = n.e();
  Value x = n.input(0), idx = requireIndices(n, 1);
  Dims xs = Emitter::shape(x);
  int64_t axis = n.axis(n.attrInt("axis", 0), static_cast<int64_t>(xs.size()));
  Value pos = elementPositions(n, xs, idx, axis);
  return {e.gather(e.reshape(x, {rt::numElements(xs)}), pos, 0)};
}

std::vector<Value> gatherND(OnnxNode& n) {
  n.onlyAttrs({"batch_dims"});
  Emitter& e = n.e();
  Value x = n.input(0), idx = requireIndices(n, 1, false);
  Dims xs = Emitter::shape(x);
  NdPositions p = ndPositions(n, xs, idx, n.attrInt("batch_dims", 0));
  Dims rowsShape = {p.numRows};
  rowsShape.insert(rowsShape.end(), p.rest.begin(), p.rest.end());
  return {e.gather(e.reshape(x, rowsShape), p.rows, 0)};
}

//===--- scatters ---------------------------------------------------------===//

// ScatterElements (and the deprecated Scatter): flat positions, then one
// scatter on the flattened data.
std::vector<Value> scatterElements(OnnxNode& n) {
  if (n.proto().op_type() == "Scatter" || n.opset() < 16)
    n.onlyAttrs({"axis"});
  else
    n.onlyAttrs({"axis", "reduction"});
  Emitter& e = n.e();
  Value x = n.input(0), idx = requireIndices(n, 1), upd = n.input(2);
  Dims xs = Emitter::shape(x);
  if (Emitter::shape(upd) != Emitter::shape(idx))
    n.fail("updates shape " + dimsString(Emitter::shape(upd)) + " differs from indices shape " +
           dimsString(Emitter::shape(idx)));
  int64_t axis = n.axis(n.attrInt("axis", 0), static_cast<int64_t>(xs.size()));
  Value pos = elementPositions(n, xs, idx, axis);
  int64_t m = rt::numElements(Emitter::shape(idx));
  Value reshaped = e.reshape(upd, {m});
  Value reshaped2 = e.reshape(pos, {m});
  Value reshaped3 = e.reshape(x, {rt::numElements(xs)});
  Value flat = e.scatter(scatterReduction(n), reshaped3,
                         reshaped2, reshaped, 0);
  return {e.reshape(flat, xs)};
}

std::vector<Value> scatterND(OnnxNode& n) {
  if (n.opset() < 16)
    n.onlyAttrs({});
  else
    n.onlyAttrs({"reduction"});
  Emitter& e = n.e();
  Value x = n.input(0), idx = requireIndices(n, 1, false), upd = n.input(2);
  Dims xs = Emitter::shape(x), is = Emitter::shape(idx);
  NdPositions p = ndPositions(n, xs, idx, 0);
  Dims expected(is.begin(), is.end() - 1);
  expected.insert(expected.end(), p.rest.begin(), p.rest.end());
  if (Emitter::shape(upd) != expected)
    n.fail("updates shape " + dimsString(Emitter::shape(upd)) + " must be " +
           dimsString(expected) + " (indices.shape[:-1] + data.shape[k:])");
  int64_t m = rt::numElements(Dims(is.begin(), is.end() - 1));
  Dims rowsShape = {p.numRows}, updShape = {m};
  rowsShape.insert(rowsShape.end(), p.rest.begin(), p.rest.end());
  updShape.insert(updShape.end(), p.rest.begin(), p.rest.end());
  Value reshaped = e.reshape(upd, updShape);
  Value reshaped2 = e.reshape(p.rows, {m});
  Value reshaped3 = e.reshape(x, rowsShape);
  Value out = e.scatter(scatterReduction(n), reshaped3, reshaped2,
                        reshaped, 0);
  return {e.reshape(out, xs)};
}

//===--- masks and permutations from iotas --------------------------------===//

// OneHot: compare the (wrapped) indices with an iota along the new axis and
// select the on/off values. The comparison is in the indices' type, as the
// reference's (a non-integer index matches nothing). depth sets the output
// shape, so it must be known at compile time.
std::vector<Value> oneHot(OnnxNode& n) {
  n.onlyAttrs({"axis"});
  Emitter& e = n.e();
  Value idx = n.input(0), values = n.input(2);
  Dims is = Emitter::shape(idx);
  const int64_t r = static_cast<int64_t>(is.size());
  double depthValue = n.scalarInput(1, "depth");
  int64_t depth = static_cast<int64_t>(depthValue);
  if (depth < 0) n.fail("depth must not be negative, got " + std::to_string(depth));
  if (rt::numElements(Emitter::shape(values)) != 2)
    n.fail("values must hold two elements (off, on), got shape " + dimsString(Emitter::shape(values)));
  int64_t axis = n.attrInt("axis", -1);
  if (axis < 0) axis += r + 1;
  if (axis < 0 || axis > r)
    n.fail("axis " + std::to_string(n.attrInt("axis", -1)) + " is out of range for rank " +
           std::to_string(r + 1));
  mlir::Type it = Emitter::elementType(idx);
  if (it.isInteger(1)) n.fail("indices must be numeric, not bool");
  Dims outShape = is, dims;
  outShape.insert(outShape.begin() + axis, depth);
  for (int64_t d = 0; d <= r; ++d)
    if (d != axis) dims.push_back(d);
  Value wrapped = wrapNegative(e, idx, e.splat(static_cast<double>(depth), it));
  Value iota2 = e.iota(outShape, axis, it);
  Value hot = e.compare(CompareDirection::EQ, e.broadcastInDim(wrapped, dims, outShape), iota2);
  Value flatValues = e.reshape(values, {2});
  Value off = e.reshape(e.slice(flatValues, {0}, {1}, {1}), {});
  Value on = e.reshape(e.slice(flatValues, {1}, {2}, {1}), {});
  return {e.select(hot, on, off)};
}

// Column index minus row index over the last two dimensions of `shape`.
Value diagonalOffset(Emitter& e, const Dims& shape) {
  mlir::Type i64 = e.builder().getI64Type();
  Dims m(shape.end() - 2, shape.end());
  Value iota2 = e.iota(m, 0, i64);
  return e.sub(e.iota(m, 1, i64), iota2);
}

// EyeLike: ones where column - row == k, of the 'dtype' attribute's type
// (the input's by default).
std::vector<Value> eyeLike(OnnxNode& n) {
  n.onlyAttrs({"dtype", "k"});
  Emitter& e = n.e();
  Value x = n.input(0);
  Dims xs = Emitter::shape(x);
  if (xs.size() != 2) n.fail("input must have rank 2, got " + dimsString(xs));
  mlir::Type et = Emitter::elementType(x);
  if (n.hasAttr("dtype")) {
    try {
      et = e.elementTypeOf(onnx_io::dtypeFromOnnx(static_cast<int>(n.attrInt("dtype", 1))));
    } catch (const onnx_io::TensorError& err) {
      n.fail(std::string("attribute 'dtype': ") + err.what());
    }
  }
  Value k = e.splat(static_cast<double>(n.attrInt("k", 0)), e.builder().getI64Type());
  return {e.convert(e.compare(CompareDirection::EQ, diagonalOffset(e, xs), k), et)};
}

// Trilu: keep the elements with column - row >= k (upper) or <= k (lower),
// zero the rest. k is read at run time.
std::vector<Value> trilu(OnnxNode& n) {
  n.onlyAttrs({"upper"});
  Emitter& e = n.e();
  Value x = n.input(0);
  Dims xs = Emitter::shape(x);
  if (xs.size() < 2) n.fail("input must have rank >= 2, got " + dimsString(xs));
  Value k = e.splat(0, e.builder().getI64Type());
  if (n.hasInput(1)) {
    k = n.input(1);
    if (!Emitter::elementType(k).isInteger(64) || rt::numElements(Emitter::shape(k)) != 1)
      n.fail("k must be an int64 scalar");
    k = e.reshape(k, {});
  }
  bool upper = n.attrInt("upper", 1) != 0;
  Value keep = e.compare(upper ? CompareDirection::GE : CompareDirection::LE,
                         diagonalOffset(e, xs), k);
  return {e.select(keep, x, e.splat(0, Emitter::elementType(x)))};
}

// ReverseSequence: along the time axis, position t of batch b reads
// L[b]-1-t for t < L[b] and t after: an element-wise gather.
std::vector<Value> reverseSequence(OnnxNode& n) {
  n.onlyAttrs({"batch_axis", "time_axis"});
  Emitter& e = n.e();
  mlir::Type i64 = e.builder().getI64Type();
  Value x = n.input(0), lens = requireIndices(n, 1);
  Dims xs = Emitter::shape(x);
  const int64_t r = static_cast<int64_t>(xs.size());
  if (r < 2) n.fail("input must have rank >= 2, got " + dimsString(xs));
  int64_t batchAxis = n.axis(n.attrInt("batch_axis", 1), r, "batch_axis");
  int64_t timeAxis = n.axis(n.attrInt("time_axis", 0), r, "time_axis");
  if (batchAxis == timeAxis) n.fail("batch_axis and time_axis must differ");
  if (Emitter::shape(lens) != Dims{xs[batchAxis]})
    n.fail("sequence_lens must have shape [" + std::to_string(xs[batchAxis]) + "], got " +
           dimsString(Emitter::shape(lens)));
  Value len = e.broadcastInDim(e.convert(lens, i64), {batchAxis}, xs);
  Value t = e.iota(xs, timeAxis, i64);
  Value reversed = e.sub(e.sub(len, e.splat(1, i64)), t);
  Value idx = e.select(e.compare(CompareDirection::LT, t, len), reversed, t);
  Value pos = elementPositions(n, xs, idx, timeAxis);
  return {e.gather(e.reshape(x, {rt::numElements(xs)}), pos, 0)};
}

// Compress: the output size depends on the condition's values, so the
// condition must be known at compile time (specialised when it is a graph
// input); the selected positions are then gathered.
std::vector<Value> compress(OnnxNode& n) {
  n.onlyAttrs({"axis"});
  Emitter& e = n.e();
  Value x = n.input(0);
  n.input(1);
  const rt::HostTensor* cond = n.constantInput(1);
  if (!cond)
    n.fail("condition (input 1 '" + n.proto().input(1) +
           "') must be a compile-time constant: it sets the output size");
  if (cond->type().shape.size() != 1) n.fail("condition must have rank 1");
  int64_t axis = 0;
  if (n.hasAttr("axis")) {
    axis = n.axis(n.attrInt("axis", 0), Emitter::rank(x));
  } else {
    x = e.reshape(x, {rt::numElements(Emitter::shape(x))});
  }
  int64_t d = Emitter::shape(x)[axis];
  Dims picked;
  for (int64_t i = 0; i < cond->numElements(); ++i) {
    if (rt::loadAsDouble(cond->cref(), i) == 0) continue;
    if (i >= d)
      n.fail("condition selects position " + std::to_string(i) + " of a dimension of size " +
             std::to_string(d));
    picked.push_back(i);
  }
  return {e.gather(x, i64Constant(e, picked, {static_cast<int64_t>(picked.size())}), axis)};
}

// Data-dependent output sizes from the data itself: refused by name.
std::vector<Value> dataDependent(OnnxNode& n) {
  n.fail("the output size depends on the input data, which a statically shaped executable "
         "cannot express");
}

}  // namespace

void registerIndexingOps(ConverterTable& t) {
  t["Gather"] = gather;
  t["GatherElements"] = gatherElements;
  t["GatherND"] = gatherND;
  t["ScatterElements"] = scatterElements;
  t["Scatter"] = scatterElements;
  t["ScatterND"] = scatterND;
  t["OneHot"] = oneHot;
  t["EyeLike"] = eyeLike;
  t["Trilu"] = trilu;
  t["ReverseSequence"] = reverseSequence;
  t["Compress"] = compress;
  t["NonZero"] = dataDependent;
  t["Unique"] = dataDependent;
}

}  // namespace dlc::onnx_import
