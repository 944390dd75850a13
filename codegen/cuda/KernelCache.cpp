#include "codegen/cuda/KernelCache.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "codegen/cuda/Sha256.h"

namespace fs = std::filesystem;

namespace dlc::codegen {
namespace {

constexpr char kMagic[8] = {'D', 'L', 'C', 'N', 'V', 'R', 'T', 'C'};
constexpr uint32_t kFormatVersion = 1;
constexpr size_t kKeyLen = 64;
// magic, version, key, three section sizes, payload digest
constexpr size_t kHeaderLen = sizeof(kMagic) + 4 + kKeyLen + 3 * 8 + 32;

void putU64(std::string& s, uint64_t v, int bytes = 8) {
  for (int i = 0; i < bytes; ++i) s += char(uint8_t(v >> (8 * i)));
}
uint64_t getU64(const std::string& s, size_t at, int bytes = 8) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= uint64_t(uint8_t(s[at + i])) << (8 * i);
  return v;
}

std::string payloadDigest(const CachedModule& m) {
  Sha256 h;
  h.update(m.ptx).update(m.cubin).update(m.log);
  auto d = h.digest();
  return std::string(reinterpret_cast<const char*>(d.data()), d.size());
}

// Each problem is noted once per process: a model with many kernels, or a
// checker compiling thousands of modules, should not repeat the same note.
void noteOnce(const std::string& what, const std::string& message) {
  static std::mutex mu;
  static std::set<std::string> seen;
  std::lock_guard<std::mutex> lock(mu);
  if (!seen.insert(what).second) return;
  std::cerr << "dlc: note: " << message << "\n";
}

std::string getenvOr(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

}  // namespace

std::string defaultCacheDir() {
  if (std::string d = getenvOr("DLC_CACHE_DIR"); !d.empty()) return d;
  if (std::string d = getenvOr("XDG_CACHE_HOME"); !d.empty()) return (fs::path(d) / "dlc").string();
  if (std::string d = getenvOr("HOME"); !d.empty()) return (fs::path(d) / ".cache" / "dlc").string();
  return "";
}

std::string kernelCacheKey(const std::string& source, const std::string& arch,
                           const std::vector<std::string>& options, const std::string& nvrtcVersion) {
  // Length-prefixed fields: no two different inputs hash the same bytes.
  Sha256 h;
  auto field = [&](const std::string& s) {
    std::string len;
    putU64(len, s.size());
    h.update(len).update(s);
  };
  field("dlc kernel cache v" + std::to_string(kFormatVersion));
  field(source);
  field(arch);
  for (const std::string& o : options) field(o);
  field(nvrtcVersion);
  return h.hexDigest();
}

std::string encodeCacheEntry(const std::string& key, const CachedModule& m) {
  std::string s(kMagic, sizeof(kMagic));
  putU64(s, kFormatVersion, 4);
  s += key;
  s.resize(sizeof(kMagic) + 4 + kKeyLen, ' ');
  putU64(s, m.ptx.size());
  putU64(s, m.cubin.size());
  putU64(s, m.log.size());
  s += payloadDigest(m);
  s += m.ptx;
  s += m.cubin;
  s += m.log;
  return s;
}

std::string decodeCacheEntry(const std::string& bytes, const std::string& key, CachedModule& out) {
  if (bytes.size() < kHeaderLen)
    return "truncated: " + std::to_string(bytes.size()) + " bytes, shorter than the header";
  if (std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) return "not a dlc kernel cache entry";
  size_t at = sizeof(kMagic);
  uint64_t version = getU64(bytes, at, 4);
  if (version != kFormatVersion)
    return "format version " + std::to_string(version) + ", expected " + std::to_string(kFormatVersion);
  at += 4;
  if (bytes.compare(at, kKeyLen, key) != 0) return "its header names another key";
  at += kKeyLen;
  uint64_t sizes[3];
  for (uint64_t& n : sizes) n = getU64(bytes, at), at += 8;
  std::string digest = bytes.substr(at, 32);
  at += 32;
  uint64_t total = kHeaderLen;
  for (uint64_t n : sizes) {
    if (n > (uint64_t(1) << 40)) return "an implausible section size";  // no overflow below
    total += n;
  }
  if (bytes.size() < total)
    return "truncated: " + std::to_string(bytes.size()) + " bytes of " + std::to_string(total);
  if (bytes.size() > total)
    return std::to_string(bytes.size() - total) + " bytes after the payload";
  CachedModule m;
  m.ptx = bytes.substr(at, sizes[0]);
  m.cubin = bytes.substr(at + sizes[0], sizes[1]);
  m.log = bytes.substr(at + sizes[0] + sizes[1], sizes[2]);
  if (payloadDigest(m) != digest) return "checksum mismatch";
  out = std::move(m);
  return "";
}

KernelCache::KernelCache(std::string dir) : dir_(dir.empty() ? defaultCacheDir() : std::move(dir)) {}

std::string KernelCache::entryPath(const std::string& key) const {
  return (fs::path(dir_) / "nvrtc" / (key + ".bin")).string();
}

bool KernelCache::usable() {
  if (state_ != 0) return state_ > 0;
  state_ = -1;
  if (dir_.empty()) {
    noteOnce("nodir", "no kernel cache directory ($DLC_CACHE_DIR, $XDG_CACHE_HOME and $HOME are unset); "
                      "compiling without the cache");
    return false;
  }
  fs::path sub = fs::path(dir_) / "nvrtc";
  std::error_code ec;
  fs::create_directories(sub, ec);
  if (ec || ::access(sub.c_str(), W_OK | X_OK) != 0) {
    std::string why = ec ? ec.message() : std::strerror(errno);
    noteOnce("dir:" + dir_, "kernel cache directory " + sub.string() + " is not usable (" + why +
                                "); compiling without the cache");
    return false;
  }
  state_ = 1;
  return true;
}

std::optional<CachedModule> KernelCache::load(const std::string& key) {
  if (!usable()) return std::nullopt;
  std::string path = entryPath(key);
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;  // a miss
  std::ostringstream bytes;
  bytes << in.rdbuf();
  CachedModule m;
  std::string why = decodeCacheEntry(bytes.str(), key, m);
  if (why.empty()) return m;
  noteOnce("entry:" + path, "kernel cache entry " + path + " is corrupt (" + why + "); rebuilding it");
  return std::nullopt;
}

void KernelCache::store(const std::string& key, const CachedModule& module) {
  if (!usable()) return;
  // A name no other writer uses (process, thread, sequence), renamed over
  // the entry: rename(2) is atomic within a file system, so a reader sees
  // the old entry, the new one, or none, never a partial file.
  static std::atomic<uint64_t> sequence{0};
  std::string path = entryPath(key);
  std::ostringstream tmp;
  tmp << path << ".tmp." << ::getpid() << "." << std::hash<std::thread::id>()(std::this_thread::get_id()) << "."
      << sequence++;
  std::string bytes = encodeCacheEntry(key, module);
  std::error_code ec;
  {
    std::ofstream out(tmp.str(), std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), std::streamsize(bytes.size()));
    out.close();
    if (!out) ec = std::make_error_code(std::errc::io_error);
  }
  if (!ec) fs::rename(tmp.str(), path, ec);
  if (ec) {
    std::string why = ec.message();
    fs::remove(tmp.str(), ec);
    noteOnce("write:" + dir_, "cannot write the kernel cache entry " + path + " (" + why +
                                  "); compiling without the cache");
    state_ = -1;
  }
}

}  // namespace dlc::codegen
