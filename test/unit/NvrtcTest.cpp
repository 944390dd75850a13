// NVRTC (codegen/cuda/Nvrtc.h) on hand-written modules: PTX and CUBIN for an
// architecture, the cache hit on a second compile, a rejected module's log
// and source path, architecture checks, the ptxas report. Tests that need
// libnvrtc skip with the reason where it is missing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "codegen/cuda/KernelCache.h"
#include "codegen/cuda/Nvrtc.h"

namespace fs = std::filesystem;
using namespace dlc::codegen;

namespace {

#define REQUIRE_NVRTC()                                                  \
  do {                                                                   \
    std::string why = nvrtcUnavailableReason();                          \
    if (!why.empty()) GTEST_SKIP() << "NVRTC unavailable: " << why;      \
  } while (0)

const char* kAddModule = R"(
// two kernels, as codegen emits them: extern "C", a status word last
extern "C" __global__ void __launch_bounds__(256) k0_loop_add(const float* a, const float* b, float* y, int* status) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < 1024) y[i] = a[i] + b[i];
}

extern "C" __global__ void k1_loop_neg(const float* a, float* y, int* status) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < 1024) y[i] = -a[i];
}
)";

const char* kBadModule = R"(extern "C" __global__ void k0_loop_ok(float* y, int* status) {
  y[threadIdx.x] = 1.0f;
}

extern "C" __global__ void k1_loop_bad(float* y, int* status) {
  y[threadIdx.x] = undeclared_name;
}
)";

class NvrtcCache : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("dlc-nvrtc-test-" + std::to_string(::getpid()) + "-" + info->name());
    fs::remove_all(dir_);
    options_.cacheDir = dir_.string();
  }
  void TearDown() override { fs::remove_all(dir_); }
  dlc::rt::CudaPlan plan(const std::string& source, const std::string& arch = "sm_90") {
    dlc::rt::CudaPlan p;
    p.source = source;
    p.arch = arch;
    return p;
  }
  fs::path dir_;
  NvrtcOptions options_;
};

}  // namespace

TEST(NvrtcArch, Validation) {
  for (const char* ok : {"sm_70", "sm_75", "sm_80", "sm_86", "sm_89", "sm_90", "sm_90a", "sm_100", "sm_120", "sm_121"})
    EXPECT_EQ(archError(ok), "") << ok;
  for (const char* bad : {"", "sm90", "90", "compute_90", "sm_9", "sm_x0", "SM_90", "sm_90b", "sm_90 "})
    EXPECT_NE(archError(bad).find("is not a GPU architecture of the form sm_XY"), std::string::npos) << bad;
  for (const char* old : {"sm_60", "sm_52", "sm_130", "sm_200"})
    EXPECT_NE(archError(old).find("outside the range dlc supports"), std::string::npos) << old;
}

TEST(Nvrtc, AvailabilityIsReported) {
  std::string why = nvrtcUnavailableReason();
  if (!why.empty()) {
    // The reason says what is missing and how to get it.
    EXPECT_NE(why.find("libnvrtc"), std::string::npos) << why;
    GTEST_SKIP() << "NVRTC unavailable: " << why;
  }
  EXPECT_TRUE(std::regex_match(nvrtcVersion(), std::regex(R"(\d+\.\d+)"))) << nvrtcVersion();
  std::vector<int> archs = nvrtcSupportedArchs();
  EXPECT_NE(std::find(archs.begin(), archs.end(), 80), archs.end());
  EXPECT_NE(std::find(archs.begin(), archs.end(), 90), archs.end());
}

TEST_F(NvrtcCache, CompilesPtxAndCubinThenHitsTheCache) {
  REQUIRE_NVRTC();
  for (const char* arch : {"sm_80", "sm_90"}) {
    auto p = plan(kAddModule, arch);
    ModuleCompileInfo first = compileModule(p, options_);
    EXPECT_FALSE(first.cacheHit);
    EXPECT_GT(first.nvrtcMs, 0);
    EXPECT_EQ(p.nvrtcVersion, nvrtcVersion());
    EXPECT_NE(p.ptx.find(".entry k0_loop_add"), std::string::npos);
    EXPECT_NE(p.ptx.find(".entry k1_loop_neg"), std::string::npos);
    EXPECT_NE(p.ptx.find(std::string(".target ") + arch), std::string::npos);
    ASSERT_GE(p.cubin.size(), 4u);
    EXPECT_EQ(p.cubin.substr(0, 4), "\x7f" "ELF");
    // ptxas -v went through NVRTC: one report per kernel, no spills.
    auto resources = parsePtxasInfo(first.log);
    ASSERT_EQ(resources.size(), 2u) << first.log;
    for (const auto& r : resources) {
      EXPECT_GT(r.registers, 0) << r.name;
      EXPECT_EQ(r.spillStoreBytes + r.spillLoadBytes, 0) << r.name;
    }

    auto again = plan(kAddModule, arch);
    ModuleCompileInfo second = compileModule(again, options_);
    EXPECT_TRUE(second.cacheHit);
    EXPECT_EQ(second.nvrtcMs, 0);
    EXPECT_EQ(again.ptx, p.ptx);
    EXPECT_EQ(again.cubin, p.cubin);
    EXPECT_EQ(second.log, first.log);
    EXPECT_EQ(again.nvrtcVersion, p.nvrtcVersion);
  }
}

TEST_F(NvrtcCache, PtxOnlyAndNoCache) {
  REQUIRE_NVRTC();
  options_.useCache = false;
  options_.cubin = false;
  auto p = plan(kAddModule);
  ModuleCompileInfo info = compileModule(p, options_);
  EXPECT_FALSE(info.cacheHit);
  EXPECT_NE(p.ptx.find(".entry k0_loop_add"), std::string::npos);
  EXPECT_TRUE(p.cubin.empty());
  EXPECT_FALSE(compileModule(p, options_).cacheHit);
  EXPECT_FALSE(fs::exists(dir_)) << "--no-kernel-cache wrote to the cache";
}

TEST_F(NvrtcCache, CorruptEntryIsRebuilt) {
  REQUIRE_NVRTC();
  auto p = plan(kAddModule);
  compileModule(p, options_);
  // Damage the one entry: truncate it.
  fs::path entry;
  for (const auto& e : fs::directory_iterator(dir_ / "nvrtc")) entry = e.path();
  fs::resize_file(entry, fs::file_size(entry) / 2);
  auto q = plan(kAddModule);
  ::testing::internal::CaptureStderr();
  ModuleCompileInfo info = compileModule(q, options_);
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_FALSE(info.cacheHit);
  EXPECT_NE(err.find("is corrupt (truncated"), std::string::npos) << err;
  EXPECT_EQ(q.cubin, p.cubin);
  auto r = plan(kAddModule);
  EXPECT_TRUE(compileModule(r, options_).cacheHit) << "the entry was not rebuilt";
}

TEST_F(NvrtcCache, RejectedModuleShowsTheLogKernelAndSourcePath) {
  REQUIRE_NVRTC();
  for (bool useCache : {true, false}) {
    options_.useCache = useCache;
    auto p = plan(kBadModule);
    try {
      compileModule(p, options_);
      FAIL() << "a module with an undeclared name compiled";
    } catch (const NvrtcError& e) {
      std::string msg = e.what();
      EXPECT_NE(msg.find("rejected the CUDA module for sm_90"), std::string::npos) << msg;
      EXPECT_NE(msg.find("first error in kernel 'k1_loop_bad'"), std::string::npos) << msg;
      EXPECT_NE(msg.find("undeclared_name"), std::string::npos) << "no NVRTC log:\n" << msg;
      std::smatch m;
      ASSERT_TRUE(std::regex_search(msg, m, std::regex("source written to (\\S+\\.cu)"))) << msg;
      std::string path = m[1].str();
      if (useCache) {
        EXPECT_EQ(path.rfind(dir_.string(), 0), 0u) << path;
      }
      std::ifstream in(path);
      std::stringstream text;
      text << in.rdbuf();
      EXPECT_EQ(text.str(), kBadModule);
      // The log's error lines name that file.
      EXPECT_NE(msg.find(path + "(6): error"), std::string::npos) << msg;
      fs::remove(path);
    }
  }
}

TEST_F(NvrtcCache, UnsupportedArchitectureIsRefused) {
  REQUIRE_NVRTC();
  std::vector<int> archs = nvrtcSupportedArchs();
  if (std::find(archs.begin(), archs.end(), 70) != archs.end()) GTEST_SKIP() << "this NVRTC supports sm_70";
  auto p = plan(kAddModule, "sm_70");
  try {
    compileModule(p, options_);
    FAIL() << "sm_70 compiled";
  } catch (const NvrtcError& e) {
    EXPECT_NE(std::string(e.what()).find("--arch sm_70 is not supported by NVRTC"), std::string::npos) << e.what();
  }
  auto q = plan(kAddModule, "sm90");
  EXPECT_THROW(compileModule(q, options_), NvrtcError);
}

TEST(PtxasInfo, ParsesRegistersStackAndSpills) {
  const char* log = R"(ptxas info    : 0 bytes gmem
ptxas info    : Compiling entry function 'k0_loop' for 'sm_90'
ptxas info    : Function properties for k0_loop
ptxas         .     0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
ptxas info    : Used 12 registers, used 0 barriers, 368 bytes cmem[0]
ptxas info    : Compiling entry function 'k1_reduce' for 'sm_90'
ptxas info    : Function properties for k1_reduce
ptxas         .     48 bytes stack frame, 40 bytes spill stores, 36 bytes spill loads
ptxas info    : Used 255 registers, used 1 barriers, 48 bytes cumulative stack size
)";
  auto r = parsePtxasInfo(log);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].name, "k0_loop");
  EXPECT_EQ(r[0].registers, 12);
  EXPECT_EQ(r[0].spillStoreBytes, 0);
  EXPECT_EQ(r[1].name, "k1_reduce");
  EXPECT_EQ(r[1].registers, 255);
  EXPECT_EQ(r[1].stackBytes, 48);
  EXPECT_EQ(r[1].spillStoreBytes, 40);
  EXPECT_EQ(r[1].spillLoadBytes, 36);
  EXPECT_TRUE(parsePtxasInfo("").empty());
}

TEST(KernelAtLine, NamesTheEnclosingKernel) {
  EXPECT_EQ(kernelAtLine(kAddModule, 1), "");
  EXPECT_EQ(kernelAtLine(kAddModule, 3), "k0_loop_add");  // through __launch_bounds__
  EXPECT_EQ(kernelAtLine(kAddModule, 5), "k0_loop_add");
  EXPECT_EQ(kernelAtLine(kAddModule, 9), "k1_loop_neg");
  EXPECT_EQ(kernelAtLine(kAddModule, 99), "k1_loop_neg");
}
