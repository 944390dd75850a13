// Liveness over the kernel order of a function, and the in-place rule: the
// facts that the memory planner decides from and that its validator
// recomputes to prove a plan (both must agree on them, so they live here).
//
// The kernel order is the order of the top-level ops of the function body:
// every op other than a constant and the terminator is one kernel step (a
// dlc.fusion after the fusion pass, a single core op on unfused IR). Every
// kernel result has a buffer; it lives from the step that defines it to the
// last step that reads it. Results the function returns get buffers of their
// own from the runtime and stay out of the arena.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"

namespace dlc {

// Every arena offset and buffer size is a multiple of this (the runtime's
// rt::kArenaAlignment).
constexpr int64_t kBufferAlignment = 256;

inline int64_t alignBuffer(int64_t bytes) {
  return (bytes + kBufferAlignment - 1) / kBufferAlignment * kBufferAlignment;
}

// Whether `op`, a top-level op of a function body, is a kernel step.
bool isKernel(mlir::Operation* op);

// The storage size of one element of a tensor type (i1 takes a byte), or
// nullopt for a type that has no static storage size.
std::optional<int64_t> elementBytes(mlir::Type type);

struct Buffer {
  mlir::Value value;
  mlir::Operation* kernel = nullptr;  // the defining kernel
  unsigned result = 0;                // result number in `kernel`
  int64_t bytes = 0;                  // size rounded up to kBufferAlignment
  int firstStep = 0, lastStep = 0;    // live range, both ends included
  bool inArena = true;                // false: returned by the function

  bool liveWith(const Buffer& o) const {
    return firstStep <= o.lastStep && o.firstStep <= lastStep;
  }
};

class KernelSchedule {
 public:
  // Fails, with an error on the op, when a kernel result has no static
  // storage size.
  static std::optional<KernelSchedule> build(mlir::func::FuncOp f);

  const std::vector<mlir::Operation*>& kernels() const { return kernels_; }
  // One per kernel result, in kernel order then result order.
  const std::vector<Buffer>& buffers() const { return buffers_; }
  // The buffer of a kernel result; null for inputs and constants.
  const Buffer* bufferOf(mlir::Value v) const;
  int stepOf(mlir::Operation* kernel) const { return steps_.lookup(kernel); }
  // The index in buffers() of the first result of kernel `step`.
  size_t firstBufferOf(int step) const { return firstBuffer_[step]; }

  // Every arena buffer its own allocation: the sum of their sizes.
  int64_t naiveBytes() const;
  // The largest sum of arena buffer sizes live at one step (no in-place
  // sharing counted, so an in-place plan may stay below it).
  int64_t lowerBoundBytes() const;

 private:
  std::vector<mlir::Operation*> kernels_;
  std::vector<Buffer> buffers_;
  std::vector<size_t> firstBuffer_;
  llvm::DenseMap<mlir::Operation*, int> steps_;
  llvm::DenseMap<mlir::Value, size_t> bufferIndex_;
};

// Whether result `result` of kernel `step` may take over the buffer of the
// kernel's operand `operand` in place: nullopt when it may, else why not.
// The one part of the rule left to the caller is that a buffer is taken over
// by at most one result.
std::optional<std::string> inPlaceRefusal(const KernelSchedule& schedule, int step,
                                          unsigned result, unsigned operand);

// Signature aliases (MemoryPlan.h: dlc.alias_arg): whether result `result`
// of the function may be written straight into the buffer of argument
// `arg` (in place), over the kernel order: nullopt when it may, else why
// not (the device then computes it elsewhere and copies it over at the end
// of the run, which is always safe). In place needs
//   - the result to be the argument itself (nothing to write), or the result
//     of a kernel, returned once;
//   - the argument not returned as it is, and read by no kernel after that
//     kernel;
//   - that kernel, if it reads the argument, to be a loop or reduction kernel
//     that reads it only at the index where it writes the result (each
//     element is written by the thread that read it: docs/cuda.md).
std::optional<std::string> aliasRefusal(const KernelSchedule& schedule, mlir::func::FuncOp f,
                                        unsigned result, unsigned arg);

// The kernel steps that read argument `arg` (uses inside a kernel's region
// count at the kernel), in order.
std::vector<int> stepsReading(const KernelSchedule& schedule, mlir::func::FuncOp f, unsigned arg);

// "'dlc.add' (node 'Add_3')": an op and where it came from, for messages.
std::string describeOp(mlir::Operation* op);

}  // namespace dlc
