// Gemm and MatMul as dlc.dot_general (transposes become dimension numbers).
#include "frontend/onnx/OnnxNode.h"

namespace dlc::onnx_import {
namespace {

using mlir::Value;

// Y = alpha * A' B' + beta * C, with A' = transA ? A^T : A.
std::vector<Value> gemm(OnnxNode& n) {
  n.onlyAttrs({"alpha", "beta", "transA", "transB"});
  Emitter& e = n.e();
  Value a = n.input(0), b = n.input(1);
  if (Emitter::rank(a) != 2 || Emitter::rank(b) != 2)
    n.fail("A and B must be matrices, got " + dimsString(Emitter::shape(a)) + " and " +
           dimsString(Emitter::shape(b)));
  int64_t ka = n.attrInt("transA", 0) ? 0 : 1;
  int64_t kb = n.attrInt("transB", 0) ? 1 : 0;
  Value y = e.dotGeneral(a, b, {}, {}, {ka}, {kb});
  float alpha = n.attrFloat("alpha", 1.0f), beta = n.attrFloat("beta", 1.0f);
  if (alpha != 1.0f) y = e.mul(y, e.splat(alpha, Emitter::elementType(y)));
  if (n.hasInput(2) && beta != 0.0f) {
    Value c = n.input(2);
    if (beta != 1.0f) c = e.mul(c, e.splat(beta, Emitter::elementType(c)));
    Dims ys = Emitter::shape(y);
    if (Emitter::broadcastShapes(Emitter::shape(c), ys) != ys)
      n.fail("C of shape " + dimsString(Emitter::shape(c)) + " does not broadcast to the result " +
             dimsString(ys));
    y = e.add(y, c);
  }
  return {y};
}

// numpy matmul: vectors are promoted and the added dim removed; batch
// dimensions broadcast.
std::vector<Value> matmul(OnnxNode& n) {
  n.onlyAttrs({});
  Emitter& e = n.e();
  Value a = n.input(0), b = n.input(1);
  Dims as = Emitter::shape(a), bs = Emitter::shape(b);
  if (as.empty() || bs.empty()) n.fail("MatMul operands must have rank >= 1");
  bool aVec = as.size() == 1, bVec = bs.size() == 1;
  if (aVec) a = e.reshape(a, {1, as[0]});
  if (bVec) b = e.reshape(b, {bs[0], 1});
  as = Emitter::shape(a);
  bs = Emitter::shape(b);
  if (as.back() != bs[bs.size() - 2])
    n.fail("contracting dimensions differ: " + dimsString(Emitter::shape(n.input(0))) + " x " +
           dimsString(Emitter::shape(n.input(1))));
  Value y;
  if (bs.size() == 2) {
    // [..., M, K] x [K, N]: the lhs batch dims are simply free dims.
    y = e.dotGeneral(a, b, {}, {}, {static_cast<int64_t>(as.size()) - 1}, {0});
  } else {
    Dims batchA(as.begin(), as.end() - 2), batchB(bs.begin(), bs.end() - 2);
    Dims batch = Emitter::broadcastShapes(batchA, batchB);
    Dims ta = batch, tb = batch;
    ta.insert(ta.end(), as.end() - 2, as.end());
    tb.insert(tb.end(), bs.end() - 2, bs.end());
    a = e.broadcastTo(a, ta);
    b = e.broadcastTo(b, tb);
    Dims bd;
    for (size_t i = 0; i < batch.size(); ++i) bd.push_back(static_cast<int64_t>(i));
    int64_t nb = static_cast<int64_t>(batch.size());
    y = e.dotGeneral(a, b, bd, bd, {nb + 1}, {nb});
  }
  if (aVec || bVec) {
    Dims ys = Emitter::shape(y);
    Dims out(ys.begin(), ys.end() - 2);
    if (!aVec) out.push_back(ys[ys.size() - 2]);
    if (!bVec) out.push_back(ys.back());
    y = e.reshape(y, out);
  }
  return {y};
}

}  // namespace

void registerMatMulOps(ConverterTable& t) {
  t["Gemm"] = gemm;
  t["MatMul"] = matmul;
}

}  // namespace dlc::onnx_import
