// The kernel cache (codegen/cuda/KernelCache.h) and its hash: hits and
// misses, corrupt and truncated entries detected and noted once, an
// unusable directory degrading to no cache, concurrent writers on one key.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "codegen/cuda/KernelCache.h"
#include "codegen/cuda/Sha256.h"

namespace fs = std::filesystem;
using namespace dlc::codegen;

namespace {

// A fresh directory per test, removed afterwards.
class CacheDir : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("dlc-cache-test-" + std::to_string(::getpid()) + "-" + info->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir() const { return dir_.string(); }
  fs::path dir_;
};

CachedModule sample(const std::string& tag = "") {
  return {"// PTX " + tag + "\n.version 9.0\n.target sm_90\n", std::string("\x7f" "ELF\0\1\2", 7) + tag,
          "ptxas info    : Used 8 registers " + tag};
}

void expectSame(const CachedModule& a, const CachedModule& b) {
  EXPECT_EQ(a.ptx, b.ptx);
  EXPECT_EQ(a.cubin, b.cubin);
  EXPECT_EQ(a.log, b.log);
}

std::string readAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void writeAll(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

const std::string kKey = kernelCacheKey("__global__ void k() {}", "sm_90", {"-std=c++17"}, "13.0");

}  // namespace

// FIPS 180-4 example digests (and the well-known empty-string digest).
TEST(Sha256, KnownDigests) {
  EXPECT_EQ(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  // Fed in pieces across block boundaries: the same digest as in one go.
  std::string text(1000, 'x');
  Sha256 h;
  for (size_t i = 0; i < text.size(); i += 37) h.update(std::string_view(text).substr(i, 37));
  EXPECT_EQ(h.hexDigest(), sha256Hex(text));
}

TEST(KernelCacheKey, EveryInputChangesTheKey) {
  EXPECT_EQ(kKey.size(), 64u);
  EXPECT_EQ(kKey, kernelCacheKey("__global__ void k() {}", "sm_90", {"-std=c++17"}, "13.0"));
  EXPECT_NE(kKey, kernelCacheKey("__global__ void k2() {}", "sm_90", {"-std=c++17"}, "13.0"));
  EXPECT_NE(kKey, kernelCacheKey("__global__ void k() {}", "sm_80", {"-std=c++17"}, "13.0"));
  EXPECT_NE(kKey, kernelCacheKey("__global__ void k() {}", "sm_90", {"-std=c++20"}, "13.0"));
  EXPECT_NE(kKey, kernelCacheKey("__global__ void k() {}", "sm_90", {"-std=c++17"}, "13.1"));
  // Field boundaries matter: "ab"+"c" is not "a"+"bc".
  EXPECT_NE(kernelCacheKey("ab", "c", {}, "1"), kernelCacheKey("a", "bc", {}, "1"));
}

TEST(KernelCacheDir, EnvironmentOrder) {
  auto save = [](const char* n) { const char* v = std::getenv(n); return v ? std::optional<std::string>(v) : std::nullopt; };
  auto dlcDir = save("DLC_CACHE_DIR"), xdg = save("XDG_CACHE_HOME"), home = save("HOME");
  setenv("DLC_CACHE_DIR", "/a/dlc", 1);
  setenv("XDG_CACHE_HOME", "/b", 1);
  setenv("HOME", "/c", 1);
  EXPECT_EQ(defaultCacheDir(), "/a/dlc");
  unsetenv("DLC_CACHE_DIR");
  EXPECT_EQ(defaultCacheDir(), "/b/dlc");
  unsetenv("XDG_CACHE_HOME");
  EXPECT_EQ(defaultCacheDir(), "/c/.cache/dlc");
  unsetenv("HOME");
  EXPECT_EQ(defaultCacheDir(), "");
  auto restore = [](const char* n, const std::optional<std::string>& v) {
    if (v) setenv(n, v->c_str(), 1); else unsetenv(n);
  };
  restore("DLC_CACHE_DIR", dlcDir), restore("XDG_CACHE_HOME", xdg), restore("HOME", home);
}

TEST_F(CacheDir, MissThenHit) {
  KernelCache cache(dir());
  EXPECT_FALSE(cache.load(kKey));
  cache.store(kKey, sample());
  EXPECT_TRUE(fs::exists(cache.entryPath(kKey)));
  // Another instance (another process) finds it.
  KernelCache again(dir());
  auto hit = again.load(kKey);
  ASSERT_TRUE(hit);
  expectSame(*hit, sample());
  // Another key is still a miss.
  EXPECT_FALSE(again.load(kernelCacheKey("x", "sm_90", {}, "13.0")));
  // No temporary file is left behind.
  int files = 0;
  for (const auto& e : fs::directory_iterator(fs::path(dir()) / "nvrtc")) ++files, (void)e;
  EXPECT_EQ(files, 1);
}

TEST_F(CacheDir, CorruptEntryIsNotedOnceAndRebuilt) {
  KernelCache cache(dir());
  cache.store(kKey, sample());
  std::string path = cache.entryPath(kKey);
  std::string bytes = readAll(path);
  bytes[bytes.size() - 3] ^= 0x20;  // a byte of the payload
  writeAll(path, bytes);

  ::testing::internal::CaptureStderr();
  EXPECT_FALSE(cache.load(kKey));
  EXPECT_FALSE(cache.load(kKey));
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("note: kernel cache entry " + path + " is corrupt (checksum mismatch); rebuilding it"),
            std::string::npos) << err;
  EXPECT_EQ(err.find("corrupt"), err.rfind("corrupt")) << "noted more than once:\n" << err;

  cache.store(kKey, sample("rebuilt"));
  auto hit = cache.load(kKey);
  ASSERT_TRUE(hit);
  expectSame(*hit, sample("rebuilt"));
}

TEST_F(CacheDir, TruncatedEntriesAreDetected) {
  KernelCache cache(dir());
  cache.store(kKey, sample());
  std::string path = cache.entryPath(kKey);
  std::string whole = readAll(path);
  // Cut in the payload, in the header, and to nothing.
  for (size_t keep : {whole.size() - 1, size_t(40), size_t(0)}) {
    CachedModule m;
    std::string why = decodeCacheEntry(whole.substr(0, keep), kKey, m);
    EXPECT_NE(why.find("truncated"), std::string::npos) << keep << ": " << why;
    writeAll(path, whole.substr(0, keep));
    ::testing::internal::CaptureStderr();
    EXPECT_FALSE(KernelCache(dir()).load(kKey));
    ::testing::internal::GetCapturedStderr();
  }
  // Other damage: a foreign file, another key's entry, trailing bytes.
  CachedModule m;
  EXPECT_EQ(decodeCacheEntry("hello, world: not an entry at all, but long enough to hold a header..........."
                             "...............................................................", kKey, m),
            "not a dlc kernel cache entry");
  std::string other = kernelCacheKey("y", "sm_90", {}, "13.0");
  EXPECT_EQ(decodeCacheEntry(encodeCacheEntry(other, sample()), kKey, m), "its header names another key");
  EXPECT_EQ(decodeCacheEntry(whole + "x", kKey, m), "1 bytes after the payload");
  EXPECT_EQ(decodeCacheEntry(whole, kKey, m), "");
  expectSame(m, sample());
}

TEST_F(CacheDir, UnusableDirectoryMeansNoCache) {
  // A regular file where the directory should be: creating it fails (also
  // for root, unlike a read-only directory).
  fs::create_directories(dir());
  std::string file = (fs::path(dir()) / "file").string();
  writeAll(file, "x");
  KernelCache cache(file + "/cache");
  ::testing::internal::CaptureStderr();
  EXPECT_FALSE(cache.usable());
  EXPECT_FALSE(cache.load(kKey));
  cache.store(kKey, sample());  // no throw, no effect
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("note: kernel cache directory " + file + "/cache/nvrtc is not usable"), std::string::npos) << err;
  EXPECT_NE(err.find("compiling without the cache"), std::string::npos) << err;
  EXPECT_EQ(err.find("not usable"), err.rfind("not usable")) << err;
}

// Writers in two processes and several threads store the same key while a
// reader loads it: the reader sees no entry or a whole one, never a torn one,
// and no temporary file survives.
TEST_F(CacheDir, ConcurrentWritersOnOneKey) {
  std::string big(1 << 20, 'p');  // large enough that a write is not one syscall
  CachedModule a{big + "A", "cubinA", "logA"}, b{big + "B", "cubinB", "logB"};
  auto writeMany = [&](const CachedModule& m) {
    KernelCache cache(dir());
    for (int i = 0; i < 20; ++i) cache.store(kKey, m);
  };
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    writeMany(b);
    _exit(0);
  }
  std::thread t1(writeMany, a), t2(writeMany, b);
  KernelCache reader(dir());
  int hits = 0;
  ::testing::internal::CaptureStderr();
  for (int i = 0; i < 200; ++i) {
    if (auto m = reader.load(kKey)) {
      ++hits;
      EXPECT_TRUE((m->ptx == a.ptx && m->log == a.log) || (m->ptx == b.ptx && m->log == b.log));
    }
  }
  t1.join(), t2.join();
  int status = 0;
  waitpid(child, &status, 0);
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(err, "") << "a reader saw a partial entry";
  EXPECT_TRUE(reader.load(kKey));
  for (const auto& e : fs::directory_iterator(fs::path(dir()) / "nvrtc"))
    EXPECT_EQ(e.path().filename().string(), kKey + ".bin");
  (void)hits;
}
