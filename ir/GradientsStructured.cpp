// Gradient rules of the data-movement ops, the reductions and the
// contractions (see GradientsElementwise.cpp for the conventions). Each rule
// is built from core ops, so the backward graph fuses like any other:
// broadcast <-> reduce-sum duality, slice <-> pad, gather <-> scatter-add,
// dot_general and convolution by dot_general and convolution.
#include <algorithm>
#include <limits>
#include <numeric>

#include "ir/GraphBuild.h"

namespace dlc {

using mlir::LogicalResult;
using mlir::OpBuilder;
using mlir::success;
using mlir::Value;
using mlir::ValueRange;
using Grads = llvm::SmallVectorImpl<Value>;

namespace {

Dims iotaDims(int64_t n, int64_t from = 0) {
  Dims d(static_cast<size_t>(n));
  std::iota(d.begin(), d.end(), from);
  return d;
}

Dims inversePerm(const Dims& perm) {
  Dims inv(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) inv[static_cast<size_t>(perm[i])] = static_cast<int64_t>(i);
  return inv;
}

bool contains(llvm::ArrayRef<int64_t> xs, int64_t x) { return llvm::is_contained(xs, x); }

Dims toDims(llvm::ArrayRef<int64_t> a) { return Dims(a.begin(), a.end()); }

}  // namespace

#define DLC_GRAD(Op) \
  LogicalResult Op::buildGradient(OpBuilder& builder, ValueRange resultGrads, Grads& out)

// --- data movement -----------------------------------------------------------

// Sums over the result dims the operand does not map to and over the
// operand's size-1 dims that were repeated, then restores the operand's
// layout (its dims may map to result dims in any order).
DLC_GRAD(BroadcastInDimOp) {
  GraphBuild gb(builder, getLoc());
  Value g = resultGrads[0];
  Dims in = GraphBuild::shape(getOperand()), res = GraphBuild::shape(g);
  llvm::ArrayRef<int64_t> map = getBroadcastDimensions();
  Dims summed;
  for (int64_t d = 0; d < static_cast<int64_t>(res.size()); ++d) {
    auto it = std::find(map.begin(), map.end(), d);
    if (it == map.end() || (in[static_cast<size_t>(it - map.begin())] == 1 && res[static_cast<size_t>(d)] != 1))
      summed.push_back(d);
  }
  Value r = gb.reduce(ReduceKind::Sum, g, summed);
  // r holds the kept result dims in increasing order; order the operand's
  // kept dims the same way.
  Dims keptOperandDims;  // operand dims, by increasing result dim
  for (int64_t d = 0; d < static_cast<int64_t>(res.size()); ++d)
    if (!contains(summed, d))
      keptOperandDims.push_back(std::find(map.begin(), map.end(), d) - map.begin());
  Dims sorted = keptOperandDims;
  std::sort(sorted.begin(), sorted.end());
  Dims perm;  // r's dims in operand order
  for (int64_t od : sorted)
    perm.push_back(std::find(keptOperandDims.begin(), keptOperandDims.end(), od) - keptOperandDims.begin());
  out.push_back(gb.reshape(gb.transpose(r, perm), in));
  return success();
}

DLC_GRAD(ReshapeOp) {
  GraphBuild gb(builder, getLoc());
  out.push_back(gb.reshape(resultGrads[0], GraphBuild::shape(getOperand())));
  return success();
}

DLC_GRAD(TransposeOp) {
  GraphBuild gb(builder, getLoc());
  out.push_back(gb.transpose(resultGrads[0], inversePerm(toDims(getPermutation()))));
  return success();
}

DLC_GRAD(ReverseOp) {
  GraphBuild gb(builder, getLoc());
  out.push_back(gb.reverse(resultGrads[0], toDims(getDimensions())));
  return success();
}

// Scatters the gradient back with zeros between the strided elements: a pad.
DLC_GRAD(SliceOp) {
  GraphBuild gb(builder, getLoc());
  Value g = resultGrads[0];
  Dims in = GraphBuild::shape(getOperand()), res = GraphBuild::shape(g);
  Dims start = toDims(getStartIndices()), strides = toDims(getStrides());
  for (int64_t n : res)
    if (n == 0) {  // an empty slice: the operand's gradient is zero
      out.push_back(gb.zerosLike(getOperand()));
      return success();
    }
  Dims low, high, interior;
  for (size_t i = 0; i < in.size(); ++i) {
    int64_t last = start[i] + (res[i] - 1) * strides[i];
    low.push_back(start[i]);
    high.push_back(in[i] - 1 - last);
    interior.push_back(strides[i] - 1);
  }
  Value zero = gb.splat(0.0, GraphBuild::elementType(g), {});
  out.push_back(gb.pad(g, zero, low, high, interior));
  return success();
}

// The operand's gradient is the strided slice of g where its elements went
// (negative edge padding cut some off: those get zero); the padding value's
// is the sum of g over the positions it filled.
DLC_GRAD(PadOp) {
  GraphBuild gb(builder, getLoc());
  Value g = resultGrads[0];
  Dims in = GraphBuild::shape(getOperand());
  Dims low = toDims(getEdgePaddingLow()), high = toDims(getEdgePaddingHigh()),
       interior = toDims(getInteriorPadding());
  bool empty = std::find(in.begin(), in.end(), 0) != in.end();
  Value gx;
  if (empty) {
    gx = gb.zerosLike(getOperand());
  } else {
    Dims uncutLow, uncutHigh, zeros(in.size(), 0), start, limit, strides;
    for (size_t i = 0; i < in.size(); ++i) {
      uncutLow.push_back(std::max<int64_t>(-low[i], 0));
      uncutHigh.push_back(std::max<int64_t>(-high[i], 0));
      start.push_back(low[i] + uncutLow.back());
      strides.push_back(interior[i] + 1);
      limit.push_back(start.back() + (in[i] - 1) * strides.back() + 1);
    }
    Value zero = gb.splat(0.0, GraphBuild::elementType(g), {});
    Value full = gb.pad(g, zero, uncutLow, uncutHigh, zeros);
    gx = gb.slice(full, start, limit, strides);
  }
  out.push_back(gx);
  Value sumGx = gb.reduceAll(ReduceKind::Sum, gx);
  out.push_back(gb.sub(gb.reduceAll(ReduceKind::Sum, g), sumGx));
  return success();
}

DLC_GRAD(ConcatenateOp) {
  GraphBuild gb(builder, getLoc());
  Value g = resultGrads[0];
  Dims res = GraphBuild::shape(g);
  int64_t dim = static_cast<int64_t>(getDimension()), at = 0;
  for (Value in : getInputs()) {
    Dims start(res.size(), 0), limit = res, strides(res.size(), 1);
    int64_t n = GraphBuild::shape(in)[static_cast<size_t>(dim)];
    start[static_cast<size_t>(dim)] = at;
    limit[static_cast<size_t>(dim)] = at + n;
    at += n;
    out.push_back(gb.slice(g, start, limit, strides));
  }
  return success();
}

// gather's adjoint: the gradient slices added where they were taken from
// (duplicate indices accumulate).
DLC_GRAD(GatherOp) {
  GraphBuild gb(builder, getLoc());
  int64_t axis = static_cast<int64_t>(getAxis());
  out.push_back(gb.scatter(ScatterKind::Add, gb.zerosLike(getOperand()), getIndices(), resultGrads[0], axis));
  out.push_back(Value());
  return success();
}

// Only scatter add is linear in both base and updates; the other combiners
// (mul, max, min, replace) have no rule yet.
DLC_GRAD(ScatterOp) {
  if (getKind() != ScatterKind::Add)
    return emitOpError("has no gradient rule yet for scatter kind '")
           << stringifyScatterKind(getKind()) << "' (only add)";
  GraphBuild gb(builder, getLoc());
  Value g = resultGrads[0];
  out.push_back(g);
  out.push_back(Value());
  out.push_back(gb.gather(g, getIndices(), static_cast<int64_t>(getAxis())));
  return success();
}

// --- reductions --------------------------------------------------------------

// sum: broadcast back. max/min: to the elements equal to the result; ties
// split the gradient evenly among them (as torch.amax/amin). prod: no rule
// yet (it needs the product of the others, with care at zeros).
DLC_GRAD(ReduceOp) {
  GraphBuild gb(builder, getLoc());
  Value g = resultGrads[0], x = getOperand();
  Dims dims = toDims(getDimensions()), in = GraphBuild::shape(x);
  switch (getKind()) {
    case ReduceKind::Sum:
      out.push_back(gb.unreduce(g, dims, in));
      return success();
    case ReduceKind::Max:
    case ReduceKind::Min: {
      if (!GraphBuild::isFloat(x)) {
        out.push_back(Value());
        return success();
      }
      Value hit = gb.compare(CompareDirection::EQ, x, gb.unreduce(getResult(), dims, in));
      Value ones = gb.convert(hit, GraphBuild::elementType(x));
      Value count = gb.reduce(ReduceKind::Sum, ones, dims);
      out.push_back(gb.mul(ones, gb.unreduce(gb.div(g, count), dims, in)));
      return success();
    }
    case ReduceKind::Prod:
      break;
  }
  return emitOpError("has no gradient rule yet for reduce prod");
}

// --- contractions ------------------------------------------------------------

namespace {

// The gradient of one dot_general operand ("this"), with the other operand
// ("other"): contract g's dims of the other's free dims with the other's
// free dims, then put the result back in this operand's layout. g's dims are
// batch, lhs free, rhs free.
Value dotOperandGrad(GraphBuild& gb, Value g, Value self, Value other, const Dims& selfBatch,
                     const Dims& otherBatch, const Dims& selfContract, const Dims& otherContract,
                     bool selfIsLhs) {
  int64_t nb = static_cast<int64_t>(selfBatch.size());
  int64_t selfRank = GraphBuild::rank(self), otherRank = GraphBuild::rank(other);
  Dims selfFree, otherFree;
  for (int64_t d = 0; d < selfRank; ++d)
    if (!contains(selfBatch, d) && !contains(selfContract, d)) selfFree.push_back(d);
  for (int64_t d = 0; d < otherRank; ++d)
    if (!contains(otherBatch, d) && !contains(otherContract, d)) otherFree.push_back(d);
  // Positions of the other's free dims in g.
  int64_t otherFreeAt = selfIsLhs ? nb + static_cast<int64_t>(selfFree.size()) : nb;
  int64_t selfFreeAt = selfIsLhs ? nb : nb + static_cast<int64_t>(otherFree.size());
  Dims gContract = iotaDims(static_cast<int64_t>(otherFree.size()), otherFreeAt);
  Dims gBatch = iotaDims(nb);
  // r's dims: batch, g's remaining (self free, in order), other's remaining
  // (other's contracting dims in increasing order).
  Value r = gb.dotGeneral(g, other, gBatch, otherBatch, gContract, otherFree);
  (void)selfFreeAt;
  Dims rToSelf;  // r's dim i is self's dim rToSelf[i]
  for (int64_t d : selfBatch) rToSelf.push_back(d);
  for (int64_t d : selfFree) rToSelf.push_back(d);
  Dims otherRemaining;
  for (int64_t d = 0; d < otherRank; ++d)
    if (contains(otherContract, d)) otherRemaining.push_back(d);
  for (int64_t d : otherRemaining) {
    size_t j = static_cast<size_t>(std::find(otherContract.begin(), otherContract.end(), d) - otherContract.begin());
    rToSelf.push_back(selfContract[j]);
  }
  // transpose: result dim k is r's dim perm[k], where rToSelf[perm[k]] = k.
  return gb.transpose(r, inversePerm(rToSelf));
}

}  // namespace

DLC_GRAD(DotGeneralOp) {
  GraphBuild gb(builder, getLoc());
  Value g = resultGrads[0];
  if (!GraphBuild::isFloat(getLhs())) {
    out.push_back(Value());
    out.push_back(Value());
    return success();
  }
  Dims lb = toDims(getLhsBatchingDimensions()), rb = toDims(getRhsBatchingDimensions());
  Dims lc = toDims(getLhsContractingDimensions()), rc = toDims(getRhsContractingDimensions());
  out.push_back(dotOperandGrad(gb, g, getLhs(), getRhs(), lb, rb, lc, rc, true));
  out.push_back(dotOperandGrad(gb, g, getRhs(), getLhs(), rb, lb, rc, lc, false));
  return success();
}

// y[n, o, p] = sum_{c in o's group, k} x[n, c, p*s - pl + k*d] w[o, c', k].
// Input: a stride-1 convolution, dilated by d, of g spread out by the
// stride (interior padding s-1, edges so that every input position is
// covered) with the filter flipped in space and its channels swapped per
// group. Filter: a convolution over the batch: x with (batch, channels)
// swapped, g as the filter, stride d and dilation s; its window may be
// longer than the kernel (input rows the forward never read) and is sliced.
DLC_GRAD(ConvolutionOp) {
  GraphBuild gb(builder, getLoc());
  Value g = resultGrads[0], x = getInput(), w = getFilter();
  Dims xs = GraphBuild::shape(x), ws = GraphBuild::shape(w), gs = GraphBuild::shape(g);
  Dims strides = toDims(getStrides()), pl = toDims(getPadLow()), ph = toDims(getPadHigh()),
       dil = toDims(getDilations());
  int64_t groups = static_cast<int64_t>(getGroups());
  size_t ns = xs.size() - 2;  // spatial dims
  int64_t n = xs[0], c = xs[1], o = ws[0], cg = ws[1], og = o / groups;
  Dims spatial;  // sizes
  Value zero = gb.splat(0.0, GraphBuild::elementType(g), {});

  // --- input gradient
  Dims lo{0, 0}, hi{0, 0}, in{0, 0};
  for (size_t i = 0; i < ns; ++i) {
    int64_t k = ws[2 + i], h = xs[2 + i], og_ = gs[2 + i];
    int64_t spread = (og_ - 1) * strides[i] + 1;
    lo.push_back((k - 1) * dil[i] - pl[i]);
    hi.push_back(h - spread + pl[i]);
    in.push_back(strides[i] - 1);
  }
  Value gp = gb.pad(g, zero, lo, hi, in);
  // filter [G*Og, Cg, K..] -> [G, Og, Cg, K..] -> [G, Cg, Og, K..] -> [G*Cg, Og, K..], flipped.
  Dims w4{groups, og, cg};
  for (size_t i = 0; i < ns; ++i) w4.push_back(ws[2 + i]);
  Dims perm{0, 2, 1};
  for (size_t i = 0; i < ns; ++i) perm.push_back(static_cast<int64_t>(3 + i));
  Dims wt{groups * cg, og};
  for (size_t i = 0; i < ns; ++i) wt.push_back(ws[2 + i]);
  Value wf = gb.reshape(gb.transpose(gb.reshape(w, w4), perm), wt);
  wf = gb.reverse(wf, iotaDims(static_cast<int64_t>(ns), 2));
  Dims ones(ns, 1), zeros(ns, 0);
  out.push_back(gb.convolution(gp, wf, ones, zeros, zeros, dil, groups));

  // --- filter gradient
  // x [N, G*Cg, S..] -> [N, G, Cg, S..] -> [Cg, G, N, S..] -> [Cg, G*N, S..]
  Dims x4{n, groups, cg};
  Dims xperm{2, 1, 0};
  Dims x3{cg, groups * n};
  for (size_t i = 0; i < ns; ++i) {
    x4.push_back(xs[2 + i]);
    xperm.push_back(static_cast<int64_t>(3 + i));
    x3.push_back(xs[2 + i]);
  }
  Value xt = gb.reshape(gb.transpose(gb.reshape(x, x4), xperm), x3);
  // g [N, G*Og, P..] -> [N, G, Og, P..] -> [G, Og, N, P..] -> [G*Og, N, P..]
  Dims g4{n, groups, og};
  Dims gperm{1, 2, 0};
  Dims g3{groups * og, n};
  for (size_t i = 0; i < ns; ++i) {
    g4.push_back(gs[2 + i]);
    gperm.push_back(static_cast<int64_t>(3 + i));
    g3.push_back(gs[2 + i]);
  }
  Value gt = gb.reshape(gb.transpose(gb.reshape(g, g4), gperm), g3);
  Value dw = gb.convolution(xt, gt, dil, pl, ph, strides, groups);  // [Cg, G*Og, K'..]
  Dims dws = GraphBuild::shape(dw);
  Dims start(dws.size(), 0), limit = dws, step(dws.size(), 1);
  for (size_t i = 0; i < ns; ++i) limit[2 + i] = ws[2 + i];
  dw = gb.slice(dw, start, limit, step);
  Dims swap{1, 0};
  for (size_t i = 0; i < ns; ++i) swap.push_back(static_cast<int64_t>(2 + i));
  out.push_back(gb.transpose(dw, swap));
  (void)c;
  (void)spatial;
  return success();
}

// Pooling. sum: every window adds its gradient to the elements it covers
// (a stride-1 window sum over the spread-out gradient). max/min: each
// window's gradient goes to the first element (in window order, row-major)
// equal to its result, as torch's max_pool; built per window offset as a
// strided slice, a compare and a pad back, so it costs one fused loop per
// offset (fine for pooling windows).
DLC_GRAD(ReduceWindowOp) {
  GraphBuild gb(builder, getLoc());
  Value g = resultGrads[0], x = getOperand();
  Dims xs = GraphBuild::shape(x), gs = GraphBuild::shape(g);
  Dims win = toDims(getWindow()), st = toDims(getStrides()), pl = toDims(getPadLow()),
       ph = toDims(getPadHigh()), dil = toDims(getDilations());
  size_t r = xs.size();
  mlir::Type et = GraphBuild::elementType(x);
  if (!GraphBuild::isFloat(x)) {
    out.push_back(Value());
    return success();
  }
  if (getKind() == ReduceKind::Prod) return emitOpError("has no gradient rule yet for reduce_window prod");
  for (int64_t d : gs)
    if (d == 0) {
      out.push_back(gb.zerosLike(x));
      return success();
    }
  Value zero = gb.splat(0.0, et, {});
  if (getKind() == ReduceKind::Sum) {
    Dims lo, hi, in, ones(r, 1), zeros(r, 0);
    for (size_t i = 0; i < r; ++i) {
      int64_t spread = (gs[i] - 1) * st[i] + 1;
      lo.push_back((win[i] - 1) * dil[i] - pl[i]);
      hi.push_back(xs[i] - spread + pl[i]);
      in.push_back(st[i] - 1);
    }
    Value gp = gb.pad(g, zero, lo, hi, in);
    out.push_back(gb.reduceWindow(ReduceKind::Sum, gp, win, ones, zeros, zeros, dil));
    return success();
  }
  bool isMax = getKind() == ReduceKind::Max;
  double inf = std::numeric_limits<double>::infinity();
  Value xp = gb.pad(x, gb.splat(isMax ? -inf : inf, et, {}), pl, ph, Dims(r, 0));
  Dims xps = GraphBuild::shape(xp);
  Value y = getResult();
  Value taken;  // windows whose element was found already (first wins)
  Value grad;   // the gradient of xp
  int64_t offsets = 1;
  for (int64_t k : win) offsets *= k;
  Value gzero = gb.zerosLike(g);
  for (int64_t flat = 0; flat < offsets; ++flat) {
    Dims k(r);
    for (int64_t i = static_cast<int64_t>(r) - 1, f = flat; i >= 0; --i) {
      k[static_cast<size_t>(i)] = f % win[static_cast<size_t>(i)];
      f /= win[static_cast<size_t>(i)];
    }
    Dims start, limit, lo, hi, in;
    for (size_t i = 0; i < r; ++i) {
      start.push_back(k[i] * dil[i]);
      limit.push_back(start.back() + (gs[i] - 1) * st[i] + 1);
      lo.push_back(start.back());
      hi.push_back(xps[i] - limit.back());
      in.push_back(st[i] - 1);
    }
    Value xk = gb.slice(xp, start, limit, st);
    Value hit = gb.compare(CompareDirection::EQ, xk, y);
    if (taken) {
      Value fresh = gb.binary<AndOp>(hit, gb.unary<NotOp>(taken));
      taken = gb.binary<OrOp>(taken, hit);
      hit = fresh;
    } else {
      taken = hit;
    }
    Value gk = gb.select(hit, g, gzero);
    grad = gb.accumulate(grad, gb.pad(gk, zero, lo, hi, in));
  }
  Dims negLo, negHi;
  for (size_t i = 0; i < r; ++i) {
    negLo.push_back(-pl[i]);
    negHi.push_back(-ph[i]);
  }
  out.push_back(gb.pad(grad, zero, negLo, negHi, Dims(r, 0)));
  return success();
}

}  // namespace dlc
