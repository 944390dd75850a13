// ONNX ops that move, relabel or create data from shapes: reshapes,
// squeezes, transposes, concatenation and splitting, slices, tiling, padding,
// block rearrangements (DepthToSpace), shape queries (Shape, Size), constants
// (Constant, ConstantOfShape, Range), and the inference-time identities
// (Identity, Dropout).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "frontend/CounterRng.h"
#include "frontend/onnx/OnnxNode.h"
#include "frontend/onnx/TensorProtoIO.h"
#include "ir/TensorConversions.h"

namespace dlc::onnx_import {
namespace {

// The largest dimension Pad makes in reflect, edge or wrap mode (an index
// table of this many i64 entries is built at compile time).
constexpr int64_t kMaxPadIndexTable = int64_t{1} << 24;

using mlir::Value;

// An i64 constant of the given shape (a shape, a count: compile-time facts).
Value intsConstant(Emitter& e, const Dims& values, const Dims& shape) {
  rt::HostTensor t({rt::DType::I64, shape}, values.data());
  return e.constant(t);
}

// Normalises a list of axes (negative counts from the end) and refuses
// duplicates.
Dims normalizeAxes(OnnxNode& n, const Dims& axes, int64_t rank, const char* what = "axes") {
  Dims out;
  for (int64_t a : axes) {
    int64_t r = n.axis(a, rank, (std::string(what) + " entry").c_str());
    if (std::find(out.begin(), out.end(), r) != out.end())
      n.fail(std::string(what) + " " + dimsString(axes) + " name dimension " + std::to_string(r) +
             " twice");
    out.push_back(r);
  }
  return out;
}

std::vector<Value> identity(OnnxNode& n) {
  n.onlyAttrs({});
  return {n.input(0)};
}

std::vector<Value> flatten(OnnxNode& n) {
  n.onlyAttrs({"axis"});
  Value x = n.input(0);
  Dims xs = Emitter::shape(x);
  int64_t r = static_cast<int64_t>(xs.size());
  int64_t a = n.attrInt("axis", 1);
  if (a < 0) a += r;
  if (a < 0 || a > r) n.fail("axis " + std::to_string(n.attrInt("axis", 1)) +
                             " is out of range for rank " + std::to_string(r));
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < r; ++i) (i < a ? outer : inner) *= xs[i];
  return {n.e().reshape(x, {outer, inner})};
}

std::vector<Value> reshape(OnnxNode& n) {
  // Reshape-1 took the shape as an attribute; from opset 5 it is an input.
  Dims target;
  if (n.opset() < 5) {
    n.onlyAttrs({"shape", "consumed_inputs"});
    if (!n.hasAttr("shape")) n.fail("attribute 'shape' is required");
    target = n.attrInts("shape", {});
  } else {
    n.onlyAttrs({"allowzero"});
    target = n.intsInput(1, "the shape");
  }
  Value x = n.input(0);
  Dims xs = Emitter::shape(x);
  bool allowZero = n.attrInt("allowzero", 0) != 0;
  int64_t known = 1, inferAt = -1;
  for (size_t i = 0; i < target.size(); ++i) {
    if (target[i] == 0 && !allowZero) {
      if (i >= xs.size()) n.fail("shape entry " + std::to_string(i) + " is 0 (copy) but the input has rank " + std::to_string(xs.size()));
      target[i] = xs[i];
    }
    if (target[i] == -1) {
      if (inferAt >= 0) n.fail("shape " + dimsString(target) + " has more than one -1");
      inferAt = static_cast<int64_t>(i);
    } else if (target[i] < 0) {
      n.fail("shape " + dimsString(target) + " has a negative entry");
    } else if (__builtin_mul_overflow(known, target[i], &known)) {
      n.fail("shape " + dimsString(target) + " has more elements than int64 can count");
    }
  }
  int64_t total = rt::numElements(xs);
  if (inferAt >= 0) {
    if (known == 0 || total % known != 0)
      n.fail("cannot reshape " + dimsString(xs) + " to " + dimsString(target));
    target[inferAt] = total / known;
  }
  if (rt::numElements(target) != total)
    n.fail("cannot reshape " + dimsString(xs) + " (" + std::to_string(total) + " elements) to " +
           dimsString(target));
  return {n.e().reshape(x, target)};
}

std::vector<Value> transpose(OnnxNode& n) {
  n.onlyAttrs({"perm"});
  Value x = n.input(0);
  int64_t r = Emitter::rank(x);
  Dims reversed;
  for (int64_t i = r - 1; i >= 0; --i) reversed.push_back(i);
  return {n.e().transpose(x, n.attrInts("perm", reversed))};
}

std::vector<Value> concat(OnnxNode& n) {
  n.onlyAttrs({"axis"});
  // Concat-1 had a default axis of 1; from opset 4 the axis is required.
  if (!n.hasAttr("axis") && n.opset() >= 4) n.fail("attribute 'axis' is required");
  std::vector<Value> xs = n.inputs();
  if (xs.empty()) n.fail("needs at least one input");
  return {n.e().concatenate(xs, n.axis(n.attrInt("axis", 1), Emitter::rank(xs[0])))};
}

std::vector<Value> constant(OnnxNode& n) {
  Emitter& e = n.e();
  if (n.proto().attribute_size() != 1) n.fail("needs exactly one value attribute");
  const std::string& which = n.proto().attribute(0).name();
  if (which == "value") {
    try {
      return {e.constant(onnx_io::fromTensorProto(*n.attrTensor("value"), ""))};
    } catch (const onnx_io::TensorError& err) {
      n.fail(std::string("attribute 'value': ") + err.what());
    }
  }
  if (which == "value_float") return {e.splat(n.attrFloat("value_float", 0), e.builder().getF32Type())};
  if (which == "value_int")
    return {e.splat(static_cast<double>(n.attrInt("value_int", 0)), e.builder().getI64Type())};
  if (which == "value_ints") {
    Dims v = n.attrInts("value_ints", {});
    rt::HostTensor t({rt::DType::I64, {static_cast<int64_t>(v.size())}}, v.data());
    return {e.constant(t)};
  }
  if (which == "value_floats") {
    const auto& a = n.proto().attribute(0);
    std::vector<float> v(a.floats().begin(), a.floats().end());
    rt::HostTensor t({rt::DType::F32, {static_cast<int64_t>(v.size())}}, v.data());
    return {e.constant(t)};
  }
  n.fail("attribute '" + which + "' is not supported");
}

// The training import (dlc train): every Dropout drops, as torch's Dropout
// in model.train(), whatever its training_mode: each element is kept when
// its counter-based random bits (frontend/CounterRng.h; the step's key, one
// stream per Dropout node) are at least ratio * 2^32, and scaled by
// 1 / (1 - ratio) (inverted dropout); the mask output is true where kept.
std::vector<Value> dropoutTrainStep(OnnxNode& n, Value x, double ratio) {
  Emitter& e = n.e();
  Dims xs = Emitter::shape(x);
  if (!(ratio >= 0 && ratio <= 1)) n.fail("ratio must be in [0, 1]");
  uint32_t stream = n.scope().dropoutCount++;
  mlir::Type pred = n.opset() >= 10 ? e.builder().getI1Type() : Emitter::elementType(x);
  if (ratio == 0) return {x, e.splat(1.0, pred, xs)};
  Value keep = e.splat(0.0, e.builder().getI1Type(), xs);
  Value y = e.splatLike(0.0, x);
  if (ratio < 1) {
    Value bits = counterRandomBits(e, n.scope().rngKey(), stream, xs);
    double threshold = std::min(std::ldexp(ratio, 32), 4294967295.0);
    keep = e.compare(CompareDirection::GE, bits, e.splatLike(std::nearbyint(threshold), bits));
    y = e.select(keep, e.mul(x, e.splatLike(1.0 / (1.0 - ratio), x)), y);
  }
  return {y, e.convert(keep, pred)};
}

// Inference: Dropout is the identity and its mask all true. So is training
// mode with a compile-time ratio of 0 (nothing is dropped); a ratio above 0
// draws random masks, which only the training import does (dlc train, with
// its --seed).
std::vector<Value> dropout(OnnxNode& n) {
  n.onlyAttrs({"ratio", "is_test", "seed"});
  auto ratio = [&] {
    if (n.opset() < 12) return static_cast<double>(n.attrFloat("ratio", 0.5f));
    return n.hasInput(1) ? n.scalarInput(1, "ratio") : 0.5;
  };
  if (n.scope().training) return dropoutTrainStep(n, n.input(0), ratio());
  if (n.opset() >= 12 && n.hasInput(2)) {
    const rt::HostTensor* training = n.constantInput(2);
    if (!training) n.fail("training_mode must be a compile-time constant");
    if (rt::loadAsDouble(training->cref(), 0) != 0) {
      double r = ratio();
      char shown[32];
      std::snprintf(shown, sizeof shown, "%g", r);
      if (r != 0)
        n.fail("training_mode=true with ratio " + std::string(shown) +
               " drops random elements, which dlc does only when it trains the model (dlc train "
               "--seed S); only ratio 0 is supported in training mode here");
    }
  }
  Value x = n.input(0);
  std::vector<Value> out = {x};
  // The mask is bool from opset 10, the input's type before.
  if (n.hasOutput(1))
    out.push_back(n.e().splat(1.0, n.opset() >= 10 ? n.e().builder().getI1Type()
                                                   : Emitter::elementType(x),
                              Emitter::shape(x)));
  return out;
}

//===--- shape queries ----------------------------------------------------===//

// Shape is known from the static type: an i64 constant, which later ops
// (Reshape, Expand, Slice ...) can read at compile time. start/end (opset
// 15) select dimensions as a Python slice does, clamped to [0, rank].
std::vector<Value> shape(OnnxNode& n) {
  n.onlyAttrs({"start", "end"});
  Dims xs = Emitter::shape(n.input(0));
  const int64_t r = static_cast<int64_t>(xs.size());
  auto clampAxis = [r](int64_t a) { return std::clamp(a < 0 ? a + r : a, int64_t(0), r); };
  int64_t start = clampAxis(n.attrInt("start", 0));
  int64_t end = n.hasAttr("end") ? clampAxis(n.attrInt("end", r)) : r;
  Dims out(xs.begin() + start, xs.begin() + std::max(start, end));
  return {intsConstant(n.e(), out, {static_cast<int64_t>(out.size())})};
}

std::vector<Value> size(OnnxNode& n) {
  n.onlyAttrs({});
  return {intsConstant(n.e(), {rt::numElements(Emitter::shape(n.input(0)))}, {})};
}

//===--- reshapes ---------------------------------------------------------===//

// Axes of Squeeze/Unsqueeze: an attribute before opset 13, an input after.
// Returns false if none are given.
bool squeezeAxes(OnnxNode& n, Dims& axes) {
  if (n.opset() < 13) {
    n.onlyAttrs({"axes"});
    axes = n.attrInts("axes", {});
    return n.hasAttr("axes");
  }
  n.onlyAttrs({});
  if (!n.hasInput(1)) return false;
  axes = n.intsInput(1, "axes");
  return true;
}

// Removes the listed dimensions, which must have size 1 (every size-1
// dimension if no axes are given).
std::vector<Value> squeeze(OnnxNode& n) {
  Value x = n.input(0);
  Dims xs = Emitter::shape(x);
  Dims axes;
  bool given = squeezeAxes(n, axes);
  Dims drop = normalizeAxes(n, axes, static_cast<int64_t>(xs.size()));
  Dims out;
  for (int64_t i = 0; i < static_cast<int64_t>(xs.size()); ++i) {
    bool listed = std::find(drop.begin(), drop.end(), i) != drop.end();
    if (listed && xs[i] != 1)
      n.fail("cannot squeeze dimension " + std::to_string(i) + " of size " +
             std::to_string(xs[i]) + " (shape " + dimsString(xs) + ")");
    if (given ? !listed : xs[i] != 1) out.push_back(xs[i]);
  }
  return {n.e().reshape(x, out)};
}

// Inserts size-1 dimensions at the listed positions of the result.
std::vector<Value> unsqueeze(OnnxNode& n) {
  Value x = n.input(0);
  Dims xs = Emitter::shape(x);
  Dims axes;
  if (!squeezeAxes(n, axes)) n.fail("axes are required");
  const int64_t outRank = static_cast<int64_t>(xs.size() + axes.size());
  Dims ones = normalizeAxes(n, axes, outRank);
  Dims out;
  size_t next = 0;
  for (int64_t i = 0; i < outRank; ++i)
    out.push_back(std::find(ones.begin(), ones.end(), i) != ones.end() ? 1 : xs[next++]);
  return {n.e().reshape(x, out)};
}

// Expand broadcasts both ways: the result has the broadcast of the input's
// shape and the given one.
std::vector<Value> expand(OnnxNode& n) {
  n.onlyAttrs({});
  Value x = n.input(0);
  Dims target = n.intsInput(1, "the shape");
  for (int64_t d : target)
    if (d < 0) n.fail("shape " + dimsString(target) + " has a negative entry");
  return {n.e().broadcastTo(x, Emitter::broadcastShapes(Emitter::shape(x), target))};
}

//===--- slicing ----------------------------------------------------------===//

// One dimension of a Slice: core slice bounds on the dimension, reversed
// first when the step is negative.
struct DimSlice {
  int64_t start, limit, stride;
  bool reversed;
};

// Python slice semantics (what the reference computes): negative bounds count
// from the end, and out-of-range bounds clamp, to [0, d] for a positive step
// and to [-1, d-1] for a negative one. A negative step walks
// s, s+step, ... > e; on the reversed dimension (index d-1-i) that is a
// positive-step slice.
DimSlice sliceDim(int64_t s, int64_t e, int64_t step, int64_t d) {
  step = std::max(step, -std::numeric_limits<int64_t>::max());  // -step must not overflow
  if (s < 0) s += d;
  if (e < 0) e += d;
  if (step > 0) {
    s = std::clamp(s, int64_t(0), d);
    e = std::clamp(e, int64_t(0), d);
    return {s, std::max(s, e), step, false};
  }
  s = std::clamp(s, int64_t(-1), d - 1);
  e = std::clamp(e, int64_t(-1), d - 1);
  int64_t count = s > e ? (s - e - 1) / -step + 1 : 0;
  int64_t first = d - 1 - s;
  if (count == 0) return {0, 0, -step, true};
  return {first, first + (count - 1) * -step + 1, -step, true};
}

std::vector<Value> slice(OnnxNode& n) {
  Value x = n.input(0);
  Dims xs = Emitter::shape(x);
  const int64_t r = static_cast<int64_t>(xs.size());
  Dims starts, ends, axes, steps;
  bool haveAxes = false;
  if (n.opset() < 10) {
    n.onlyAttrs({"starts", "ends", "axes"});
    if (!n.hasAttr("starts") || !n.hasAttr("ends")) n.fail("attributes 'starts' and 'ends' are required");
    starts = n.attrInts("starts", {});
    ends = n.attrInts("ends", {});
    haveAxes = n.hasAttr("axes");
    axes = n.attrInts("axes", {});
  } else {
    n.onlyAttrs({});
    starts = n.intsInput(1, "starts");
    ends = n.intsInput(2, "ends");
    haveAxes = n.hasInput(3);
    if (haveAxes) axes = n.intsInput(3, "axes");
    if (n.hasInput(4)) steps = n.intsInput(4, "steps");
  }
  if (!haveAxes)
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size())
    n.fail("starts, ends, axes and steps have different lengths (" +
           std::to_string(starts.size()) + ", " + std::to_string(ends.size()) + ", " +
           std::to_string(axes.size()) + ", " + std::to_string(steps.size()) + ")");
  axes = normalizeAxes(n, axes, r);

  Dims start(r, 0), limit = xs, stride(r, 1), reversedDims;
  for (size_t i = 0; i < axes.size(); ++i) {
    if (steps[i] == 0) n.fail("steps must not be 0");
    DimSlice d = sliceDim(starts[i], ends[i], steps[i], xs[axes[i]]);
    start[axes[i]] = d.start;
    limit[axes[i]] = d.limit;
    stride[axes[i]] = d.stride;
    if (d.reversed) reversedDims.push_back(axes[i]);
  }
  std::sort(reversedDims.begin(), reversedDims.end());
  return {n.e().slice(n.e().reverse(x, reversedDims), start, limit, stride)};
}

// The sizes of Split's outputs: given (the 'split' input or attribute), or
// num_outputs (opset 18) / the output count, in equal parts but for a
// smaller last one.
Dims splitSizes(OnnxNode& n, int64_t dim) {
  // An input from opset 13 (and in Split-1, beside the attribute).
  if ((n.opset() >= 13 || n.opset() < 2) && n.hasInput(1)) return n.intsInput(1, "split");
  if (n.opset() < 13 && n.hasAttr("split")) return n.attrInts("split", {});
  int64_t parts = n.proto().output_size();
  if (n.opset() >= 18 && n.hasAttr("num_outputs")) {
    parts = n.attrInt("num_outputs", parts);
    if (parts != n.proto().output_size())
      n.fail("num_outputs is " + std::to_string(parts) + " but the node has " +
             std::to_string(n.proto().output_size()) + " outputs");
  }
  if (parts <= 0) n.fail("needs at least one output");
  int64_t chunk = (dim + parts - 1) / parts;  // ceil: the reference's uneven rule
  Dims sizes(parts, chunk);
  sizes.back() = dim - chunk * (parts - 1);
  if (sizes.back() < 0)
    n.fail("cannot split a dimension of size " + std::to_string(dim) + " into " +
           std::to_string(parts) + " parts of " + std::to_string(chunk) +
           " with a smaller last one");
  return sizes;
}

std::vector<Value> split(OnnxNode& n) {
  n.onlyAttrs(n.opset() >= 18 ? std::initializer_list<const char*>{"axis", "num_outputs"}
              : n.opset() >= 13 ? std::initializer_list<const char*>{"axis"}
                                : std::initializer_list<const char*>{"axis", "split"});
  Value x = n.input(0);
  Dims xs = Emitter::shape(x);
  const int64_t r = static_cast<int64_t>(xs.size());
  const int64_t axis = n.axis(n.attrInt("axis", 0), r);
  Dims sizes = splitSizes(n, xs[axis]);
  if (static_cast<int64_t>(sizes.size()) != n.proto().output_size())
    n.fail("split " + dimsString(sizes) + " has " + std::to_string(sizes.size()) +
           " entries but the node has " + std::to_string(n.proto().output_size()) + " outputs");
  int64_t total = 0;
  for (int64_t s : sizes) {
    if (s < 0) n.fail("split " + dimsString(sizes) + " has a negative entry");
    total += s;
  }
  if (total != xs[axis])
    n.fail("split " + dimsString(sizes) + " sums to " + std::to_string(total) +
           ", not to the size " + std::to_string(xs[axis]) + " of dimension " +
           std::to_string(axis));
  std::vector<Value> outs;
  Dims start(r, 0), limit = xs, strides(r, 1);
  for (int64_t s : sizes) {
    limit[axis] = start[axis] + s;
    outs.push_back(n.e().slice(x, start, limit, strides));
    start[axis] = limit[axis];
  }
  return outs;
}

//===--- tiling and block rearrangements ----------------------------------===//

// Tile: broadcast x [d0, d1, ..] to [r0, d0, r1, d1, ..] and merge each pair.
std::vector<Value> tile(OnnxNode& n) {
  n.onlyAttrs({});
  Value x = n.input(0);
  Dims xs = Emitter::shape(x);
  const int64_t r = static_cast<int64_t>(xs.size());
  Dims repeats;
  if (n.opset() < 6) {
    // Tile-1: 'tiles' copies along the single dimension 'axis' (both inputs).
    repeats.assign(r, 1);
    int64_t axis = n.axis(static_cast<int64_t>(n.scalarInput(2, "axis")), r);
    repeats[axis] = static_cast<int64_t>(n.scalarInput(1, "tiles"));
  } else {
    repeats = n.intsInput(1, "repeats");
  }
  if (static_cast<int64_t>(repeats.size()) != r)
    n.fail("repeats " + dimsString(repeats) + " must have one entry per input dimension (" +
           std::to_string(r) + ")");
  Dims wide, dims, out;
  for (int64_t i = 0; i < r; ++i) {
    if (repeats[i] < 0) n.fail("repeats " + dimsString(repeats) + " has a negative entry");
    wide.push_back(repeats[i]);
    wide.push_back(xs[i]);
    dims.push_back(2 * i + 1);
    out.push_back(repeats[i] * xs[i]);
  }
  if (out == xs) return {x};
  return {n.e().reshape(n.e().broadcastInDim(x, dims, wide), out)};
}

int64_t blocksize(OnnxNode& n) {
  if (!n.hasAttr("blocksize")) n.fail("attribute 'blocksize' is required");
  int64_t b = n.attrInt("blocksize", 1);
  if (b <= 0) n.fail("blocksize must be positive, got " + std::to_string(b));
  return b;
}

// Block mode: DCR (depth-column-row, the default) or CRD.
bool crdMode(OnnxNode& n) {
  std::string mode = n.attrString("mode", "DCR");
  if (mode != "DCR" && mode != "CRD")
    n.fail("mode '" + mode + "' is not supported (DCR or CRD)");
  return mode == "CRD";
}

Dims rank4(OnnxNode& n, Value x) {
  Dims xs = Emitter::shape(x);
  if (xs.size() != 4) n.fail("input must have rank 4 (N, C, H, W), got " + dimsString(xs));
  return xs;
}

// DepthToSpace: channels split into (b, b, C') or (C', b, b), the block
// dimensions interleaved with H and W.
std::vector<Value> depthToSpace(OnnxNode& n) {
  n.onlyAttrs({"blocksize", "mode"});
  Value x = n.input(0);
  Dims xs = rank4(n, x);
  int64_t b = blocksize(n);
  bool crd = crdMode(n);
  int64_t N = xs[0], C = xs[1], H = xs[2], W = xs[3];
  if (C % (b * b) != 0)
    n.fail("channels " + std::to_string(C) + " are not a multiple of blocksize^2 " +
           std::to_string(b * b));
  int64_t c = C / (b * b);
  Emitter& e = n.e();
  Value t = crd ? e.transpose(e.reshape(x, {N, c, b, b, H, W}), {0, 1, 4, 2, 5, 3})
                : e.transpose(e.reshape(x, {N, b, b, c, H, W}), {0, 3, 4, 1, 5, 2});
  return {e.reshape(t, {N, c, H * b, W * b})};
}

// SpaceToDepth: the inverse; mode (opset 28) orders the new channels.
std::vector<Value> spaceToDepth(OnnxNode& n) {
  n.onlyAttrs({"blocksize", "mode"});
  Value x = n.input(0);
  Dims xs = rank4(n, x);
  int64_t b = blocksize(n);
  bool crd = crdMode(n);
  int64_t N = xs[0], C = xs[1], H = xs[2], W = xs[3];
  if (H % b != 0 || W % b != 0)
    n.fail("spatial size " + std::to_string(H) + "x" + std::to_string(W) +
           " is not a multiple of blocksize " + std::to_string(b));
  Emitter& e = n.e();
  Value r = e.reshape(x, {N, C, H / b, b, W / b, b});
  Value t = crd ? e.transpose(r, {0, 1, 3, 5, 2, 4}) : e.transpose(r, {0, 3, 5, 1, 2, 4});
  return {e.reshape(t, {N, C * b * b, H / b, W / b})};
}

//===--- padding ----------------------------------------------------------===//

// The source index that position j of a dimension of size d padded by `low`
// reads in a non-constant mode (numpy's edge, reflect, wrap).
int64_t padSource(const std::string& mode, int64_t j, int64_t low, int64_t d) {
  int64_t i = j - low;
  if (mode == "edge") return std::clamp(i, int64_t(0), d - 1);
  if (mode == "wrap") return ((i % d) + d) % d;
  // reflect: a triangle wave of period 2(d-1) (a single element repeats).
  int64_t period = 2 * (d - 1);
  if (period == 0) return 0;
  int64_t m = ((i % period) + period) % period;
  return m < d ? m : period - m;
}

// Pad's pads per dimension (low, high), from the 'pads' attribute (before
// opset 11; 'paddings' in opset 1) or input, on every dimension or on the
// 'axes' input (opset 18).
void padAmounts(OnnxNode& n, int64_t r, Dims& low, Dims& high) {
  Dims pads, axes;
  if (n.opset() < 11) {
    const char* name = n.opset() < 2 ? "paddings" : "pads";
    if (!n.hasAttr(name)) n.fail(std::string("attribute '") + name + "' is required");
    pads = n.attrInts(name, {});
  } else {
    pads = n.intsInput(1, "pads");
  }
  if (n.opset() >= 18 && n.hasInput(3)) {
    axes = normalizeAxes(n, n.intsInput(3, "axes"), r);
  } else {
    for (int64_t i = 0; i < r; ++i) axes.push_back(i);
  }
  if (pads.size() != 2 * axes.size())
    n.fail("pads " + dimsString(pads) + " must have 2 entries per padded axis (" +
           std::to_string(2 * axes.size()) + ")");
  low.assign(r, 0);
  high.assign(r, 0);
  for (size_t i = 0; i < axes.size(); ++i) {
    low[axes[i]] = pads[i];
    high[axes[i]] = pads[axes.size() + i];
  }
}

// constant: dlc.pad (negative pads crop). edge/reflect/wrap: per padded
// dimension, a gather with a constant index list.
std::vector<Value> pad(OnnxNode& n) {
  if (n.opset() < 11)
    n.onlyAttrs({"mode", "value", n.opset() < 2 ? "paddings" : "pads"});
  else
    n.onlyAttrs({"mode"});
  Emitter& e = n.e();
  Value x = n.input(0);
  Dims xs = Emitter::shape(x);
  const int64_t r = static_cast<int64_t>(xs.size());
  Dims low, high;
  padAmounts(n, r, low, high);
  std::string mode = n.attrString("mode", "constant");

  if (mode == "constant") {
    mlir::Type et = Emitter::elementType(x);
    Value value;
    if (n.opset() < 11) {
      value = e.splat(n.attrFloat("value", 0), et);
    } else if (n.hasInput(2)) {
      value = n.input(2);
      if (Emitter::elementType(value) != et) n.fail("constant_value must have the input's element type");
      if (rt::numElements(Emitter::shape(value)) != 1) n.fail("constant_value must be a scalar");
      value = e.reshape(value, {});
    } else {
      value = e.splat(0, et);
    }
    return {e.pad(x, value, low, high, Dims(r, 0))};
  }
  if (mode != "edge" && mode != "reflect" && mode != "wrap")
    n.fail("mode '" + mode + "' is not supported (constant, reflect, edge or wrap)");
  for (int64_t a = 0; a < r; ++a) {
    if (low[a] == 0 && high[a] == 0) continue;
    int64_t d = xs[a], size = 0;
    if (d == 0) n.fail("cannot pad the empty dimension " + std::to_string(a) + " in mode '" + mode + "'");
    // The gather below takes an index table of the padded size, built here
    // on the host: bounded before it is (a fuzzed pad of 2^57 asked for
    // 2^60 bytes of indices).
    if (__builtin_add_overflow(d, low[a], &size) || __builtin_add_overflow(size, high[a], &size) ||
        size > kMaxPadIndexTable)
      n.fail("pads " + std::to_string(low[a]) + "/" + std::to_string(high[a]) + " make dimension " +
             std::to_string(a) + " larger than " + std::to_string(kMaxPadIndexTable) +
             ", the most mode '" + mode + "' supports");
    if (size < 0)
      n.fail("pads " + std::to_string(low[a]) + "/" + std::to_string(high[a]) +
             " leave dimension " + std::to_string(a) + " of size " + std::to_string(d) +
             " with a negative size");
    Dims idx;
    for (int64_t j = 0; j < size; ++j) idx.push_back(padSource(mode, j, low[a], d));
    x = e.gather(x, intsConstant(e, idx, {size}), a);
  }
  return {x};
}

// CenterCropPad: per listed axis, crop the centre (a slice) or pad around
// it with zeros; an odd difference puts the extra element at the end.
std::vector<Value> centerCropPad(OnnxNode& n) {
  n.onlyAttrs({"axes"});
  Emitter& e = n.e();
  Value x = n.input(0);
  Dims xs = Emitter::shape(x);
  const int64_t r = static_cast<int64_t>(xs.size());
  Dims target = n.intsInput(1, "shape");
  Dims axes;
  if (n.hasAttr("axes")) {
    axes = normalizeAxes(n, n.attrInts("axes", {}), r);
  } else {
    for (int64_t i = 0; i < r; ++i) axes.push_back(i);
  }
  if (target.size() != axes.size())
    n.fail("shape " + dimsString(target) + " must have one entry per axis (" +
           std::to_string(axes.size()) + ")");
  Dims start(r, 0), limit = xs, strides(r, 1), low(r, 0), high(r, 0);
  for (size_t i = 0; i < axes.size(); ++i) {
    int64_t a = axes[i], d = xs[a], s = target[i];
    if (s < 0) n.fail("shape " + dimsString(target) + " has a negative entry");
    if (s < d) {
      start[a] = (d - s) / 2;
      limit[a] = start[a] + s;
    } else {
      low[a] = (s - d) / 2;
      high[a] = s - d - low[a];
    }
  }
  Value cropped = e.slice(x, start, limit, strides);
  return {e.pad(cropped, e.splat(0, Emitter::elementType(x)), low, high, Dims(r, 0))};
}

//===--- creation ---------------------------------------------------------===//

// ConstantOfShape: a splat of the 'value' attribute (one element; f32 0 by
// default) with the shape given by the input.
std::vector<Value> constantOfShape(OnnxNode& n) {
  n.onlyAttrs({"value"});
  Emitter& e = n.e();
  Dims shape = n.intsInput(0, "the shape");
  for (int64_t d : shape)
    if (d < 0) n.fail("shape " + dimsString(shape) + " has a negative entry");
  rt::HostTensor value({rt::DType::F32, {1}});
  if (const onnx::TensorProto* t = n.attrTensor("value")) {
    try {
      value = onnx_io::fromTensorProto(*t, "");
    } catch (const onnx_io::TensorError& err) {
      n.fail(std::string("attribute 'value': ") + err.what());
    }
    if (value.numElements() != 1)
      n.fail("attribute 'value' must hold one element, it holds " +
             std::to_string(value.numElements()));
  }
  auto one = attrFromHostTensor(e.builder().getContext(), value);
  auto type = e.tensorType(shape, one.getElementType());
  auto splat = mlir::DenseElementsAttr::get(type, one.getValues<mlir::Attribute>()[0]);
  return {e.builder().create<ConstantOp>(e.loc(), splat).getResult()};
}

// Range: the element count depends on the values of start, limit and delta,
// so they must be known at compile time (specialised when they are graph
// inputs). The elements are computed from the start and delta inputs:
// start + i * delta, in double for float types as numpy's arange (f16/bf16
// in f32 when stash_type, opset 27, says so).
std::vector<Value> range(OnnxNode& n) {
  n.onlyAttrs({"stash_type"});
  Emitter& e = n.e();
  Value startV = n.input(0), deltaV = n.input(2);
  mlir::Type et = Emitter::elementType(startV);
  for (int i = 0; i < 3; ++i) {
    if (Emitter::elementType(n.input(i)) != et) n.fail("start, limit and delta must have one type");
    if (rt::numElements(Emitter::shape(n.input(i))) != 1) n.fail("start, limit and delta must be scalars");
  }
  double start = n.scalarInput(0, "start"), limit = n.scalarInput(1, "limit"),
         delta = n.scalarInput(2, "delta");
  if (delta == 0) n.fail("delta must not be 0");
  // The count in double first: start/limit/delta may be infinite, NaN or
  // so far apart that the count does not fit int64 (converting such a double
  // to an integer is undefined); the element limit refuses it later anyway.
  double wanted = std::ceil((limit - start) / delta);
  if (std::isnan(wanted) || wanted > 9.0e15)
    n.fail("start " + std::to_string(start) + ", limit " + std::to_string(limit) + ", delta " +
           std::to_string(delta) + " give too many elements");
  int64_t count;
  if (et.isa<mlir::FloatType>()) {
    count = static_cast<int64_t>(std::max(0.0, wanted));
  } else {
    // Integers exactly: ceil((limit - start) / delta), in 128 bits so that
    // limit - start cannot overflow.
    // (Clamped first: an int64 read as double may round to 2^63.)
    auto i64 = [](double v) {
      return static_cast<int64_t>(std::clamp(v, -9.2233720368547748e18, 9.2233720368547748e18));
    };
    __int128 s = i64(start), l = i64(limit), d = i64(delta);
    __int128 span = l - s;
    __int128 c = span / d + ((span % d != 0 && ((span < 0) == (d < 0))) ? 1 : 0);
    count = static_cast<int64_t>(std::max<__int128>(c, 0));
  }
  mlir::Type ct = et;
  if (et.isa<mlir::FloatType>()) {
    ct = e.builder().getF64Type();
    int64_t stash = n.attrInt("stash_type", 1);
    if (stash != 1 && stash != 11)
      n.fail("stash_type " + std::to_string(stash) + " is not supported (1: float, 11: double)");
    if ((et.isF16() || et.isBF16()) && n.opset() >= 27 && stash == 1) ct = e.builder().getF32Type();
  }
  Value i = e.iota({count}, 0, ct);
  Value s = e.reshape(e.convert(startV, ct), {});
  Value d = e.reshape(e.convert(deltaV, ct), {});
  return {e.convert(e.add(e.mul(i, d), s), et)};
}

}  // namespace

void registerShapeOps(ConverterTable& t) {
  t["Identity"] = identity;
  t["Flatten"] = flatten;
  t["Reshape"] = reshape;
  t["Transpose"] = transpose;
  t["Concat"] = concat;
  t["Constant"] = constant;
  t["Dropout"] = dropout;
  t["Shape"] = shape;
  t["Size"] = size;
  t["Squeeze"] = squeeze;
  t["Unsqueeze"] = unsqueeze;
  t["Expand"] = expand;
  t["Slice"] = slice;
  t["Split"] = split;
  t["Tile"] = tile;
  t["DepthToSpace"] = depthToSpace;
  t["SpaceToDepth"] = spaceToDepth;
  t["Pad"] = pad;
  t["CenterCropPad"] = centerCropPad;
  t["ConstantOfShape"] = constantOfShape;
  t["Range"] = range;
}

}  // namespace dlc::onnx_import
