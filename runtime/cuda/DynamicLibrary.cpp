#include "runtime/cuda/DynamicLibrary.h"

#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <utility>

namespace fs = std::filesystem;

namespace dlc::rt::cuda {

DynamicLibrary::~DynamicLibrary() {
  // Never dlclose: CUDA libraries register atexit handlers and threads that
  // must not outlive their code.
}

DynamicLibrary::DynamicLibrary(DynamicLibrary&& o) noexcept
    : handle_(std::exchange(o.handle_, nullptr)), path_(std::move(o.path_)) {}

DynamicLibrary& DynamicLibrary::operator=(DynamicLibrary&& o) noexcept {
  handle_ = std::exchange(o.handle_, nullptr);
  path_ = std::move(o.path_);
  return *this;
}

DynamicLibrary DynamicLibrary::open(const std::vector<std::string>& candidates, std::string& why) {
  DynamicLibrary lib;
  std::string firstError;
  for (const std::string& c : candidates) {
    dlerror();
    void* h = dlopen(c.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (h) {
      lib.handle_ = h;
      lib.path_ = c;
      why.clear();
      return lib;
    }
    if (firstError.empty()) {
      const char* e = dlerror();
      firstError = e ? e : "unknown dlopen error";
    }
  }
  std::ostringstream os;
  os << "cannot load ";
  if (candidates.empty()) os << "(no candidate given)";
  for (size_t i = 0; i < candidates.size() && i < 3; ++i) os << (i ? ", " : "") << candidates[i];
  if (candidates.size() > 3) os << " or " << candidates.size() - 3 << " other path(s)";
  if (!firstError.empty()) os << " (" << firstError << ")";
  why = os.str();
  return lib;
}

void* DynamicLibrary::symbol(const char* name) const {
  return handle_ ? dlsym(handle_, name) : nullptr;
}

namespace {

void splitPath(const char* value, std::vector<std::string>& out) {
  if (!value) return;
  std::stringstream ss(value);
  std::string item;
  while (std::getline(ss, item, ':'))
    if (!item.empty()) out.push_back(item);
}

// lib/python3.*/site-packages (and dist-packages) under `prefix`.
void sitePackages(const fs::path& prefix, std::vector<fs::path>& out) {
  std::error_code ec;
  fs::path lib = prefix / "lib";
  if (!fs::is_directory(lib, ec)) return;
  for (const auto& entry : fs::directory_iterator(lib, ec)) {
    std::string name = entry.path().filename().string();
    if (name.rfind("python3", 0) != 0) continue;
    for (const char* sub : {"site-packages", "dist-packages"})
      if (fs::is_directory(entry.path() / sub, ec)) out.push_back(entry.path() / sub);
  }
}

}  // namespace

std::vector<std::string> libraryCandidates(const std::vector<std::string>& sonames,
                                           const std::vector<std::string>& wheelDirs) {
  std::vector<std::string> out(sonames);
  std::vector<std::string> dirs;
  splitPath(std::getenv("DLC_CUDA_LIBRARY_PATH"), dirs);
  for (const char* var : {"CUDA_HOME", "CUDA_PATH"})
    if (const char* v = std::getenv(var)) dirs.push_back(std::string(v) + "/lib64");
  dirs.push_back("/usr/local/cuda/lib64");
  std::vector<fs::path> sites;
  for (const char* var : {"VIRTUAL_ENV", "CONDA_PREFIX"})
    if (const char* v = std::getenv(var)) sitePackages(v, sites);
  sitePackages("/usr/local", sites);
  sitePackages("/usr", sites);
  for (const fs::path& site : sites)
    for (const std::string& w : wheelDirs) dirs.push_back((site / w).string());
  std::error_code ec;
  for (const std::string& d : dirs) {
    if (!fs::is_directory(d, ec)) continue;
    for (const std::string& s : sonames) out.push_back((fs::path(d) / s).string());
  }
  return out;
}

}  // namespace dlc::rt::cuda
