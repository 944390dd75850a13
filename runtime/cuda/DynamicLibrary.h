// dlopen with a list of places to look, for the CUDA libraries the runtime
// loads at run time (libcuda, cuBLASLt, cuDNN): dlc binaries must start on
// machines that have none of them, and say precisely what is missing when a
// model needs one.
#pragma once

#include <string>
#include <vector>

namespace dlc::rt::cuda {

class DynamicLibrary {
 public:
  DynamicLibrary() = default;
  ~DynamicLibrary();
  DynamicLibrary(const DynamicLibrary&) = delete;
  DynamicLibrary& operator=(const DynamicLibrary&) = delete;
  DynamicLibrary(DynamicLibrary&& o) noexcept;
  DynamicLibrary& operator=(DynamicLibrary&& o) noexcept;

  // Tries each candidate in order (a bare soname goes through the dynamic
  // loader's search, a path is opened as it is). On failure returns an empty
  // library and sets `why` to one line naming every candidate tried and the
  // loader's error for the first.
  static DynamicLibrary open(const std::vector<std::string>& candidates, std::string& why);

  bool loaded() const { return handle_ != nullptr; }
  const std::string& path() const { return path_; }
  // nullptr when the library has no such symbol.
  void* symbol(const char* name) const;

 private:
  void* handle_ = nullptr;
  std::string path_;
};

// The candidates for a CUDA library that ships with the toolkit or as a pip
// wheel: every soname in the loader's search first, then each soname in
// $DLC_CUDA_LIBRARY_PATH (':'-separated), $CUDA_HOME/lib64, $CUDA_PATH/lib64,
// /usr/local/cuda/lib64, and the wheels' directories (`wheelDirs`, e.g.
// "nvidia/cublas/lib") under the site-packages of $VIRTUAL_ENV, $CONDA_PREFIX
// and the system's Python.
std::vector<std::string> libraryCandidates(const std::vector<std::string>& sonames,
                                           const std::vector<std::string>& wheelDirs);

}  // namespace dlc::rt::cuda
