// libdlc_fake_cuda.so: the fake CUDA driver described in FakeCuda.h. Every
// entry point is defined under the macro name cuda.h gives it, so the header
// renames it to the versioned symbol the runtime looks up (cuMemAlloc is
// cuMemAlloc_v2) and checks the signature against the real one.
// Test-only: never installed, never linked by dlc.
#include <cuda.h>
#include <dlfcn.h>
#include <elf.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "test/cuda/fake/FakeCuda.h"

#define FAKE_EXPORT extern "C" __attribute__((visibility("default")))
#define FAKE_NAME2(x) #x
#define FAKE_NAME(x) FAKE_NAME2(x)

namespace {

using Clock = std::chrono::steady_clock;
using Op = std::function<CUresult()>;

constexpr size_t kAlignment = 256;
constexpr int kMaxOptInShared = 227 * 1024;  // sm_90's opt-in dynamic shared memory per block

int64_t envInt(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  long long x = std::strtoll(v, &end, 0);
  return end && *end == '\0' ? x : fallback;
}

struct Kernel {
  std::string name;
  int params = 0;
  void (*entry)(void**, const unsigned*) = nullptr;
  int maxDynamicShared = 48 * 1024;
};

struct Registered {
  std::string hostObject;
  std::vector<std::pair<std::string, int>> kernels;
};

struct Module {
  void* handle = nullptr;
  const Registered* info = nullptr;
  std::vector<std::unique_ptr<Kernel>> functions;
};

struct Graph {
  std::vector<Op> ops;
};

struct Stream {
  bool capturing = false;
  bool invalidated = false;  // a call that capture does not allow was made
  std::unique_ptr<Graph> capture;
};

struct Event {
  Clock::time_point at;
  bool recorded = false;
};

struct State {
  std::mutex mutex;
  bool initialised = false;
  int64_t memoryBytes = envInt("DLC_FAKE_CUDA_MEMORY_BYTES", int64_t(1) << 30);
  int smCount = static_cast<int>(envInt("DLC_FAKE_CUDA_SM_COUNT", 132));
  int deviceCount = static_cast<int>(envInt("DLC_FAKE_CUDA_DEVICE_COUNT", 1));
  unsigned maxBlocks = static_cast<unsigned>(std::max<int64_t>(1, envInt("DLC_FAKE_CUDA_MAX_BLOCKS", 3)));
  std::map<uintptr_t, size_t> allocations;  // base -> bytes asked for
  int64_t allocated = 0;                    // rounded to the alignment
  std::map<std::string, Registered> images;  // by image bytes
  std::map<std::string, void*> objects;      // host objects loaded, by path (never closed)
  std::set<Module*> modules;
  std::set<Stream*> streams;
  std::set<Graph*> graphs, execs;
  std::set<Event*> events;
  std::set<const Kernel*> kernels;
  int64_t retains = 0;
  DlcFakeCudaCounts counts{};
  std::string firstMisuse;
  std::map<std::string, std::map<int64_t, CUresult>> failures;  // name -> (call number -> result)
  std::map<std::string, int64_t> calls;

  State() {
    // DLC_FAKE_CUDA_FAIL=NAME:N:CODE[,...]
    if (const char* spec = std::getenv("DLC_FAKE_CUDA_FAIL")) {
      std::stringstream ss(spec);
      std::string item;
      while (std::getline(ss, item, ',')) {
        size_t a = item.find(':'), b = item.rfind(':');
        if (a == std::string::npos || a == b) continue;
        failures[item.substr(0, a)][std::atoll(item.substr(a + 1, b - a - 1).c_str())] =
            static_cast<CUresult>(std::atoi(item.substr(b + 1).c_str()));
      }
    }
  }
};

State& state() {
  static State* s = new State;  // never destroyed: the runtime may call in at exit
  return *s;
}

thread_local bool tlsContextCurrent = false;
int primaryContextTag;  // the primary context's handle is its address

CUcontext primaryContext() { return reinterpret_cast<CUcontext>(&primaryContextTag); }

// Records a misuse (the first is kept as text) and returns `r`.
CUresult misuse(State& s, CUresult r, const std::string& what) {
  ++s.counts.misuses;
  if (s.firstMisuse.empty()) s.firstMisuse = what;
  std::fprintf(stderr, "dlc fake CUDA driver: %s\n", what.c_str());
  return r;
}

// The start of every entry point: counts the call, applies an injected
// failure, and checks initialisation and (where needed) the context.
#define FAKE_ENTER(name, needContext)                                                   \
  State& s = state();                                                                  \
  std::lock_guard<std::mutex> lock(s.mutex);                                            \
  if (CUresult injected = injectedFailure(s, FAKE_NAME(name)); injected != CUDA_SUCCESS) \
    return injected;                                                                   \
  if (CUresult ready = checkReady(s, FAKE_NAME(name), needContext); ready != CUDA_SUCCESS) \
    return ready

CUresult injectedFailure(State& s, const char* name) {
  int64_t n = ++s.calls[name];
  auto it = s.failures.find(name);
  if (it == s.failures.end()) return CUDA_SUCCESS;
  // Call numbers are counted from when the failure was asked for: stored as absolute.
  auto hit = it->second.find(n);
  if (hit == it->second.end()) return CUDA_SUCCESS;
  CUresult r = hit->second;
  it->second.erase(hit);
  return r;
}

CUresult checkReady(State& s, const char* name, bool needContext) {
  if (std::strcmp(name, "cuInit") == 0 || std::strcmp(name, "cuGetErrorName") == 0 ||
      std::strcmp(name, "cuGetErrorString") == 0 || std::strcmp(name, "cuDriverGetVersion") == 0)
    return CUDA_SUCCESS;
  if (!s.initialised) return misuse(s, CUDA_ERROR_NOT_INITIALIZED, std::string(name) + " before cuInit");
  if (needContext && !tlsContextCurrent)
    return misuse(s, CUDA_ERROR_INVALID_CONTEXT, std::string(name) + " with no current context on this thread");
  return CUDA_SUCCESS;
}

// The live allocation holding [p, p + bytes), or misuse.
bool inAllocation(const State& s, CUdeviceptr p, size_t bytes) {
  auto it = s.allocations.upper_bound(static_cast<uintptr_t>(p));
  if (it == s.allocations.begin()) return false;
  --it;
  uintptr_t base = it->first, end = base + it->second;
  return p >= base && p <= end && bytes <= end - p;
}

std::string hex(uint64_t v) {
  char b[32];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

CUresult checkRange(State& s, const char* call, CUdeviceptr p, size_t bytes, const char* what) {
  if (inAllocation(s, p, bytes)) return CUDA_SUCCESS;
  return misuse(s, CUDA_ERROR_INVALID_VALUE, std::string(call) + ": the " + what + " range " + hex(p) + " + " +
                                                 std::to_string(bytes) + " bytes is not inside one live allocation");
}

CUresult checkStream(State& s, const char* call, CUstream st) {
  if (st == nullptr || s.streams.count(reinterpret_cast<Stream*>(st))) return CUDA_SUCCESS;
  return misuse(s, CUDA_ERROR_INVALID_HANDLE, std::string(call) + ": not a live stream");
}

// Runs `op` now, or records it when the stream captures.
CUresult enqueue(State&, CUstream st, Op op) {
  auto* stream = reinterpret_cast<Stream*>(st);
  if (stream && stream->capturing) {
    stream->capture->ops.push_back(std::move(op));
    return CUDA_SUCCESS;
  }
  return op();
}

// A call capture does not allow in CU_STREAM_CAPTURE_MODE_THREAD_LOCAL (and
// GLOBAL) while any stream of this process captures: it invalidates the
// capture and fails.
CUresult refuseDuringCapture(State& s, const char* call) {
  for (Stream* st : s.streams)
    if (st->capturing) {
      st->invalidated = true;
      return misuse(s, CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED,
                    std::string(call) + " while a stream captures (not allowed in stream capture)");
    }
  return CUDA_SUCCESS;
}

// The bytes of a module image: PTX up to its NUL, an ELF file (CUBIN) up to
// the end of its last header table, section or segment; 0 when it is
// neither (or an ELF file would not fit in `limit` bytes).
size_t imageSize(const void* image, size_t limit) {
  const auto* p = static_cast<const unsigned char*>(image);
  if (limit >= sizeof(Elf64_Ehdr) && std::memcmp(p, ELFMAG, SELFMAG) == 0) {
    if (p[EI_CLASS] != ELFCLASS64) return 0;
    Elf64_Ehdr h;
    std::memcpy(&h, p, sizeof h);
    uint64_t end = std::max<uint64_t>(h.e_ehsize, h.e_phoff + uint64_t(h.e_phnum) * h.e_phentsize);
    end = std::max<uint64_t>(end, h.e_shoff + uint64_t(h.e_shnum) * h.e_shentsize);
    if (end > limit || (h.e_shnum && h.e_shentsize < sizeof(Elf64_Shdr)) ||
        (h.e_phnum && h.e_phentsize < sizeof(Elf64_Phdr)))
      return 0;
    for (unsigned i = 0; i < h.e_shnum; ++i) {
      Elf64_Shdr sh;
      std::memcpy(&sh, p + h.e_shoff + uint64_t(i) * h.e_shentsize, sizeof sh);
      if (sh.sh_type != SHT_NOBITS) end = std::max<uint64_t>(end, sh.sh_offset + sh.sh_size);
    }
    for (unsigned i = 0; i < h.e_phnum; ++i) {
      Elf64_Phdr ph;
      std::memcpy(&ph, p + h.e_phoff + uint64_t(i) * h.e_phentsize, sizeof ph);
      end = std::max<uint64_t>(end, ph.p_offset + ph.p_filesz);
    }
    return end <= limit ? static_cast<size_t>(end) : 0;
  }
  size_t n = strnlen(reinterpret_cast<const char*>(p), limit);
  return n < limit ? n : 0;
}

const char* errorName(CUresult r) {
  switch (r) {
#define NAME(e) \
  case e: return #e;
    NAME(CUDA_SUCCESS) NAME(CUDA_ERROR_INVALID_VALUE) NAME(CUDA_ERROR_OUT_OF_MEMORY)
    NAME(CUDA_ERROR_NOT_INITIALIZED) NAME(CUDA_ERROR_NO_DEVICE) NAME(CUDA_ERROR_INVALID_DEVICE)
    NAME(CUDA_ERROR_INVALID_IMAGE) NAME(CUDA_ERROR_INVALID_CONTEXT) NAME(CUDA_ERROR_INVALID_PTX)
    NAME(CUDA_ERROR_INVALID_HANDLE) NAME(CUDA_ERROR_NOT_FOUND) NAME(CUDA_ERROR_ILLEGAL_ADDRESS)
    NAME(CUDA_ERROR_LAUNCH_FAILED) NAME(CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES) NAME(CUDA_ERROR_ILLEGAL_STATE)
    NAME(CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED) NAME(CUDA_ERROR_STREAM_CAPTURE_INVALIDATED)
    NAME(CUDA_ERROR_NOT_SUPPORTED) NAME(CUDA_ERROR_NO_BINARY_FOR_GPU) NAME(CUDA_ERROR_UNKNOWN)
#undef NAME
    default: return nullptr;
  }
}

const char* errorText(CUresult r) {
  switch (r) {
    case CUDA_SUCCESS: return "no error";
    case CUDA_ERROR_INVALID_VALUE: return "invalid argument";
    case CUDA_ERROR_OUT_OF_MEMORY: return "out of memory";
    case CUDA_ERROR_NOT_INITIALIZED: return "initialization error";
    case CUDA_ERROR_NO_DEVICE: return "no CUDA-capable device is detected";
    case CUDA_ERROR_INVALID_DEVICE: return "invalid device ordinal";
    case CUDA_ERROR_INVALID_IMAGE: return "device kernel image is invalid";
    case CUDA_ERROR_INVALID_CONTEXT: return "invalid device context";
    case CUDA_ERROR_INVALID_PTX: return "a PTX JIT compilation failed";
    case CUDA_ERROR_INVALID_HANDLE: return "invalid resource handle";
    case CUDA_ERROR_NOT_FOUND: return "named symbol not found";
    case CUDA_ERROR_ILLEGAL_ADDRESS: return "an illegal memory access was encountered";
    case CUDA_ERROR_LAUNCH_FAILED: return "unspecified launch failure";
    case CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES: return "too many resources requested for launch";
    case CUDA_ERROR_ILLEGAL_STATE: return "the operation cannot be performed in the present state";
    case CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED: return "operation not permitted when stream is capturing";
    case CUDA_ERROR_STREAM_CAPTURE_INVALIDATED: return "operation failed due to a previous error during capture";
    case CUDA_ERROR_NOT_SUPPORTED: return "operation not supported";
    case CUDA_ERROR_NO_BINARY_FOR_GPU: return "no kernel image is available for execution on the device";
    case CUDA_ERROR_UNKNOWN: return "unknown error";
    default: return nullptr;
  }
}

}  // namespace

//===--- control interface (FakeCuda.h) ----------------------------------===//

FAKE_EXPORT void dlcFakeCudaCounts(DlcFakeCudaCounts* out) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  DlcFakeCudaCounts c = s.counts;
  c.allocations = static_cast<int64_t>(s.allocations.size());
  c.allocatedBytes = 0;
  for (auto& [base, bytes] : s.allocations) c.allocatedBytes += static_cast<int64_t>(bytes);
  c.modules = static_cast<int64_t>(s.modules.size());
  c.streams = static_cast<int64_t>(s.streams.size());
  c.graphs = static_cast<int64_t>(s.graphs.size());
  c.graphExecs = static_cast<int64_t>(s.execs.size());
  c.events = static_cast<int64_t>(s.events.size());
  c.contextRetains = s.retains;
  *out = c;
}

FAKE_EXPORT const char* dlcFakeCudaTakeMisuse() {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  static thread_local std::string last;
  last = std::move(s.firstMisuse);
  s.firstMisuse.clear();
  return last.c_str();
}

FAKE_EXPORT void dlcFakeCudaFailCall(const char* name, int64_t nth, int result) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.failures[name][s.calls[name] + nth] = static_cast<CUresult>(result);
}

FAKE_EXPORT void dlcFakeCudaClearFailures() {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.failures.clear();
}

FAKE_EXPORT void dlcFakeCudaSetMemoryBytes(int64_t bytes) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.memoryBytes = bytes;
}

FAKE_EXPORT int dlcFakeCudaRegisterModule(const void* image, uint64_t imageBytes, const char* hostObject,
                                          int kernelCount, const char* const* kernelNames, const int* paramCounts) {
  size_t n = image ? imageSize(image, static_cast<size_t>(imageBytes) + 1) : 0;
  if (n == 0 || n > imageBytes) return -1;
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  Registered r;
  r.hostObject = hostObject;
  for (int i = 0; i < kernelCount; ++i) r.kernels.emplace_back(kernelNames[i], paramCounts[i]);
  s.images[std::string(static_cast<const char*>(image), n)] = std::move(r);
  return 0;
}

//===--- the driver API ----------------------------------------------------===//

FAKE_EXPORT CUresult cuGetErrorName(CUresult error, const char** pStr) {
  FAKE_ENTER(cuGetErrorName, false);
  *pStr = errorName(error);
  return *pStr ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

FAKE_EXPORT CUresult cuGetErrorString(CUresult error, const char** pStr) {
  FAKE_ENTER(cuGetErrorString, false);
  *pStr = errorText(error);
  return *pStr ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

FAKE_EXPORT CUresult cuInit(unsigned int flags) {
  FAKE_ENTER(cuInit, false);
  if (flags != 0) return CUDA_ERROR_INVALID_VALUE;
  s.initialised = true;
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuDriverGetVersion(int* version) {
  FAKE_ENTER(cuDriverGetVersion, false);
  *version = CUDA_VERSION;
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuDeviceGetCount(int* count) {
  FAKE_ENTER(cuDeviceGetCount, false);
  *count = s.deviceCount;
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuDeviceGet(CUdevice* device, int ordinal) {
  FAKE_ENTER(cuDeviceGet, false);
  if (ordinal < 0 || ordinal >= s.deviceCount) return CUDA_ERROR_INVALID_DEVICE;
  *device = ordinal;
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuDeviceGetName(char* name, int len, CUdevice dev) {
  FAKE_ENTER(cuDeviceGetName, false);
  if (dev < 0 || dev >= s.deviceCount) return CUDA_ERROR_INVALID_DEVICE;
  if (len <= 0) return CUDA_ERROR_INVALID_VALUE;
  std::snprintf(name, static_cast<size_t>(len), "dlc fake CUDA device (sm_90, %d SMs)", s.smCount);
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuDeviceGetAttribute(int* value, CUdevice_attribute attrib, CUdevice dev) {
  FAKE_ENTER(cuDeviceGetAttribute, false);
  if (dev < 0 || dev >= s.deviceCount) return CUDA_ERROR_INVALID_DEVICE;
  switch (attrib) {
    case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR: *value = 9; break;
    case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR: *value = 0; break;
    case CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT: *value = s.smCount; break;
    case CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK: *value = 1024; break;
    case CU_DEVICE_ATTRIBUTE_WARP_SIZE: *value = 32; break;
    case CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_X: case CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Y: *value = 1024; break;
    case CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Z: *value = 64; break;
    case CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X: *value = 0x7fffffff; break;
    case CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Y: case CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Z: *value = 65535; break;
    case CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK: *value = 48 * 1024; break;
    case CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN: *value = kMaxOptInShared; break;
    default: return CUDA_ERROR_INVALID_VALUE;
  }
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuDeviceTotalMem(size_t* bytes, CUdevice dev) {
  FAKE_ENTER(cuDeviceTotalMem, false);
  if (dev < 0 || dev >= s.deviceCount) return CUDA_ERROR_INVALID_DEVICE;
  *bytes = static_cast<size_t>(s.memoryBytes);
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuDevicePrimaryCtxRetain(CUcontext* pctx, CUdevice dev) {
  FAKE_ENTER(cuDevicePrimaryCtxRetain, false);
  if (dev < 0 || dev >= s.deviceCount) return CUDA_ERROR_INVALID_DEVICE;
  ++s.retains;
  *pctx = primaryContext();
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuDevicePrimaryCtxRelease(CUdevice dev) {
  FAKE_ENTER(cuDevicePrimaryCtxRelease, false);
  if (dev < 0 || dev >= s.deviceCount) return CUDA_ERROR_INVALID_DEVICE;
  if (s.retains == 0) return misuse(s, CUDA_ERROR_INVALID_CONTEXT, "cuDevicePrimaryCtxRelease_v2 with no retain");
  --s.retains;
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuCtxSetCurrent(CUcontext ctx) {
  FAKE_ENTER(cuCtxSetCurrent, false);
  if (ctx == nullptr) {
    tlsContextCurrent = false;
    return CUDA_SUCCESS;
  }
  if (ctx != primaryContext() || s.retains == 0)
    return misuse(s, CUDA_ERROR_INVALID_CONTEXT, "cuCtxSetCurrent: not a retained context");
  tlsContextCurrent = true;
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuStreamCreate(CUstream* stream, unsigned int flags) {
  FAKE_ENTER(cuStreamCreate, true);
  if (flags & ~unsigned(CU_STREAM_NON_BLOCKING)) return CUDA_ERROR_INVALID_VALUE;
  auto* st = new Stream;
  s.streams.insert(st);
  *stream = reinterpret_cast<CUstream>(st);
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuStreamDestroy(CUstream stream) {
  FAKE_ENTER(cuStreamDestroy, true);
  auto* st = reinterpret_cast<Stream*>(stream);
  if (!s.streams.count(st)) return misuse(s, CUDA_ERROR_INVALID_HANDLE, "cuStreamDestroy_v2: not a live stream");
  if (st->capturing) misuse(s, CUDA_ERROR_ILLEGAL_STATE, "cuStreamDestroy_v2 of a stream that captures");
  s.streams.erase(st);
  delete st;
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuStreamSynchronize(CUstream stream) {
  FAKE_ENTER(cuStreamSynchronize, true);
  if (CUresult r = checkStream(s, "cuStreamSynchronize", stream); r != CUDA_SUCCESS) return r;
  auto* st = reinterpret_cast<Stream*>(stream);
  if (st && st->capturing) {
    st->invalidated = true;
    return misuse(s, CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED, "cuStreamSynchronize of a stream that captures");
  }
  return CUDA_SUCCESS;  // every operation ran when it was enqueued
}

FAKE_EXPORT CUresult cuMemAlloc(CUdeviceptr* dptr, size_t bytes) {
  FAKE_ENTER(cuMemAlloc, true);
  if (CUresult r = refuseDuringCapture(s, "cuMemAlloc_v2"); r != CUDA_SUCCESS) return r;
  if (bytes == 0) return CUDA_ERROR_INVALID_VALUE;
  size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  if (rounded < bytes || static_cast<int64_t>(rounded) > s.memoryBytes - s.allocated) return CUDA_ERROR_OUT_OF_MEMORY;
  void* p = std::aligned_alloc(kAlignment, rounded);
  if (!p) return CUDA_ERROR_OUT_OF_MEMORY;
  // Fresh device memory holds garbage: poison it, as the emulated device does.
  std::memset(p, 0xff, rounded);
  s.allocations[reinterpret_cast<uintptr_t>(p)] = bytes;
  s.allocated += static_cast<int64_t>(rounded);
  *dptr = reinterpret_cast<CUdeviceptr>(p);
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuMemFree(CUdeviceptr dptr) {
  FAKE_ENTER(cuMemFree, true);
  if (CUresult r = refuseDuringCapture(s, "cuMemFree_v2"); r != CUDA_SUCCESS) return r;
  auto it = s.allocations.find(static_cast<uintptr_t>(dptr));
  if (it == s.allocations.end())
    return misuse(s, CUDA_ERROR_INVALID_VALUE, "cuMemFree_v2 of " + hex(dptr) + ", not the start of a live allocation");
  s.allocated -= static_cast<int64_t>((it->second + kAlignment - 1) / kAlignment * kAlignment);
  std::free(reinterpret_cast<void*>(it->first));
  s.allocations.erase(it);
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuMemGetInfo(size_t* free, size_t* total) {
  FAKE_ENTER(cuMemGetInfo, true);
  *total = static_cast<size_t>(s.memoryBytes);
  *free = static_cast<size_t>(std::max<int64_t>(0, s.memoryBytes - s.allocated));
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuMemcpyHtoDAsync(CUdeviceptr dst, const void* src, size_t bytes, CUstream stream) {
  FAKE_ENTER(cuMemcpyHtoDAsync, true);
  if (CUresult r = checkStream(s, "cuMemcpyHtoDAsync_v2", stream); r != CUDA_SUCCESS) return r;
  if (CUresult r = checkRange(s, "cuMemcpyHtoDAsync_v2", dst, bytes, "destination"); r != CUDA_SUCCESS) return r;
  if (!src && bytes) return misuse(s, CUDA_ERROR_INVALID_VALUE, "cuMemcpyHtoDAsync_v2 from a null host pointer");
  return enqueue(s, stream, [&s, dst, src, bytes] {
    ++s.counts.copies;
    if (bytes) std::memcpy(reinterpret_cast<void*>(dst), src, bytes);
    return CUDA_SUCCESS;
  });
}

FAKE_EXPORT CUresult cuMemcpyDtoHAsync(void* dst, CUdeviceptr src, size_t bytes, CUstream stream) {
  FAKE_ENTER(cuMemcpyDtoHAsync, true);
  if (CUresult r = checkStream(s, "cuMemcpyDtoHAsync_v2", stream); r != CUDA_SUCCESS) return r;
  if (CUresult r = checkRange(s, "cuMemcpyDtoHAsync_v2", src, bytes, "source"); r != CUDA_SUCCESS) return r;
  if (!dst && bytes) return misuse(s, CUDA_ERROR_INVALID_VALUE, "cuMemcpyDtoHAsync_v2 to a null host pointer");
  return enqueue(s, stream, [&s, dst, src, bytes] {
    ++s.counts.copies;
    if (bytes) std::memcpy(dst, reinterpret_cast<const void*>(src), bytes);
    return CUDA_SUCCESS;
  });
}

FAKE_EXPORT CUresult cuMemcpyDtoDAsync(CUdeviceptr dst, CUdeviceptr src, size_t bytes, CUstream stream) {
  FAKE_ENTER(cuMemcpyDtoDAsync, true);
  if (CUresult r = checkStream(s, "cuMemcpyDtoDAsync_v2", stream); r != CUDA_SUCCESS) return r;
  if (CUresult r = checkRange(s, "cuMemcpyDtoDAsync_v2", src, bytes, "source"); r != CUDA_SUCCESS) return r;
  if (CUresult r = checkRange(s, "cuMemcpyDtoDAsync_v2", dst, bytes, "destination"); r != CUDA_SUCCESS) return r;
  return enqueue(s, stream, [&s, dst, src, bytes] {
    ++s.counts.copies;
    // cuMemcpy's ranges must not overlap; memmove keeps an overlap harmless here.
    if (bytes) std::memmove(reinterpret_cast<void*>(dst), reinterpret_cast<const void*>(src), bytes);
    return CUDA_SUCCESS;
  });
}

FAKE_EXPORT CUresult cuMemsetD32Async(CUdeviceptr dst, unsigned int value, size_t n, CUstream stream) {
  FAKE_ENTER(cuMemsetD32Async, true);
  if (CUresult r = checkStream(s, "cuMemsetD32Async", stream); r != CUDA_SUCCESS) return r;
  if (dst % 4) return misuse(s, CUDA_ERROR_INVALID_VALUE, "cuMemsetD32Async at an address not 4-byte aligned");
  if (CUresult r = checkRange(s, "cuMemsetD32Async", dst, n * 4, "destination"); r != CUDA_SUCCESS) return r;
  return enqueue(s, stream, [&s, dst, value, n] {
    ++s.counts.copies;
    auto* p = reinterpret_cast<uint32_t*>(dst);
    std::fill(p, p + n, value);
    return CUDA_SUCCESS;
  });
}

FAKE_EXPORT CUresult cuModuleLoadDataEx(CUmodule* module, const void* image, unsigned int numOptions,
                                        CUjit_option* options, void** optionValues) {
  // The JIT error log, where the caller gave one.
  char* log = nullptr;
  size_t logBytes = 0;
  for (unsigned i = 0; i < numOptions; ++i) {
    if (options[i] == CU_JIT_ERROR_LOG_BUFFER) log = static_cast<char*>(optionValues[i]);
    if (options[i] == CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES)
      logBytes = static_cast<size_t>(reinterpret_cast<uintptr_t>(optionValues[i]));
  }
  auto writeLog = [&](const std::string& text) {
    if (log && logBytes) std::snprintf(log, logBytes, "%s", text.c_str());
  };
  State& s = state();
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    if (CUresult injected = injectedFailure(s, "cuModuleLoadDataEx"); injected != CUDA_SUCCESS) {
      writeLog("dlc fake CUDA driver: injected failure of cuModuleLoadDataEx");
      return injected;
    }
  }
  std::lock_guard<std::mutex> lock(s.mutex);
  if (CUresult ready = checkReady(s, "cuModuleLoadDataEx", true); ready != CUDA_SUCCESS) return ready;
  if (CUresult r = refuseDuringCapture(s, "cuModuleLoadDataEx"); r != CUDA_SUCCESS) return r;
  bool elf = std::memcmp(image, ELFMAG, SELFMAG) == 0;
  // Registered images are compared by their bytes; an image is read only as
  // far as its own size (PTX: its NUL; ELF: its headers say).
  const Registered* found = nullptr;
  for (auto& [bytes, reg] : s.images) {
    if (elf != (std::memcmp(bytes.data(), ELFMAG, SELFMAG) == 0)) continue;
    size_t n = imageSize(image, bytes.size() + 1);
    if (n == bytes.size() && std::memcmp(image, bytes.data(), n) == 0) {
      found = &reg;
      break;
    }
  }
  if (!found) {
    writeLog("dlc fake CUDA driver: no host module was registered for this " + std::string(elf ? "CUBIN" : "PTX") +
             " image (dlcFakeCudaRegisterModule)");
    return elf ? CUDA_ERROR_INVALID_IMAGE : CUDA_ERROR_INVALID_PTX;
  }
  void*& handle = s.objects[found->hostObject];
  if (!handle) handle = dlopen(found->hostObject.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* e = dlerror();
    writeLog("dlc fake CUDA driver: cannot load " + found->hostObject + ": " + (e ? e : "?"));
    s.objects.erase(found->hostObject);
    return CUDA_ERROR_INVALID_IMAGE;
  }
  auto* m = new Module;
  m->handle = handle;
  m->info = found;
  s.modules.insert(m);
  *module = reinterpret_cast<CUmodule>(m);
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuModuleUnload(CUmodule module) {
  FAKE_ENTER(cuModuleUnload, true);
  auto* m = reinterpret_cast<Module*>(module);
  if (!s.modules.count(m)) return misuse(s, CUDA_ERROR_INVALID_HANDLE, "cuModuleUnload: not a loaded module");
  for (auto& f : m->functions) s.kernels.erase(f.get());
  s.modules.erase(m);
  delete m;  // the host object stays loaded: its code may be in a graph still (as a real module's may not)
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuModuleGetFunction(CUfunction* fn, CUmodule module, const char* name) {
  FAKE_ENTER(cuModuleGetFunction, true);
  auto* m = reinterpret_cast<Module*>(module);
  if (!s.modules.count(m)) return misuse(s, CUDA_ERROR_INVALID_HANDLE, "cuModuleGetFunction: not a loaded module");
  int params = -1;
  for (auto& [n, p] : m->info->kernels)
    if (n == name) params = p;
  auto entry = reinterpret_cast<void (*)(void**, const unsigned*)>(
      dlsym(m->handle, (std::string(name) + "_emulate").c_str()));
  if (params < 0 || !entry) return CUDA_ERROR_NOT_FOUND;
  auto k = std::make_unique<Kernel>();
  k->name = name;
  k->params = params;
  k->entry = entry;
  *fn = reinterpret_cast<CUfunction>(k.get());
  s.kernels.insert(k.get());
  m->functions.push_back(std::move(k));
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuFuncSetAttribute(CUfunction fn, CUfunction_attribute attrib, int value) {
  FAKE_ENTER(cuFuncSetAttribute, true);
  auto* k = reinterpret_cast<Kernel*>(fn);
  if (!s.kernels.count(k)) return misuse(s, CUDA_ERROR_INVALID_HANDLE, "cuFuncSetAttribute: not a function");
  if (attrib != CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES) return CUDA_ERROR_NOT_SUPPORTED;
  if (value < 0 || value > kMaxOptInShared) return CUDA_ERROR_INVALID_VALUE;
  k->maxDynamicShared = value;
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuLaunchKernel(CUfunction f, unsigned int gx, unsigned int gy, unsigned int gz, unsigned int bx,
                                    unsigned int by, unsigned int bz, unsigned int sharedBytes, CUstream stream,
                                    void** kernelParams, void** extra) {
  FAKE_ENTER(cuLaunchKernel, true);
  ++s.counts.launchCalls;
  auto* k = reinterpret_cast<Kernel*>(f);
  if (!s.kernels.count(k)) return misuse(s, CUDA_ERROR_INVALID_HANDLE, "cuLaunchKernel: not a function");
  if (CUresult r = checkStream(s, "cuLaunchKernel", stream); r != CUDA_SUCCESS) return r;
  std::string what = "cuLaunchKernel of " + k->name + ": ";
  if (gx == 0 || gy == 0 || gz == 0 || gx > 0x7fffffffu || gy > 65535 || gz > 65535)
    return misuse(s, CUDA_ERROR_INVALID_VALUE, what + "grid " + std::to_string(gx) + "x" + std::to_string(gy) + "x" +
                                                   std::to_string(gz) + " out of range");
  if (bx == 0 || by == 0 || bz == 0 || bx > 1024 || by > 1024 || bz > 64 || uint64_t(bx) * by * bz > 1024)
    return misuse(s, CUDA_ERROR_INVALID_VALUE, what + "block " + std::to_string(bx) + "x" + std::to_string(by) + "x" +
                                                   std::to_string(bz) + " out of range");
  if (static_cast<int>(sharedBytes) > k->maxDynamicShared || sharedBytes > unsigned(kMaxOptInShared))
    return misuse(s, CUDA_ERROR_INVALID_VALUE, what + std::to_string(sharedBytes) +
                                                   " bytes of dynamic shared memory, above the function's limit " +
                                                   std::to_string(k->maxDynamicShared));
  if (extra) return misuse(s, CUDA_ERROR_NOT_SUPPORTED, what + "`extra` is not modelled");
  if (k->params > 0 && !kernelParams) return misuse(s, CUDA_ERROR_INVALID_VALUE, what + "no kernelParams");
  // The parameters are copied now (a real launch copies them too), each a
  // device pointer (every generated kernel's parameter is one).
  std::vector<CUdeviceptr> args(static_cast<size_t>(k->params));
  for (int i = 0; i < k->params; ++i) {
    if (!kernelParams[i]) return misuse(s, CUDA_ERROR_INVALID_VALUE, what + "kernelParams[" + std::to_string(i) + "] is null");
    std::memcpy(&args[static_cast<size_t>(i)], kernelParams[i], sizeof(CUdeviceptr));
  }
  unsigned grid[6] = {std::min(gx, s.maxBlocks), std::min(gy, s.maxBlocks), std::min(gz, s.maxBlocks), bx, by, bz};
  std::string name = k->name;
  auto entry = k->entry;
  return enqueue(s, stream, [&s, args, grid, name, entry]() -> CUresult {
    std::vector<void*> a;
    for (size_t i = 0; i < args.size(); ++i) {
      // A pointer one past an allocation's end is fine for an empty tensor.
      if (!inAllocation(s, args[i], 0))
        return misuse(s, CUDA_ERROR_ILLEGAL_ADDRESS, "kernel " + name + ": argument " + std::to_string(i) + " (" +
                                                         hex(args[i]) + ") is not in a live allocation");
      a.push_back(reinterpret_cast<void*>(args[i]));
    }
    ++s.counts.kernelRuns;
    entry(a.data(), grid);
    return CUDA_SUCCESS;
  });
}

FAKE_EXPORT CUresult cuStreamBeginCapture(CUstream stream, CUstreamCaptureMode mode) {
  FAKE_ENTER(cuStreamBeginCapture, true);
  auto* st = reinterpret_cast<Stream*>(stream);
  if (!st) return misuse(s, CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED, "cuStreamBeginCapture_v2 on the legacy stream");
  if (!s.streams.count(st)) return misuse(s, CUDA_ERROR_INVALID_HANDLE, "cuStreamBeginCapture_v2: not a live stream");
  if (st->capturing) return misuse(s, CUDA_ERROR_ILLEGAL_STATE, "cuStreamBeginCapture_v2: the stream captures already");
  (void)mode;
  st->capturing = true;
  st->invalidated = false;
  st->capture = std::make_unique<Graph>();
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuStreamEndCapture(CUstream stream, CUgraph* graph) {
  FAKE_ENTER(cuStreamEndCapture, true);
  auto* st = reinterpret_cast<Stream*>(stream);
  if (!st || !s.streams.count(st)) return misuse(s, CUDA_ERROR_INVALID_HANDLE, "cuStreamEndCapture: not a live stream");
  if (!st->capturing) return misuse(s, CUDA_ERROR_ILLEGAL_STATE, "cuStreamEndCapture of a stream that does not capture");
  st->capturing = false;
  std::unique_ptr<Graph> g = std::move(st->capture);
  if (st->invalidated) {
    *graph = nullptr;
    return CUDA_ERROR_STREAM_CAPTURE_INVALIDATED;
  }
  s.graphs.insert(g.get());
  *graph = reinterpret_cast<CUgraph>(g.release());
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuGraphInstantiate(CUgraphExec* exec, CUgraph graph, unsigned long long flags) {
  FAKE_ENTER(cuGraphInstantiate, true);
  auto* g = reinterpret_cast<Graph*>(graph);
  if (!s.graphs.count(g)) return misuse(s, CUDA_ERROR_INVALID_HANDLE, "cuGraphInstantiateWithFlags: not a graph");
  if (flags != 0) return CUDA_ERROR_NOT_SUPPORTED;
  auto* e = new Graph(*g);
  s.execs.insert(e);
  *exec = reinterpret_cast<CUgraphExec>(e);
  return CUDA_SUCCESS;
}

// The incomplete variant (libdlc_fake_cuda_incomplete.so, built with
// DLC_FAKE_CUDA_INCOMPLETE) lacks this entry point: the runtime must call the
// driver unavailable, naming it.
#ifndef DLC_FAKE_CUDA_INCOMPLETE
FAKE_EXPORT CUresult cuGraphLaunch(CUgraphExec exec, CUstream stream) {
  FAKE_ENTER(cuGraphLaunch, true);
  auto* e = reinterpret_cast<Graph*>(exec);
  if (!s.execs.count(e)) return misuse(s, CUDA_ERROR_INVALID_HANDLE, "cuGraphLaunch: not an instantiated graph");
  if (CUresult r = checkStream(s, "cuGraphLaunch", stream); r != CUDA_SUCCESS) return r;
  return enqueue(s, stream, [&s, e]() -> CUresult {
    if (!s.execs.count(e)) return misuse(s, CUDA_ERROR_INVALID_HANDLE, "a replayed graph was destroyed");
    ++s.counts.graphLaunches;
    for (Op& op : e->ops)
      if (CUresult r = op(); r != CUDA_SUCCESS) return r;
    return CUDA_SUCCESS;
  });
}
#endif

FAKE_EXPORT CUresult cuGraphExecDestroy(CUgraphExec exec) {
  FAKE_ENTER(cuGraphExecDestroy, true);
  auto* e = reinterpret_cast<Graph*>(exec);
  if (!s.execs.erase(e)) return misuse(s, CUDA_ERROR_INVALID_HANDLE, "cuGraphExecDestroy: not an instantiated graph");
  delete e;
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuGraphDestroy(CUgraph graph) {
  FAKE_ENTER(cuGraphDestroy, true);
  auto* g = reinterpret_cast<Graph*>(graph);
  if (!s.graphs.erase(g)) return misuse(s, CUDA_ERROR_INVALID_HANDLE, "cuGraphDestroy: not a graph");
  delete g;
  return CUDA_SUCCESS;
}

// Events: for `dlc bench` (host steady clock; streams are synchronous, so an
// event's time is when it was enqueued, or replayed).
FAKE_EXPORT CUresult cuEventCreate(CUevent* event, unsigned int flags) {
  FAKE_ENTER(cuEventCreate, true);
  (void)flags;
  auto* e = new Event;
  s.events.insert(e);
  *event = reinterpret_cast<CUevent>(e);
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuEventRecord(CUevent event, CUstream stream) {
  FAKE_ENTER(cuEventRecord, true);
  auto* e = reinterpret_cast<Event*>(event);
  if (!s.events.count(e)) return misuse(s, CUDA_ERROR_INVALID_HANDLE, "cuEventRecord: not an event");
  if (CUresult r = checkStream(s, "cuEventRecord", stream); r != CUDA_SUCCESS) return r;
  return enqueue(s, stream, [&s, e]() -> CUresult {
    if (!s.events.count(e)) return misuse(s, CUDA_ERROR_INVALID_HANDLE, "a recorded event was destroyed");
    e->at = Clock::now();
    e->recorded = true;
    return CUDA_SUCCESS;
  });
}

FAKE_EXPORT CUresult cuEventSynchronize(CUevent event) {
  FAKE_ENTER(cuEventSynchronize, true);
  if (!s.events.count(reinterpret_cast<Event*>(event)))
    return misuse(s, CUDA_ERROR_INVALID_HANDLE, "cuEventSynchronize: not an event");
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuEventElapsedTime(float* ms, CUevent start, CUevent end) {
  FAKE_ENTER(cuEventElapsedTime, true);
  auto *a = reinterpret_cast<Event*>(start), *b = reinterpret_cast<Event*>(end);
  if (!s.events.count(a) || !s.events.count(b))
    return misuse(s, CUDA_ERROR_INVALID_HANDLE, "cuEventElapsedTime_v2: not an event");
  if (!a->recorded || !b->recorded) return CUDA_ERROR_INVALID_HANDLE;  // as the driver says for unrecorded events
  *ms = std::chrono::duration<float, std::milli>(b->at - a->at).count();
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuEventDestroy(CUevent event) {
  FAKE_ENTER(cuEventDestroy, true);
  auto* e = reinterpret_cast<Event*>(event);
  if (!s.events.erase(e)) return misuse(s, CUDA_ERROR_INVALID_HANDLE, "cuEventDestroy_v2: not an event");
  delete e;
  return CUDA_SUCCESS;
}
