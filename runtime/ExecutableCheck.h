// What the loader checks beyond verifyProgram, so that a file that parses
// cannot make a device read or write outside a buffer: each instruction's
// operand and result types against its op's shape rule (ir/ShapeRules.h,
// plain C++) and its parameters' ranges; a CudaPlan's steps, kernels and
// library calls against the Program. Each returns "" or the first problem.
#pragma once

#include <string>

#include "runtime/Program.h"
#include "runtime/cuda/CudaPlan.h"

namespace dlc::rt {

std::string checkProgramOps(const Program& p);
std::string checkCudaPlan(const Program& p, const CudaPlan& plan);

}  // namespace dlc::rt
