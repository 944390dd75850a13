#include "runtime/host/Gemm.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "runtime/host/KernelUtil.h"

namespace dlc::rt::detail {

namespace {

// Register tile MR x NR, cache blocks MC x KC of A and KC x NC of B (the
// classic Goto/BLIS loop nest, without hand-written SIMD: the micro-kernel
// is plain loops of constant trip count that the compiler vectorises).
constexpr int64_t MR = 4, NR = 8;
constexpr int64_t MC = 64, KC = 256, NC = 256;

template <typename T>
void microKernel(int64_t kLen, const T* a, const T* b, T* c, int64_t ldc, int64_t rows, int64_t cols) {
  T acc[MR][NR] = {};
  for (int64_t k = 0; k < kLen; ++k)
    for (int64_t i = 0; i < MR; ++i) {
      const T av = a[k * MR + i];
      for (int64_t j = 0; j < NR; ++j) acc[i][j] += av * b[k * NR + j];
    }
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) c[i * ldc + j] += acc[i][j];
}

// Packs A[m0:m0+mLen, k0:k0+kLen] into MR-row panels, k-major inside a panel,
// zero-padding the last panel so the micro-kernel never branches.
template <typename T>
void packA(const T* A, int64_t K, int64_t m0, int64_t mLen, int64_t k0, int64_t kLen, T* dst) {
  for (int64_t ip = 0; ip < mLen; ip += MR)
    for (int64_t k = 0; k < kLen; ++k)
      for (int64_t i = 0; i < MR; ++i)
        *dst++ = ip + i < mLen ? A[(m0 + ip + i) * K + k0 + k] : T(0);
}

// Packs B[k0:k0+kLen, n0:n0+nLen] into NR-column panels, k-major.
template <typename T>
void packB(const T* B, int64_t N, int64_t k0, int64_t kLen, int64_t n0, int64_t nLen, T* dst) {
  for (int64_t jp = 0; jp < nLen; jp += NR)
    for (int64_t k = 0; k < kLen; ++k)
      for (int64_t j = 0; j < NR; ++j)
        *dst++ = jp + j < nLen ? B[(k0 + k) * N + n0 + jp + j] : T(0);
}

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

}  // namespace

template <typename T>
void gemm(int64_t batch, int64_t M, int64_t N, int64_t K, const T* A, const T* B, T* C) {
  const int64_t mBlocks = ceilDiv(M, MC), nBlocks = ceilDiv(N, NC);
  const int64_t tasks = batch * mBlocks * nBlocks;
  const int64_t taskCost = std::min(M, MC) * std::min(N, NC) * std::max<int64_t>(K, 1);
  parallelFor(tasks, taskCost, [&](int64_t begin, int64_t end) {
    std::vector<T> aPack(static_cast<size_t>(MC * KC)), bPack(static_cast<size_t>(KC * NC));
    for (int64_t t = begin; t < end; ++t) {
      const int64_t b = t / (mBlocks * nBlocks);
      const int64_t m0 = (t / nBlocks) % mBlocks * MC, n0 = t % nBlocks * NC;
      const int64_t mLen = std::min(MC, M - m0), nLen = std::min(NC, N - n0);
      const T* a = A + b * M * K;
      const T* bm = B + b * K * N;
      T* c = C + b * M * N;
      for (int64_t i = 0; i < mLen; ++i) std::fill_n(c + (m0 + i) * N + n0, nLen, T(0));
      for (int64_t k0 = 0; k0 < K; k0 += KC) {
        const int64_t kLen = std::min(KC, K - k0);
        packA(a, K, m0, mLen, k0, kLen, aPack.data());
        packB(bm, N, k0, kLen, n0, nLen, bPack.data());
        for (int64_t ip = 0; ip < mLen; ip += MR)
          for (int64_t jp = 0; jp < nLen; jp += NR)
            microKernel(kLen, aPack.data() + ip * kLen, bPack.data() + jp * kLen,
                        c + (m0 + ip) * N + n0 + jp, N, std::min(MR, mLen - ip),
                        std::min(NR, nLen - jp));
      }
    }
  });
}

template void gemm<float>(int64_t, int64_t, int64_t, int64_t, const float*, const float*, float*);
template void gemm<double>(int64_t, int64_t, int64_t, int64_t, const double*, const double*, double*);
template void gemm<uint64_t>(int64_t, int64_t, int64_t, int64_t, const uint64_t*, const uint64_t*,
                             uint64_t*);

}  // namespace dlc::rt::detail
