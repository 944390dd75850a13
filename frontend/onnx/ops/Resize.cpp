// ONNX Resize/Upsample and grid sampling (GridSample, AffineGrid).
//
// Resize is separable: each resized axis becomes one gather with a
// compile-time index table [out, taps] and, unless every output copies one
// input element, a multiply by a weight table and a sum over the taps. The
// tables are computed here in double precision exactly as the ONNX reference
// does (onnx/reference/ops/op_resize.py), so every mode, coordinate
// transformation, nearest rounding, cubic coefficient, exclude_outside and
// antialias variant is the same table-driven code.
//
// GridSample's sampling positions are data (the grid), so its gathers take
// indices computed at run time from the grid values by elementwise ops.
#include "frontend/onnx/ops/ConvPoolCommon.h"

#include <cmath>

namespace dlc::onnx_import {
namespace {

using mlir::Value;

//===--- Resize tables ------------------------------------------------------===//

struct ResizeSpec {
  std::string mode = "nearest";   // nearest | linear | cubic
  std::string coordMode = "half_pixel";
  std::string nearestMode = "round_prefer_floor";  // or "simple" (opset < 11)
  double cubicA = -0.75;
  bool excludeOutside = false, antialias = false;
  double extrapolation = 0;
};

// One axis: for each output position its input indices and weights (taps
// per position), and whether it lies outside the crop (tf_crop_and_resize).
struct AxisTable {
  int64_t taps = 0;
  std::vector<int64_t> index;
  std::vector<double> weight;
  std::vector<char> outside;
  bool anyOutside = false;
};

// The source coordinate of output position y (ONNX's coordinate
// transformation modes); `outWidth` is scale * in, not rounded.
double sourceCoord(const ResizeSpec& s, int64_t y, double scale, int64_t in, int64_t outInt,
                   double roiStart, double roiEnd) {
  double outWidth = scale * static_cast<double>(in);
  double yy = static_cast<double>(y);
  const std::string& m = s.coordMode;
  if (m == "align_corners") return outWidth == 1 ? 0.0 : yy * (in - 1) / (outWidth - 1);
  if (m == "asymmetric") return yy / scale;
  if (m == "tf_crop_and_resize") {
    double x = outWidth == 1 ? (roiEnd - roiStart) * (in - 1) / 2
                             : yy * (roiEnd - roiStart) * (in - 1) / (outWidth - 1);
    return x + roiStart * (in - 1);
  }
  if (m == "pytorch_half_pixel") return outWidth == 1 ? -0.5 : (yy + 0.5) / scale - 0.5;
  if (m == "half_pixel_symmetric") {
    double adjustment = static_cast<double>(outInt) / outWidth;
    double offset = in / 2.0 * (1 - adjustment);
    return offset + (yy + 0.5) / scale - 0.5;
  }
  return (yy + 0.5) / scale - 0.5;  // half_pixel
}

// Keys' cubic convolution kernel with parameter a, at distance x.
double cubicKernel(double x, double a) {
  x = std::fabs(x);
  if (x <= 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
  return 0;
}

// The interpolation coefficients for a position `ratio` in (0, 1] past the
// left neighbour, on consecutive input positions (the reference's layout).
std::vector<double> coefficients(const ResizeSpec& s, double ratio, double scale) {
  if (s.mode == "nearest") {
    if (ratio == std::floor(ratio)) return {0, 1};
    const std::string& m = s.nearestMode;
    bool right = m == "round_prefer_floor" ? ratio > 0.5
                 : m == "round_prefer_ceil" ? ratio >= 0.5
                                            : m == "ceil";
    return {right ? 0.0 : 1.0, right ? 1.0 : 0.0};
  }
  if (!s.antialias) {
    if (s.mode == "linear") return {1 - ratio, ratio};
    return {cubicKernel(ratio + 1, s.cubicA), cubicKernel(ratio, s.cubicA),
            cubicKernel(1 - ratio, s.cubicA), cubicKernel(2 - ratio, s.cubicA)};
  }
  // Antialiasing widens the kernel by 1/scale when downsampling.
  double sc = std::min(scale, 1.0);
  double support = s.mode == "linear" ? 1.0 : 2.0;
  int64_t start = static_cast<int64_t>(std::floor(-support / sc)) + 1;
  int64_t count = 2 - 2 * start;
  std::vector<double> c;
  double sum = 0;
  for (int64_t i = start; i < start + count; ++i) {
    double x = (static_cast<double>(i) - ratio) * sc;
    double v = s.mode == "linear" ? std::clamp(1 - std::fabs(x), 0.0, 1.0)
                                  : cubicKernel(x, s.cubicA);
    c.push_back(v);
    sum += v;
  }
  for (double& v : c) v /= sum;
  return c;
}

AxisTable axisTable(const ResizeSpec& s, int64_t in, int64_t out, double scale, double roiStart,
                    double roiEnd) {
  AxisTable t;
  std::vector<std::vector<std::pair<int64_t, double>>> kept(out);
  for (int64_t y = 0; y < out; ++y) {
    double x = sourceCoord(s, y, scale, in, out, roiStart, roiEnd);
    // A NaN or infinite roi (or one far outside the axis) gives a source
    // position no index can hold (found by the ONNX-loader fuzzer).
    if (!(std::fabs(x) < 0x1p52))
      throw EmitError("output position " + std::to_string(y) + " maps to input position " + std::to_string(x) +
                      ": the roi or scale are not finite or too large");
    bool outside = s.coordMode == "tf_crop_and_resize" && (x < 0 || x > in - 1);
    t.outside.push_back(outside);
    t.anyOutside |= outside;
    std::vector<int64_t> idx;
    std::vector<double> w;
    if (s.nearestMode == "simple" && s.mode == "nearest") {
      // Opset < 11 (ONNX Runtime's rule): truncate when upsampling, ceil when
      // downsampling.
      idx = {static_cast<int64_t>(scale < 1 ? std::ceil(x) : std::trunc(x))};
      w = {1.0};
    } else {
      double fl = std::floor(x);
      double ratio = x == fl ? 1.0 : x - fl;
      w = coefficients(s, ratio, scale);
      int64_t n = static_cast<int64_t>(w.size());
      // The n input positions nearest x, ties to the smaller (the reference's
      // neighbour search over an edge-padded input).
      int64_t pad = (n + 1) / 2;
      double xp = x + pad;
      double p = std::floor(xp), frac = xp - p;
      int64_t offset = n % 2 == 0 ? (frac == 0 ? -(n / 2) : -(n / 2) + 1)
                                  : (frac <= 0.5 ? -((n - 1) / 2) : -((n - 1) / 2) + 1);
      int64_t start = static_cast<int64_t>(p) + offset - pad;
      for (int64_t j = 0; j < n; ++j) idx.push_back(start + j);
      if (s.excludeOutside) {
        double sum = 0;
        for (int64_t j = 0; j < n; ++j) {
          if (idx[j] < 0 || idx[j] >= in) w[j] = 0;
          sum += w[j];
        }
        if (sum != 0)
          for (double& v : w) v /= sum;
      }
    }
    // Edge padding is index clamping; taps of weight 0 (nearest's other
    // neighbour) are dropped.
    for (size_t j = 0; j < idx.size(); ++j)
      if (w[j] != 0) kept[y].push_back({std::clamp<int64_t>(idx[j], 0, in - 1), w[j]});
    if (kept[y].empty()) kept[y].push_back({0, 0.0});
    t.taps = std::max<int64_t>(t.taps, static_cast<int64_t>(kept[y].size()));
  }
  // Lay out as [out, taps], padding short positions with weight-0 taps.
  for (int64_t y = 0; y < out; ++y) {
    for (int64_t j = 0; j < t.taps; ++j) {
      bool real = j < static_cast<int64_t>(kept[y].size());
      t.index.push_back(real ? kept[y][j].first : kept[y][0].first);
      t.weight.push_back(real ? kept[y][j].second : 0.0);
    }
  }
  return t;
}

// Resizes one axis of x by its table.
Value resizeAxis(Emitter& e, Value x, int64_t axis, const AxisTable& t, double extrapolation) {
  int64_t out = static_cast<int64_t>(t.outside.size());
  mlir::Type et = Emitter::elementType(x);
  bool copy = t.taps == 1;
  for (double w : t.weight) copy &= w == 1.0;
  Value y;
  if (copy) {
    y = e.gather(x, indexConstant(e, t.index, {out}), axis);
  } else {
    Value g = e.gather(x, indexConstant(e, t.index, {out, t.taps}), axis);
    Value w = valueConstant(e, t.weight, {out, t.taps}, et);
    Value prod = e.mul(g, e.broadcastInDim(w, {axis, axis + 1}, Emitter::shape(g)));
    y = e.reduce(ReduceKind::Sum, prod, {axis + 1});
  }
  if (t.anyOutside) {
    std::vector<double> mask(t.outside.begin(), t.outside.end());
    Value m = valueConstant(e, mask, {out}, e.builder().getI1Type());
    Dims ys = Emitter::shape(y);
    Value c2 = e.splat(extrapolation, et, ys);
    y = e.select(e.broadcastInDim(m, {axis}, ys), c2, y);
  }
  return y;
}

// The longest output axis a resize builds its index and weight table for
// (2^26: 64 Mi positions, far beyond any image or sequence).
constexpr int64_t kMaxResizePositions = int64_t{1} << 26;

// Resizes x to `out` with per-axis `scales` (both full rank); roi holds
// [starts..., ends...] over every axis, or is empty.
Value resizeTo(OnnxNode& n, Value x, const ResizeSpec& s, const std::vector<double>& scales,
               const Dims& out, const std::vector<double>& roi) {
  Emitter& e = n.e();
  Dims xs = Emitter::shape(x);
  size_t r = xs.size();
  bool isFloat = Emitter::elementType(x).isa<mlir::FloatType>();
  for (size_t a = 0; a < r; ++a) {
    double roiStart = roi.empty() ? 0.0 : roi[a], roiEnd = roi.empty() ? 1.0 : roi[a + r];
    bool identity = std::fabs(scales[a] - 1.0) <= 1e-9 && out[a] == xs[a] &&
                    std::fabs(roiStart) <= 1e-9 && std::fabs(roiEnd - 1.0) <= 1e-9;
    if (identity) continue;
    if (xs[a] < 1) n.fail("axis " + std::to_string(a) + " of the input is empty");
    if (out[a] < 1) n.fail("output size of axis " + std::to_string(a) + " is " +
                           std::to_string(out[a]) + ", must be >= 1");
    // The per-position interpolation table is built here, on the host,
    // before any tensor of that size exists: its length is bounded first
    // (a fuzzed Upsample asked for 1.5e13 positions: a 22 TB table).
    if (out[a] > kMaxResizePositions)
      n.fail("output size " + std::to_string(out[a]) + " of axis " + std::to_string(a) +
             " is more positions than a resize supports (" + std::to_string(kMaxResizePositions) + ")");
    AxisTable t = axisTable(s, xs[a], out[a], scales[a], roiStart, roiEnd);
    bool copy = t.taps == 1;
    for (double w : t.weight) copy &= w == 1.0;
    if (!isFloat && (!copy || t.anyOutside))
      n.fail("mode '" + s.mode + "' on a non-float tensor is not supported");
    x = resizeAxis(e, x, static_cast<int64_t>(a), t, s.extrapolation);
  }
  return x;
}

//===--- Resize / Upsample ---------------------------------------------------===//

void checkChoice(OnnxNode& n, const char* attr, const std::string& v,
                 std::initializer_list<const char*> allowed) {
  std::string list;
  for (const char* a : allowed) {
    if (v == a) return;
    list += (list.empty() ? "" : ", ") + std::string(a);
  }
  n.fail(std::string(attr) + " '" + v + "' is not one of " + list);
}

// floor(scale * size) as a dimension; a scale read from the model can make
// it anything (converting a double past int64 is undefined), so it is
// bounded first; the result's size is then checked like every other.
int64_t scaledSize(OnnxNode& n, double scale, int64_t size) {
  double v = std::floor(scale * static_cast<double>(size));
  if (!(v >= 0 && v < 4.0e18))
    n.fail("scale " + std::to_string(scale) + " makes dimension of size " + std::to_string(size) +
           " too large");
  return static_cast<int64_t>(v);
}

std::vector<Value> resize(OnnxNode& n) {
  n.onlyAttrs({"antialias", "axes", "coordinate_transformation_mode", "cubic_coeff_a",
               "exclude_outside", "extrapolation_value", "keep_aspect_ratio_policy", "mode",
               "nearest_mode"});
  Value x = n.input(0);
  Dims xs = Emitter::shape(x);
  int64_t r = static_cast<int64_t>(xs.size());
  ResizeSpec s;
  s.mode = n.attrString("mode", "nearest");
  checkChoice(n, "mode", s.mode, {"nearest", "linear", "cubic"});
  std::vector<double> scales, roi;
  Dims sizes;
  if (n.opset() < 11) {
    if (s.mode == "cubic") n.fail("mode 'cubic' needs opset 11");
    s.coordMode = "asymmetric";
    s.nearestMode = "simple";
    scales = floatsInput(n, 1, "scales");
  } else {
    s.coordMode = n.attrString("coordinate_transformation_mode", "half_pixel");
    checkChoice(n, "coordinate_transformation_mode", s.coordMode,
                {"half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners",
                 "asymmetric", "tf_crop_and_resize"});
    if (s.coordMode == "half_pixel_symmetric" && n.opset() < 19)
      n.fail("coordinate_transformation_mode 'half_pixel_symmetric' needs opset 19");
    s.nearestMode = n.attrString("nearest_mode", "round_prefer_floor");
    checkChoice(n, "nearest_mode", s.nearestMode,
                {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"});
    s.cubicA = n.attrFloat("cubic_coeff_a", -0.75f);
    s.excludeOutside = n.attrInt("exclude_outside", 0) != 0;
    s.extrapolation = n.attrFloat("extrapolation_value", 0.0f);
    s.antialias = n.attrInt("antialias", 0) != 0;
    if (s.antialias && s.mode == "nearest") n.fail("antialias needs mode linear or cubic");
    roi = floatsInput(n, 1, "roi");
    scales = floatsInput(n, 2, "scales");
    if (n.hasInput(3)) sizes = n.intsInput(3, "sizes");
    if (!scales.empty() && !sizes.empty()) n.fail("only one of scales and sizes may be given");
  }
  if (scales.empty() && sizes.empty()) n.fail("one of scales and sizes must be given");

  Dims axes;
  for (int64_t a : n.attrInts("axes", {})) axes.push_back(n.axis(a, r, "axes"));
  if (axes.empty())
    for (int64_t a = 0; a < r; ++a) axes.push_back(a);
  size_t na = axes.size();
  const char* what = scales.empty() ? "sizes" : "scales";
  if ((scales.empty() ? sizes.size() : scales.size()) != na)
    n.fail(std::string(what) + " needs " + std::to_string(na) + " entries (one per axis)");
  std::vector<double> fullRoi;
  if (s.coordMode == "tf_crop_and_resize") {
    if (roi.size() != 2 * na)
      n.fail("tf_crop_and_resize needs roi with " + std::to_string(2 * na) + " entries");
    fullRoi.assign(r, 0.0);
    fullRoi.resize(2 * r, 1.0);
    for (size_t i = 0; i < na; ++i) {
      fullRoi[axes[i]] = roi[i];
      fullRoi[axes[i] + r] = roi[na + i];
    }
  }

  std::vector<double> fullScales(r, 1.0);
  Dims out = xs;
  if (!scales.empty()) {
    for (size_t i = 0; i < na; ++i) {
      if (!(scales[i] > 0)) n.fail("scales must be positive, got " + std::to_string(scales[i]));
      fullScales[axes[i]] = scales[i];
      out[axes[i]] = scaledSize(n, scales[i], xs[axes[i]]);
    }
  } else {
    std::string policy = n.attrString("keep_aspect_ratio_policy", "stretch");
    checkChoice(n, "keep_aspect_ratio_policy", policy, {"stretch", "not_larger", "not_smaller"});
    for (size_t i = 0; i < na; ++i) {
      if (sizes[i] < 1) n.fail("sizes must be >= 1, got " + dimsString(sizes));
      if (xs[axes[i]] < 1) n.fail("axis " + std::to_string(axes[i]) + " of the input is empty");
      fullScales[axes[i]] = static_cast<double>(sizes[i]) / xs[axes[i]];
      out[axes[i]] = sizes[i];
    }
    if (policy != "stretch") {
      // One scale for every resized axis: the smallest (the result fits in
      // sizes) or the largest (it covers sizes); sizes rounded half up.
      double scale = fullScales[axes[0]];
      for (int64_t a : axes)
        scale = policy == "not_larger" ? std::min(scale, fullScales[a])
                                       : std::max(scale, fullScales[a]);
      for (int64_t a : axes) {
        fullScales[a] = scale;
        out[a] = static_cast<int64_t>(scale * xs[a] + 0.5);
      }
    }
  }
  return {resizeTo(n, x, s, fullScales, out, fullRoi)};
}

// Upsample (opsets 7 and 9): Resize with asymmetric coordinates and the
// scales as an attribute (7) or input (9).
std::vector<Value> upsample(OnnxNode& n) {
  n.onlyAttrs({"mode", "scales", "height_scale", "width_scale"});
  if (n.hasAttr("height_scale") || n.hasAttr("width_scale"))
    n.fail("height_scale/width_scale (opset 1) are not supported; use scales");
  Value x = n.input(0);
  Dims xs = Emitter::shape(x);
  ResizeSpec s;
  s.mode = n.attrString("mode", "nearest");
  if (s.mode == "bilinear") s.mode = "linear";
  checkChoice(n, "mode", s.mode, {"nearest", "linear"});
  s.coordMode = "asymmetric";
  s.nearestMode = "simple";
  std::vector<double> scales;
  if (n.opset() < 9) {
    for (const auto& a : n.proto().attribute())
      if (a.name() == "scales")
        for (float f : a.floats()) scales.push_back(f);
  } else {
    scales = floatsInput(n, 1, "scales");
  }
  if (scales.size() != xs.size())
    n.fail("scales needs " + std::to_string(xs.size()) + " entries, got " +
           std::to_string(scales.size()));
  Dims out(xs.size());
  for (size_t i = 0; i < xs.size(); ++i) {
    if (!(scales[i] > 0)) n.fail("scales must be positive");
    out[i] = scaledSize(n, scales[i], xs[i]);
  }
  return {resizeTo(n, x, s, scales, out, {})};
}

//===--- GridSample ------------------------------------------------------------===//

// Elementwise helpers on a float tensor and compile-time scalars.
struct Ew {
  Emitter& e;
  Value like;  // shape and element type of every operand
  Value c(double v) { return e.splatLike(v, like); }
  Value lt(Value a, Value b) { return e.compare(CompareDirection::LT, a, b); }
  Value gt(Value a, Value b) { return e.compare(CompareDirection::GT, a, b); }
  Value floor(Value a) { return e.unary<FloorOp>(a); }
  Value clamp(Value a, double lo, double hi) {
    Value top = c(hi);
    return e.min(e.max(a, c(lo)), top);
  }
  Value outside(Value a, double lo, double hi) {  // a < lo or a > hi, as i1
    auto gt2 = gt(a, c(hi));
    return e.binary<OrOp>(lt(a, c(lo)), gt2);
  }
};

// Reflects x into [lo, hi] by folding at the borders as often as needed
// (the reference's _gs_reflect); values inside are kept.
Value reflect(Ew& w, Value x, double lo, double hi) {
  Emitter& e = w.e;
  double range = hi - lo;
  if (range <= 0) return w.c(lo);
  Value below = w.lt(x, w.c(lo)), above = w.gt(x, w.c(hi));
  Value diff = e.sub(x, w.c(hi));
  Value dx = e.select(below, e.sub(w.c(lo), x), diff);
  Value flips = w.floor(e.div(dx, w.c(range)));
  Value rest = e.sub(dx, e.mul(flips, w.c(range)));
  auto half = w.c(0.5);
  auto two = w.c(2);
  Value odd = w.gt(e.sub(flips, e.mul(w.floor(e.div(flips, w.c(2))), two)), half);
  Value fromLo = e.add(w.c(lo), rest), fromHi = e.sub(w.c(hi), rest);
  Value belowResult = e.select(odd, fromHi, fromLo);
  Value aboveResult = e.select(odd, fromLo, fromHi);
  return e.select(below, belowResult, e.select(above, aboveResult, x));
}

// One sampling tap along one spatial dim: the input index (i64) and its weight.
struct Tap {
  Value index, weight;
};

// The taps of one spatial dim of size d for source coordinates x (already
// moved inside by the padding mode), with the padding mode applied to each
// tap's index: zeros gives weight 0 outside, border clamps, reflection folds.
std::vector<Tap> dimTaps(Ew& w, Value x, int64_t d, const std::string& mode,
                         const std::string& padding, bool alignCorners) {
  Emitter& e = w.e;
  double lo = alignCorners ? 0.0 : -0.5, hi = alignCorners ? d - 1.0 : d - 0.5;
  std::vector<Value> positions, weights;
  if (mode == "nearest") {
    positions = {x};
    weights = {w.c(1)};
  } else {
    Value x0 = w.floor(x), t = e.sub(x, x0);
    if (mode == "linear") {
      positions = {x0, e.add(x0, w.c(1))};
      weights = {e.sub(w.c(1), t), t};
    } else {
      // Keys' cubic kernel with a = -0.75 at distances t + 1, t, 1 - t, 2 - t.
      const double a = -0.75;
      auto near = [&](Value s) {  // |s| <= 1
        auto one2 = w.c(1);
        auto c4 = w.c(a + 3);
        return e.add(e.mul(e.mul(e.sub(e.mul(w.c(a + 2), s), c4), s), s), one2);
      };
      auto far = [&](Value s) {  // 1 < |s| < 2
        auto c2 = w.c(8 * a);
        auto c5 = w.c(5 * a);
        Value p = e.add(e.mul(e.sub(e.mul(w.c(a), s), c5), s), c2);
        auto c3 = w.c(4 * a);
        return e.sub(e.mul(p, s), c3);
      };
      Value one = w.c(1);
      for (int k = -1; k <= 2; ++k) positions.push_back(e.add(x0, w.c(k)));
      weights = {far(e.add(t, one)), near(t), near(e.sub(one, t)), far(e.sub(w.c(2), t))};
    }
  }
  std::vector<Tap> taps;
  mlir::Type i64 = e.builder().getI64Type();
  for (size_t k = 0; k < positions.size(); ++k) {
    Value p = positions[k], wt = weights[k];
    if (padding == "zeros") {
      auto zero = w.c(0);
      wt = e.select(w.outside(p, 0, static_cast<double>(d - 1)), zero, wt);
    } else if (padding == "reflection") {
      p = reflect(w, p, lo, hi);
    }
    taps.push_back({e.convert(w.clamp(p, 0, static_cast<double>(d - 1)), i64), wt});
  }
  return taps;
}

// GridSample: each output position reads the input at the grid's normalised
// coordinates (last grid entry = first spatial dim ... first entry = last).
// The taps of every spatial dim are combined into one gather from the input
// laid out as [N * D1 * ... * Dk, C], weighted and summed.
std::vector<Value> gridSample(OnnxNode& n) {
  n.onlyAttrs({"align_corners", "mode", "padding_mode"});
  Emitter& e = n.e();
  Value x = n.input(0), grid = n.input(1);
  Dims xs = Emitter::shape(x), gs = Emitter::shape(grid);
  Dims spatial = spatialDims(n, x);
  int64_t k = static_cast<int64_t>(spatial.size());
  int64_t r = static_cast<int64_t>(xs.size());
  if (n.opset() < 20 && k != 2) n.fail("GridSample before opset 20 takes 4-D input only");
  if (static_cast<int64_t>(gs.size()) != r || gs[0] != xs[0] || gs.back() != k)
    n.fail("grid must be N x D1_out ... x " + std::to_string(k) + " for input " +
           dimsString(xs) + ", got " + dimsString(gs));
  mlir::Type et = Emitter::elementType(x);
  if (!et.isa<mlir::FloatType>() || !Emitter::elementType(grid).isa<mlir::FloatType>())
    n.fail("input and grid must be float tensors");
  std::string mode = n.attrString("mode", n.opset() < 20 ? "bilinear" : "linear");
  if (mode == "bilinear") mode = "linear";
  if (mode == "bicubic") mode = "cubic";
  checkChoice(n, "mode", mode, {"nearest", "linear", "cubic"});
  std::string padding = n.attrString("padding_mode", "zeros");
  checkChoice(n, "padding_mode", padding, {"zeros", "border", "reflection"});
  bool align = n.attrInt("align_corners", 0) != 0;

  Dims g(gs.begin(), gs.end() - 1);  // N x D1_out ...
  int64_t m = static_cast<int64_t>(g.size());
  Value gridX = e.convert(grid, et);
  Ew w{e, e.splat(0.0, et, g)};
  // Per spatial dim: the source coordinate, then its taps.
  std::vector<std::vector<Tap>> taps;
  for (int64_t i = 0; i < k; ++i) {
    Dims start(r, 0), limit = gs;
    start[r - 1] = k - 1 - i;
    limit[r - 1] = k - i;
    Value c = e.reshape(e.slice(gridX, start, limit, Dims(r, 1)), g);
    double d = static_cast<double>(spatial[i]);
    Value pos;
    if (align) {  // (c + 1) / 2 * (d - 1)
      Value dm1 = w.c(d - 1);
      Value two = w.c(2);
      Value sum = e.add(c, w.c(1));
      pos = e.mul(e.div(sum, two), dm1);
    } else {  // ((c + 1) * d - 1) / 2
      Value two = w.c(2);
      Value one = w.c(1);
      Value wd = w.c(d);
      Value sum = e.add(c, w.c(1));
      pos = e.div(e.sub(e.mul(sum, wd), one), two);
    }
    if (mode == "nearest") pos = e.unary<RoundOp>(pos);
    double lo = align ? 0.0 : -0.5, hi = align ? d - 1 : d - 0.5;
    if (padding == "border") {
      auto clamp2 = w.clamp(pos, 0, d - 1);
      pos = e.select(w.outside(pos, lo, hi), clamp2, pos);
    } else if (padding == "reflection") {
      pos = reflect(w, pos, lo, hi);
    }
    taps.push_back(dimTaps(w, pos, spatial[i], mode, padding, align));
  }
  // Every combination of taps: flat index n * prod(D) + sum idx_i * stride_i.
  mlir::Type i64 = e.builder().getI64Type();
  rt::Shape strides = rt::rowMajorStrides(spatial);
  int64_t plane = rt::numElements(spatial);
  Value c2 = e.splat(static_cast<double>(plane), i64, g);
  Value base = e.mul(e.iota(g, 0, i64), c2);
  Dims g1 = g;
  g1.push_back(1);
  std::vector<Value> indices, weights;
  Dims choice(k, 0);
  for (bool more = true; more;) {
    Value flat = base, wt;
    for (int64_t i = 0; i < k; ++i) {
      const Tap& t = taps[i][choice[i]];
      flat = e.add(flat, e.mul(t.index, e.splat(static_cast<double>(strides[i]), i64, g)));
      wt = wt ? e.mul(wt, t.weight) : t.weight;
    }
    indices.push_back(e.reshape(flat, g1));
    weights.push_back(e.reshape(wt, g1));
    more = false;
    for (int64_t i = k - 1; i >= 0 && !more; --i) {
      if (++choice[i] < static_cast<int64_t>(taps[i].size())) more = true;
      else choice[i] = 0;
    }
  }
  Value idx = indices.size() == 1 ? indices[0] : e.concatenate(indices, m);
  Value wts = weights.size() == 1 ? weights[0] : e.concatenate(weights, m);
  // Input as [N * prod(D), C]; the gather gives [N, D_out..., taps, C].
  Dims perm = {0};
  for (int64_t d = 2; d < r; ++d) perm.push_back(d);
  perm.push_back(1);
  Value table = e.reshape(e.transpose(x, perm), {xs[0] * plane, xs[1]});
  Value picked = e.gather(table, idx, 0);
  Dims ps = Emitter::shape(picked);
  Dims wdims;
  for (int64_t d = 0; d <= m; ++d) wdims.push_back(d);
  Value y = e.reduce(ReduceKind::Sum, e.mul(picked, e.broadcastInDim(wts, wdims, ps)), {m});
  // [N, D_out..., C] -> [N, C, D_out...].
  Dims back = {0, m};
  for (int64_t d = 1; d < m; ++d) back.push_back(d);
  return {e.transpose(y, back)};
}

//===--- AffineGrid ------------------------------------------------------------===//

// AffineGrid: the normalised base grid [x, y(, z), 1] of every output
// position (a constant) times theta [N, k, k + 1] per batch.
std::vector<Value> affineGrid(OnnxNode& n) {
  n.onlyAttrs({"align_corners"});
  Emitter& e = n.e();
  Value theta = n.input(0);
  Dims ts = Emitter::shape(theta);
  Dims size = n.intsInput(1, "size");
  if (size.size() != 4 && size.size() != 5)
    n.fail("size must be [N, C, H, W] or [N, C, D, H, W], got " + dimsString(size));
  int64_t k = static_cast<int64_t>(size.size()) - 2;
  if (ts != Dims{size[0], k, k + 1})
    n.fail("theta must be " + dimsString({size[0], k, k + 1}) + ", got " + dimsString(ts));
  mlir::Type et = Emitter::elementType(theta);
  if (!et.isa<mlir::FloatType>()) n.fail("theta must be a float tensor");
  bool align = n.attrInt("align_corners", 0) != 0;
  Dims spatial(size.begin() + 2, size.end());
  for (int64_t d : spatial)
    if (d < 1) n.fail("size must be positive, got " + dimsString(size));
  // Normalised coordinates of each position along each dim.
  std::vector<std::vector<double>> coord(k);
  for (int64_t i = 0; i < k; ++i) {
    int64_t d = spatial[i];
    for (int64_t j = 0; j < d; ++j) {
      double step = align ? (d > 1 ? 2.0 / (d - 1) : 0.0) : 2.0 / d;
      double start = align ? -1.0 : -1.0 + step / 2;
      coord[i].push_back(start + j * step);
    }
  }
  int64_t plane = rt::numElements(spatial);
  rt::Shape strides = rt::rowMajorStrides(spatial);
  std::vector<double> base;
  for (int64_t p = 0; p < plane; ++p) {
    for (int64_t i = k - 1; i >= 0; --i) base.push_back(coord[i][p / strides[i] % spatial[i]]);
    base.push_back(1.0);
  }
  Value b = valueConstant(e, base, {plane, k + 1}, et);
  Value g = e.dotGeneral(theta, b, {}, {}, {2}, {1});  // [N, k, plane]
  Dims out = {size[0]};
  out.insert(out.end(), spatial.begin(), spatial.end());
  out.push_back(k);
  return {e.reshape(e.transpose(g, {0, 2, 1}), out)};
}

}  // namespace

void registerResizeOps(ConverterTable& t) {
  t["Resize"] = resize;
  t["Upsample"] = upsample;
  t["GridSample"] = gridSample;
  t["AffineGrid"] = affineGrid;
}

}  // namespace dlc::onnx_import
