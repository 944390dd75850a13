// ONNX RNN, GRU and LSTM, unrolled over the (static) sequence.
//
// Per direction, the input projection X W^T + biases of every step is one
// dot_general over the whole [T, B, I] input (hoisted out of the loop); each
// unrolled step then does only the recurrent [B, H] x [H, G*H] contraction
// and the gate arithmetic. The reverse direction walks the steps backwards.
// sequence_lens is honoured by masking: a batch entry past its length keeps
// its state and outputs zeros (so the reverse direction starts at its own
// last valid step, as ONNX Runtime does).
#include "frontend/onnx/OnnxNode.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>

namespace dlc::onnx_import {
namespace {

using mlir::Value;

enum class CellKind { Rnn, Gru, Lstm };

// One activation function of the ONNX recurrent ops' list (f, g, h).
struct Activation {
  std::string name;  // lower case
  float alpha = 0, beta = 0;
};

// What every recurrent op's attributes and inputs come to.
struct RecurrentSpec {
  CellKind kind;
  int64_t gates;          // 1 (RNN), 3 (GRU), 4 (LSTM)
  int64_t directions;     // 1 or 2
  bool reverseOnly;       // direction = "reverse"
  int64_t seqLen, batch, inputSize, hidden;
  bool layout1;           // X is [B, T, I], states [B, D, H]
  bool hasClip;
  float clip;
  bool linearBeforeReset; // GRU
  bool inputForget;       // LSTM
  std::vector<std::vector<Activation>> acts;  // per direction
};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Slices [from, to) of one dimension.
Value sliceDim(Emitter& e, Value x, int64_t dim, int64_t from, int64_t to) {
  Dims s = Emitter::shape(x);
  if (from == 0 && to == s[dim]) return x;
  Dims start(s.size(), 0), limit = s, strides(s.size(), 1);
  start[dim] = from;
  limit[dim] = to;
  return e.slice(x, start, limit, strides);
}

// Entry d of the leading dimension, with that dimension dropped.
Value takeFirst(Emitter& e, Value x, int64_t d) {
  Dims s = Emitter::shape(x);
  Value v = sliceDim(e, x, 0, d, d + 1);
  return e.reshape(v, Dims(s.begin() + 1, s.end()));
}

// Prepends a dimension of size 1.
Value unsqueezeFirst(Emitter& e, Value x) {
  Dims s = Emitter::shape(x);
  s.insert(s.begin(), 1);
  return e.reshape(x, s);
}

// The activation functions the ONNX recurrent ops allow, with alpha/beta
// defaults of the ONNX operators of the same name (Affine and ScaledTanh,
// whose operators are gone, must be given theirs).
struct ActivationInfo {
  const char* name;
  bool usesAlpha, usesBeta;
  float alpha, beta;  // defaults; NaN: required
};
constexpr float kRequired = std::numeric_limits<float>::quiet_NaN();
const ActivationInfo kActivations[] = {
    {"relu", false, false, 0, 0},           {"tanh", false, false, 0, 0},
    {"sigmoid", false, false, 0, 0},        {"affine", true, true, kRequired, kRequired},
    {"leakyrelu", true, false, 0.01f, 0},   {"thresholdedrelu", true, false, 1.0f, 0},
    {"scaledtanh", true, true, kRequired, kRequired},
    {"hardsigmoid", true, true, 0.2f, 0.5f}, {"elu", true, false, 1.0f, 0},
    {"softsign", false, false, 0, 0},       {"softplus", false, false, 0, 0},
};

// Reads activations / activation_alpha / activation_beta. The alphas and
// betas are consumed in list order by the functions that take them (as
// ONNX Runtime does). `dflt` is one direction's default list; a list of
// one direction's functions given for a bidirectional op serves both.
std::vector<std::vector<Activation>> readActivations(OnnxNode& n, int64_t directions,
                                                     const std::vector<std::string>& dflt) {
  size_t per = dflt.size();
  std::vector<std::string> names;
  if (n.hasAttr("activations")) {
    for (const auto& a : n.proto().attribute())
      if (a.name() == "activations")
        for (const auto& s : a.strings()) names.push_back(s);
  } else {
    for (int64_t d = 0; d < directions; ++d) names.insert(names.end(), dflt.begin(), dflt.end());
  }
  if (names.size() != per * directions && names.size() != per)
    n.fail("activations must list " + std::to_string(per * directions) +
           " functions (" + std::to_string(per) + " per direction), got " +
           std::to_string(names.size()));
  auto floats = [&](const char* attr) {
    std::vector<float> v;
    for (const auto& a : n.proto().attribute())
      if (a.name() == attr) v.assign(a.floats().begin(), a.floats().end());
    return v;
  };
  std::vector<float> alphas = floats("activation_alpha"), betas = floats("activation_beta");
  size_t ai = 0, bi = 0;
  std::vector<Activation> flat;
  for (const std::string& raw : names) {
    Activation a;
    a.name = lower(raw);
    const ActivationInfo* info = nullptr;
    for (const auto& k : kActivations)
      if (a.name == k.name) info = &k;
    if (!info)
      n.fail("activation '" + raw +
             "' is not one of Relu, Tanh, Sigmoid, Affine, LeakyRelu, ThresholdedRelu, "
             "ScaledTanh, HardSigmoid, Elu, Softsign, Softplus");
    if (info->usesAlpha) a.alpha = ai < alphas.size() ? alphas[ai++] : info->alpha;
    if (info->usesBeta) a.beta = bi < betas.size() ? betas[bi++] : info->beta;
    if (std::isnan(a.alpha) || std::isnan(a.beta))
      n.fail("activation '" + raw + "' needs its alpha and beta in activation_alpha/_beta");
    flat.push_back(a);
  }
  std::vector<std::vector<Activation>> out;
  for (int64_t d = 0; d < directions; ++d) {
    size_t base = names.size() == per ? 0 : d * per;
    out.emplace_back(flat.begin() + base, flat.begin() + base + per);
  }
  return out;
}

// a(x), with x first bounded to [-clip, clip] when the op has a clip.
Value activate(Emitter& e, const RecurrentSpec& s, const Activation& a, Value x,
               bool clip = true) {
  if (clip && s.hasClip) {
    Value c3 = e.splatLike(s.clip, x);
    x = e.min(e.max(x, e.splatLike(-s.clip, x)), c3);
  }
  auto c = [&](double v) { return e.splatLike(v, x); };
  const std::string& f = a.name;
  if (f == "tanh") return e.unary<TanhOp>(x);
  if (f == "sigmoid") return e.unary<LogisticOp>(x);
  if (f == "relu") return e.max(x, c(0));
  if (f == "affine") {
    auto c2 = c(a.beta);
    return e.add(e.mul(x, c(a.alpha)), c2);
  }
  if (f == "leakyrelu") {
    Value prod = e.mul(x, c(a.alpha));
    return e.select(e.compare(CompareDirection::GE, x, c(0)), x, prod);
  }
  if (f == "thresholdedrelu") {
    auto zero = c(0);
    return e.select(e.compare(CompareDirection::GT, x, c(a.alpha)), x, zero);
  }
  if (f == "scaledtanh") {
    Value tanh2 = e.unary<TanhOp>(e.mul(x, c(a.beta)));
    return e.mul(c(a.alpha), tanh2);
  }
  if (f == "hardsigmoid") {
    auto one = c(1);
    auto zero2 = c(0);
    auto c4 = c(a.beta);
    return e.min(e.max(e.add(e.mul(x, c(a.alpha)), c4), zero2), one);
  }
  if (f == "elu") {
    auto one2 = c(1);
    Value diff = e.sub(e.unary<ExpOp>(x), one2);
    Value prod2 = e.mul(c(a.alpha), diff);
    return e.select(e.compare(CompareDirection::GE, x, c(0)), x, prod2);
  }
  if (f == "softsign") {
    Value abs2 = e.unary<AbsOp>(x);
    return e.div(x, e.add(c(1), abs2));
  }
  // softplus, as max(x, 0) + log(1 + exp(-|x|)) so that large x do not overflow.
  Value exp2 = e.unary<ExpOp>(e.unary<NegOp>(e.unary<AbsOp>(x)));
  Value log2 = e.unary<LogOp>(e.add(c(1), exp2));
  return e.add(e.max(x, c(0)), log2);
}

// Checks that `v` has shape `want`, naming the input.
void expectShape(OnnxNode& n, Value v, const Dims& want, const char* what) {
  if (Emitter::shape(v) != want)
    n.fail(std::string(what) + " must have shape " + dimsString(want) + ", got " +
           dimsString(Emitter::shape(v)));
}

RecurrentSpec readSpec(OnnxNode& n, CellKind kind) {
  RecurrentSpec s;
  s.kind = kind;
  std::vector<std::string> dflt;
  switch (kind) {
    case CellKind::Rnn:
      n.onlyAttrs({"activation_alpha", "activation_beta", "activations", "clip", "direction",
                   "hidden_size", "layout", "output_sequence"});
      s.gates = 1;
      dflt = {"Tanh"};
      break;
    case CellKind::Gru:
      n.onlyAttrs({"activation_alpha", "activation_beta", "activations", "clip", "direction",
                   "hidden_size", "layout", "linear_before_reset", "output_sequence"});
      s.gates = 3;
      dflt = {"Sigmoid", "Tanh"};
      break;
    case CellKind::Lstm:
      n.onlyAttrs({"activation_alpha", "activation_beta", "activations", "clip", "direction",
                   "hidden_size", "input_forget", "layout", "output_sequence"});
      s.gates = 4;
      dflt = {"Sigmoid", "Tanh", "Tanh"};
      break;
  }
  std::string dir = n.attrString("direction", "forward");
  if (dir != "forward" && dir != "reverse" && dir != "bidirectional")
    n.fail("direction '" + dir + "' is not one of forward, reverse, bidirectional");
  s.directions = dir == "bidirectional" ? 2 : 1;
  s.reverseOnly = dir == "reverse";
  int64_t layout = n.attrInt("layout", 0);
  if (layout != 0 && layout != 1) n.fail("layout must be 0 or 1, got " + std::to_string(layout));
  s.layout1 = layout == 1;
  s.hasClip = n.hasAttr("clip");
  s.clip = n.attrFloat("clip", 0);
  if (s.hasClip && !(s.clip > 0)) n.fail("clip must be positive");
  s.linearBeforeReset = n.attrInt("linear_before_reset", 0) != 0;
  s.inputForget = n.attrInt("input_forget", 0) != 0;
  s.acts = readActivations(n, s.directions, dflt);

  Dims xs = Emitter::shape(n.input(0));
  if (xs.size() != 3)
    n.fail("X must be " + std::string(s.layout1 ? "[batch, seq, input]" : "[seq, batch, input]") +
           ", got " + dimsString(xs));
  s.seqLen = s.layout1 ? xs[1] : xs[0];
  s.batch = s.layout1 ? xs[0] : xs[1];
  s.inputSize = xs[2];
  Dims rs = Emitter::shape(n.input(2));
  if (rs.size() != 3) n.fail("R must be [num_directions, gates*hidden, hidden], got " + dimsString(rs));
  s.hidden = n.attrInt("hidden_size", rs[2]);
  if (s.hidden != rs[2])
    n.fail("hidden_size " + std::to_string(s.hidden) + " differs from R's " + dimsString(rs));
  if (s.seqLen < 1) n.fail("the sequence is empty");
  int64_t gh = s.gates * s.hidden;
  expectShape(n, n.input(1), {s.directions, gh, s.inputSize}, "W");
  expectShape(n, n.input(2), {s.directions, gh, s.hidden}, "R");
  if (n.hasInput(3)) expectShape(n, n.input(3), {s.directions, 2 * gh}, "B");
  if (n.hasInput(4)) expectShape(n, n.input(4), {s.batch}, "sequence_lens");
  return s;
}

// An initial state input ([D, B, H], or [B, D, H] with layout 1) as [D, B, H],
// zeros if absent.
Value initialState(OnnxNode& n, const RecurrentSpec& s, size_t index, const char* what) {
  Emitter& e = n.e();
  mlir::Type et = Emitter::elementType(n.input(0));
  if (!n.hasInput(index)) return e.splat(0.0, et, {s.directions, s.batch, s.hidden});
  Value v = n.input(index);
  if (s.layout1) {
    expectShape(n, v, {s.batch, s.directions, s.hidden}, what);
    return e.transpose(v, {1, 0, 2});
  }
  expectShape(n, v, {s.directions, s.batch, s.hidden}, what);
  return v;
}

// The per-direction parameters, sliced out of W, R, B (and P).
struct DirectionParams {
  Value w, r;        // [G*H, I], [G*H, H]
  Value inputBias;   // [G*H], folded into the input projection
  Value recurBias;   // GRU with linear_before_reset: Rbh [H], else null
  Value peephole;    // LSTM: P [3H] or null
};

DirectionParams directionParams(OnnxNode& n, const RecurrentSpec& s, int64_t d) {
  Emitter& e = n.e();
  DirectionParams p;
  p.w = takeFirst(e, n.input(1), d);
  p.r = takeFirst(e, n.input(2), d);
  int64_t gh = s.gates * s.hidden;
  if (n.hasInput(3)) {
    Value b = takeFirst(e, n.input(3), d);
    Value wb = sliceDim(e, b, 0, 0, gh), rb = sliceDim(e, b, 0, gh, 2 * gh);
    if (s.kind == CellKind::Gru && s.linearBeforeReset) {
      // Rbh is multiplied by the reset gate, so it stays in the step; the
      // other recurrent biases fold into the input projection.
      p.recurBias = sliceDim(e, rb, 0, 2 * s.hidden, gh);
      rb = e.concatenate({sliceDim(e, rb, 0, 0, 2 * s.hidden),
                          e.splatLike(0.0, p.recurBias)}, 0);
    }
    p.inputBias = e.add(wb, rb);
  }
  if (s.kind == CellKind::Lstm && n.hasInput(7)) {
    expectShape(n, n.input(7), {s.directions, 3 * s.hidden}, "P");
    p.peephole = takeFirst(e, n.input(7), d);
  }
  return p;
}

// x [B, K] times w [N, K] transposed: [B, N].
Value matmulT(Emitter& e, Value x, Value w) { return e.dotGeneral(x, w, {}, {}, {1}, {1}); }

// A [H] vector broadcast over the batch: [B, H].
Value rows(Emitter& e, Value v, int64_t batch) {
  return e.broadcastInDim(v, {1}, {batch, Emitter::shape(v)[0]});
}

// One step of the cell: the new H (and C for LSTM) from the step's input
// projection xp [B, G*H] and the previous state.
struct State {
  Value h, c;
};

State rnnStep(Emitter& e, const RecurrentSpec& s, const DirectionParams& p,
              const std::vector<Activation>& a, Value xp, State prev) {
  return {activate(e, s, a[0], e.add(xp, matmulT(e, prev.h, p.r))), {}};
}

// GRU: gates z, r, h (in that order in W, R, B).
State gruStep(Emitter& e, const RecurrentSpec& s, const DirectionParams& p, Value rZR, Value rH,
              const std::vector<Activation>& a, Value xp, State prev) {
  int64_t hs = s.hidden;
  Value zr;
  Value hPre;
  Value xh = sliceDim(e, xp, 1, 2 * hs, 3 * hs);
  if (s.linearBeforeReset) {
    Value hr = matmulT(e, prev.h, p.r);  // [B, 3H]
    Value hrZr = sliceDim(e, hr, 1, 0, 2 * hs);
    zr = e.add(sliceDim(e, xp, 1, 0, 2 * hs), hrZr);
    Value rh = sliceDim(e, hr, 1, 2 * hs, 3 * hs);
    if (p.recurBias) rh = e.add(rh, rows(e, p.recurBias, s.batch));
    Value r = activate(e, s, a[0], sliceDim(e, zr, 1, hs, 2 * hs));
    hPre = e.add(xh, e.mul(r, rh));
  } else {
    Value matmulT2 = matmulT(e, prev.h, rZR);
    zr = e.add(sliceDim(e, xp, 1, 0, 2 * hs), matmulT2);
    Value r = activate(e, s, a[0], sliceDim(e, zr, 1, hs, 2 * hs));
    hPre = e.add(xh, matmulT(e, e.mul(r, prev.h), rH));
  }
  Value z = activate(e, s, a[0], sliceDim(e, zr, 1, 0, hs));
  Value hNew = activate(e, s, a[1], hPre);
  // (1 - z) * h + z * H = h + z * (H - h)
  return {e.add(hNew, e.mul(z, e.sub(prev.h, hNew))), {}};
}

// LSTM: gates i, o, f, c; peepholes i, o, f.
State lstmStep(Emitter& e, const RecurrentSpec& s, const DirectionParams& p,
               const std::vector<Activation>& a, Value xp, State prev) {
  int64_t hs = s.hidden;
  Value g = e.add(xp, matmulT(e, prev.h, p.r));
  auto gate = [&](int64_t k) { return sliceDim(e, g, 1, k * hs, (k + 1) * hs); };
  auto peep = [&](int64_t k, Value c) {
    return e.mul(rows(e, sliceDim(e, p.peephole, 0, k * hs, (k + 1) * hs), s.batch), c);
  };
  Value iPre = gate(0), oPre = gate(1), fPre = gate(2), cPre = gate(3);
  if (p.peephole) {
    iPre = e.add(iPre, peep(0, prev.c));
    fPre = e.add(fPre, peep(2, prev.c));
  }
  Value i = activate(e, s, a[0], iPre);
  Value f = s.inputForget ? e.sub(e.splatLike(1.0, i), i) : activate(e, s, a[0], fPre);
  Value prod = e.mul(i, activate(e, s, a[1], cPre));
  Value c = e.add(e.mul(f, prev.c), prod);
  if (p.peephole) oPre = e.add(oPre, peep(1, c));
  Value o = activate(e, s, a[0], oPre);
  // As in ONNX Runtime, clip bounds the gates' inputs but not the cell state
  // that h() reads.
  return {e.mul(o, activate(e, s, a[2], c, /*clip=*/false)), c};
}

// Runs one direction over every step. Returns the step outputs in time
// order ([1, B, H] each) and the final state.
struct DirectionResult {
  std::vector<Value> ys;
  State last;
};

DirectionResult runDirection(OnnxNode& n, const RecurrentSpec& s, int64_t d, bool backward,
                             Value x, State init, const std::vector<Value>& masks) {
  Emitter& e = n.e();
  DirectionParams p = directionParams(n, s, d);
  const std::vector<Activation>& a = s.acts[d];
  int64_t gh = s.gates * s.hidden;
  // The input projection of every step at once: [T, B, G*H].
  Value xp = e.dotGeneral(x, p.w, {}, {}, {2}, {1});
  if (p.inputBias)
    xp = e.add(xp, e.broadcastInDim(p.inputBias, {2}, {s.seqLen, s.batch, gh}));
  Value rZR, rH;
  if (s.kind == CellKind::Gru && !s.linearBeforeReset) {
    rZR = sliceDim(e, p.r, 0, 0, 2 * s.hidden);
    rH = sliceDim(e, p.r, 0, 2 * s.hidden, gh);
  }
  DirectionResult res;
  res.ys.resize(s.seqLen);
  State st = init;
  Value zeros = e.splat(0.0, Emitter::elementType(x), {s.batch, s.hidden});
  for (int64_t k = 0; k < s.seqLen; ++k) {
    int64_t t = backward ? s.seqLen - 1 - k : k;
    Value xt = e.reshape(sliceDim(e, xp, 0, t, t + 1), {s.batch, gh});
    State next;
    switch (s.kind) {
      case CellKind::Rnn: next = rnnStep(e, s, p, a, xt, st); break;
      case CellKind::Gru: next = gruStep(e, s, p, rZR, rH, a, xt, st); break;
      case CellKind::Lstm: next = lstmStep(e, s, p, a, xt, st); break;
    }
    Value y = next.h;
    if (!masks.empty()) {
      // Past its length a batch entry keeps its state and outputs zeros.
      next.h = e.select(masks[t], next.h, st.h);
      if (next.c) next.c = e.select(masks[t], next.c, st.c);
      y = e.select(masks[t], y, zeros);
    }
    st = next;
    res.ys[t] = unsqueezeFirst(e, y);
  }
  res.last = st;
  return res;
}

// masks[t] [B, H]: t < sequence_lens[b]; empty without sequence_lens.
std::vector<Value> stepMasks(OnnxNode& n, const RecurrentSpec& s) {
  std::vector<Value> masks;
  if (!n.hasInput(4)) return masks;
  Emitter& e = n.e();
  Value lens = n.input(4);
  mlir::Type lt = Emitter::elementType(lens);
  if (!lt.isInteger(32) && !lt.isInteger(64)) n.fail("sequence_lens must be int32");
  for (int64_t t = 0; t < s.seqLen; ++t) {
    Value m = e.compare(CompareDirection::LT, e.splat(double(t), lt, {s.batch}), lens);
    masks.push_back(e.broadcastInDim(m, {0}, {s.batch, s.hidden}));
  }
  return masks;
}

// ONNX Runtime reports zero final states for a batch entry of length 0.
Value zeroIfEmpty(OnnxNode& n, const RecurrentSpec& s, Value state) {
  if (!n.hasInput(4)) return state;
  Emitter& e = n.e();
  Value lens = n.input(4);
  Value empty = e.compare(CompareDirection::EQ, lens,
                          e.splat(0.0, Emitter::elementType(lens), {s.batch}));
  Dims shape = Emitter::shape(state);  // [1, B, H]
  Value zero = e.splatLike(0.0, state);
  return e.select(e.broadcastInDim(empty, {1}, shape), zero, state);
}

std::vector<Value> recurrent(OnnxNode& n, CellKind kind) {
  RecurrentSpec s = readSpec(n, kind);
  Emitter& e = n.e();
  Value x = n.input(0);
  if (s.layout1) x = e.transpose(x, {1, 0, 2});
  Value h0 = initialState(n, s, 5, "initial_h");
  Value c0 = kind == CellKind::Lstm ? initialState(n, s, 6, "initial_c") : Value();
  std::vector<Value> masks = stepMasks(n, s);

  std::vector<Value> yDirs, hDirs, cDirs;
  for (int64_t d = 0; d < s.directions; ++d) {
    bool backward = s.reverseOnly || d == 1;
    State init{takeFirst(e, h0, d), c0 ? takeFirst(e, c0, d) : Value()};
    DirectionResult r = runDirection(n, s, d, backward, x, init, masks);
    if (n.hasOutput(0)) {
      Value y = r.ys.size() == 1 ? r.ys[0] : e.concatenate(r.ys, 0);  // [T, B, H]
      yDirs.push_back(e.reshape(y, {s.seqLen, 1, s.batch, s.hidden}));
    }
    hDirs.push_back(zeroIfEmpty(n, s, unsqueezeFirst(e, r.last.h)));
    if (r.last.c) cDirs.push_back(zeroIfEmpty(n, s, unsqueezeFirst(e, r.last.c)));
  }
  std::vector<Value> outs(3);
  if (n.hasOutput(0)) {
    // Y [T, D, B, H] (layout 1: [B, T, D, H]).
    Value y = yDirs.size() == 1 ? yDirs[0] : e.concatenate(yDirs, 1);
    outs[0] = s.layout1 ? e.transpose(y, {2, 0, 1, 3}) : y;
  }
  auto states = [&](const std::vector<Value>& v) {
    Value st = v.size() == 1 ? v[0] : e.concatenate(v, 0);  // [D, B, H]
    return s.layout1 ? e.transpose(st, {1, 0, 2}) : st;
  };
  if (n.hasOutput(1)) outs[1] = states(hDirs);
  if (n.hasOutput(2)) {
    if (kind != CellKind::Lstm) n.fail("has no third output");
    outs[2] = states(cDirs);
  }
  return outs;
}

std::vector<Value> rnn(OnnxNode& n) { return recurrent(n, CellKind::Rnn); }
std::vector<Value> gru(OnnxNode& n) { return recurrent(n, CellKind::Gru); }
std::vector<Value> lstm(OnnxNode& n) { return recurrent(n, CellKind::Lstm); }

}  // namespace

void registerRecurrentOps(ConverterTable& t) {
  t["RNN"] = rnn;
  t["GRU"] = gru;
  t["LSTM"] = lstm;
}

}  // namespace dlc::onnx_import
