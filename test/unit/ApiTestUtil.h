// Helpers for the tests of the public C++ API: running the dlc tool (the
// API's messages and results are checked against the CLI's), temporary
// folders, random tensors. These tests see only include/dlc (the target's
// include path is reset in CMakeLists.txt), as an outside program would.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <dlc/dlc.h>

namespace dlc::apitest {

namespace fs = std::filesystem;

inline std::string readText(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void writeText(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}

// A fresh folder under gtest's temp dir, named after the running test.
inline fs::path tempDir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  fs::path dir = fs::path(::testing::TempDir()) /
                 ("dlc_api_" + std::string(info->test_suite_name()) + "_" + info->name());
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

struct CliResult {
  int exitCode = -1;
  std::string out, err;
};

// Runs `dlc ARGS` (DLC_TOOL, the tool built with this tree); stderr's last
// newline is dropped so that it compares with Error::message().
inline CliResult runCli(const std::string& args) {
  // One folder per test: ctest runs the tests in parallel processes.
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  fs::path dir = fs::path(::testing::TempDir()) /
                 ("dlc_api_cli_" + std::string(info->test_suite_name()) + "_" + info->name());
  fs::create_directories(dir);
  fs::path out = dir / "stdout", err = dir / "stderr";
  std::string cmd = std::string("'") + DLC_TOOL + "' " + args + " >'" + out.string() + "' 2>'" +
                    err.string() + "'";
  int status = std::system(cmd.c_str());
  CliResult r;
  r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = readText(out);
  r.err = readText(err);
  if (!r.err.empty() && r.err.back() == '\n') r.err.pop_back();
  return r;
}

inline std::string quote(const fs::path& p) { return "'" + p.string() + "'"; }

inline std::string sourcePath(const std::string& rel) { return std::string(DLC_SOURCE_DIR) + "/" + rel; }

inline Tensor randomTensor(const Shape& shape, unsigned seed) {
  Tensor t(DType::F32, shape);
  std::mt19937 gen(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numElements(); ++i) p[i] = dist(gen);
  return t;
}

// The Error a call throws (code 0 and an empty message if none).
template <typename F>
Error errorOf(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  return Error(0, "");
}

}  // namespace dlc::apitest
