// Compiling: a Model and CompileOptions -> an Executable (the optimised,
// fused, memory-planned program for one device), with its signature and
// what the compiler made of the model.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "dlc/Error.h"
#include "dlc/Export.h"
#include "dlc/Model.h"
#include "dlc/Tensor.h"

namespace dlc {

// The device an executable is compiled for. Cuda needs no GPU (NVRTC
// compiles the kernels); the executable also runs on the host device.
enum class Target : uint8_t { Host, Cuda };

// The arithmetic of matrix products and convolutions (docs/precision.md).
// F32: f32 throughout. TF32: f32 tensors, TF32 tensor-core math in the CUDA
// library calls (no change on the host device). F16, BF16: matrix products
// and convolutions read 16-bit operands and accumulate in f32 (weights
// converted at compile time); everything else stays f32.
enum class Precision : uint8_t { F32, TF32, F16, BF16 };

struct CompileOptions {
  // Fixes symbolic (or overrides) input dimensions, by input name: the
  // tool's --input-shape NAME=D0xD1.
  std::map<std::string, Shape> inputShapes;
  // false: run no optimisation pass (the imported IR as it is: the tool's
  // --no-opt; useful to check the passes differentially).
  bool optimize = true;
  Target target = Target::Host;
  // Target::Cuda: the GPU architecture ("sm_80", "sm_90" ...); empty: the
  // GPU present, else sm_90 (the tool's --arch).
  std::string arch;
  // The tool's --precision fp32|tf32|fp16|bf16.
  Precision precision = Precision::F32;
};

// One input or output of an executable.
struct DLC_API TensorSpec {
  std::string name;
  DType dtype = DType::F32;
  Shape shape;
  // "tensor<4x784xf32>"
  std::string typeString() const;
};

// What the compiler made of the model (the tool's `compile --stats`).
struct CompileStats {
  int kernels = 0;                       // every kernel launch
  std::map<std::string, int> kernelsByKind;  // loop, reduction, gemm, conv, sort, scatter
  int64_t peakBytes = 0;                 // the arena: the intermediates' memory at its peak
  int64_t naiveBytes = -1;               // every intermediate its own buffer; -1: no plan
  int64_t lowerBoundBytes = -1;          // the most bytes live at once; -1: no plan
  int64_t constantBytes = 0;             // weights and other constants as stored (a splat: one element)
};

class DLC_API Executable {
 public:
  // An empty executable; a Session refuses it.
  Executable();
  ~Executable();
  Executable(const Executable&);
  Executable& operator=(const Executable&);
  Executable(Executable&&) noexcept;
  Executable& operator=(Executable&&) noexcept;

  bool isEmpty() const;
  // The model's name (in run-time messages).
  const std::string& modelName() const;
  Target target() const;
  // The signature: the graph's inputs (without initializers) and outputs, in
  // order, with the shapes fixed at compile time.
  const std::vector<TensorSpec>& inputs() const;
  const std::vector<TensorSpec>& outputs() const;
  // For an executable read by loadExecutable, naiveBytes and lowerBoundBytes
  // are -1 (the file holds the plan, not the planner's figures).
  const CompileStats& stats() const;

  // Writes the executable file (the format of `dlc compile -o`,
  // docs/executable.md): loadExecutable and `dlc run` read it back without
  // compiling. Error (code 1) naming the path if it cannot be written.
  void save(const std::string& path) const;
  Status trySave(const std::string& path) const;

  struct Impl;
  const Impl* impl() const { return impl_.get(); }
  explicit Executable(std::shared_ptr<const Impl> impl);

 private:
  std::shared_ptr<const Impl> impl_;
};

// Imports, optimises (canonicalisation, fusion, memory planning) and lowers
// the model. Unsupported ops, bad shapes and missing input shapes are
// Errors with the tool's messages ("FILE: node 'NAME' (Op, opset N): ...").
DLC_API Executable compile(const Model& model, const CompileOptions& options = {});
DLC_API Status tryCompile(const Model& model, const CompileOptions& options, Executable& out);

// Reads an executable file (Executable::save, `dlc compile -o`); a Session
// runs it like a compiled one. A file that is damaged, truncated, written by
// a newer dlc or not an executable is an Error (code 1) whose message names
// the file and the problem, as `dlc run` prints it.
DLC_API Executable loadExecutable(const std::string& path);
DLC_API Status tryLoadExecutable(const std::string& path, Executable& out);

}  // namespace dlc
