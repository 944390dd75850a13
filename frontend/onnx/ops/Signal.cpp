// ONNX signal-processing ops (DFT, STFT, window functions, MelWeightMatrix).
//
// A DFT of length L along one axis is one dot_general of the signal (real,
// or complex as a trailing [re, im] dimension) with a compile-time matrix of
// cos/sin values, computed in double and stored in the signal's type. The
// windows and the mel filter bank are built from iota with core ops, so that
// their values come from the graph, in double, and are converted once.
#include "frontend/onnx/OnnxNode.h"

#include <cmath>
#include <utility>

#include "frontend/onnx/TensorProtoIO.h"
#include "ir/TensorConversions.h"

namespace dlc::onnx_import {
namespace {

using mlir::Value;

constexpr double kPi = 3.14159265358979323846;

Value iota(Emitter& e, const Dims& shape, int64_t dim, mlir::Type element) {
  return e.builder()
      .create<IotaOp>(e.loc(), e.tensorType(shape, element), e.builder().getI64IntegerAttr(dim))
      .getResult();
}

// cos and sin of 2 pi m / n for 0 <= m < n, exact at multiples of pi / 2.
std::pair<double, double> unitRoot(int64_t m, int64_t n) {
  if ((4 * m) % n == 0) {
    switch ((4 * m) / n) {
      case 0: return {1.0, 0.0};
      case 1: return {0.0, 1.0};
      case 2: return {-1.0, 0.0};
      default: return {0.0, -1.0};
    }
  }
  double theta = 2.0 * kPi * static_cast<double>(m) / static_cast<double>(n);
  return {std::cos(theta), std::sin(theta)};
}

// The DFT matrix, [inputs, c_in, outputs, c_out]: output (k, co) sums
// input (m, ci) times entry [m, ci, k, co].
//  forward:  X[k] = sum_m x[m] e^{-2 pi i k m / L}
//  inverse:  x[k] = 1/L sum_m X[m] e^{+2 pi i k m / L}
//  inverse onesided (irfft): the input is the first L/2+1 bins of a
//    Hermitian spectrum; the output is real (c_out = 1), bins 1 .. ceil(L/2)-1
//    count twice, and the imaginary parts of bin 0 and bin L/2 are ignored.
rt::HostTensor dftMatrix(rt::DType dtype, int64_t inputs, int64_t cIn, int64_t outputs,
                         int64_t length, bool inverse, bool onesided) {
  bool irfft = inverse && onesided;
  int64_t cOut = irfft ? 1 : 2;
  rt::HostTensor m(rt::TensorType{dtype, {inputs, cIn, outputs, cOut}});
  double scale = inverse ? 1.0 / static_cast<double>(length) : 1.0;
  double sign = inverse ? 1.0 : -1.0;  // of the exponent
  for (int64_t a = 0; a < inputs; ++a) {
    for (int64_t k = 0; k < outputs; ++k) {
      auto [cosv, sinv] = unitRoot((a * k) % length, length);
      double cs = cosv * scale, sn = sign * sinv * scale + 0.0;  // no -0
      // e^{i s theta} (re + i im) = (re cos - im s sin) + i (re s sin + im cos)
      double v[2][2] = {{cs, sn}, {-sn + 0.0, cs}};  // v[ci][co]
      if (irfft) {
        bool edge = a == 0 || 2 * a == length;
        double w = edge ? 1.0 : 2.0;
        v[0][0] = w * cs;
        v[1][0] = edge ? 0.0 : -w * sn + 0.0;
      }
      for (int64_t ci = 0; ci < cIn; ++ci)
        for (int64_t co = 0; co < cOut; ++co)
          rt::storeFromDouble(m.ref(), ((a * cIn + ci) * outputs + k) * cOut + co, v[ci][co]);
    }
  }
  return m;
}

// A DFT of `length` points of x (last dim 1: real, 2: complex) along `axis`;
// the input is truncated or zero-padded to `length` (only the first L/2+1
// bins are read for irfft). The result has the output bins at `axis` and a
// last dim of 2 (1 for irfft).
Value dftAlong(OnnxNode& n, Value x, int64_t axis, int64_t length, bool inverse, bool onesided) {
  Emitter& e = n.e();
  Dims xs = Emitter::shape(x);
  int64_t r = static_cast<int64_t>(xs.size());
  int64_t c = xs.back();
  if (c != 1 && c != 2)
    n.fail("the last dimension must be 1 (real) or 2 (complex), got " + dimsString(xs));
  if (length < 1) n.fail("dft_length must be >= 1, got " + std::to_string(length));
  auto dtype = dtypeOf(Emitter::elementType(x));
  if (!dtype || !rt::isFloat(*dtype)) n.fail("the input must be a float tensor");
  bool irfft = inverse && onesided;
  int64_t used = std::min(xs[axis], irfft ? length / 2 + 1 : length);
  int64_t outputs = onesided && !inverse ? length / 2 + 1 : length;
  if (used < xs[axis]) {
    Dims start(r, 0), limit = xs, strides(r, 1);
    limit[axis] = used;
    x = e.slice(x, start, limit, strides);
  }
  Value m = e.constant(dftMatrix(*dtype, used, c, outputs, length, inverse, onesided));
  // Result dims: x's other dims in order, then outputs, c_out.
  Value y = e.dotGeneral(x, m, {}, {}, {axis, r - 1}, {0, 1});
  if (axis == r - 2) return y;
  Dims perm;
  for (int64_t p = 0; p < r - 1; ++p) perm.push_back(p < axis ? p : p == axis ? r - 2 : p - 1);
  perm.push_back(r - 1);
  return e.transpose(y, perm);
}

int64_t scalarInt(OnnxNode& n, size_t i, const char* what) {
  Dims v = n.intsInput(i, what);
  if (v.size() != 1) n.fail(std::string(what) + " must be a scalar");
  return v[0];
}

std::vector<Value> dft(OnnxNode& n) {
  if (n.opset() >= 20)
    n.onlyAttrs({"inverse", "onesided"});
  else
    n.onlyAttrs({"axis", "inverse", "onesided"});
  Value x = n.input(0);
  Dims xs = Emitter::shape(x);
  int64_t r = static_cast<int64_t>(xs.size());
  if (r < 2) n.fail("the input must have rank >= 2 ([..., N, 1 or 2]), got " + dimsString(xs));
  int64_t axis = n.opset() >= 20 ? (n.hasInput(2) ? scalarInt(n, 2, "axis") : -2)
                                 : n.attrInt("axis", 1);
  axis = n.axis(axis, r);
  if (axis == r - 1) n.fail("axis cannot be the last dimension (the real/imaginary one)");
  bool inverse = n.attrInt("inverse", 0) != 0, onesided = n.attrInt("onesided", 0) != 0;
  int64_t length = n.hasInput(1) ? scalarInt(n, 1, "dft_length")
                   : inverse && onesided ? 2 * (xs[axis] - 1)
                                         : xs[axis];
  return {dftAlong(n, x, axis, length, inverse, onesided)};
}

// STFT: frames of frame_length samples every frame_step, each weighted by
// the window and transformed: [batch, frames, bins, 2].
std::vector<Value> stft(OnnxNode& n) {
  n.onlyAttrs({"onesided"});
  Emitter& e = n.e();
  Value x = n.input(0);
  Dims xs = Emitter::shape(x);
  if (xs.size() != 3 || (xs[2] != 1 && xs[2] != 2))
    n.fail("signal must be [batch, length, 1 or 2], got " + dimsString(xs));
  int64_t step = scalarInt(n, 1, "frame_step");
  if (step < 1) n.fail("frame_step must be >= 1, got " + std::to_string(step));
  Value window = n.hasInput(2) ? n.input(2) : Value();
  if (window && Emitter::rank(window) != 1)
    n.fail("window must be 1-D, got " + dimsString(Emitter::shape(window)));
  int64_t frameLen = n.hasInput(3) ? scalarInt(n, 3, "frame_length")
                     : window      ? Emitter::shape(window)[0]
                                   : xs[1];
  if (window && Emitter::shape(window)[0] != frameLen)
    n.fail("window has " + std::to_string(Emitter::shape(window)[0]) +
           " entries but frame_length is " + std::to_string(frameLen));
  if (frameLen < 1 || frameLen > xs[1])
    n.fail("frame_length " + std::to_string(frameLen) + " must be in [1, signal length " +
           std::to_string(xs[1]) + "]");
  int64_t frames = 1 + (xs[1] - frameLen) / step;
  // index [f, j] = f * step + j, then one gather: [batch, frames, frameLen, c].
  mlir::Type i64 = e.builder().getI64Type();
  Dims fs = {frames, frameLen};
  Value cols = iota(e, fs, 1, i64);
  Value c2 = e.splat(double(step), i64, fs);
  Value idx = e.add(e.mul(iota(e, fs, 0, i64), c2), cols);
  Dims gs = {xs[0], frames, frameLen, xs[2]};
  Value framed = e.builder()
                     .create<GatherOp>(e.loc(), e.tensorType(gs, Emitter::elementType(x)), x, idx,
                                       e.builder().getI64IntegerAttr(1))
                     .getResult();
  if (window) framed = e.mul(framed, e.broadcastInDim(window, {2}, gs));
  return {dftAlong(n, framed, 2, frameLen, false, n.attrInt("onesided", 1) != 0)};
}

// The output type of the windows and MelWeightMatrix (output_datatype,
// default float).
mlir::Type outputType(OnnxNode& n) {
  return n.e().elementTypeOf(onnx_io::dtypeFromOnnx(
      static_cast<int>(n.attrInt("output_datatype", onnx::TensorProto::FLOAT))));
}

// Generalised cosine windows: a0 - a1 cos(2 pi n / N) + a2 cos(4 pi n / N),
// N = size (periodic) or size - 1 (symmetric).
template <int Kind>
std::vector<Value> cosineWindow(OnnxNode& n) {
  static constexpr double kCoef[3][3] = {
      {0.5, 0.5, 0.0},                      // Hann
      {25.0 / 46.0, 21.0 / 46.0, 0.0},      // Hamming
      {0.42, 0.5, 0.08},                    // Blackman
  };
  const double* a = kCoef[Kind];
  n.onlyAttrs({"output_datatype", "periodic"});
  Emitter& e = n.e();
  int64_t size = scalarInt(n, 0, "size");
  if (size < 0) n.fail("size must be >= 0, got " + std::to_string(size));
  mlir::Type out = outputType(n);
  mlir::Type f64 = e.builder().getF64Type();
  int64_t period = n.attrInt("periodic", 1) != 0 ? size : size - 1;
  // A symmetric window of one point is [1] (its period would be 0).
  if (period == 0) return {e.convert(e.splat(1.0, f64, {size}), out)};
  Value perPoint = e.splat(2.0 * kPi / static_cast<double>(period), f64, {size});
  Value theta = e.mul(e.convert(iota(e, {size}, 0, e.builder().getI64Type()), f64), perPoint);
  auto c = [&](double v) { return e.splat(v, f64, {size}); };
  Value cos3 = e.unary<CosOp>(theta);
  Value prod = e.mul(c(a[1]), cos3);
  Value w = e.sub(c(a[0]), prod);
  if (a[2] != 0.0) {
    Value cos2 = e.unary<CosOp>(e.mul(theta, c(2.0)));
    w = e.add(w, e.mul(c(a[2]), cos2));
  }
  return {e.convert(w, out)};
}

// MelWeightMatrix [dft_length/2 + 1, num_mel_bins]: triangular filters
// between mel-spaced bin edges, as the ONNX reference defines them. The bin
// edges are floor((dft_length + 1) * hz / sample_rate) of num_mel_bins + 2
// points spaced evenly in mel (2595 log10(1 + hz / 700)) between the edges.
std::vector<Value> melWeightMatrix(OnnxNode& n) {
  n.onlyAttrs({"output_datatype"});
  Emitter& e = n.e();
  int64_t mels = scalarInt(n, 0, "num_mel_bins");
  int64_t dftLen = scalarInt(n, 1, "dft_length");
  if (mels < 1 || dftLen < 1) n.fail("num_mel_bins and dft_length must be >= 1");
  mlir::Type f64 = e.builder().getF64Type(), i64 = e.builder().getI64Type();
  auto scalar = [&](size_t i, const char* what) {
    Value v = n.input(i);
    if (rt::numElements(Emitter::shape(v)) != 1) n.fail(std::string(what) + " must be a scalar");
    return e.convert(e.reshape(v, {}), f64);
  };
  Value rate = scalar(2, "sample_rate"), lower = scalar(3, "lower_edge_hertz"),
        upper = scalar(4, "upper_edge_hertz");
  const double ln10 = std::log(10.0);
  auto s = [&](double v) { return e.splat(v, f64); };
  auto toMel = [&](Value hz) {
    auto ln10s = s(ln10);
    Value quot = e.div(hz, s(700.0));
    Value log2 = e.unary<LogOp>(e.add(s(1.0), quot));
    return e.div(e.mul(s(2595.0), log2), ln10s);
  };
  Value lowMel = toMel(lower);
  auto count = s(static_cast<double>(mels + 2));
  Value step = e.div(e.sub(toMel(upper), lowMel), count);
  Value points = e.convert(iota(e, {mels + 2}, 0, i64), f64);
  Value mel = e.add(e.mul(points, step), lowMel);
  auto oneS = s(1.0);
  auto ln10S = s(ln10);
  Value diff = e.sub(e.unary<ExpOp>(e.mul(e.div(mel, s(2595.0)), ln10S)), oneS);
  Value hz = e.mul(s(700.0), diff);
  Value edges = e.unary<FloorOp>(e.div(e.mul(s(static_cast<double>(dftLen + 1)), hz), rate));

  int64_t bins = dftLen / 2 + 1;
  Dims os = {bins, mels};
  auto edge = [&](int64_t k) {  // left (0), center (1), right (2) edge of each filter: [bins, mels]
    return e.broadcastInDim(e.slice(edges, {k}, {k + mels}, {1}), {1}, os);
  };
  Value l = edge(0), c = edge(1), h = edge(2);
  Value j = e.convert(iota(e, os, 0, i64), f64);
  auto cmp = [&](CompareDirection d, Value a, Value b) { return e.compare(d, a, b); };
  auto both = [&](Value a, Value b) { return e.binary<AndOp>(a, b); };
  using CD = CompareDirection;
  // The reference writes 1 at the center whenever the rising or the falling
  // side is non-empty (or both are, c == l).
  auto cond3 = cmp(CD::LT, c, h);
  Value or2 = e.binary<OrOp>(cmp(CD::LE, l, c), cond3);
  Value atCenter = both(cmp(CD::EQ, j, c), or2);
  auto cond = cmp(CD::LT, j, c);
  Value rising = both(cmp(CD::LE, l, j), cond);
  auto cond2 = cmp(CD::LT, j, h);
  Value falling = both(cmp(CD::LT, c, j), cond2);
  Value zero = e.splat(0.0, f64, os), one = e.splat(1.0, f64, os);
  Value diff2 = e.sub(c, l);
  Value up = e.div(e.sub(j, l), diff2);
  Value diff3 = e.sub(h, c);
  Value down = e.div(e.sub(h, j), diff3);
  Value w = e.select(atCenter, one, e.select(rising, up, e.select(falling, down, zero)));
  return {e.convert(w, outputType(n))};
}

}  // namespace

void registerSignalOps(ConverterTable& t) {
  t["DFT"] = dft;
  t["STFT"] = stft;
  t["HannWindow"] = cosineWindow<0>;
  t["HammingWindow"] = cosineWindow<1>;
  t["BlackmanWindow"] = cosineWindow<2>;
  t["MelWeightMatrix"] = melWeightMatrix;
}

}  // namespace dlc::onnx_import
