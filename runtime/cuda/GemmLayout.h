// GemmCall -> the column-major problem cuBLASLt computes: its operands'
// layouts and transposes, the strided batch, and the loop over the batch
// dimensions that do not collapse into one stride. Pure (no CUDA), so that
// the mapping is unit-tested on machines without a GPU.
//
// cuBLASLt is column-major. A row-major view with row stride ld is the
// column-major view of its transpose with the same ld, so a row-major
// D = A x B is computed as D^T = B^T x A^T ("swapped": cuBLASLt's A is our
// B). A column-major D is computed as it is.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "runtime/cuda/CudaPlan.h"

namespace dlc::rt::cuda {

// A GemmCall that no cuBLASLt layout expresses (the compiler's fault: codegen
// must not emit it). The message names what is wrong.
struct GemmLayoutError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

// One cuBLASLt matrix: the stored matrix (rows x cols, column-major, leading
// dimension ld, in elements), whether the product reads it transposed, and
// where it starts: `value`'s buffer + `offset` elements.
struct LtMatrix {
  int32_t value = -1;
  int64_t offset = 0;
  bool transpose = false;
  int64_t rows = 0, cols = 0, ld = 0;
  int64_t batchStride = 0;  // elements between the strided batch's matrices
};

// One dimension of the batch loop (outermost first): `count` iterations, each
// advancing the operands by these strides (elements).
struct LtLoopDim {
  int64_t count = 1;
  int64_t strideA = 0, strideB = 0, strideC = 0, strideD = 0;
};

struct LtGemm {
  bool swapped = false;  // cuBLASLt's A/B are our B/A (a row-major D)
  int64_t m = 0, n = 0, k = 0;  // cuBLASLt's: op(A) is m x k, op(B) k x n, D m x n
  LtMatrix a, b, c, d;   // c.value == -1: no C term (beta is 0)
  int64_t batchCount = 1;          // the strided batch of one cuBLASLt call
  std::vector<LtLoopDim> loop;     // calls = product of the counts
  // Bias epilogue: a vector along cuBLASLt's rows of D (our columns).
  int32_t bias = -1;
  // The largest power of two (<= 256) dividing every operand's start and
  // batch/loop stride in bytes, for cuBLASLt's alignment preferences.
  int alignA = 256, alignB = 256, alignC = 256, alignD = 256;

  int64_t calls() const;
  // The element offsets of the operands for call `i` of the loop, added to
  // each LtMatrix::offset: {A, B, C, D} in cuBLASLt's naming.
  struct Offsets {
    int64_t a = 0, b = 0, c = 0, d = 0;
  };
  Offsets loopOffsets(int64_t i) const;
};

// Throws GemmLayoutError for a view that is neither row- nor column-major, a
// C that does not match D's layout, a bias on a column-major D, a D stride of
// 0 over a batch dimension, sizes that do not match, or non-positive sizes.
LtGemm mapGemm(const GemmCall& call);

// "m=4 n=8 k=16 swapped A(N 8x16 ld 16) ..." for error messages and tests.
std::string describe(const LtGemm& g);

}  // namespace dlc::rt::cuda
