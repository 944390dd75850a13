// $DLC_CACHE_DIR pointed at a fresh, empty directory while the object lives
// (a cold compile: NVRTC runs), then restored and the directory removed.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>

namespace dlc::tool {

class TemporaryKernelCache {
 public:
  // Throws std::runtime_error when the directory cannot be made.
  TemporaryKernelCache() {
    namespace fs = std::filesystem;
    std::string pattern = (fs::temp_directory_path() / "dlc-bench-cache-XXXXXX").string();
    if (!mkdtemp(pattern.data()))
      throw std::runtime_error("cannot make a temporary kernel cache directory in " + fs::temp_directory_path().string());
    dir_ = pattern;
    if (const char* old = std::getenv("DLC_CACHE_DIR")) old_ = old;
    setenv("DLC_CACHE_DIR", dir_.c_str(), 1);
  }
  ~TemporaryKernelCache() {
    if (old_) setenv("DLC_CACHE_DIR", old_->c_str(), 1);
    else unsetenv("DLC_CACHE_DIR");
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  TemporaryKernelCache(const TemporaryKernelCache&) = delete;
  TemporaryKernelCache& operator=(const TemporaryKernelCache&) = delete;

 private:
  std::string dir_;
  std::optional<std::string> old_;
};

}  // namespace dlc::tool
