#include "runtime/cuda/GemmLayout.h"

#include <algorithm>
#include <limits>
#include <sstream>

namespace dlc::rt::cuda {
namespace {

MatrixView transposed(const MatrixView& v) {
  MatrixView t = v;
  std::swap(t.rows, t.cols);
  std::swap(t.rowStride, t.colStride);
  return t;
}

std::string viewText(const char* name, const MatrixView& v) {
  std::ostringstream os;
  os << name << " (value " << v.value << ", " << v.rows << "x" << v.cols << ", strides "
     << v.rowStride << "," << v.colStride << ")";
  return os.str();
}

// The column-major description of view `v` (logically rows x cols): itself
// when column-major, else its transpose's storage read transposed. A
// dimension of size 1 has no meaningful stride, so it fits either way.
LtMatrix columnMajor(const char* name, const MatrixView& v) {
  LtMatrix m;
  m.value = v.value;
  m.offset = v.offset;
  bool col = (v.rowStride == 1 || v.rows == 1) && (v.cols == 1 || v.colStride >= v.rows);
  bool row = (v.colStride == 1 || v.cols == 1) && (v.rows == 1 || v.rowStride >= v.cols);
  if (col) {
    m.transpose = false;
    m.rows = v.rows;
    m.cols = v.cols;
    m.ld = v.cols == 1 ? std::max<int64_t>(v.rows, 1) : v.colStride;
  } else if (row) {
    m.transpose = true;
    m.rows = v.cols;
    m.cols = v.rows;
    m.ld = v.rows == 1 ? std::max<int64_t>(v.cols, 1) : v.rowStride;
  } else {
    throw GemmLayoutError(viewText(name, v) +
                          " is neither row- nor column-major: not a cuBLASLt layout");
  }
  if (m.offset < 0) throw GemmLayoutError(viewText(name, v) + " starts at a negative offset");
  constexpr int64_t kMax = std::numeric_limits<int32_t>::max();
  if (m.rows > kMax || m.cols > kMax || m.ld > kMax)
    throw GemmLayoutError(viewText(name, v) + " is larger than cuBLASLt's int32 sizes");
  return m;
}

void checkShape(const char* name, const MatrixView& v, int64_t rows, int64_t cols) {
  if (v.rows != rows || v.cols != cols)
    throw GemmLayoutError(viewText(name, v) + " must be " + std::to_string(rows) + "x" +
                          std::to_string(cols));
  if (v.value < 0) throw GemmLayoutError(std::string(name) + " has no value");
}

int alignOf(int64_t bytes) {
  if (bytes < 0) bytes = -bytes;
  int a = 256;
  while (a > 1 && bytes % a != 0) a /= 2;
  return a;
}

}  // namespace

int64_t LtGemm::calls() const {
  int64_t n = 1;
  for (const LtLoopDim& l : loop) n *= l.count;
  return n;
}

LtGemm::Offsets LtGemm::loopOffsets(int64_t i) const {
  Offsets o;
  for (size_t j = loop.size(); j-- > 0;) {
    int64_t idx = i % loop[j].count;
    i /= loop[j].count;
    o.a += idx * loop[j].strideA;
    o.b += idx * loop[j].strideB;
    o.c += idx * loop[j].strideC;
    o.d += idx * loop[j].strideD;
  }
  return o;
}

LtGemm mapGemm(const GemmCall& call) {
  if (call.m <= 0 || call.n <= 0 || call.k <= 0)
    throw GemmLayoutError("GEMM sizes m=" + std::to_string(call.m) + " n=" + std::to_string(call.n) +
                          " k=" + std::to_string(call.k) + " must be positive (an empty product is not a library call)");
  checkShape("A", call.a, call.m, call.k);
  checkShape("B", call.b, call.k, call.n);
  checkShape("D", call.d, call.m, call.n);
  bool hasC = call.c.value >= 0;
  if (hasC) checkShape("C", call.c, call.m, call.n);

  LtGemm g;
  // D row-major (or a vector, which is both): compute D^T = B^T A^T.
  bool dRow = (call.d.colStride == 1 || call.n == 1) && (call.m == 1 || call.d.rowStride >= call.n);
  g.swapped = dRow;
  g.k = call.k;
  if (g.swapped) {
    g.m = call.n;
    g.n = call.m;
    g.a = columnMajor("B", transposed(call.b));
    g.b = columnMajor("A", transposed(call.a));
    g.d = columnMajor("D", transposed(call.d));
    if (hasC) g.c = columnMajor("C", transposed(call.c));
  } else {
    g.m = call.m;
    g.n = call.n;
    g.a = columnMajor("A", call.a);
    g.b = columnMajor("B", call.b);
    g.d = columnMajor("D", call.d);
    if (hasC) g.c = columnMajor("C", call.c);
  }
  if (g.d.transpose) throw GemmLayoutError(viewText("D", call.d) + " is not a cuBLASLt output layout");
  if (hasC && g.c.transpose)
    throw GemmLayoutError(viewText("C", call.c) + " must have D's layout (row- or column-major)");
  if (!hasC) g.c.value = -1;

  bool hasBias = call.epilogue == GemmEpilogue::Bias || call.epilogue == GemmEpilogue::BiasRelu ||
                 call.epilogue == GemmEpilogue::BiasGelu;
  if (hasBias) {
    if (call.bias < 0) throw GemmLayoutError("a bias epilogue without a bias value");
    if (!g.swapped)
      throw GemmLayoutError("a bias epilogue needs a row-major D (cuBLASLt adds the bias along "
                            "its rows, which are D's columns only when swapped)");
    g.bias = call.bias;
  }

  // Batch: drop dimensions of count 1, collapse neighbours whose strides
  // nest, make the innermost group the strided batch and loop over the rest.
  std::vector<BatchDim> dims;
  for (const BatchDim& b : call.batch) {
    if (b.count <= 0) throw GemmLayoutError("a batch dimension of count " + std::to_string(b.count));
    if (b.count == 1) continue;
    if (b.strideD == 0)
      throw GemmLayoutError("batch dimension of count " + std::to_string(b.count) +
                            " writes every product to the same D (stride 0)");
    dims.push_back(b);
  }
  std::vector<BatchDim> groups;  // innermost first
  for (size_t i = dims.size(); i-- > 0;) {
    const BatchDim& o = dims[i];
    if (!groups.empty()) {
      BatchDim& in = groups.back();
      bool nests = o.strideA == in.strideA * in.count && o.strideB == in.strideB * in.count &&
                   o.strideD == in.strideD * in.count && (!hasC || o.strideC == in.strideC * in.count);
      if (nests) {
        in.count *= o.count;
        continue;
      }
    }
    groups.push_back(o);
  }
  auto ours = [&](const BatchDim& b, int64_t& sa, int64_t& sb, int64_t& sc, int64_t& sd) {
    sa = g.swapped ? b.strideB : b.strideA;
    sb = g.swapped ? b.strideA : b.strideB;
    sc = hasC ? b.strideC : 0;
    sd = b.strideD;
  };
  if (!groups.empty()) {
    const BatchDim& inner = groups.front();
    if (inner.count > std::numeric_limits<int32_t>::max())
      throw GemmLayoutError("a strided batch of " + std::to_string(inner.count) + " products");
    g.batchCount = inner.count;
    ours(inner, g.a.batchStride, g.b.batchStride, g.c.batchStride, g.d.batchStride);
    for (size_t i = groups.size(); i-- > 1;) {
      LtLoopDim l;
      l.count = groups[i].count;
      ours(groups[i], l.strideA, l.strideB, l.strideC, l.strideD);
      g.loop.push_back(l);
    }
  }

  auto align = [&](const LtMatrix& mtx, DType t, int64_t LtLoopDim::*stride) {
    int64_t es = dtypeSize(t);
    int a = alignOf(mtx.offset * es);
    if (g.batchCount > 1) a = std::min(a, alignOf(mtx.batchStride * es));
    for (const LtLoopDim& l : g.loop) a = std::min(a, alignOf(l.*stride * es));
    return a;
  };
  g.alignA = align(g.a, g.swapped ? call.bType : call.aType, &LtLoopDim::strideA);
  g.alignB = align(g.b, g.swapped ? call.aType : call.bType, &LtLoopDim::strideB);
  g.alignD = align(g.d, call.cdType, &LtLoopDim::strideD);
  g.alignC = hasC ? align(g.c, call.cdType, &LtLoopDim::strideC) : g.alignD;
  return g;
}

std::string describe(const LtGemm& g) {
  std::ostringstream os;
  auto mat = [&](const char* name, const LtMatrix& m) {
    os << " " << name << "(" << (m.transpose ? "T" : "N") << " " << m.rows << "x" << m.cols
       << " ld " << m.ld;
    if (m.offset) os << " +" << m.offset;
    if (g.batchCount > 1) os << " bs " << m.batchStride;
    os << ")";
  };
  os << "m=" << g.m << " n=" << g.n << " k=" << g.k << (g.swapped ? " swapped" : "");
  mat("A", g.a);
  mat("B", g.b);
  if (g.c.value >= 0) mat("C", g.c);
  mat("D", g.d);
  if (g.batchCount > 1) os << " batch " << g.batchCount;
  for (const LtLoopDim& l : g.loop)
    os << " loop " << l.count << "[" << l.strideA << "," << l.strideB << "," << l.strideC << ","
       << l.strideD << "]";
  return os.str();
}

}  // namespace dlc::rt::cuda
