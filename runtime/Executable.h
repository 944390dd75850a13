// The executable: what `dlc compile -o model.dlcx` writes and `dlc run`
// loads without the compiler. It holds the host Program (the kernels, the
// memory plan, the signature, the weights) and, for the CUDA target, the
// CudaPlan (module source, PTX, CUBIN, kernels, library calls), plus what
// made it. The file format is in docs/executable.md; the loader treats
// every file as hostile (a checksum, bounds on every size and count, ids
// checked, then verifyProgram). MLIR-, ONNX- and protobuf-free.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "runtime/Program.h"
#include "runtime/cuda/CudaPlan.h"

namespace dlc::rt {

// The format version this dlc writes and the newest it reads. 2 added the
// signature's output aliases (Program::aliases); a version 1 file still
// loads, with none. 3 added splat constants (ValueInfo::splat: one element
// in the value's record); older files hold every constant in full and load
// as they are.
constexpr uint32_t kExecutableFormatVersion = 3;

// What made the executable: for people and for tools (dlc never runs
// differently because of it).
struct ExecutableInfo {
  std::string dlcVersion;      // of the compiler that wrote it, "0.4.0"
  std::string modelName;       // the model's path or name, for messages
  std::string compileOptions;  // the options as flags, "--target cuda --input-shape x=1x3"
  std::string producer;        // "dlc compile", "libdlc"
  // Unix time in seconds ($SOURCE_DATE_EPOCH when set, so that a build can
  // be reproduced byte for byte).
  int64_t createdAt = 0;
};

struct Executable {
  std::string target = "host";  // "host" or "cuda"
  Program program;
  std::optional<CudaPlan> cuda;  // present for target "cuda"
  ExecutableInfo info;
};

// A file that is not a valid executable; the message names the file and
// what is wrong with it ("model.dlcx: section 'values' (offset 64, 812
// bytes) lies outside the file of 700 bytes"). The user's error (exit 1).
struct ExecutableError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The file's bytes. Throws ExecutableError for an executable that cannot be
// written (a target that does not match `cuda`).
std::string serializeExecutable(const Executable& exe);
// Writes atomically (a temporary file renamed into place); ExecutableError
// naming the path if it cannot.
void saveExecutable(const Executable& exe, const std::string& path);

// Parses and checks an executable; `name` stands for it in messages. The
// Program is verified (verifyProgram) and the CudaPlan checked against it:
// any problem is an ExecutableError.
Executable parseExecutable(std::string_view bytes, const std::string& name);
Executable loadExecutable(const std::string& path);

// Whether the bytes start with the executable's magic ("DLCX"): how `dlc
// run` tells an executable from a model, whatever the file is called.
bool hasExecutableMagic(std::string_view bytes);
bool isExecutableFile(const std::string& path);

}  // namespace dlc::rt
