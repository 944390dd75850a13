// The on-disk cache of NVRTC's output (DESIGN.md "Executables and runtime"):
// a second compile of the same module for the same GPU skips NVRTC. One file
// per entry, DIR/nvrtc/KEY.bin, where KEY is the SHA-256 of everything that
// decides NVRTC's output (kernelCacheKey). An entry starts with a header
// (magic, format version, key, section sizes, SHA-256 of the payload), so a
// corrupt or truncated file is detected: it is reported once on stderr as a
// note and rebuilt. Entries are written to a temporary file and renamed into
// place, so concurrent processes see a whole entry or none. A directory that
// cannot be created or written degrades to no cache, with a note, never an
// error: the cache only saves time.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace dlc::codegen {

// What NVRTC made of one module for one architecture.
struct CachedModule {
  std::string ptx;
  std::string cubin;
  std::string log;  // NVRTC's log (ptxas -v: registers and spills per kernel)
};

// $DLC_CACHE_DIR, else $XDG_CACHE_HOME/dlc, else $HOME/.cache/dlc ("" when
// none of them is set).
std::string defaultCacheDir();

// 64 hex digits naming one NVRTC compile.
std::string kernelCacheKey(const std::string& source, const std::string& arch,
                           const std::vector<std::string>& options, const std::string& nvrtcVersion);

class KernelCache {
 public:
  // dir "" : defaultCacheDir(). The directory is created on first use.
  explicit KernelCache(std::string dir = "");

  // False when the directory cannot be used (after its note was printed).
  bool usable();
  const std::string& dir() const { return dir_; }
  std::string entryPath(const std::string& key) const;

  // The entry for `key`, or nothing when absent or corrupt (a corrupt entry
  // is noted on stderr once per process and left to be overwritten).
  std::optional<CachedModule> load(const std::string& key);
  // Writes the entry atomically; a failure disables the cache with a note.
  void store(const std::string& key, const CachedModule& module);

 private:
  std::string dir_;
  int state_ = 0;  // 0 unchecked, 1 usable, -1 unusable
};

// The bytes of an entry file, and their check: exposed for the tests.
std::string encodeCacheEntry(const std::string& key, const CachedModule& module);
// Returns "" and fills `out` when `bytes` is a whole entry for `key`, else
// why it is not.
std::string decodeCacheEntry(const std::string& bytes, const std::string& key, CachedModule& out);

}  // namespace dlc::codegen
