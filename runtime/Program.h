// The executable form of a compiled model for the host device: kernels in
// the order the compiler scheduled them, each a run of instructions over
// numbered values, and the memory plan (one arena, an offset per buffer).
// MLIR-free, so the runtime can load and run it without LLVM.
#pragma once

#include <cstdint>
#include <stdexcept>
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
//   Input, Constant: the caller's tensors, the program's data (never in the arena);
//   Intermediate: a kernel's result: in the arena at `offset`, or (offset -1)
//     in a buffer of its own (a model output, or a program with no plan);
//   Local: a value inside one kernel (a fusion's internal op); on a GPU it
//     lives in registers, the host device keeps it only while the kernel runs.
enum class ValueKind : uint8_t { Input, Constant, Intermediate, Local };

// A Constant's data is either the whole tensor (`constant` has the value's
// type) or, for a splat (every element the same: a fusion's 0.0 of a ReLU,
// a zero bias), just that one element: `splat` is set and `constant` is a
// rank-0 tensor of the value's dtype. A splat is never expanded by the
// compiler, the executable file or the CUDA device (generated kernels take
// it as a literal; a library call, or a kernel that loads it through a
// pointer such as a scatter's updates, gets a device buffer filled on the
// device); the host device expands it only while a kernel that reads it
// runs (runtime/host/HostDevice.cpp).
struct ValueInfo {
  TensorType type;
  ValueKind kind = ValueKind::Intermediate;
  int32_t inputIndex = -1;    // Input: position in the signature
  HostTensor constant;        // Constant: the data (a splat: its one element)
  bool splat = false;         // Constant: `constant` is the one element of a splat
  std::string name;           // the model's name for inputs/outputs, if any
  // Input: the value the executable was specialised to at compile time
  // (a shape, axes, k ... that an op needed as a constant).
  bool isSpecialized = false;
  HostTensor specialized;
  int64_t offset = -1;        // Intermediate: byte offset in the arena, -1 if not in it
};

// A splat constant of `type` whose every element is `element` (a rank-0
// tensor of type's dtype).
ValueInfo splatConstant(const TensorType& type, HostTensor element);
// A Constant's data at its full type: a copy of `constant`, or the splat
// expanded. For the few readers that need a buffer (the host device, tests).
HostTensor expandConstant(const ValueInfo& v);
// The bytes a value's constant data takes in the Program, the executable
// file and device memory (the element of a splat; 0 for a non-Constant).
int64_t storedConstantBytes(const ValueInfo& v);

// What a kernel is (dlc.fusion's kind; an unfused op is a kernel of the kind
// its op class implies).
enum class KernelKind : uint8_t { Loop, Reduction, Gemm, Conv, Sort, Scatter };
const char* kernelKindName(KernelKind k);

// One kernel: instrs[begin, end) computed from `inputs`, writing `outputs`
// (value ids). Values an instruction of the kernel defines that are not
// outputs are Local.
struct Kernel {
  KernelKind kind = KernelKind::Loop;
  int32_t begin = 0, end = 0;
  std::vector<int32_t> inputs, outputs;
  std::string location;  // the first source op, for run-time errors
};

// Alignment of every arena offset (and of the arena itself), in bytes.
constexpr int64_t kArenaAlignment = 256;

// Output `output` (a signature position) is written into input `input`'s
// buffer: a caller that passes one buffer as both gets the output there and
// the input consumed (a training step's parameters and optimizer state).
//   inPlace: the kernel that computes the output may write it straight into
//     the input's buffer: no kernel after it reads the input, and it reads
//     the input only at the index it writes (a loop or reduction kernel);
//   otherwise the output is computed elsewhere and copied over at the end.
// A caller that passes separate buffers sees no difference.
struct OutputAlias {
  int32_t output = -1;
  int32_t input = -1;
  bool inPlace = false;
};

struct Program {
  std::vector<ValueInfo> values;
  std::vector<Instr> instrs;
  std::vector<Kernel> kernels;   // cover instrs in order
  int64_t arenaBytes = 0;        // size of the one arena the plan places buffers in
  std::vector<int32_t> inputs;   // value ids, signature order
  std::vector<int32_t> outputs;  // value ids, signature order (may repeat)
  std::vector<OutputAlias> aliases;  // by output position, each input at most once
};

// A Program that breaks the rules above: the compiler's fault, never the
// user's (the CLI reports it as an internal error).
struct InvalidProgram : std::logic_error {
  using std::logic_error::logic_error;
};

// Checks what a device relies on before it runs a program, and throws
// InvalidProgram naming the first broken rule:
//  - every value id is in range; inputs are the Input values in order;
//    only a Constant is a splat, and a splat's data is one element of the
//    value's dtype (rank 0);
//  - the kernels cover the instructions in order, none empty; each
//    instruction writes a fresh Intermediate or Local value; it reads only
//    inputs, constants and values written before it, Locals only within
//    their own kernel, anything else only if it is among the kernel's inputs;
//    a kernel's outputs are exactly the Intermediates it writes;
//  - the memory plan: an Intermediate's offset is -1 or 256-aligned with its
//    buffer inside the arena (no other value has an offset), and two arena
//    buffers that are live at the same time do not overlap, except that a
//    kernel's output may take over the buffer of an input that dies there;
//  - aliases: positions in range, an output and its input of one type, each
//    output and input in at most one alias; an in-place one's output is an
//    Intermediate outside the arena (or the input itself) that appears once
//    among the outputs, the input is not an output itself, no kernel after
//    the writer reads the input, and the writer derives nothing from the
//    input but elementwise ops and reshapes of the output's element count.
void verifyProgram(const Program& p);

}  // namespace dlc::rt
