// Linear algebra: ONNX Einsum, decomposed into transpose, reshape, slice,
// reduce and dot_general; and Det (at the end of the file).
//
// Einsum:
// Every dimension of every operand carries a label: a letter of the
// equation, or one of the ellipsis labels (the dims "..." stands for,
// right-aligned across operands and broadcast like numpy). Then:
// 1. a label repeated within one operand takes that operand's diagonal;
// 2. a label no other operand and not the output has is summed out;
// 3. operands are combined left to right by dot_general: shared labels
//    still needed later (by the output or a later operand) are batch dims,
//    the other shared labels are contracted;
// 4. the result is transposed into the output's label order.
#include "frontend/onnx/OnnxNode.h"

#include <algorithm>
#include <cctype>

namespace dlc::onnx_import {
namespace {

using mlir::Value;
using Labels = std::vector<int>;  // one label per dim; letters are their char code

constexpr int kEllipsisBase = 1000;  // ellipsis dim k is label kEllipsisBase + k

// A value with the label of each of its dims.
struct Term {
  Value v;
  Labels labels;
};

// One side of the equation as written: letters, and where "..." stands.
struct Subscript {
  Labels letters;         // in order, with the ellipsis left out
  int64_t ellipsisAt = -1;  // index into letters where "..." stands, or -1
};

Subscript parseSubscript(OnnxNode& n, const std::string& s) {
  Subscript sub;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s.compare(i, 3, "...") == 0) {
      if (sub.ellipsisAt >= 0) n.fail("subscript '" + s + "' has more than one ellipsis");
      sub.ellipsisAt = static_cast<int64_t>(sub.letters.size());
      i += 2;
    } else if (std::isalpha(static_cast<unsigned char>(s[i]))) {
      sub.letters.push_back(s[i]);
    } else {
      n.fail("subscript '" + s + "' has the character '" + std::string(1, s[i]) +
             "'; only letters and '...' are allowed");
    }
  }
  return sub;
}

// The labels of a subscript whose ellipsis covers `ellRank` dims, the last
// ellRank of the `total` ellipsis labels (right alignment).
Labels expand(const Subscript& sub, int64_t ellRank, int64_t total) {
  Labels out(sub.letters.begin(), sub.letters.end());
  if (sub.ellipsisAt < 0) return out;
  Labels ell;
  for (int64_t k = total - ellRank; k < total; ++k) ell.push_back(kEllipsisBase + static_cast<int>(k));
  out.insert(out.begin() + sub.ellipsisAt, ell.begin(), ell.end());
  return out;
}

std::string labelName(int l) {
  return l >= kEllipsisBase ? "ellipsis dim " + std::to_string(l - kEllipsisBase)
                            : "'" + std::string(1, static_cast<char>(l)) + "'";
}

int64_t position(const Labels& ls, int l) {
  auto it = std::find(ls.begin(), ls.end(), l);
  return it == ls.end() ? -1 : static_cast<int64_t>(it - ls.begin());
}

bool contains(const Labels& ls, int l) { return position(ls, l) >= 0; }

// Replaces the two dims labelled l (at positions i < j) by their diagonal,
// labelled l, at the end: transpose them last, merge them, and take every
// (n+1)-th element.
Term diagonal(Emitter& e, Term t, int64_t i, int64_t j) {
  Dims s = Emitter::shape(t.v);
  int64_t r = static_cast<int64_t>(s.size());
  Dims perm;
  Labels labels;
  for (int64_t d = 0; d < r; ++d)
    if (d != i && d != j) {
      perm.push_back(d);
      labels.push_back(t.labels[d]);
    }
  perm.push_back(i);
  perm.push_back(j);
  labels.push_back(t.labels[i]);
  Value v = e.transpose(t.v, perm);
  int64_t n = s[i];
  Dims merged(labels.size() - 1), start(labels.size(), 0), limit, strides(labels.size(), 1);
  for (size_t d = 0; d + 1 < labels.size(); ++d) merged[d] = s[perm[d]];
  limit = merged;
  merged.push_back(n * n);
  limit.push_back(n * n);
  strides.back() = n + 1;
  v = e.slice(e.reshape(v, merged), start, limit, strides);
  return {v, labels};
}

// Takes diagonals until no label repeats within the term.
Term takeDiagonals(OnnxNode& n, Term t) {
  for (bool again = true; again;) {
    again = false;
    for (size_t i = 0; i < t.labels.size() && !again; ++i)
      for (size_t j = i + 1; j < t.labels.size() && !again; ++j)
        if (t.labels[i] == t.labels[j]) {
          Dims s = Emitter::shape(t.v);
          if (s[i] != s[j])
            n.fail("label " + labelName(t.labels[i]) + " has sizes " + std::to_string(s[i]) +
                   " and " + std::to_string(s[j]) + " in one operand");
          t = diagonal(n.e(), t, static_cast<int64_t>(i), static_cast<int64_t>(j));
          again = true;
        }
  }
  return t;
}

// Sums out the labels of t that `keep` does not name.
Term sumOutUnless(Emitter& e, Term t, const Labels& keep) {
  Dims dims;
  Labels rest;
  for (size_t d = 0; d < t.labels.size(); ++d) {
    if (contains(keep, t.labels[d]))
      rest.push_back(t.labels[d]);
    else
      dims.push_back(static_cast<int64_t>(d));
  }
  if (dims.empty()) return t;
  return {e.reduce(ReduceKind::Sum, t.v, dims), rest};
}

// Broadcasts a size-1 dim of t to the size its label has in `other`
// (ellipsis dims broadcast like numpy); any other mismatch is an error.
Term matchSizes(OnnxNode& n, Term t, const Term& other) {
  Dims s = Emitter::shape(t.v), so = Emitter::shape(other.v), target = s;
  for (size_t d = 0; d < t.labels.size(); ++d) {
    int64_t p = position(other.labels, t.labels[d]);
    if (p < 0 || s[d] == so[p]) continue;
    if (s[d] == 1 && t.labels[d] >= kEllipsisBase) {
      target[d] = so[p];
    } else if (!(so[p] == 1 && t.labels[d] >= kEllipsisBase)) {
      n.fail("label " + labelName(t.labels[d]) + " has sizes " + std::to_string(s[d]) + " and " +
             std::to_string(so[p]) + " in different operands");
    }
  }
  if (target == s) return t;
  Dims dims;
  for (size_t d = 0; d < s.size(); ++d) dims.push_back(static_cast<int64_t>(d));
  return {n.e().broadcastInDim(t.v, dims, target), t.labels};
}

// a x b over their shared labels: those in `later` are batch dims, the others
// are contracted. Result labels: batch, a's free, b's free.
Term combine(OnnxNode& n, Term a, Term b, const Labels& later) {
  Emitter& e = n.e();
  Labels keepA = later, keepB = later;
  keepA.insert(keepA.end(), b.labels.begin(), b.labels.end());
  keepB.insert(keepB.end(), a.labels.begin(), a.labels.end());
  a = matchSizes(n, sumOutUnless(e, a, keepA), b);
  b = matchSizes(n, sumOutUnless(e, b, keepB), a);
  Dims aBatch, bBatch, aContract, bContract;
  Labels labels, aFree, bFree;
  for (size_t d = 0; d < a.labels.size(); ++d) {
    int l = a.labels[d];
    int64_t p = position(b.labels, l);
    if (p < 0) {
      aFree.push_back(l);
    } else if (contains(later, l)) {
      aBatch.push_back(static_cast<int64_t>(d));
      bBatch.push_back(p);
      labels.push_back(l);
    } else {
      aContract.push_back(static_cast<int64_t>(d));
      bContract.push_back(p);
    }
  }
  for (int l : b.labels)
    if (!contains(a.labels, l)) bFree.push_back(l);
  labels.insert(labels.end(), aFree.begin(), aFree.end());
  labels.insert(labels.end(), bFree.begin(), bFree.end());
  return {e.dotGeneral(a.v, b.v, aBatch, bBatch, aContract, bContract), labels};
}

// Splits "a,b->c" into input subscripts and the output one (absent when
// implicit), with spaces removed.
void splitEquation(OnnxNode& n, std::string eq, std::vector<std::string>& ins, std::string& out,
                   bool& explicitOut) {
  eq.erase(std::remove_if(eq.begin(), eq.end(), [](char c) { return std::isspace(static_cast<unsigned char>(c)); }),
           eq.end());
  size_t arrow = eq.find("->");
  explicitOut = arrow != std::string::npos;
  std::string lhs = explicitOut ? eq.substr(0, arrow) : eq;
  if (explicitOut) out = eq.substr(arrow + 2);
  ins.clear();
  size_t start = 0;
  while (true) {
    size_t comma = lhs.find(',', start);
    ins.push_back(lhs.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (out.find("->") != std::string::npos || out.find(',') != std::string::npos)
    n.fail("equation '" + eq + "' has a malformed output");
}

std::vector<Value> einsum(OnnxNode& n) {
  n.onlyAttrs({"equation"});
  if (!n.hasAttr("equation")) n.fail("attribute 'equation' is required");
  std::string eq = n.attrString("equation", "");
  std::vector<std::string> inSubs;
  std::string outSub;
  bool explicitOut;
  splitEquation(n, eq, inSubs, outSub, explicitOut);
  std::vector<Value> xs = n.inputs();
  if (xs.size() != inSubs.size())
    n.fail("equation '" + eq + "' has " + std::to_string(inSubs.size()) + " operand(s), the node " +
           std::to_string(xs.size()));

  // Operand labels, with the ellipses expanded.
  std::vector<Subscript> subs;
  int64_t ellTotal = 0;
  std::vector<int64_t> ellRanks;
  for (size_t i = 0; i < xs.size(); ++i) {
    subs.push_back(parseSubscript(n, inSubs[i]));
    int64_t r = Emitter::rank(xs[i]), letters = static_cast<int64_t>(subs[i].letters.size());
    int64_t ell = r - letters;
    if (subs[i].ellipsisAt < 0 ? ell != 0 : ell < 0)
      n.fail("operand " + std::to_string(i) + " has rank " + std::to_string(r) +
             " but subscript '" + inSubs[i] + "'");
    ellRanks.push_back(ell);
    ellTotal = std::max(ellTotal, ell);
  }
  std::vector<Term> terms;
  for (size_t i = 0; i < xs.size(); ++i)
    terms.push_back({xs[i], expand(subs[i], ellRanks[i], ellTotal)});

  // Output labels: explicit, or the ellipsis dims then the letters used once,
  // in alphabetical (ASCII) order.
  Labels out;
  if (explicitOut) {
    Subscript os = parseSubscript(n, outSub);
    out = expand(os, os.ellipsisAt < 0 ? 0 : ellTotal, ellTotal);
    for (size_t i = 0; i < out.size(); ++i) {
      if (std::count(out.begin(), out.end(), out[i]) > 1)
        n.fail("output label " + labelName(out[i]) + " appears twice");
      bool used = false;
      for (const Term& t : terms) used |= contains(t.labels, out[i]);
      if (!used) n.fail("output label " + labelName(out[i]) + " is in no operand");
    }
  } else {
    for (int64_t k = 0; k < ellTotal; ++k) out.push_back(kEllipsisBase + static_cast<int>(k));
    std::map<int, int> count;
    for (const Subscript& s : subs)
      for (int l : s.letters) ++count[l];
    for (auto [l, c] : count)
      if (c == 1) out.push_back(l);
  }

  for (Term& t : terms) t = takeDiagonals(n, t);
  // Labels needed after operand i: the output's and those of operands > i.
  auto later = [&](size_t i) {
    Labels ls = out;
    for (size_t j = i + 1; j < terms.size(); ++j)
      ls.insert(ls.end(), terms[j].labels.begin(), terms[j].labels.end());
    return ls;
  };
  Term acc = sumOutUnless(n.e(), terms[0], later(0));
  for (size_t i = 1; i < terms.size(); ++i) acc = combine(n, acc, terms[i], later(i));
  acc = sumOutUnless(n.e(), acc, out);
  Dims perm;
  for (int l : out) perm.push_back(position(acc.labels, l));
  return {n.e().transpose(acc.v, perm)};
}

// Det by Gaussian elimination with partial pivoting (LAPACK's getrf, which
// numpy's det uses), unrolled over the static matrix size and batched over
// the leading dims. Step k works on the trailing (n-k) x (n-k) block S:
// the pivot row is the first one with the largest |S[r, 0]| (a NaN counts
// as largest), it is swapped with row 0 (negating the determinant), the
// pivot multiplies the determinant, and the rows below are eliminated,
// leaving the next, smaller block. A zero pivot means a zero column: the
// determinant is 0 and the elimination divides by 1 instead, changing
// nothing. f16/bf16 are computed in f32.
struct Block {
  Emitter& e;
  Dims batch;  // the leading dims

  Dims shape(std::initializer_list<int64_t> last) const {
    Dims s = batch;
    s.insert(s.end(), last);
    return s;
  }
  // v[..., r0:r1, c0:c1]
  Value slice(Value v, int64_t r0, int64_t r1, int64_t c0, int64_t c1) const {
    Dims start(batch.size(), 0), limit = batch;
    start.insert(start.end(), {r0, c0});
    limit.insert(limit.end(), {r1, c1});
    return e.slice(v, start, limit, Dims(start.size(), 1));
  }
};

std::vector<Value> det(OnnxNode& n) {
  n.onlyAttrs({});
  Emitter& e = n.e();
  Value x = n.input(0);
  Dims xs = Emitter::shape(x);
  mlir::Type et = Emitter::elementType(x);
  if (!et.isa<mlir::FloatType>()) n.fail("input must be a float tensor");
  if (xs.size() < 2 || xs[xs.size() - 1] != xs[xs.size() - 2])
    n.fail("input must be [..., M, M], got " + dimsString(xs));
  mlir::Type ct = et.isF16() || et.isBF16() ? e.builder().getF32Type() : et;
  mlir::Type i64 = e.builder().getI64Type();
  int64_t rows = static_cast<int64_t>(xs.size()) - 2;  // the row dim; rows + 1 the column dim
  Block b{e, Dims(xs.begin(), xs.end() - 2)};
  Dims lastTwo = {rows, rows + 1};
  Value s = e.convert(x, ct);
  Value d = e.splat(1.0, ct, b.batch);
  for (int64_t m = xs.back(); m >= 1; --m) {
    // The pivot's row p ([batch]): the first largest |S[r, 0]|.
    Dims colShape = b.shape({m});
    Value col = e.reshape(b.slice(s, 0, m, 0, 1), colShape);
    Value mag = e.unary<AbsOp>(col);
    // (Each op is built in its own statement so that the IR's order does not
    // depend on the compiler's argument evaluation order.)
    Value largest = e.compare(CompareDirection::EQ, mag, e.reduceKeep(ReduceKind::Max, mag, {rows}));
    Value hit = e.binary<OrOp>(largest, e.compare(CompareDirection::NE, col, col));
    Value none = e.splat(static_cast<double>(m), i64, colShape);
    Value p = e.reduce(ReduceKind::Min, e.select(hit, e.iota(colShape, rows, i64), none), {rows});
    Value pivotRow = e.takeAlongDim(s, e.unreduce(p, lastTwo, b.shape({1, m})), rows);
    Value pivot = e.reshape(b.slice(pivotRow, 0, 1, 0, 1), b.batch);
    Value swapped = e.compare(CompareDirection::NE, p, e.splat(0.0, i64, b.batch));
    d = e.mul(d, e.select(swapped, e.unary<NegOp>(pivot), pivot));
    if (m == 1) break;
    // Rows 1.. of the swapped block: row p (when p > 0) takes the old row 0.
    Dims restShape = b.shape({m - 1, m});
    Value one = e.splat(1.0, i64, restShape);
    Value rowIdx = e.add(e.iota(restShape, rows, i64), one);
    Value isP = e.compare(CompareDirection::EQ, rowIdx, e.unreduce(p, lastTwo, restShape));
    Value row0 = e.broadcastTo(b.slice(s, 0, 1, 0, m), restShape);
    Value rest = e.select(isP, row0, b.slice(s, 1, m, 0, m));
    // Eliminate column 0: rest[i, 1:] -= rest[i, 0] / pivot * pivotRow[1:].
    Value isZero = e.compare(CompareDirection::EQ, pivot, e.splat(0.0, ct, b.batch));
    Value safe = e.select(isZero, e.splat(1.0, ct, b.batch), pivot);
    Value safeCol = e.unreduce(safe, lastTwo, b.shape({m - 1, 1}));
    Value factor = e.div(b.slice(rest, 0, m - 1, 0, 1), safeCol);
    Value update = e.mul(factor, b.slice(pivotRow, 0, 1, 1, m));
    s = e.sub(b.slice(rest, 0, m - 1, 1, m), update);
  }
  return {e.convert(d, et)};
}

}  // namespace

void registerEinsumOps(ConverterTable& t) {
  t["Einsum"] = einsum;
  t["Det"] = det;
}

}  // namespace dlc::onnx_import
