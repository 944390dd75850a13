#include "codegen/cuda/Nvrtc.h"

#include <dlfcn.h>
#include <glob.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>

#include "codegen/cuda/KernelCache.h"

namespace fs = std::filesystem;

namespace dlc::codegen {
namespace {

// The part of nvrtc.h dlc uses, declared here so that dlc builds without the
// CUDA toolkit (the C ABI of these functions is stable across releases).
using nvrtcResult = int;
using nvrtcProgram = struct _nvrtcProgram*;
constexpr nvrtcResult kNvrtcSuccess = 0;

struct NvrtcLib {
  std::string unavailable;  // why it cannot be used, "" when it can
  std::string path;         // the library loaded
  int major = 0, minor = 0;
  std::vector<int> archs;

  const char* (*getErrorString)(nvrtcResult) = nullptr;
  nvrtcResult (*version)(int*, int*) = nullptr;
  nvrtcResult (*getNumSupportedArchs)(int*) = nullptr;
  nvrtcResult (*getSupportedArchs)(int*) = nullptr;
  nvrtcResult (*createProgram)(nvrtcProgram*, const char*, const char*, int, const char* const*,
                               const char* const*) = nullptr;
  nvrtcResult (*destroyProgram)(nvrtcProgram*) = nullptr;
  nvrtcResult (*compileProgram)(nvrtcProgram, int, const char* const*) = nullptr;
  nvrtcResult (*getPTXSize)(nvrtcProgram, size_t*) = nullptr;
  nvrtcResult (*getPTX)(nvrtcProgram, char*) = nullptr;
  nvrtcResult (*getCUBINSize)(nvrtcProgram, size_t*) = nullptr;
  nvrtcResult (*getCUBIN)(nvrtcProgram, char*) = nullptr;
  nvrtcResult (*getProgramLogSize)(nvrtcProgram, size_t*) = nullptr;
  nvrtcResult (*getProgramLog)(nvrtcProgram, char*) = nullptr;
};

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// Where libnvrtc may be, in order: the loader's own search (LD_LIBRARY_PATH,
// ld.so.cache), the toolkit ($CUDA_HOME, $CUDA_PATH, /usr/local/cuda), and
// the pip wheels (nvidia-cuda-nvrtc: nvidia/cuda_nvrtc/lib; CUDA 13's
// nvidia/cu13/lib) in the active venv or conda env, ~/.local and /usr.
std::vector<std::string> candidates() {
  if (std::string only = env("DLC_NVRTC_LIBRARY"); !only.empty()) return {only};
  std::vector<std::string> out = {"libnvrtc.so.13", "libnvrtc.so"};
  for (const std::string& root : {env("CUDA_HOME"), env("CUDA_PATH"), std::string("/usr/local/cuda")}) {
    if (root.empty()) continue;
    out.push_back(root + "/lib64/libnvrtc.so.13");
    out.push_back(root + "/lib64/libnvrtc.so");
  }
  std::string home = env("HOME");
  for (const std::string& prefix :
       {env("VIRTUAL_ENV"), env("CONDA_PREFIX"), home.empty() ? "" : home + "/.local", std::string("/usr/local"),
        std::string("/usr")}) {
    if (prefix.empty()) continue;
    for (const char* wheel : {"cu13/lib", "cuda_nvrtc/lib"}) {
      std::string pattern = prefix + "/lib/python3*/*-packages/nvidia/" + wheel + "/libnvrtc.so*";
      glob_t g;
      if (glob(pattern.c_str(), 0, nullptr, &g) == 0)
        for (size_t i = 0; i < g.gl_pathc; ++i) out.push_back(g.gl_pathv[i]);
      globfree(&g);
    }
  }
  return out;
}

template <typename F>
bool bind(void* handle, const char* name, F& fn, std::string& missing) {
  fn = reinterpret_cast<F>(dlsym(handle, name));
  if (!fn) missing += std::string(missing.empty() ? "" : ", ") + name;
  return fn != nullptr;
}

NvrtcLib loadNvrtc() {
  NvrtcLib lib;
  void* handle = nullptr;
  std::string tried, lastError;
  for (const std::string& c : candidates()) {
    handle = dlopen(c.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle) {
      lib.path = c;
      break;
    }
    tried += (tried.empty() ? "" : ", ") + c;
    if (const char* e = dlerror()) lastError = e;
  }
  if (!handle) {
    lib.unavailable = "NVRTC (libnvrtc) was not found; tried " + tried + " (" + lastError +
                      "). Install the CUDA toolkit, or the nvidia-cuda-nvrtc pip wheel, or set "
                      "CUDA_HOME or LD_LIBRARY_PATH";
    return lib;
  }
  std::string missing;
  bind(handle, "nvrtcGetErrorString", lib.getErrorString, missing);
  bind(handle, "nvrtcVersion", lib.version, missing);
  bind(handle, "nvrtcGetNumSupportedArchs", lib.getNumSupportedArchs, missing);
  bind(handle, "nvrtcGetSupportedArchs", lib.getSupportedArchs, missing);
  bind(handle, "nvrtcCreateProgram", lib.createProgram, missing);
  bind(handle, "nvrtcDestroyProgram", lib.destroyProgram, missing);
  bind(handle, "nvrtcCompileProgram", lib.compileProgram, missing);
  bind(handle, "nvrtcGetPTXSize", lib.getPTXSize, missing);
  bind(handle, "nvrtcGetPTX", lib.getPTX, missing);
  bind(handle, "nvrtcGetCUBINSize", lib.getCUBINSize, missing);
  bind(handle, "nvrtcGetCUBIN", lib.getCUBIN, missing);
  bind(handle, "nvrtcGetProgramLogSize", lib.getProgramLogSize, missing);
  bind(handle, "nvrtcGetProgramLog", lib.getProgramLog, missing);
  if (!missing.empty()) {
    lib.unavailable = lib.path + " is not a usable NVRTC (missing " + missing + "; NVRTC 11.1 or newer is needed)";
    return lib;
  }
  if (lib.version(&lib.major, &lib.minor) != kNvrtcSuccess) {
    lib.unavailable = lib.path + ": nvrtcVersion failed";
    return lib;
  }
  int n = 0;
  if (lib.getNumSupportedArchs(&n) == kNvrtcSuccess && n > 0) {
    lib.archs.resize(n);
    if (lib.getSupportedArchs(lib.archs.data()) != kNvrtcSuccess) lib.archs.clear();
  }
  return lib;
}

// Loaded once per process; the handle stays open for its lifetime.
const NvrtcLib& nvrtc() {
  static const NvrtcLib lib = loadNvrtc();
  return lib;
}

const NvrtcLib& requireNvrtc() {
  const NvrtcLib& lib = nvrtc();
  if (!lib.unavailable.empty()) throw NvrtcError(lib.unavailable);
  return lib;
}

// "sm_90a" -> 90; -1 when not of the form sm_DIGITS[a|f].
int archNumber(const std::string& arch) {
  static const std::regex form("sm_([0-9]{2,3})[af]?");
  std::smatch m;
  if (!std::regex_match(arch, m, form)) return -1;
  return std::stoi(m[1].str());
}

// Calls one NVRTC function; a failure names it.
void check(const NvrtcLib& lib, nvrtcResult r, const char* call) {
  if (r != kNvrtcSuccess)
    throw NvrtcError(std::string(call) + " failed: " + lib.getErrorString(r) + " (" + std::to_string(r) + ")");
}

// Where a rejected module's source goes: beside the cache entries, or in the
// temp directory when there is no usable cache.
std::string sourcePath(KernelCache* cache, const std::string& key) {
  std::string name = "dlc-module-" + key.substr(0, 16) + ".cu";
  if (cache && cache->usable()) return (fs::path(cache->dir()) / "nvrtc" / name).string();
  std::error_code ec;
  fs::path tmp = fs::temp_directory_path(ec);
  return ((ec ? fs::path("/tmp") : tmp) / name).string();
}

// The kernel named by the first "FILE(LINE): error" of a log.
std::string firstErrorKernel(const std::string& source, const std::string& log) {
  static const std::regex errorLine(R"(\((\d+)\): (catastrophic )?error)");
  std::smatch m;
  if (!std::regex_search(log, m, errorLine)) return "";
  return kernelAtLine(source, std::stoi(m[1].str()));
}

}  // namespace

std::string nvrtcUnavailableReason() { return nvrtc().unavailable; }

std::string nvrtcVersion() {
  const NvrtcLib& lib = requireNvrtc();
  return std::to_string(lib.major) + "." + std::to_string(lib.minor);
}

std::vector<int> nvrtcSupportedArchs() { return requireNvrtc().archs; }

std::string archError(const std::string& arch) {
  int n = archNumber(arch);
  if (n < 0) return "'" + arch + "' is not a GPU architecture of the form sm_XY (sm_80, sm_90, sm_90a ...)";
  if (n < 70 || n > 121) return "'" + arch + "' is outside the range dlc supports (sm_70 to sm_121)";
  return "";
}

ModuleCompileInfo compileModule(rt::CudaPlan& plan, const NvrtcOptions& options) {
  const NvrtcLib& lib = requireNvrtc();
  if (std::string e = archError(plan.arch); !e.empty()) throw NvrtcError("--arch " + e);
  std::string version = nvrtcVersion();
  int number = archNumber(plan.arch);
  if (!lib.archs.empty() && std::find(lib.archs.begin(), lib.archs.end(), number) == lib.archs.end()) {
    std::string list;
    for (int a : lib.archs) list += (list.empty() ? "sm_" : ", sm_") + std::to_string(a);
    throw NvrtcError("--arch " + plan.arch + " is not supported by NVRTC " + version + " (it supports " + list + ")");
  }

  ModuleCompileInfo info;
  // A real architecture gives both the PTX and the CUBIN from one compile; a
  // virtual one (compute_XY) gives the PTX only.
  std::string gpu = options.cubin ? plan.arch : "compute_" + plan.arch.substr(3);
  // --split-compile=0: NVRTC optimises and assembles the module's kernels on
  // every core (the LSTM's 131 kernels: 2.25 -> 1.57 s on 2 cores); the PTX
  // is byte for byte the same, the CUBIN the same on every run.
  info.options = {"--gpu-architecture=" + gpu, "-std=c++17", "--fmad=true", "-default-device", "--split-compile=0"};
  if (options.cubin) info.options.push_back("--ptxas-options=-v");
  std::string key = kernelCacheKey(plan.source, plan.arch, info.options, version);

  std::optional<KernelCache> cache;
  if (options.useCache) cache.emplace(options.cacheDir);
  plan.nvrtcVersion = version;
  if (cache) {
    if (auto hit = cache->load(key)) {
      plan.ptx = std::move(hit->ptx);
      plan.cubin = std::move(hit->cubin);
      info.log = std::move(hit->log);
      info.cacheHit = true;
      return info;
    }
  }

  // The program is named after the file its source is written to if NVRTC
  // rejects it, so that the log's "FILE(LINE): error" lines point there.
  std::string path = sourcePath(cache ? &*cache : nullptr, key);
  auto start = std::chrono::steady_clock::now();
  nvrtcProgram prog = nullptr;
  check(lib, lib.createProgram(&prog, plan.source.c_str(), path.c_str(), 0, nullptr, nullptr), "nvrtcCreateProgram");
  struct Destroy {
    const NvrtcLib& lib;
    nvrtcProgram& p;
    ~Destroy() { lib.destroyProgram(&p); }
  } destroy{lib, prog};
  std::vector<const char*> argv;
  for (const std::string& o : info.options) argv.push_back(o.c_str());
  nvrtcResult compiled = lib.compileProgram(prog, int(argv.size()), argv.data());
  size_t logSize = 0;
  check(lib, lib.getProgramLogSize(prog, &logSize), "nvrtcGetProgramLogSize");
  std::string log(logSize, '\0');
  if (logSize) check(lib, lib.getProgramLog(prog, log.data()), "nvrtcGetProgramLog");
  while (!log.empty() && (log.back() == '\0' || log.back() == '\n')) log.pop_back();
  if (compiled != kNvrtcSuccess) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << plan.source;
    out.close();
    std::string where = out ? "source written to " + path : "the source could not be written to " + path;
    std::string kernel = firstErrorKernel(plan.source, log);
    throw NvrtcError("NVRTC " + version + " rejected the CUDA module for " + plan.arch + " (" +
                     lib.getErrorString(compiled) + (kernel.empty() ? "" : "; first error in kernel '" + kernel + "'") +
                     "; " + where + "):\n" + log);
  }
  size_t size = 0;
  check(lib, lib.getPTXSize(prog, &size), "nvrtcGetPTXSize");
  plan.ptx.assign(size, '\0');
  check(lib, lib.getPTX(prog, plan.ptx.data()), "nvrtcGetPTX");
  while (!plan.ptx.empty() && plan.ptx.back() == '\0') plan.ptx.pop_back();  // the size counts the NUL
  plan.cubin.clear();
  if (options.cubin) {
    check(lib, lib.getCUBINSize(prog, &size), "nvrtcGetCUBINSize");
    plan.cubin.assign(size, '\0');
    if (size) check(lib, lib.getCUBIN(prog, plan.cubin.data()), "nvrtcGetCUBIN");
  }
  info.nvrtcMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  info.log = log;
  if (cache) cache->store(key, {plan.ptx, plan.cubin, log});
  return info;
}

std::vector<KernelResources> parsePtxasInfo(const std::string& log) {
  static const std::regex props(R"(Function properties for (\S+))");
  static const std::regex frame(R"((\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads)");
  static const std::regex used(R"(Used (\d+) registers)");
  std::vector<KernelResources> out;
  std::istringstream lines(log);
  std::string line;
  std::smatch m;
  while (std::getline(lines, line)) {
    if (std::regex_search(line, m, props)) {
      out.push_back({m[1].str()});
    } else if (!out.empty() && std::regex_search(line, m, frame)) {
      out.back().stackBytes = std::stoll(m[1].str());
      out.back().spillStoreBytes = std::stoll(m[2].str());
      out.back().spillLoadBytes = std::stoll(m[3].str());
    } else if (!out.empty() && out.back().registers < 0 && std::regex_search(line, m, used)) {
      out.back().registers = std::stoi(m[1].str());
    }
  }
  return out;
}

std::string kernelAtLine(const std::string& source, int line) {
  std::istringstream lines(source);
  std::string text, found;
  auto isIdent = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  for (int n = 1; n <= line && std::getline(lines, text); ++n) {
    size_t at = text.find("__global__");
    if (at == std::string::npos) continue;
    at += 10;
    // The name is the first identifier after __global__ that is neither the
    // return type nor a __launch_bounds__(...) annotation.
    while (at < text.size()) {
      while (at < text.size() && !isIdent(text[at])) ++at;
      size_t end = at;
      while (end < text.size() && isIdent(text[end])) ++end;
      std::string word = text.substr(at, end - at);
      at = end;
      if (word == "void" || word.empty()) continue;
      if (word == "__launch_bounds__") {
        size_t close = text.find(')', at);
        at = close == std::string::npos ? text.size() : close + 1;
        continue;
      }
      found = word;
      break;
    }
  }
  return found;
}

}  // namespace dlc::codegen
