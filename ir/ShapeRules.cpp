#include "ir/ShapeRules.h"

#include <algorithm>
#include <sstream>

namespace dlc {

std::string dimsString(const Dims& d) {
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < d.size(); ++i) os << (i ? ", " : "") << d[i];
  os << "]";
  return os.str();
}

namespace {

std::string str(const char* what, const Dims& d) { return std::string(what) + " " + dimsString(d); }

// Checks that every entry of `list` is a valid dimension index of rank `rank`
// and that none repeats.
bool validDimList(const Dims& list, int64_t rank, std::string& err, const char* what) {
  std::vector<bool> seen(rank, false);
  for (int64_t d : list) {
    if (d < 0 || d >= rank) {
      err = std::string(what) + " " + dimsString(list) + " has dimension " + std::to_string(d) +
            " out of range for rank " + std::to_string(rank);
      return false;
    }
    if (seen[d]) {
      err = std::string(what) + " " + dimsString(list) + " repeats dimension " + std::to_string(d);
      return false;
    }
    seen[d] = true;
  }
  return true;
}

bool sizeIs(const Dims& list, size_t n, std::string& err, const char* what) {
  if (list.size() == n) return true;
  err = std::string(what) + " has " + std::to_string(list.size()) + " entries, expected " +
        std::to_string(n);
  return false;
}

// (size + low + high - dilation*(k-1) - 1) / stride + 1, or an error when the
// window does not fit.
bool windowedSize(int64_t size, int64_t k, int64_t stride, int64_t low, int64_t high,
                  int64_t dilation, int64_t dim, int64_t& out, std::string& err) {
  if (k < 1 || stride < 1 || dilation < 1 || low < 0 || high < 0) {
    err = "dimension " + std::to_string(dim) + ": window " + std::to_string(k) + ", stride " +
          std::to_string(stride) + ", dilation " + std::to_string(dilation) + ", padding " +
          std::to_string(low) + "/" + std::to_string(high) +
          " (window, stride and dilation must be >= 1, padding >= 0)";
    return false;
  }
  // Checked: hostile attributes (a dilation or padding of 2^62) must not
  // wrap around into a plausible size.
  int64_t padded, span;
  if (__builtin_add_overflow(size, low, &padded) || __builtin_add_overflow(padded, high, &padded) ||
      __builtin_mul_overflow(dilation, k - 1, &span) || __builtin_add_overflow(span, 1, &span)) {
    err = "dimension " + std::to_string(dim) + ": padding " + std::to_string(low) + "/" +
          std::to_string(high) + ", window " + std::to_string(k) + " and dilation " +
          std::to_string(dilation) + " overflow int64";
    return false;
  }
  if (span > padded) {
    err = "dimension " + std::to_string(dim) + ": window of extent " + std::to_string(span) +
          " is larger than the padded input " + std::to_string(padded);
    return false;
  }
  out = (padded - span) / stride + 1;
  return true;
}

}  // namespace

ShapeOr checkBroadcastInDim(const Dims& operand, const Dims& dims, const Dims& result) {
  std::string err;
  if (!sizeIs(dims, operand.size(), err, "broadcast dims") ||
      !validDimList(dims, static_cast<int64_t>(result.size()), err, "broadcast dims"))
    return ShapeOr::error(err);
  for (size_t i = 0; i < dims.size(); ++i) {
    int64_t r = result[dims[i]];
    if (operand[i] != 1 && operand[i] != r)
      return ShapeOr::error("operand dimension " + std::to_string(i) + " of size " +
                            std::to_string(operand[i]) + " cannot broadcast to result dimension " +
                            std::to_string(dims[i]) + " of size " + std::to_string(r));
  }
  return result;
}

ShapeOr inferTranspose(const Dims& operand, const Dims& perm) {
  std::string err;
  if (!sizeIs(perm, operand.size(), err, "permutation") ||
      !validDimList(perm, static_cast<int64_t>(operand.size()), err, "permutation"))
    return ShapeOr::error(err);
  Dims out;
  for (int64_t p : perm) out.push_back(operand[p]);
  return out;
}

ShapeOr inferSlice(const Dims& operand, const Dims& start, const Dims& limit,
                   const Dims& strides) {
  std::string err;
  size_t r = operand.size();
  if (!sizeIs(start, r, err, "start") || !sizeIs(limit, r, err, "limit") ||
      !sizeIs(strides, r, err, "strides"))
    return ShapeOr::error(err);
  Dims out;
  for (size_t i = 0; i < r; ++i) {
    if (strides[i] < 1 || start[i] < 0 || limit[i] < start[i] || limit[i] > operand[i])
      return ShapeOr::error("dimension " + std::to_string(i) + " of size " +
                            std::to_string(operand[i]) + ": slice [" + std::to_string(start[i]) +
                            ", " + std::to_string(limit[i]) + ") stride " +
                            std::to_string(strides[i]) +
                            " (need 0 <= start <= limit <= size, stride >= 1)");
    out.push_back((limit[i] - start[i] + strides[i] - 1) / strides[i]);
  }
  return out;
}

ShapeOr inferConcatenate(const std::vector<Dims>& inputs, int64_t dim) {
  if (inputs.empty()) return ShapeOr::error("needs at least one input");
  Dims out = inputs[0];
  int64_t rank = static_cast<int64_t>(out.size());
  if (dim < 0 || dim >= rank)
    return ShapeOr::error("dimension " + std::to_string(dim) + " out of range for rank " +
                          std::to_string(rank));
  for (size_t k = 1; k < inputs.size(); ++k) {
    const Dims& in = inputs[k];
    if (static_cast<int64_t>(in.size()) != rank)
      return ShapeOr::error("input " + std::to_string(k) + " has rank " +
                            std::to_string(in.size()) + ", input 0 has rank " +
                            std::to_string(rank));
    for (int64_t i = 0; i < rank; ++i)
      if (i != dim && in[i] != out[i])
        return ShapeOr::error(str("input 0 has shape", inputs[0]) + " but input " +
                              std::to_string(k) + str(" has shape", in) +
                              ": they differ in dimension " + std::to_string(i));
    if (__builtin_add_overflow(out[dim], in[dim], &out[dim]))
      return ShapeOr::error("the concatenated dimension " + std::to_string(dim) + " overflows int64");
  }
  return out;
}

ShapeOr inferPad(const Dims& operand, const Dims& low, const Dims& high, const Dims& interior) {
  std::string err;
  size_t r = operand.size();
  if (!sizeIs(low, r, err, "low padding") || !sizeIs(high, r, err, "high padding") ||
      !sizeIs(interior, r, err, "interior padding"))
    return ShapeOr::error(err);
  Dims out;
  for (size_t i = 0; i < r; ++i) {
    if (interior[i] < 0)
      return ShapeOr::error("interior padding of dimension " + std::to_string(i) +
                            " is negative");
    int64_t inner = 0, size = 0;
    bool overflow = operand[i] != 0 && (__builtin_mul_overflow(operand[i] - 1, interior[i], &inner) ||
                                        __builtin_add_overflow(inner, operand[i], &inner));
    overflow = overflow || __builtin_add_overflow(inner, low[i], &size) ||
               __builtin_add_overflow(size, high[i], &size);
    if (overflow)
      return ShapeOr::error("dimension " + std::to_string(i) + " of size " +
                            std::to_string(operand[i]) + " padded by " + std::to_string(low[i]) +
                            "/" + std::to_string(high[i]) + " (interior " +
                            std::to_string(interior[i]) + ") overflows int64");
    if (size < 0)
      return ShapeOr::error("dimension " + std::to_string(i) + " of size " +
                            std::to_string(operand[i]) + " padded by " + std::to_string(low[i]) +
                            "/" + std::to_string(high[i]) + " has negative size");
    out.push_back(size);
  }
  return out;
}

ShapeOr inferGather(const Dims& operand, const Dims& indices, int64_t axis) {
  int64_t rank = static_cast<int64_t>(operand.size());
  if (axis < 0 || axis >= rank)
    return ShapeOr::error("axis " + std::to_string(axis) + " out of range for rank " +
                          std::to_string(rank));
  Dims out(operand.begin(), operand.begin() + axis);
  out.insert(out.end(), indices.begin(), indices.end());
  out.insert(out.end(), operand.begin() + axis + 1, operand.end());
  return out;
}

ShapeOr inferReduce(const Dims& operand, const Dims& dims) {
  std::string err;
  if (!validDimList(dims, static_cast<int64_t>(operand.size()), err, "reduce dims"))
    return ShapeOr::error(err);
  if (!std::is_sorted(dims.begin(), dims.end()))
    return ShapeOr::error("reduce dims " + dimsString(dims) + " must be sorted");
  Dims out;
  for (int64_t i = 0; i < static_cast<int64_t>(operand.size()); ++i)
    if (!std::binary_search(dims.begin(), dims.end(), i)) out.push_back(operand[i]);
  return out;
}

ShapeOr inferDotGeneral(const Dims& lhs, const Dims& rhs, const Dims& lhsBatch,
                        const Dims& rhsBatch, const Dims& lhsContract,
                        const Dims& rhsContract) {
  std::string err;
  int64_t lr = static_cast<int64_t>(lhs.size()), rr = static_cast<int64_t>(rhs.size());
  if (lhsBatch.size() != rhsBatch.size())
    return ShapeOr::error("lhs has " + std::to_string(lhsBatch.size()) +
                          " batch dimensions, rhs has " + std::to_string(rhsBatch.size()));
  if (lhsContract.size() != rhsContract.size())
    return ShapeOr::error("lhs has " + std::to_string(lhsContract.size()) +
                          " contracting dimensions, rhs has " +
                          std::to_string(rhsContract.size()));
  Dims lAll = lhsBatch, rAll = rhsBatch;
  lAll.insert(lAll.end(), lhsContract.begin(), lhsContract.end());
  rAll.insert(rAll.end(), rhsContract.begin(), rhsContract.end());
  if (!validDimList(lAll, lr, err, "lhs batch+contracting dims") ||
      !validDimList(rAll, rr, err, "rhs batch+contracting dims"))
    return ShapeOr::error(err);
  for (size_t i = 0; i < lAll.size(); ++i)
    if (lhs[lAll[i]] != rhs[rAll[i]])
      return ShapeOr::error("lhs dimension " + std::to_string(lAll[i]) + " (size " +
                            std::to_string(lhs[lAll[i]]) + ") does not match rhs dimension " +
                            std::to_string(rAll[i]) + " (size " +
                            std::to_string(rhs[rAll[i]]) + ")");
  Dims out;
  for (int64_t d : lhsBatch) out.push_back(lhs[d]);
  auto isIn = [](const Dims& v, int64_t d) { return std::find(v.begin(), v.end(), d) != v.end(); };
  for (int64_t i = 0; i < lr; ++i)
    if (!isIn(lAll, i)) out.push_back(lhs[i]);
  for (int64_t i = 0; i < rr; ++i)
    if (!isIn(rAll, i)) out.push_back(rhs[i]);
  return out;
}

ShapeOr inferConvolution(const Dims& input, const Dims& filter, const Dims& strides,
                         const Dims& padLow, const Dims& padHigh, const Dims& dilations,
                         int64_t groups) {
  std::string err;
  if (input.size() < 3)
    return ShapeOr::error("input has rank " + std::to_string(input.size()) +
                          ", expected N x C x at least one spatial dimension");
  if (filter.size() != input.size())
    return ShapeOr::error("filter has rank " + std::to_string(filter.size()) +
                          ", input has rank " + std::to_string(input.size()));
  size_t k = input.size() - 2;
  if (!sizeIs(strides, k, err, "strides") || !sizeIs(padLow, k, err, "low padding") ||
      !sizeIs(padHigh, k, err, "high padding") || !sizeIs(dilations, k, err, "dilations"))
    return ShapeOr::error(err);
  if (groups < 1 || input[1] % groups != 0 || filter[0] % groups != 0)
    return ShapeOr::error("groups " + std::to_string(groups) + " must divide input channels " +
                          std::to_string(input[1]) + " and output channels " +
                          std::to_string(filter[0]));
  if (filter[1] * groups != input[1])
    return ShapeOr::error("filter has " + std::to_string(filter[1]) +
                          " input channels per group, input has " + std::to_string(input[1]) +
                          " channels in " + std::to_string(groups) + " group(s)");
  Dims out = {input[0], filter[0]};
  for (size_t i = 0; i < k; ++i) {
    int64_t r;
    if (!windowedSize(input[i + 2], filter[i + 2], strides[i], padLow[i], padHigh[i],
                      dilations[i], static_cast<int64_t>(i + 2), r, err))
      return ShapeOr::error(err);
    out.push_back(r);
  }
  return out;
}

ShapeOr inferReduceWindow(const Dims& operand, const Dims& window, const Dims& strides,
                          const Dims& padLow, const Dims& padHigh, const Dims& dilations) {
  std::string err;
  size_t r = operand.size();
  if (!sizeIs(window, r, err, "window") || !sizeIs(strides, r, err, "strides") ||
      !sizeIs(padLow, r, err, "low padding") || !sizeIs(padHigh, r, err, "high padding") ||
      !sizeIs(dilations, r, err, "dilations"))
    return ShapeOr::error(err);
  Dims out;
  for (size_t i = 0; i < r; ++i) {
    int64_t o;
    if (!windowedSize(operand[i], window[i], strides[i], padLow[i], padHigh[i], dilations[i],
                      static_cast<int64_t>(i), o, err))
      return ShapeOr::error(err);
    out.push_back(o);
  }
  return out;
}

}  // namespace dlc
