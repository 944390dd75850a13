// dotGeneral: permute both operands to [batch, M, K] x [batch, K, N] and run
// one batched GEMM, whose [batch, M, N] result is exactly the op's layout
// (batch dims, then lhs free dims, then rhs free dims).
#include "runtime/host/Gemm.h"

namespace dlc::rt {

using namespace detail;

namespace {

// The operand's dimensions that are neither batch nor contracting, in order.
std::vector<int64_t> freeDims(int64_t rank, const std::vector<int64_t>& batch,
                              const std::vector<int64_t>& contract) {
  std::vector<int64_t> free;
  for (int64_t d = 0; d < rank; ++d)
    if (std::find(batch.begin(), batch.end(), d) == batch.end() &&
        std::find(contract.begin(), contract.end(), d) == contract.end())
      free.push_back(d);
  return free;
}

int64_t product(const Shape& shape, const std::vector<int64_t>& dims) {
  int64_t p = 1;
  for (int64_t d : dims) p *= shape[static_cast<size_t>(d)];
  return p;
}

std::vector<int64_t> concat(std::vector<int64_t> a, const std::vector<int64_t>& b,
                            const std::vector<int64_t>& c) {
  a.insert(a.end(), b.begin(), b.end());
  a.insert(a.end(), c.begin(), c.end());
  return a;
}

}  // namespace

void dotGeneral(ConstTensorRef lhs, ConstTensorRef rhs, const DotDims& dims, TensorRef out) {
  std::vector<int64_t> lhsFree = freeDims(lhs.type.rank(), dims.lhsBatch, dims.lhsContract);
  std::vector<int64_t> rhsFree = freeDims(rhs.type.rank(), dims.rhsBatch, dims.rhsContract);
  const int64_t batch = product(lhs.type.shape, dims.lhsBatch);
  const int64_t M = product(lhs.type.shape, lhsFree);
  const int64_t K = product(lhs.type.shape, dims.lhsContract);
  const int64_t N = product(rhs.type.shape, rhsFree);
  visitDType(lhs.type.dtype, [&](auto tr) {
    using Tr = decltype(tr);
    GemmOperand<Tr> a(lhs, concat(dims.lhsBatch, lhsFree, dims.lhsContract));
    GemmOperand<Tr> b(rhs, concat(dims.rhsBatch, dims.rhsContract, rhsFree));
    auto run = [&](auto c) {
      gemm(batch, M, N, K, a.data(), b.data(), c.data());
      c.finish();
    };
    // Mixed precision: f16/bf16 operands, an f32 result (accumulated in
    // double as for any 16-bit dot, rounded once to f32).
    if (out.type.dtype == DType::F32 && lhs.type.dtype != DType::F32) {
      if constexpr (Tr::kDType == DType::F16 || Tr::kDType == DType::BF16)
        run(GemmResult<Tr, DTypeTraits<DType::F32>>(out));
      else
        throw std::invalid_argument("dot_general: an f32 result needs f32, f16 or bf16 operands");
    } else {
      run(GemmResult<Tr>(out));
    }
  });
}

}  // namespace dlc::rt
