// How dlc element types look in the generated CUDA C++: the storage type of a
// buffer, the register type computed in, literals, reduction identities and
// the convert/bitcast expressions, all matching runtime/host/Kernels.h.
#pragma once

#include <string>

#include "runtime/DType.h"
#include "runtime/Tensor.h"
#include "runtime/host/Kernels.h"

namespace dlc::codegen::cuda {

// The type of a buffer element: float, dlc_f16, dlc_i1, int, ...
std::string storageType(rt::DType t);
// The type a value is computed in: float for f16/bf16, bool for i1.
std::string registerType(rt::DType t);
// The type sums, products and dots accumulate in: float for f16/bf16/f32,
// double for f64, the register type otherwise (integers wrap).
std::string accumType(rt::DType t);
// `expr` (a register value of a float op on t) rounded to t: f16/bf16 only.
std::string roundTo(rt::DType t, const std::string& expr);
// Element i of a host tensor as a literal of t's register type.
std::string literal(const rt::HostTensor& t, int64_t i);
// A literal of the register type from an int64 value (iota, identities).
std::string intLiteral(rt::DType t, int64_t v);
// The reduction identity (ReduceKind as in Kernels.h) in accumType(t).
std::string reduceIdentity(rt::DType t, rt::ReduceKind kind);
// acc combined with v by kind (NaN-propagating max/min, wrapping ints, i1 any/all).
std::string reduceCombine(rt::DType t, rt::ReduceKind kind, const std::string& acc,
                          const std::string& v);
// Register value `expr` of `from` converted to `to` (Kernels.h convert).
std::string convertExpr(rt::DType from, rt::DType to, const std::string& expr);
// Register value `expr` of `from` reinterpreted as `to` (same storage size).
std::string bitcastExpr(rt::DType from, rt::DType to, const std::string& expr);

}  // namespace dlc::codegen::cuda
