// ONNX attention and the transformer-era ops of opsets 23-27: Attention,
// RotaryEmbedding, TensorScatter, LinearAttention and
// (domain ai.onnx.preview) FlexAttention. Each decomposes into core ops; the
// semantics follow the ONNX reference implementation (onnx/reference/ops),
// which is what the backend tests' expected outputs come from.
#include "frontend/onnx/OnnxNode.h"
#include "frontend/onnx/TensorProtoIO.h"

#include <cmath>
#include <limits>

namespace dlc::onnx_import {
namespace {

using mlir::Type;
using mlir::Value;

const double kInf = std::numeric_limits<double>::infinity();

// --- small builders --------------------------------------------------------

// i64 tensor of `shape` whose element is its index along `dim`.
Value iota(Emitter& e, const Dims& shape, int64_t dim) {
  auto type = e.tensorType(shape, e.builder().getI64Type());
  return e.builder().create<IotaOp>(e.loc(), type, e.builder().getI64IntegerAttr(dim)).getResult();
}

// Rows of `x` along `axis` picked by `indices` (ONNX Gather).
Value gather(Emitter& e, Value x, Value indices, int64_t axis) {
  ShapeOr s = inferGather(Emitter::shape(x), Emitter::shape(indices), axis);
  if (!s.ok()) throw EmitError(s.message());
  auto type = e.tensorType(s.shape(), Emitter::elementType(x));
  return e.builder()
      .create<GatherOp>(e.loc(), type, x, indices, e.builder().getI64IntegerAttr(axis))
      .getResult();
}

// x[..., start:limit:step] on the last dimension.
Value sliceLast(Emitter& e, Value x, int64_t start, int64_t limit, int64_t step = 1) {
  Dims s = Emitter::shape(x);
  Dims lo(s.size(), 0), hi = s, st(s.size(), 1);
  lo.back() = start;
  hi.back() = limit;
  st.back() = step;
  return e.slice(x, lo, hi, st);
}

// x[:, i] of a rank-3 [B, T, C] tensor, reshaped to `shape`.
Value timeStep(Emitter& e, Value x, int64_t i, const Dims& shape) {
  Dims s = Emitter::shape(x);
  return e.reshape(e.slice(x, {0, i, 0}, {s[0], i + 1, s[2]}, {1, 1, 1}), shape);
}

// [B, S, H*D] -> [B, H, S, D]: the packed heads of a 3-D input made explicit.
Value splitHeads(OnnxNode& n, Value x, int64_t heads, const char* what) {
  Dims s = Emitter::shape(x);
  if (heads <= 0 || s[2] % heads != 0)
    n.fail(std::string(what) + " hidden size " + std::to_string(s[2]) +
           " is not a multiple of the number of heads " + std::to_string(heads));
  return n.e().transpose(n.e().reshape(x, {s[0], s[1], heads, s[2] / heads}), {0, 2, 1, 3});
}

// [B, H, S, D] -> [B, S, H*D], the inverse of splitHeads.
Value mergeHeads(Emitter& e, Value x) {
  Dims s = Emitter::shape(x);
  return e.reshape(e.transpose(x, {0, 2, 1, 3}), {s[0], s[2], s[1] * s[3]});
}

// 0 where `allowed`, -inf elsewhere: a mask as an additive bias.
Value additive(Emitter& e, Value allowed, Type t) {
  Value minusInf = e.splat(-kInf, t);
  return e.select(allowed, e.splat(0.0, t), minusInf);
}

// The element type an ONNX softmax_precision / cast `to` names.
Type onnxElementType(OnnxNode& n, int64_t onnxType, const char* what) {
  try {
    Type t = n.e().elementTypeOf(onnx_io::dtypeFromOnnx(static_cast<int>(onnxType)));
    if (!t.isa<mlir::FloatType>()) throw onnx_io::TensorError("");
    return t;
  } catch (const onnx_io::TensorError&) {
    n.fail(std::string(what) + " " + std::to_string(onnxType) +
           " is not a float type dlc supports (1 float, 10 float16, 11 double, 16 bfloat16)");
  }
}

// Grouped-query contraction: `lhs` [B, Hq, M, X] with `rhs` [B, Hkv, ...],
// where query head h uses kv head h / (Hq / Hkv) (the reference's
// interleaved np.repeat of the kv heads). lhs is viewed as
// [B, Hkv, Hq/Hkv, M, X] so the kv heads are never copied; rhsContract is
// the contracted dimension of rhs. The result is [B, Hq, M, N].
Value groupedDot(OnnxNode& n, Value lhs, Value rhs, int64_t rhsContract) {
  Emitter& e = n.e();
  Dims l = Emitter::shape(lhs), r = Emitter::shape(rhs);
  int64_t hq = l[1], hkv = r[1];
  if (hkv <= 0 || hq % hkv != 0)
    n.fail("the query has " + std::to_string(hq) + " heads, which is not a multiple of the " +
           std::to_string(hkv) + " key/value heads");
  if (l[0] != r[0])
    n.fail("query batch " + std::to_string(l[0]) + " differs from key/value batch " +
           std::to_string(r[0]));
  Value grouped = e.reshape(lhs, {l[0], hkv, hq / hkv, l[2], l[3]});
  Value d = e.dotGeneral(grouped, rhs, {0, 1}, {0, 1}, {4}, {rhsContract});
  Dims ds = Emitter::shape(d);  // [B, Hkv, G, M, N]
  return e.reshape(d, {l[0], hq, l[2], ds[4]});
}

// --- Attention ---------------------------------------------------------------

// What the attention bias is built from.
struct BiasInputs {
  Value mask;            // attn_mask, or null
  Value nonpad;          // nonpad_kv_seqlen [B], or null
  int64_t pastLen = 0;   // past_key's sequence length
  bool causal = false;
  int64_t left = -1, right = -1;  // sliding window; -1 is unbounded
  int64_t batch = 0, qLen = 0, kvLen = 0;
  Type type;             // Q's element type
};

// The mask padded to kvLen along its last dimension (-inf / false) and
// made additive in the query's type.
Value additiveMask(OnnxNode& n, const BiasInputs& b) {
  Emitter& e = n.e();
  Value m = b.mask;
  Dims ms = Emitter::shape(m);
  if (ms.empty() || ms.size() > 4)
    n.fail("attn_mask must have rank 1 to 4, got " + dimsString(ms));
  bool isBool = Emitter::elementType(m).isInteger(1);
  if (!isBool && !Emitter::elementType(m).isa<mlir::FloatType>())
    n.fail("attn_mask must be bool or float");
  if (ms.back() > b.kvLen)
    n.fail("attn_mask's last dimension " + std::to_string(ms.back()) +
           " exceeds the total sequence length " + std::to_string(b.kvLen));
  if (ms.back() < b.kvLen) {
    Dims lo(ms.size(), 0), hi(ms.size(), 0);
    hi.back() = b.kvLen - ms.back();
    Value padValue = isBool ? e.splat(0.0, Emitter::elementType(m))
                            : e.splat(-kInf, Emitter::elementType(m));
    m = e.pad(m, padValue, lo, hi, Dims(ms.size(), 0));
  }
  return isBool ? additive(e, m, b.type) : e.convert(m, b.type);
}

// i + offset - j over [q, kv], or [B, 1, q, kv] with a per-batch offset
// (nonpad_kv_seqlen - q for an external cache): how far key j lies behind
// query i's absolute position.
Value queryKeyDistance(OnnxNode& n, const BiasInputs& b) {
  Emitter& e = n.e();
  Dims qk = {b.qLen, b.kvLen};
  Value cols = iota(e, qk, 1);
  Value d = e.binary<SubOp>(iota(e, qk, 0), cols);
  if (b.nonpad) {  // never with a past cache
    Value qLenC = e.splat(static_cast<double>(b.qLen), e.builder().getI64Type());
    Value offset = e.sub(e.convert(b.nonpad, e.builder().getI64Type()), qLenC);
    offset = e.reshape(offset, {b.batch, 1, 1, 1});
    return e.add(e.reshape(d, {1, 1, b.qLen, b.kvLen}), offset);
  }
  if (!b.pastLen) return d;
  return e.add(d, e.splat(static_cast<double>(b.pastLen), e.builder().getI64Type()));
}

// The additive attention bias over [.., q, kv]: the attention mask, the
// causal and sliding-window frontiers and the padding of nonpad_kv_seqlen,
// summed in the reference's order. Null when nothing masks.
Value attentionBias(OnnxNode& n, const BiasInputs& b) {
  Emitter& e = n.e();
  Value bias = b.mask ? additiveMask(n, b) : Value();
  auto plus = [&](Value piece) { return bias ? e.add(bias, piece) : piece; };
  bool window = b.left >= 0 || b.right >= 0;
  Type i64 = e.builder().getI64Type();
  if (b.causal || window) {
    Value dist = queryKeyDistance(n, b);
    if (b.causal)  // key j attends iff j <= i + offset
      bias = plus(additive(e, e.compare(CompareDirection::GE, dist, e.splat(0, i64)), b.type));
    if (window) {
      Value ok;
      if (b.left >= 0)
        ok = e.compare(CompareDirection::LE, dist, e.splat(static_cast<double>(b.left), i64));
      if (b.right >= 0) {
        Value r = e.compare(CompareDirection::GE, dist, e.splat(-static_cast<double>(b.right), i64));
        ok = ok ? e.binary<AndOp>(ok, r) : r;
      }
      bias = plus(additive(e, ok, b.type));
    }
  }
  if (b.nonpad) {  // keys at or past nonpad_kv_seqlen[b] are padding
    Value j = iota(e, {b.batch, b.kvLen}, 1);
    Value len = e.broadcastInDim(e.convert(b.nonpad, i64), {0}, {b.batch, b.kvLen});
    Value valid = e.compare(CompareDirection::LT, j, len);
    bias = plus(e.reshape(additive(e, valid, b.type), {b.batch, 1, 1, b.kvLen}));
  }
  if (!bias) return bias;
  // At least [q, kv], so that a reduction over the last dimension sees keys.
  return e.broadcastTo(bias, Emitter::broadcastShapes(Emitter::shape(bias), {b.qLen, b.kvLen}));
}

// Softmax over the last dimension where a row of only -inf gives zeros
// instead of NaN (the reference's guarded _softmax).
Value guardedSoftmax(Emitter& e, Value x) {
  int64_t last = Emitter::rank(x) - 1;
  Dims xs = Emitter::shape(x);
  Type t = Emitter::elementType(x);
  Value mx = e.reduce(ReduceKind::Max, x, {last});
  Value zero = e.splat(0.0, t);
  Value safe = e.select(e.compare(CompareDirection::EQ, mx, e.splat(-kInf, t)), zero, mx);
  Value ex = e.unary<ExpOp>(e.sub(x, e.unreduce(safe, {last}, xs)));
  Value sum = e.reduce(ReduceKind::Sum, ex, {last});
  Value one = e.splat(1.0, t);
  sum = e.select(e.compare(CompareDirection::EQ, sum, e.splat(0.0, t)), one, sum);
  return e.div(ex, e.unreduce(sum, {last}, xs));
}

// Zeroes the rows of `probs` whose bias is -inf everywhere (no attendable key).
Value zeroFullyMaskedRows(Emitter& e, Value probs, Value bias) {
  int64_t last = Emitter::rank(bias) - 1;
  Type bt = Emitter::elementType(bias);
  Value mx = e.reduce(ReduceKind::Max, bias, {last});
  Value masked = e.compare(CompareDirection::EQ, mx, e.splat(-kInf, bt));
  Dims bs = Emitter::shape(bias);
  Dims keep(bs.begin(), bs.end());
  keep.back() = 1;
  masked = e.reshape(masked, keep);
  return e.select(masked, e.splat(0.0, Emitter::elementType(probs)), probs);
}

std::vector<Value> attention(OnnxNode& n) {
  n.onlyAttrs({"is_causal", "kv_num_heads", "q_num_heads", "qk_matmul_output_mode", "scale",
               "softcap", "softmax_precision", "left_window_size", "right_window_size"});
  Emitter& e = n.e();
  if (n.opset() < 25 && (n.hasAttr("left_window_size") || n.hasAttr("right_window_size")))
    n.fail("left_window_size/right_window_size need opset 25");
  Value q = n.input(0), k = n.input(1), v = n.input(2);
  int64_t rank = Emitter::rank(q);
  if (rank != 3 && rank != 4) n.fail("Q must be 3-D or 4-D, got " + dimsString(Emitter::shape(q)));
  if (Emitter::rank(k) != rank || Emitter::rank(v) != rank)
    n.fail("Q, K and V must have the same rank");
  Type t = Emitter::elementType(q);
  if (!t.isa<mlir::FloatType>()) n.fail("Q must be a float tensor");
  if (Emitter::elementType(k) != t || Emitter::elementType(v) != t)
    n.fail("Q, K and V must have the same element type");

  bool heads = n.hasAttr("q_num_heads") || n.hasAttr("kv_num_heads");
  if (rank == 3) {
    if (!n.hasAttr("q_num_heads") || !n.hasAttr("kv_num_heads"))
      n.fail("3-D inputs need the q_num_heads and kv_num_heads attributes");
    q = splitHeads(n, q, n.attrInt("q_num_heads", 0), "Q");
    k = splitHeads(n, k, n.attrInt("kv_num_heads", 0), "K");
    v = splitHeads(n, v, n.attrInt("kv_num_heads", 0), "V");
  } else if (heads) {
    if (n.opset() >= 25) n.fail("q_num_heads and kv_num_heads must not be given for 4-D inputs");
    if (n.attrInt("q_num_heads", Emitter::shape(q)[1]) != Emitter::shape(q)[1] ||
        n.attrInt("kv_num_heads", Emitter::shape(k)[1]) != Emitter::shape(k)[1])
      n.fail("q_num_heads/kv_num_heads disagree with the 4-D inputs' head dimensions");
  }
  Dims qs = Emitter::shape(q), ks = Emitter::shape(k), vs = Emitter::shape(v);
  if (ks[3] != qs[3])
    n.fail("Q head size " + std::to_string(qs[3]) + " differs from K's " + std::to_string(ks[3]));
  if (vs[0] != ks[0] || vs[1] != ks[1] || vs[2] != ks[2])
    n.fail("K " + dimsString(ks) + " and V " + dimsString(vs) +
           " must agree in batch, heads and sequence length");

  // The caches: present = past ++ new along the sequence.
  bool past = n.hasInput(4) || n.hasInput(5);
  if (past && !(n.hasInput(4) && n.hasInput(5)))
    n.fail("past_key and past_value must be given together");
  bool nonpad = n.hasInput(6);
  if (nonpad && n.opset() < 24) n.fail("nonpad_kv_seqlen needs opset 24");
  if (nonpad && past) n.fail("nonpad_kv_seqlen cannot be combined with past_key/past_value");
  int64_t pastLen = 0;
  if (past) {
    // Checked before indexing their shapes: a fuzzed model gave a 1-D cache.
    for (int i : {4, 5}) {
      Dims cache = Emitter::shape(n.input(i)), given = Emitter::shape(i == 4 ? k : v);
      const char* name = i == 4 ? "past_key" : "past_value";
      if (cache.size() != 4 || cache[0] != given[0] || cache[1] != given[1] || cache[3] != given[3])
        n.fail(std::string(name) + " " + dimsString(cache) + " must be 4-D and agree with " +
               (i == 4 ? "K " : "V ") + dimsString(given) + " in batch, heads and head size");
      if (Emitter::elementType(n.input(i)) != t) n.fail(std::string(name) + " must have Q's element type");
    }
    if (Emitter::shape(n.input(4))[2] != Emitter::shape(n.input(5))[2])
      n.fail("past_key and past_value must have the same sequence length");
    pastLen = Emitter::shape(n.input(4))[2];
    k = e.concatenate({n.input(4), k}, 2);
    v = e.concatenate({n.input(5), v}, 2);
  }

  // Q and K are each scaled by sqrt(scale), in Q's type, before the matmul
  // (the spec's guard against overflow; the reference rounds it the same way).
  double scale = n.hasAttr("scale") ? n.attrFloat("scale", 1.0f) : 1.0 / std::sqrt(double(qs[3]));
  Value rootScale = e.splat(std::sqrt(scale), t);
  Value prod = e.mul(k, rootScale);
  Value scores = groupedDot(n, e.mul(q, rootScale), prod, 3);
  Value raw = scores;
  float softcap = n.attrFloat("softcap", 0.0f);
  if (softcap > 0) {
    Value c = e.splat(softcap, t);
    scores = e.mul(e.unary<TanhOp>(e.div(scores, c)), c);
  }
  Value capped = scores;

  BiasInputs b;
  b.mask = n.hasInput(3) ? n.input(3) : Value();
  b.nonpad = nonpad ? n.input(6) : Value();
  if (b.nonpad && Emitter::shape(b.nonpad) != Dims{qs[0]})
    n.fail("nonpad_kv_seqlen must have shape [" + std::to_string(qs[0]) + "], got " +
           dimsString(Emitter::shape(b.nonpad)));
  if (b.nonpad && !Emitter::elementType(b.nonpad).isa<mlir::IntegerType>())
    n.fail("nonpad_kv_seqlen must be an integer tensor");
  b.pastLen = pastLen;
  b.causal = n.attrInt("is_causal", 0) != 0;
  b.left = n.attrInt("left_window_size", -1);
  b.right = n.attrInt("right_window_size", -1);
  if (b.left < -1 || b.right < -1) n.fail("window sizes must be -1 or >= 0");
  b.batch = qs[0];
  b.qLen = qs[2];
  b.kvLen = Emitter::shape(k)[2];
  b.type = t;
  Value bias = attentionBias(n, b);
  if (bias) {
    Dims ss = Emitter::shape(scores), bs = Emitter::shape(bias);
    if (bs.size() > ss.size() || Emitter::broadcastShapes(bs, ss) != ss)
      n.fail((b.mask ? "attn_mask " + dimsString(Emitter::shape(b.mask)) : "the bias " + dimsString(bs)) +
             " does not broadcast to the scores " +
             dimsString(ss) + " (batch, q_num_heads, q_sequence_length, total_sequence_length)");
    scores = e.add(scores, bias);
  }
  Value withBias = scores;

  Type st = n.hasAttr("softmax_precision")
                ? onnxElementType(n, n.attrInt("softmax_precision", 1), "softmax_precision")
                : t;
  Value probs = guardedSoftmax(e, e.convert(scores, st));
  if (bias) probs = zeroFullyMaskedRows(e, probs, bias);
  probs = e.convert(probs, t);

  Value y = groupedDot(n, probs, v, 2);
  if (rank == 3) y = mergeHeads(e, y);

  std::vector<Value> outs = {y, k, v};
  if (n.hasOutput(3)) {
    // The spec's modes: 0 raw QK, 1 after softcap, 2 after the bias, 3 the
    // (guarded) probabilities.
    int64_t mode = n.attrInt("qk_matmul_output_mode", 0);
    if (mode < 0 || mode > 3) n.fail("qk_matmul_output_mode must be 0, 1, 2 or 3, got " + std::to_string(mode));
    Value modes[] = {raw, capped, withBias, probs};
    outs.push_back(modes[mode]);
  }
  return outs;
}

// --- RotaryEmbedding -----------------------------------------------------------

// Rotates pairs of the head dimension by position-dependent angles: pairs
// are the two halves of the rotated part, or neighbours when interleaved.
std::vector<Value> rotaryEmbedding(OnnxNode& n) {
  n.onlyAttrs({"interleaved", "num_heads", "rotary_embedding_dim"});
  Emitter& e = n.e();
  Value x = n.input(0), cosC = n.input(1), sinC = n.input(2);
  Dims xs = Emitter::shape(x);
  if (xs.size() == 4) {
    x = e.transpose(x, {0, 2, 1, 3});  // [B, S, H, D]
  } else if (xs.size() == 3) {
    int64_t h = n.attrInt("num_heads", 0);
    if (h <= 0) n.fail("3-D input needs a positive num_heads attribute");
    if (xs[2] % h != 0)
      n.fail("hidden size " + std::to_string(xs[2]) + " is not a multiple of num_heads " +
             std::to_string(h));
    x = e.reshape(x, {xs[0], xs[1], h, xs[2] / h});
  } else {
    n.fail("input must be 3-D or 4-D, got " + dimsString(xs));
  }
  Dims s = Emitter::shape(x);
  int64_t head = s[3];
  int64_t rot = n.attrInt("rotary_embedding_dim", 0);
  if (rot == 0) rot = head;
  if (rot < 0 || rot > head || rot % 2 != 0)
    n.fail("rotary_embedding_dim " + std::to_string(rot) + " must be even and at most the head size " +
           std::to_string(head));
  int64_t half = rot / 2;

  if (n.hasInput(3)) {  // caches indexed by position: [max_pos, half][pos] -> [B, S, half]
    Value pos = n.input(3);
    if (!Emitter::elementType(pos).isInteger(64)) n.fail("position_ids must be int64");
    if (Emitter::shape(pos) != Dims{s[0], s[1]})
      n.fail("position_ids must have shape " + dimsString({s[0], s[1]}) + ", got " +
             dimsString(Emitter::shape(pos)));
    if (Emitter::rank(cosC) != 2 || Emitter::rank(sinC) != 2)
      n.fail("with position_ids, cos_cache and sin_cache must be 2-D");
    cosC = gather(e, cosC, pos, 0);
    sinC = gather(e, sinC, pos, 0);
  }
  Dims want = {s[0], s[1], half};
  if (Emitter::shape(cosC) != want || Emitter::shape(sinC) != want)
    n.fail("cos_cache and sin_cache must give " + dimsString(want) + " per token, got " +
           dimsString(Emitter::shape(cosC)) + " and " + dimsString(Emitter::shape(sinC)));
  cosC = e.reshape(cosC, {s[0], s[1], 1, half});
  sinC = e.reshape(sinC, {s[0], s[1], 1, half});

  bool interleaved = n.attrInt("interleaved", 0) != 0;
  Value part = sliceLast(e, x, 0, rot);
  Value x1 = interleaved ? sliceLast(e, part, 0, rot, 2) : sliceLast(e, part, 0, half);
  Value x2 = interleaved ? sliceLast(e, part, 1, rot, 2) : sliceLast(e, part, half, rot);
  Value prod = e.mul(sinC, x2);
  Value real = e.sub(e.mul(cosC, x1), prod);
  Value prod2 = e.mul(cosC, x2);
  Value imag = e.add(e.mul(sinC, x1), prod2);
  Value rotated;
  if (interleaved) {
    Dims pairs = {s[0], s[1], s[2], half, 1};
    rotated = e.reshape(e.concatenate({e.reshape(real, pairs), e.reshape(imag, pairs)}, 4),
                        {s[0], s[1], s[2], rot});
  } else {
    rotated = e.concatenate({real, imag}, 3);
  }
  Value y = rot < head ? e.concatenate({rotated, sliceLast(e, x, rot, head)}, 3) : rotated;
  return {xs.size() == 3 ? e.reshape(y, xs) : e.transpose(y, {0, 2, 1, 3})};
}

// --- TensorScatter -------------------------------------------------------------

// Writes `update` into the cache along `axis` from each batch row's write
// index on. Every update step s is a select over the whole cache: positions
// equal to write_indices[b] + s (mod the cache length when circular) take
// update[.., s, ..]; later steps win, as in the reference's loop. A linear
// write that runs past the cache end is outside the spec's contract; its
// out-of-range steps are dropped.
std::vector<Value> tensorScatter(OnnxNode& n) {
  n.onlyAttrs({"axis", "mode"});
  Emitter& e = n.e();
  Value cache = n.input(0), update = n.input(1);
  Dims cs = Emitter::shape(cache), us = Emitter::shape(update);
  int64_t r = static_cast<int64_t>(cs.size());
  int64_t axis = n.axis(n.attrInt("axis", -2), r);
  if (axis == 0) n.fail("axis cannot be 0 (the batch dimension)");
  std::string mode = n.attrString("mode", "linear");
  if (mode != "linear" && mode != "circular")
    n.fail("mode '" + mode + "' is not one of linear, circular");
  if (us.size() != cs.size()) n.fail("update and past_cache must have the same rank");
  for (int64_t i = 0; i < r; ++i)
    if (i == axis ? us[i] > cs[i] : us[i] != cs[i])
      n.fail("update " + dimsString(us) + " does not fit past_cache " + dimsString(cs) +
             " along axis " + std::to_string(axis));
  if (Emitter::elementType(update) != Emitter::elementType(cache))
    n.fail("update and past_cache must have the same element type");
  Type i64 = e.builder().getI64Type();
  Value start = n.hasInput(2) ? e.convert(n.input(2), i64) : e.splat(0, i64, {cs[0]});
  if (Emitter::shape(start) != Dims{cs[0]})
    n.fail("write_indices must have shape [" + std::to_string(cs[0]) + "]");
  Value where = e.broadcastInDim(start, {0}, {cs[0], cs[axis]});
  Value position = iota(e, {cs[0], cs[axis]}, 1);
  Value maxLen = e.splat(static_cast<double>(cs[axis]), i64);
  Value out = cache;
  for (int64_t step = 0; step < us[axis]; ++step) {
    Value target = e.add(where, e.splat(static_cast<double>(step), i64));
    if (mode == "circular")  // a non-negative modulo, like Python's %
      target = e.binary<RemOp>(e.add(e.binary<RemOp>(target, maxLen), maxLen), maxLen);
    Value hit = e.broadcastInDim(e.compare(CompareDirection::EQ, position, target), {0, axis}, cs);
    Dims lo(r, 0), hi = us, st(r, 1);
    lo[axis] = step;
    hi[axis] = step + 1;
    Dims allDims = [&] {
      Dims all;
      for (int64_t i = 0; i < r; ++i) all.push_back(i);
      return all;
    }();
    Value row = e.broadcastInDim(e.slice(update, lo, hi, st), allDims, cs);
    out = e.select(hit, row, out);
  }
  return {out};
}

// --- LinearAttention -------------------------------------------------------------

// The recurrent state S [B, Hkv, dk, dv] is updated token by token (the
// sequence length is static, so the recurrence is unrolled), in f32 as in
// the reference:
//   gated:  S *= exp(g_t)
//   delta:  v_t = beta_t * (v_t - S^T k_t)
//   all:    S += k_t (x) v_t;  o_t = scale * q_t^T S (GQA: head h reads S[h / G]).
std::vector<Value> linearAttention(OnnxNode& n) {
  n.onlyAttrs({"chunk_size", "kv_num_heads", "q_num_heads", "scale", "update_rule"});
  Emitter& e = n.e();
  std::string rule = n.attrString("update_rule", "gated_delta");
  if (rule != "linear" && rule != "gated" && rule != "delta" && rule != "gated_delta")
    n.fail("update_rule '" + rule + "' is not one of linear, gated, delta, gated_delta");
  bool gated = rule == "gated" || rule == "gated_delta";
  bool delta = rule == "delta" || rule == "gated_delta";
  if (!n.hasAttr("q_num_heads") || !n.hasAttr("kv_num_heads"))
    n.fail("q_num_heads and kv_num_heads are required");
  int64_t hq = n.attrInt("q_num_heads", 0), hkv = n.attrInt("kv_num_heads", 0);
  if (hq <= 0 || hkv <= 0 || hq % hkv != 0)
    n.fail("q_num_heads " + std::to_string(hq) + " must be a positive multiple of kv_num_heads " +
           std::to_string(hkv));
  if (gated != n.hasInput(4))
    n.fail("update_rule '" + rule + "' " + (gated ? "requires" : "forbids") + " the decay input");
  if (delta != n.hasInput(5))
    n.fail("update_rule '" + rule + "' " + (delta ? "requires" : "forbids") + " the beta input");
  Value q = n.input(0), k = n.input(1), v = n.input(2);
  for (Value x : {q, k, v})
    if (Emitter::rank(x) != 3) n.fail("query, key and value must be 3-D [B, T, H*D]");
  Dims qs = Emitter::shape(q), ks = Emitter::shape(k), vs = Emitter::shape(v);
  int64_t batch = qs[0], len = qs[1];
  if (qs[2] % hq || vs[2] % hkv) n.fail("hidden sizes must be multiples of the head counts");
  int64_t dk = qs[2] / hq, dv = vs[2] / hkv, group = hq / hkv;
  if (ks != Dims{batch, len, hkv * dk} || vs[0] != batch || vs[1] != len)
    n.fail("key " + dimsString(ks) + " and value " + dimsString(vs) + " do not fit query " +
           dimsString(qs));
  Type outType = Emitter::elementType(q);
  Type f32 = e.builder().getF32Type();
  Dims stateShape = {batch, hkv, dk, dv};

  Value state;
  Type stateType = outType;
  if (n.hasInput(3)) {
    Value past = n.input(3);
    if (Emitter::shape(past) != stateShape)
      n.fail("past_state must be " + dimsString(stateShape) + ", got " + dimsString(Emitter::shape(past)));
    stateType = Emitter::elementType(past);
    state = e.convert(past, f32);
  } else {
    state = e.splat(0.0, f32, stateShape);
  }
  Value decay, beta;
  int64_t decayWidth = 0, betaWidth = 0;
  if (gated) {
    decay = e.convert(n.input(4), f32);
    Dims ds = Emitter::shape(decay);
    if (ds.size() != 3 || ds[0] != batch || ds[1] != len || (ds[2] != hkv && ds[2] != hkv * dk))
      n.fail("decay must be [B, T, kv_num_heads] or [B, T, kv_num_heads * d_k], got " + dimsString(ds));
    decayWidth = ds[2] == hkv ? 1 : dk;
  }
  if (delta) {
    beta = e.convert(n.input(5), f32);
    Dims bs = Emitter::shape(beta);
    if (bs.size() != 3 || bs[0] != batch || bs[1] != len || (bs[2] != hkv && bs[2] != 1))
      n.fail("beta must be [B, T, kv_num_heads] or [B, T, 1], got " + dimsString(bs));
    betaWidth = bs[2];
  }
  float scaleAttr = n.attrFloat("scale", 0.0f);
  double scale = scaleAttr == 0.0f ? 1.0 / std::sqrt(double(dk)) : scaleAttr;
  Value scaleV = e.splat(scale, f32);
  q = e.convert(q, f32);
  k = e.convert(k, f32);
  v = e.convert(v, f32);

  std::vector<Value> outs;
  for (int64_t i = 0; i < len; ++i) {
    Value kt = timeStep(e, k, i, {batch, hkv, dk});
    Value vt = timeStep(e, v, i, {batch, hkv, dv});
    if (gated) {
      Value g = timeStep(e, decay, i, {batch, hkv, decayWidth, 1});
      state = e.mul(state, e.unary<ExpOp>(g));
    }
    if (delta) {
      Value retrieved = e.dotGeneral(state, kt, {0, 1}, {0, 1}, {2}, {2});  // [B, Hkv, dv]
      Value bt = timeStep(e, beta, i, {batch, betaWidth, 1});
      vt = e.mul(bt, e.sub(vt, retrieved));
    }
    Value reshaped = e.reshape(vt, {batch, hkv, 1, dv});
    state = e.add(state, e.mul(e.reshape(kt, {batch, hkv, dk, 1}), reshaped));
    Value qt = timeStep(e, q, i, {batch, hkv, group, dk});
    Value ot = e.dotGeneral(qt, state, {0, 1}, {0, 1}, {3}, {2});  // [B, Hkv, G, dv]
    outs.push_back(e.reshape(e.mul(scaleV, ot), {batch, 1, hq * dv}));
  }
  Value out = outs.size() == 1 ? outs[0] : e.concatenate(outs, 1);
  return {e.convert(out, outType), e.convert(state, stateType)};
}

// --- FlexAttention (ai.onnx.preview) ---------------------------------------------

// A graph attribute applied to the scores or probabilities: its body is
// imported inline on `x`, and its one output must keep x's shape; it is
// taken in x's type, as the reference's np.asarray(out, dtype) does.
Value applyMod(OnnxNode& n, const char* name, Value x) {
  if (!n.hasAttr(name)) return x;
  std::vector<Value> outs = n.callGraphAttr(name, {x});
  if (outs.size() != 1)
    n.fail(std::string("the graph attribute '") + name + "' must have exactly one output");
  if (Emitter::shape(outs[0]) != Emitter::shape(x))
    n.fail(std::string("the graph attribute '") + name + "' turns " + dimsString(Emitter::shape(x)) +
           " into " + dimsString(Emitter::shape(outs[0])) + "; it must keep the shape");
  return n.e().convert(outs[0], Emitter::elementType(x));
}

// Attention whose scores and probabilities may be rewritten by the graph
// attributes score_mod and prob_mod. Scores are taken in the input type,
// the softmax and the final matmul in the softmax precision (f32 for
// f16/bf16 inputs unless softmax_precision says otherwise).
std::vector<Value> flexAttention(OnnxNode& n) {
  n.onlyAttrs({"scale", "softmax_precision", "score_mod", "prob_mod"});
  Emitter& e = n.e();
  Value q = n.input(0), k = n.input(1), v = n.input(2);
  for (Value x : {q, k, v})
    if (Emitter::rank(x) != 4) n.fail("Q, K and V must be 4-D");
  Dims qs = Emitter::shape(q), ks = Emitter::shape(k), vs = Emitter::shape(v);
  if (ks[3] != qs[3]) n.fail("Q and K head sizes differ");
  if (vs[0] != ks[0] || vs[1] != ks[1] || vs[2] != ks[2])
    n.fail("K and V must agree in batch, heads and sequence length");
  Type t = Emitter::elementType(q);
  if (Emitter::elementType(k) != t || Emitter::elementType(v) != t)
    n.fail("Q, K and V must have the same element type");
  Type st = t;
  if (n.hasAttr("softmax_precision"))
    st = onnxElementType(n, n.attrInt("softmax_precision", 1), "softmax_precision");
  else if (t.isF16() || t.isBF16())
    st = e.builder().getF32Type();
  // sqrt(scale) is taken in f32 and rounded to the input type, as the reference does.
  float scale = n.hasAttr("scale") ? n.attrFloat("scale", 1.0f)
                                   : static_cast<float>(1.0 / std::sqrt(double(qs[3])));
  Value root = e.splat(std::sqrt(scale), t);
  Value prod = e.mul(k, root);
  Value scores = e.convert(groupedDot(n, e.mul(q, root), prod, 3), st);
  scores = applyMod(n, "score_mod", scores);
  int64_t last = 3;
  Value ex = e.unary<ExpOp>(e.sub(scores, e.reduceKeep(ReduceKind::Max, scores, {last})));
  Value probs = e.div(ex, e.reduceKeep(ReduceKind::Sum, ex, {last}));
  probs = applyMod(n, "prob_mod", probs);
  return {e.convert(groupedDot(n, probs, e.convert(v, st), 2), t)};
}

}  // namespace

void registerAttentionOps(ConverterTable& t) {
  t["Attention"] = attention;
  t["RotaryEmbedding"] = rotaryEmbedding;
  t["TensorScatter"] = tensorScatter;
  t["LinearAttention"] = linearAttention;
  t["FlexAttention"] = flexAttention;
}

}  // namespace dlc::onnx_import
