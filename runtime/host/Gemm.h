// The matrix multiply behind dotGeneral and convolution (private to host/).
#pragma once

#include <cstdint>
#include <type_traits>
#include <vector>

#include "runtime/host/KernelUtil.h"

namespace dlc::rt::detail {

// C[b] = A[b] * B[b] for b in [0, batch): A is [batch, M, K], B [batch, K, N],
// C [batch, M, N], all dense row-major; C is overwritten. Cache-blocked and
// split over (batch, row block, column block) tasks across threads.
// Accumulates in T: instantiated for float (the f32 fast path), double (every
// other float dtype) and uint64_t (integers, wrapping; i1 as 0/1 counts).
// Within one element the k order is sequential, but the sum is kept per
// K-block of 256 and added to C between blocks.
template <typename T>
void gemm(int64_t batch, int64_t M, int64_t N, int64_t K, const T* A, const T* B, T* C);

// --- operands and results: dtype <-> GEMM element type ----------------------

// f32 runs in f32 (the fast path); other floats in double; integers and i1 in
// uint64_t, whose wrapping products and sums narrow to the right result.
template <typename Tr>
using GemmType = std::conditional_t<Tr::kDType == DType::F32, float,
                                    std::conditional_t<Tr::kFloat, double, uint64_t>>;

// x converted to GemmType and permuted (operand dim perm[i] becomes dim i),
// dense row-major. An f32 tensor with the identity permutation is borrowed.
template <typename Tr>
class GemmOperand {
 public:
  using G = GemmType<Tr>;
  GemmOperand(ConstTensorRef x, const std::vector<int64_t>& perm) {
    bool identity = true;
    for (size_t i = 0; i < perm.size(); ++i) identity &= perm[i] == static_cast<int64_t>(i);
    if constexpr (std::is_same_v<G, typename Tr::Storage>) {
      if (identity) {
        borrowed_ = x.as<G>();
        return;
      }
    }
    Shape shape(perm.size());
    std::vector<int64_t> xs = rowMajorStrides(x.type.shape), src(perm.size());
    for (size_t i = 0; i < perm.size(); ++i) {
      shape[i] = x.type.shape[static_cast<size_t>(perm[i])];
      src[i] = xs[static_cast<size_t>(perm[i])];
    }
    owned_.resize(static_cast<size_t>(numElements(shape)));
    const auto* in = x.as<typename Tr::Storage>();
    StridedWalk(shape, src, rowMajorStrides(shape)).run(0, 0, [&](int64_t i, int64_t o) {
      owned_[static_cast<size_t>(o)] = static_cast<G>(Tr::load(in[i]));
    });
  }
  const G* data() const { return borrowed_ ? borrowed_ : owned_.data(); }

 private:
  const G* borrowed_ = nullptr;
  std::vector<G> owned_;
};

// Where a GEMM on Tr operands writes its result of type Out (Tr, or f32
// for f16/bf16 operands: mixed precision): out itself when the GEMM runs in
// Out's storage type (f32), else a GemmType buffer that finish() rounds
// (floats) or wraps (integers) into out.
template <typename Tr, typename Out = Tr>
class GemmResult {
 public:
  using G = GemmType<Tr>;
  using S = typename Out::Storage;
  explicit GemmResult(TensorRef out) : out_(out) {
    if constexpr (!std::is_same_v<G, S>) owned_.resize(static_cast<size_t>(out.type.numElements()));
  }
  G* data() {
    if constexpr (std::is_same_v<G, S>) return out_.as<G>();
    else return owned_.data();
  }
  void finish() {
    auto* o = out_.as<S>();
    for (size_t i = 0; i < owned_.size(); ++i) {
      if constexpr (Out::kFloat) o[i] = storeAs<Out::kDType>(owned_[i]);
      else o[i] = storeAs<Out::kDType>(static_cast<int64_t>(owned_[i]));
    }
  }

 private:
  TensorRef out_;
  std::vector<G> owned_;
};

}  // namespace dlc::rt::detail
