// Shape rules of the dlc core ops, in plain C++.
//
// One function per op that has a non-trivial rule. The dialect's verifiers
// check a declared result type against these, and the frontends call them to
// build ops, so the rule exists exactly once. A rule returns the result shape
// or an error message that says what is wrong (the caller adds op and
// location).
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace dlc {

using Dims = std::vector<int64_t>;

// Either a shape or the reason there is none.
class ShapeOr {
 public:
  ShapeOr(Dims shape) : v_(std::move(shape)) {}
  static ShapeOr error(std::string msg) { ShapeOr r{Dims{}}; r.v_ = std::move(msg); return r; }
  bool ok() const { return std::holds_alternative<Dims>(v_); }
  const Dims& shape() const { return std::get<Dims>(v_); }
  const std::string& message() const { return std::get<std::string>(v_); }

 private:
  std::variant<Dims, std::string> v_;
};

// "[1, 2, 3]"
std::string dimsString(const Dims& d);

// Operand dims broadcast to result dims: dims[i] is the result dim of operand
// dim i; strictly increasing is not required but each must be distinct, and
// an operand dim is 1 or equal to the result dim.
ShapeOr checkBroadcastInDim(const Dims& operand, const Dims& dims, const Dims& result);
// perm is a permutation of [0, rank).
ShapeOr inferTranspose(const Dims& operand, const Dims& perm);
ShapeOr inferSlice(const Dims& operand, const Dims& start, const Dims& limit,
                   const Dims& strides);
ShapeOr inferConcatenate(const std::vector<Dims>& inputs, int64_t dim);
ShapeOr inferPad(const Dims& operand, const Dims& low, const Dims& high,
                 const Dims& interior);
ShapeOr inferGather(const Dims& operand, const Dims& indices, int64_t axis);
// dims sorted, unique, in range; they are removed.
ShapeOr inferReduce(const Dims& operand, const Dims& dims);
ShapeOr inferDotGeneral(const Dims& lhs, const Dims& rhs, const Dims& lhsBatch,
                        const Dims& rhsBatch, const Dims& lhsContract,
                        const Dims& rhsContract);
// input N x C x spatial, filter O x C/groups x kernel.
ShapeOr inferConvolution(const Dims& input, const Dims& filter, const Dims& strides,
                         const Dims& padLow, const Dims& padHigh,
                         const Dims& dilations, int64_t groups);
ShapeOr inferReduceWindow(const Dims& operand, const Dims& window, const Dims& strides,
                          const Dims& padLow, const Dims& padHigh,
                          const Dims& dilations);

}  // namespace dlc
