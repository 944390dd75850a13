// Fuzz target of the model DSL: any bytes through the lexer, the parser and
// the translation to ONNX must end in a model or in diagnostics, never in a
// crash, a hang or unbounded memory. Built with libFuzzer under
// DLC_BUILD_FUZZERS (scripts/fuzz.sh), and in the normal build with
// standalone_main.cpp, which runs the seed corpus as a ctest.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "frontend/dsl/Translator.h"

namespace {

// load("...") resolves inside an empty folder of its own.
const std::string& baseDir() {
  static const std::string dir = [] {
    std::error_code ec;
    auto d = std::filesystem::temp_directory_path(ec) / "dlc-dsl-fuzz";
    std::filesystem::create_directories(d, ec);
    return d.string();
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string source(reinterpret_cast<const char*>(data), size);
  // Smaller bounds than a real model's, so that a run explores rather than
  // fills memory with one large parameter.
  dlc::dsl::Limits limits;
  limits.maxParamElements = 1 << 20;
  limits.maxNodes = 20000;
  limits.maxCallDepth = 16;
  dlc::dsl::Translation t = dlc::dsl::translate(source, "fuzz.dlc", baseDir(), limits);
  // Exactly one of a model and diagnostics; an exception caught inside the
  // translator ("internal error") is a bug as much as a crash is.
  if (t.ok() == t.modelBytes.empty()) __builtin_trap();
  if (t.errors.rfind("fuzz.dlc: error: internal error", 0) == 0) __builtin_trap();
  return 0;
}
