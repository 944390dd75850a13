// The executable form of a compiled model for the host device: a list of
// instructions over numbered values, in the order the compiler scheduled
// them. MLIR-free, so the runtime can load and run it without LLVM.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/Tensor.h"
#include "runtime/host/Kernels.h"

namespace dlc::rt {

// One instruction per core op; the fields an op does not use stay empty.
enum class OpCode : uint8_t {
  Unary, Binary, Compare, Select, Convert, Iota,
  BroadcastInDim, Reshape, Transpose, Slice, Concatenate, Pad, Gather, Scatter, Reverse,
  Reduce, DotGeneral, Convolution, ReduceWindow,
  BitcastConvert, Argsort,
};

struct Instr {
  OpCode op;
  std::vector<int32_t> operands;  // value ids
  int32_t result = -1;            // value id
  uint8_t kind = 0;               // UnaryKind / BinaryKind / CompareKind / ReduceKind /
                                  // ScatterKind; argsort: 1 = descending
  int64_t axis = 0;               // iota dim, concatenate dim, gather/scatter axis, argsort dim
  std::vector<int64_t> dims;      // broadcast dims, permutation, reduce/reverse dims
  std::vector<int64_t> start, limit, strides;  // slice
  std::vector<int64_t> low, high, interior;    // pad
  DotDims dot;
  ConvParams conv;
  WindowParams window;
  std::string location;           // the source op, for run-time errors
};

// Where a value's storage comes from.
enum class ValueKind : uint8_t { Input, Constant, Intermediate };

struct ValueInfo {
  TensorType type;
  ValueKind kind = ValueKind::Intermediate;
  int32_t inputIndex = -1;    // Input: position in the signature
  HostTensor constant;        // Constant: the data
  std::string name;           // the model's name for inputs/outputs, if any
  // Input: the value the executable was specialised to at compile time
  // (a shape, axes, k ... that an op needed as a constant).
  bool isSpecialized = false;
  HostTensor specialized;
};

struct Program {
  std::vector<ValueInfo> values;
  std::vector<Instr> instrs;
  std::vector<int32_t> inputs;   // value ids, signature order
  std::vector<int32_t> outputs;  // value ids, signature order (may repeat)
};

}  // namespace dlc::rt
