// The CUDA device. Buffers are placed as on the host device: Intermediates
// with an arena offset in one arena allocation, every other value the steps
// touch (inputs, constants, outputs with a buffer of their own, Locals a
// library call writes) in a second, fixed allocation together with one
// status word per step and the scratch of library calls whose output would
// overwrite an operand. Everything is allocated when the executor is made,
// so run() never allocates and a captured CUDA graph stays valid.
#include "runtime/cuda/CudaDevice.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <optional>

#include "runtime/cuda/CublasLt.h"
#include "runtime/cuda/CudaDriver.h"
#include "runtime/cuda/Cudnn.h"
#include "runtime/cuda/PlanCheck.h"
#include "runtime/host/HostDevice.h"
#include "runtime/host/NonFinite.h"

namespace dlc::rt::cuda {

std::string unavailableReason() {
  std::string why;
  loadDriver(why);
  return why;
}

DeviceInfo deviceInfo(int ordinal) {
  const Driver& d = driver();
  CUdevice dev = 0;
  std::string what = "device " + std::to_string(ordinal);
  DLC_CU(what, cuDeviceGet, &dev, ordinal);
  DeviceInfo info;
  char name[256] = {};
  DLC_CU(what, cuDeviceGetName, name, sizeof name - 1, dev);
  info.name = name;
  int major = 0, minor = 0;
  DLC_CU(what, cuDeviceGetAttribute, &major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev);
  DLC_CU(what, cuDeviceGetAttribute, &minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev);
  info.arch = "sm_" + std::to_string(major) + std::to_string(minor);
  DLC_CU(what, cuDeviceGetAttribute, &info.smCount, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, dev);
  size_t total = 0;
  DLC_CU(what, cuDeviceTotalMem, &total, dev);
  info.totalMemory = static_cast<int64_t>(total);
  DLC_CU(what, cuDriverGetVersion, &info.driverVersion);
  (void)d;
  return info;
}

namespace {

int64_t roundUp(int64_t v) { return (v + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment; }

// The 32-bit word whose repetition is splat `v` in memory (little-endian:
// a 1- or 2-byte element repeated 4 or 2 times), if there is one: not for
// an 8-byte element whose two halves differ.
std::optional<uint32_t> splatWord(const ValueInfo& v) {
  const auto* e = static_cast<const unsigned char*>(v.constant.data());
  switch (dtypeSize(v.type.dtype)) {
    case 1: return uint32_t(e[0]) * 0x01010101u;
    case 2: {
      uint16_t h;
      std::memcpy(&h, e, 2);
      return uint32_t(h) * 0x00010001u;
    }
    case 4: {
      uint32_t w;
      std::memcpy(&w, e, 4);
      return w;
    }
    case 8: {
      uint32_t lo, hi;
      std::memcpy(&lo, e, 4);
      std::memcpy(&hi, e + 4, 4);
      if (lo == hi) return lo;
      return std::nullopt;
    }
  }
  return std::nullopt;
}

// One device allocation, freed when it goes.
class DeviceMemory {
 public:
  DeviceMemory() = default;
  DeviceMemory(int64_t bytes, const std::string& what) : bytes_(bytes) {
    if (bytes <= 0) return;
    CUresult r = driver().cuMemAlloc(&ptr_, static_cast<size_t>(bytes));
    if (r == CUDA_ERROR_OUT_OF_MEMORY) {
      size_t free = 0, total = 0;
      driver().cuMemGetInfo(&free, &total);
      ptr_ = 0;
      throw DeviceUnavailable("out of device memory: " DLC_CU_NAME(cuMemAlloc) " of " + std::to_string(bytes) +
                              " bytes for " + what + " failed; " + std::to_string(free) + " bytes free of " +
                              std::to_string(total));
    }
    check(r, DLC_CU_NAME(cuMemAlloc), "allocating " + std::to_string(bytes) + " bytes for " + what);
  }
  ~DeviceMemory() {
    if (ptr_) driver().cuMemFree(ptr_);
  }
  DeviceMemory(DeviceMemory&& o) noexcept : ptr_(o.ptr_), bytes_(o.bytes_) { o.ptr_ = 0; }
  DeviceMemory& operator=(DeviceMemory&& o) noexcept {
    std::swap(ptr_, o.ptr_);
    std::swap(bytes_, o.bytes_);
    return *this;
  }
  CUdeviceptr ptr() const { return ptr_; }
  int64_t bytes() const { return bytes_; }

 private:
  CUdeviceptr ptr_ = 0;
  int64_t bytes_ = 0;
};

struct Launch {
  int32_t kernel = -1;  // index into CudaPlan::kernels (-1: none)
  std::vector<CUdeviceptr> args;
  std::vector<void*> params;  // into args (built last, args never move after)
};

struct StepExec {
  StepKind kind = StepKind::Kernel;
  std::string where;     // the Program kernel's source op, for errors
  Launch launch;         // Kernel: the kernel; Gemm/Conv: the epilogue
  std::unique_ptr<LtGemmRunner> gemm;
  GemmBuffers gemmBuffers;
  std::unique_ptr<CudnnConvRunner> conv;
  ConvBuffers convBuffers;
  bool empty = false;    // nothing to compute (a zero-size output)
  // A library call whose output overlaps an operand writes to scratch and is
  // copied into place afterwards.
  int32_t stagedValue = -1;
  int64_t scratchOffset = -1;  // in the fixed block
  // Staged because the call writes another element type than the output
  // (PlanCheck.h stagedByType): the epilogue reads the scratch, no copy.
  bool retyped = false;
};

bool emptyGrid(const Dim3& d) { return d.x == 0 || d.y == 0 || d.z == 0; }

}  // namespace

struct CudaExecutor::Impl {
  const Program& program;
  const CudaPlan& plan;
  RunOptions options;
  CUdevice device = 0;
  CUcontext ctx = nullptr;
  CUstream stream = nullptr;
  CUmodule module = nullptr;
  std::vector<CUfunction> functions;
  DeviceMemory arena, fixed, workspace;
  std::vector<CUdeviceptr> valuePtr;  // by value id; 0: the value has no device buffer
  CUdeviceptr status = 0;             // one int32 per step
  std::vector<StepExec> steps;
  CUgraphExec graph = nullptr;
  // RunOptions::timeRun/timeSteps: around the steps, and before each step
  // with one after the last (steps + 1).
  CUevent runBegin = nullptr, runEnd = nullptr;
  std::vector<CUevent> stepEvents;
  RunTiming timing;

  Impl(const Program& p, const CudaPlan& pl, const RunOptions& o) : program(p), plan(pl), options(o) {}

  ~Impl() {
    if (!ctx) return;
    const Driver& d = driver();
    d.cuCtxSetCurrent(ctx);
    if (stream) d.cuStreamSynchronize(stream);
    if (graph) d.cuGraphExecDestroy(graph);
    for (CUevent e : stepEvents) d.cuEventDestroy(e);
    if (runBegin) d.cuEventDestroy(runBegin);
    if (runEnd) d.cuEventDestroy(runEnd);
    steps.clear();  // library descriptors and handles before the memory
    arena = DeviceMemory();
    fixed = DeviceMemory();
    workspace = DeviceMemory();
    if (module) d.cuModuleUnload(module);
    if (stream) d.cuStreamDestroy(stream);
    d.cuDevicePrimaryCtxRelease(device);
  }

  void makeCurrent() { DLC_CU("", cuCtxSetCurrent, ctx); }

  void open();
  void loadModule();
  void place();
  void prepareSteps();
  void enqueueSteps();
  void enqueueStep(const StepExec& e);
  void runChecked();
  void enqueueLaunch(const Launch& l, const std::string& where);
  void createEvents();
  void readTiming();
  void execute(const std::function<void()>& copyIn, const std::function<void()>& copyOut);
};

void CudaExecutor::Impl::open() {
  const Driver& d = driver();
  (void)d;
  std::string what = "device " + std::to_string(options.device);
  DLC_CU(what, cuDeviceGet, &device, options.device);
  DLC_CU(what, cuDevicePrimaryCtxRetain, &ctx, device);
  makeCurrent();
  DLC_CU(what, cuStreamCreate, &stream, CU_STREAM_NON_BLOCKING);
}

// The CUBIN when it was built for this device, else the PTX (the driver
// JIT-compiles it, also for a newer GPU than the one it was made for).
void CudaExecutor::Impl::loadModule() {
  if (plan.kernels.empty()) return;
  DeviceInfo info = deviceInfo(options.device);
  bool cubinFits = !plan.cubin.empty() && (plan.arch == info.arch || plan.arch == info.arch + "a");
  if (!cubinFits && plan.ptx.empty()) {
    if (plan.cubin.empty())
      throw DeviceError("the CUDA plan holds neither PTX nor CUBIN (was the module compiled with NVRTC?)");
    throw DeviceError("the CUDA plan holds a CUBIN for " + plan.arch + " and no PTX; the device (" + info.name +
                      ") is " + info.arch + ": compile for " + info.arch + " or keep the PTX");
  }
  const std::string& image = cubinFits ? plan.cubin : plan.ptx;
  char log[8192] = {};
  CUjit_option opts[] = {CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
  void* values[] = {log, reinterpret_cast<void*>(static_cast<uintptr_t>(sizeof log - 1))};
  CUresult r = driver().cuModuleLoadDataEx(&module, image.c_str(), 2, opts, values);
  if (r != CUDA_SUCCESS) {
    module = nullptr;
    std::string msg = std::string(DLC_CU_NAME(cuModuleLoadDataEx)) + " failed: " + errorText(r) + ": loading the " +
                      (cubinFits ? "CUBIN" : "PTX") + " built for " + plan.arch + " on " + info.name + " (" +
                      info.arch + ")";
    if (log[0]) msg += "\n" + std::string(log);
    throw DeviceError(msg);
  }
  for (const CudaKernel& k : plan.kernels) {
    CUfunction f = nullptr;
    DLC_CU("kernel '" + k.name + "' (" + k.fused + ")", cuModuleGetFunction, &f, module, k.name.c_str());
    if (k.sharedBytes > 48 * 1024)
      DLC_CU("kernel '" + k.name + "': " + std::to_string(k.sharedBytes) + " bytes of shared memory",
             cuFuncSetAttribute, f, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
             static_cast<int>(k.sharedBytes));
    functions.push_back(f);
  }
}

// Decides where every value lives and allocates the two blocks.
void CudaExecutor::Impl::place() {
  const size_t n = program.values.size();
  std::vector<bool> used(n, false);
  for (const CudaKernel& k : plan.kernels)
    for (int32_t id : k.args) used[id] = true;
  for (const CudaStep& s : plan.steps) {
    if (s.kind == StepKind::Gemm)
      for (int32_t id : {s.gemm.a.value, s.gemm.b.value, s.gemm.c.value, s.gemm.d.value, s.gemm.bias})
        if (id >= 0) used[id] = true;
    if (s.kind == StepKind::Conv)
      for (int32_t id : {s.conv.x, s.conv.w, s.conv.y, s.conv.bias})
        if (id >= 0) used[id] = true;
  }
  for (int32_t id : program.inputs) used[id] = true;
  for (int32_t id : program.outputs) used[id] = true;

  // An output aliased in place to an input (Program::aliases) is computed
  // in that input's buffer: the planner proved nothing reads the input after
  // its writer, which reads it only at the index it writes.
  std::vector<int32_t> sharesInput(n, -1);
  for (const OutputAlias& a : program.aliases) {
    int32_t out = program.outputs[a.output], in = program.inputs[a.input];
    if (a.inPlace && out != in) sharesInput[out] = in;
  }
  int64_t fixedBytes = roundUp(static_cast<int64_t>(plan.steps.size()) * 4);
  std::vector<int64_t> fixedOffset(n, -1);
  for (size_t id = 0; id < n; ++id) {
    const ValueInfo& v = program.values[id];
    bool inArena = v.kind == ValueKind::Intermediate && v.offset >= 0;
    if (!used[id] || inArena || sharesInput[id] >= 0) continue;
    fixedOffset[id] = fixedBytes;
    fixedBytes += roundUp(v.type.byteSize());
  }
  // Library calls whose output overlaps an operand in the arena (the memory
  // plan lets an output take over the buffer of an input that dies there;
  // a generated kernel copes, cuBLASLt and cuDNN do not).
  auto inArena = [&](int32_t id) {
    return id >= 0 && program.values[id].kind == ValueKind::Intermediate && program.values[id].offset >= 0;
  };
  auto overlap = [&](int32_t a, int32_t b) {
    if (!inArena(a) || !inArena(b) || a == b) return false;
    const ValueInfo &x = program.values[a], &y = program.values[b];
    return x.offset < y.offset + y.type.byteSize() && y.offset < x.offset + x.type.byteSize();
  };
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    const CudaStep& s = plan.steps[i];
    StepExec& e = steps[i];
    int32_t out = -1;
    std::vector<int32_t> reads;
    bool selfRead = false;  // the output read as another view of itself
    if (s.kind == StepKind::Gemm) {
      out = s.gemm.d.value;
      reads = {s.gemm.a.value, s.gemm.b.value, s.gemm.bias, s.gemm.c.value};
      const MatrixView &c = s.gemm.c, &d = s.gemm.d;
      selfRead = out == s.gemm.a.value || out == s.gemm.b.value || out == s.gemm.bias ||
                 (c.value == d.value && (c.offset != d.offset || c.rowStride != d.rowStride ||
                                         c.colStride != d.colStride));
      for (const BatchDim& b : s.gemm.batch) selfRead |= c.value == d.value && b.strideC != b.strideD;
    } else if (s.kind == StepKind::Conv) {
      out = s.conv.y;
      reads = {s.conv.x, s.conv.w, s.conv.bias};
      selfRead = out == s.conv.x || out == s.conv.w || out == s.conv.bias;
    } else {
      continue;
    }
    e.retyped = stagedByType(program, s);
    bool stage = selfRead || e.retyped;
    for (int32_t r : reads) stage |= overlap(out, r);
    if (!stage) continue;
    e.stagedValue = out;
    e.scratchOffset = fixedBytes;
    DType written = s.kind == StepKind::Gemm ? s.gemm.cdType : s.conv.dtype;
    fixedBytes += roundUp(program.values[out].type.numElements() * dtypeSize(written));
  }

  arena = DeviceMemory(roundUp(program.arenaBytes), "the arena");
  fixed = DeviceMemory(fixedBytes, "inputs, constants, outputs and status words");
  status = fixed.ptr();
  valuePtr.assign(n, 0);
  for (size_t id = 0; id < n; ++id) {
    const ValueInfo& v = program.values[id];
    if (v.kind == ValueKind::Intermediate && v.offset >= 0) valuePtr[id] = arena.ptr() + v.offset;
    else if (fixedOffset[id] >= 0) valuePtr[id] = fixed.ptr() + fixedOffset[id];
  }
  for (size_t id = 0; id < n; ++id)
    if (sharesInput[id] >= 0) valuePtr[id] = valuePtr[sharesInput[id]];
  for (size_t id = 0; id < n; ++id) {
    const ValueInfo& v = program.values[id];
    if (v.kind != ValueKind::Constant || !used[id] || v.type.byteSize() == 0) continue;
    std::string what = "constant value " + std::to_string(id) + " (" + v.type.str() + ")";
    if (!v.splat) {
      DLC_CU("uploading " + what, cuMemcpyHtoDAsync, valuePtr[id], v.constant.data(),
             static_cast<size_t>(v.type.byteSize()), stream);
      continue;
    }
    // A splat here is one a library call or a kernel that loads through a
    // pointer (a scatter's updates) reads; generated code takes the others
    // as literals and they get no memory at all. Filled on the device: one
    // 32-bit word repeated over its whole slot, which roundUp makes a
    // multiple of 4 bytes.
    if (std::optional<uint32_t> word = splatWord(v)) {
      DLC_CU("filling " + what, cuMemsetD32Async, valuePtr[id], *word,
             static_cast<size_t>(roundUp(v.type.byteSize()) / 4), stream);
      continue;
    }
    // An 8-byte element whose halves differ: expanded here, uploaded once.
    HostTensor full = expandConstant(v);
    DLC_CU("uploading " + what, cuMemcpyHtoDAsync, valuePtr[id], full.data(),
           static_cast<size_t>(v.type.byteSize()), stream);
    DLC_CU("uploading " + what, cuStreamSynchronize, stream);  // before `full` goes
  }
  DLC_CU("uploading the constants", cuStreamSynchronize, stream);
}

void CudaExecutor::Impl::prepareSteps() {
  size_t workspaceBytes = 0;
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    const CudaStep& s = plan.steps[i];
    StepExec& e = steps[i];
    e.kind = s.kind;
    CUdeviceptr out = 0;
    if (s.kind == StepKind::Kernel) {
      e.launch.kernel = s.kernel;
    } else if (s.kind == StepKind::Gemm) {
      const GemmCall& g = s.gemm;
      bool batchEmpty = false;
      for (const BatchDim& b : g.batch) batchEmpty |= b.count == 0;
      e.empty = g.m == 0 || g.n == 0 || batchEmpty;
      if (!e.empty && g.k == 0)
        throw DeviceError(e.where + ": a GEMM with k = 0 (an empty contraction) is not a library call");
      auto ptr = [&](int32_t id) { return id >= 0 ? valuePtr[id] : CUdeviceptr(0); };
      e.gemmBuffers = {ptr(g.a.value), ptr(g.b.value), ptr(g.c.value), ptr(g.d.value), ptr(g.bias)};
      if (e.stagedValue >= 0) e.gemmBuffers.d = fixed.ptr() + e.scratchOffset;
      if (!e.empty) {
        e.gemm = std::make_unique<LtGemmRunner>(g, e.where);
        workspaceBytes = std::max(workspaceBytes, e.gemm->workspaceBytes());
      }
      out = valuePtr[g.d.value];
      e.launch.kernel = s.epilogue;
    } else {
      const ConvCall& c = s.conv;
      e.empty = numElements(c.yShape) == 0;
      e.convBuffers = {valuePtr[c.x], valuePtr[c.w], valuePtr[c.y], c.bias >= 0 ? valuePtr[c.bias] : 0};
      if (e.stagedValue >= 0) e.convBuffers.y = fixed.ptr() + e.scratchOffset;
      if (!e.empty) {
        e.conv = std::make_unique<CudnnConvRunner>(c, stream, e.where);
        workspaceBytes = std::max(workspaceBytes, e.conv->workspaceBytes());
      }
      out = valuePtr[c.y];
      e.launch.kernel = s.epilogue;
    }
    (void)out;
    if (e.launch.kernel >= 0) {
      const CudaKernel& k = plan.kernels[e.launch.kernel];
      for (int32_t id : k.args) e.launch.args.push_back(valuePtr[id]);
      if (e.retyped) e.launch.args[0] = fixed.ptr() + e.scratchOffset;  // verifyPlan: args[0] is the output
      e.launch.args.push_back(status + 4 * i);
      for (CUdeviceptr& a : e.launch.args) e.launch.params.push_back(&a);
    }
  }
  workspace = DeviceMemory(static_cast<int64_t>(workspaceBytes), "the cuBLASLt/cuDNN workspace");
}

void CudaExecutor::Impl::enqueueLaunch(const Launch& l, const std::string& where) {
  if (l.kernel < 0) return;
  const CudaKernel& k = plan.kernels[l.kernel];
  if (emptyGrid(k.grid)) return;  // an empty tensor: nothing to compute
  DLC_CU(where + ": kernel '" + k.name + "' (" + k.fused + ")", cuLaunchKernel, functions[l.kernel], k.grid.x,
         k.grid.y, k.grid.z, k.block.x, k.block.y, k.block.z, k.sharedBytes, stream,
         const_cast<void**>(l.params.data()), nullptr);
}

void CudaExecutor::Impl::createEvents() {
  if (options.timeSteps && options.cudaGraph)
    throw DeviceError("RunOptions: timeSteps records an event between steps, which needs them enqueued one by "
                      "one; it does not go with cudaGraph");
  if (!options.timeRun && !options.timeSteps) return;
  if (options.checkNan)
    throw DeviceError("RunOptions: timing measures the model as it runs; checkNan stops after every step to read "
                      "its outputs back, so the two do not go together");
  DLC_CU("creating the timing events", cuEventCreate, &runBegin, CU_EVENT_DEFAULT);
  DLC_CU("creating the timing events", cuEventCreate, &runEnd, CU_EVENT_DEFAULT);
  if (!options.timeSteps) return;
  stepEvents.assign(steps.size() + 1, nullptr);
  for (CUevent& e : stepEvents) DLC_CU("creating the timing events", cuEventCreate, &e, CU_EVENT_DEFAULT);
}

// After the stream was synchronised: every recorded event has completed.
void CudaExecutor::Impl::readTiming() {
  if (!runBegin) return;
  auto elapsed = [](CUevent a, CUevent b) {
    float ms = 0;
    DLC_CU("reading the timing events", cuEventElapsedTime, &ms, a, b);
    return static_cast<double>(ms);
  };
  RunTiming t;
  t.runMs = elapsed(runBegin, runEnd);
  for (size_t i = 0; i + 1 < stepEvents.size(); ++i) {
    t.stepBeginMs.push_back(elapsed(stepEvents[0], stepEvents[i]));
    t.stepMs.push_back(elapsed(stepEvents[i], stepEvents[i + 1]));
  }
  timing = std::move(t);
}

void CudaExecutor::Impl::enqueueStep(const StepExec& e) {
  if (e.kind == StepKind::Kernel) {
    enqueueLaunch(e.launch, e.where);
    return;
  }
  if (!e.empty) {
    if (e.gemm) e.gemm->enqueue(stream, e.gemmBuffers, workspace.ptr(), static_cast<size_t>(workspace.bytes()));
    if (e.conv) e.conv->enqueue(e.convBuffers, workspace.ptr(), static_cast<size_t>(workspace.bytes()));
    if (e.stagedValue >= 0 && !e.retyped) {
      int64_t bytes = program.values[e.stagedValue].type.byteSize();
      DLC_CU(e.where + ": moving the library call's output into place", cuMemcpyDtoDAsync,
             valuePtr[e.stagedValue], fixed.ptr() + e.scratchOffset, static_cast<size_t>(bytes), stream);
    }
  }
  enqueueLaunch(e.launch, e.where);
}

void CudaExecutor::Impl::enqueueSteps() {
  for (size_t i = 0; i < steps.size(); ++i) {
    if (!stepEvents.empty()) DLC_CU("timing step " + std::to_string(i), cuEventRecord, stepEvents[i], stream);
    enqueueStep(steps[i]);
  }
  if (!stepEvents.empty()) DLC_CU("timing the steps", cuEventRecord, stepEvents.back(), stream);
}

// --check-nan: each step runs alone; its status word is read first (a data
// error is reported as without the check), then every float output of its
// Program kernel is read back and scanned.
void CudaExecutor::Impl::runChecked() {
  for (size_t i = 0; i < steps.size(); ++i) {
    const StepExec& e = steps[i];
    size_t ki = static_cast<size_t>(plan.steps[i].programKernel);
    const Kernel& k = program.kernels[ki];
    enqueueStep(e);
    int32_t code = 0;
    DLC_CU(e.where + ": --check-nan: reading the status word", cuMemcpyDtoHAsync, &code, status + 4 * i, 4, stream);
    DLC_CU(e.where + ": --check-nan: running the step", cuStreamSynchronize, stream);
    if (code != 0) throw RunError(statusMessage(program, k, code));
    for (int32_t o : k.outputs) {
      const ValueInfo& v = program.values[o];
      if (!isFloat(v.type.dtype) || valuePtr[o] == 0 || v.type.byteSize() == 0) continue;
      HostTensor t(v.type);
      DLC_CU(e.where + ": --check-nan: reading an output back", cuMemcpyDtoHAsync, t.data(), valuePtr[o],
             static_cast<size_t>(v.type.byteSize()), stream);
      DLC_CU(e.where + ": --check-nan: reading an output back", cuStreamSynchronize, stream);
      NonFiniteCount c = countNonFinite(t.cref());
      if (c.count != 0) throw RunError(nonFiniteMessage(program, ki, o, c));
    }
  }
}

CudaExecutor::CudaExecutor(const Program& program, const CudaPlan& plan, const RunOptions& options)
    : impl_(new Impl(program, plan, options)) {
  verifyProgram(program);
  verifyPlan(program, plan);
  Impl& x = *impl_;
  x.steps.resize(plan.steps.size());
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    const Kernel& k = program.kernels[plan.steps[i].programKernel];
    x.steps[i].where = k.location.empty() ? "kernel " + std::to_string(i) : k.location;
  }
  x.open();
  x.createEvents();
  x.loadModule();
  x.place();
  x.prepareSteps();
}

CudaExecutor::~CudaExecutor() = default;

int64_t CudaExecutor::deviceBytes() const {
  return impl_->arena.bytes() + impl_->fixed.bytes() + impl_->workspace.bytes();
}

bool CudaExecutor::graphCaptured() const { return impl_->graph != nullptr; }

const RunTiming& CudaExecutor::lastTiming() const { return impl_->timing; }

// Runs the steps (or the captured graph) on the stream after the inputs were
// enqueued by `copyIn`, lets `copyOut` enqueue the output copies, waits, and
// turns the first nonzero status word into a RunError.
void CudaExecutor::Impl::execute(const std::function<void()>& copyIn, const std::function<void()>& copyOut) {
  makeCurrent();
  try {
    copyIn();
    if (runBegin) DLC_CU("timing the run", cuEventRecord, runBegin, stream);
    if (!steps.empty())
      DLC_CU("clearing the status words", cuMemsetD32Async, status, 0, steps.size(), stream);
    if (options.checkNan) {
      runChecked();
    } else if (options.cudaGraph) {
      if (!graph) {
        DLC_CU("capturing the CUDA graph", cuStreamBeginCapture, stream, CU_STREAM_CAPTURE_MODE_THREAD_LOCAL);
        CUgraph g = nullptr;
        try {
          enqueueSteps();
        } catch (...) {
          driver().cuStreamEndCapture(stream, &g);
          if (g) driver().cuGraphDestroy(g);
          throw;
        }
        DLC_CU("capturing the CUDA graph", cuStreamEndCapture, stream, &g);
        CUresult r = driver().cuGraphInstantiate(&graph, g, 0);
        driver().cuGraphDestroy(g);
        if (r != CUDA_SUCCESS) graph = nullptr;
        check(r, DLC_CU_NAME(cuGraphInstantiate), "instantiating the captured CUDA graph");
      }
      DLC_CU("replaying the CUDA graph", cuGraphLaunch, graph, stream);
    } else {
      enqueueSteps();
    }
    if (runEnd) DLC_CU("timing the run", cuEventRecord, runEnd, stream);
    std::vector<int32_t> codes(steps.size(), 0);
    if (!codes.empty())
      DLC_CU("reading the status words", cuMemcpyDtoHAsync, codes.data(), status, codes.size() * 4, stream);
    copyOut();
    DLC_CU("running the model", cuStreamSynchronize, stream);
    readTiming();
    for (size_t i = 0; i < codes.size(); ++i)
      if (codes[i] != 0)
        throw RunError(statusMessage(program, program.kernels[plan.steps[i].programKernel], codes[i]));
  } catch (...) {
    // Leave the stream idle for the next run (errors here are the ones above).
    driver().cuStreamSynchronize(stream);
    throw;
  }
}

std::vector<HostTensor> CudaExecutor::run(const std::vector<HostTensor>& inputs) {
  const Program& p = impl_->program;
  std::vector<ConstTensorRef> in;
  for (const HostTensor& t : inputs) in.push_back(t.cref());
  std::vector<HostTensor> outs;
  std::vector<TensorRef> out;
  for (int32_t id : p.outputs) outs.emplace_back(p.values[id].type);
  for (HostTensor& t : outs) out.push_back(t.ref());
  run(in, out);
  return outs;
}

namespace {

// Output buffers given by the caller must have the signature's types.
void checkOutputTypes(const Program& p, const std::vector<TensorType>& given) {
  if (given.size() != p.outputs.size())
    throw RunError("the model has " + std::to_string(p.outputs.size()) + " output(s), " +
                   std::to_string(given.size()) + " buffers given");
  for (size_t i = 0; i < given.size(); ++i)
    if (given[i] != p.values[p.outputs[i]].type)
      throw RunError("output " + std::to_string(i) + " is " + p.values[p.outputs[i]].type.str() +
                     ", the buffer given for it is " + given[i].str());
}

}  // namespace

void CudaExecutor::run(const std::vector<ConstTensorRef>& inputs, const std::vector<TensorRef>& outputs) {
  Impl& x = *impl_;
  const Program& p = x.program;
  checkRunInputs(p, inputs);
  std::vector<TensorType> types;
  for (const TensorRef& t : outputs) types.push_back(t.type);
  checkOutputTypes(p, types);
  x.execute(
      [&] {
        for (size_t i = 0; i < inputs.size(); ++i) {
          int64_t bytes = inputs[i].type.byteSize();
          if (bytes > 0)
            DLC_CU("copying input " + std::to_string(i) + " to the device", cuMemcpyHtoDAsync,
                   x.valuePtr[p.inputs[i]], inputs[i].data, static_cast<size_t>(bytes), x.stream);
        }
      },
      [&] {
        for (size_t i = 0; i < outputs.size(); ++i) {
          int64_t bytes = outputs[i].type.byteSize();
          if (bytes > 0)
            DLC_CU("copying output " + std::to_string(i) + " to the host", cuMemcpyDtoHAsync, outputs[i].data,
                   x.valuePtr[p.outputs[i]], static_cast<size_t>(bytes), x.stream);
        }
      });
}

void CudaExecutor::runDevice(const std::vector<DeviceTensorRef>& inputs, const std::vector<DeviceTensorRef>& outputs) {
  Impl& x = *impl_;
  const Program& p = x.program;
  // The input checks read data only for an input specialised at compile
  // time (a shape, an axis: a few bytes), which must keep its value: such
  // inputs are read back to the host for the comparison.
  std::vector<HostTensor> readBack(inputs.size());
  std::vector<ConstTensorRef> refs;
  for (size_t i = 0; i < inputs.size(); ++i) {
    refs.push_back({nullptr, inputs[i].type});
    if (i >= p.inputs.size()) continue;
    const ValueInfo& v = p.values[p.inputs[i]];
    if (!v.isSpecialized || inputs[i].type != v.type || v.type.byteSize() == 0) continue;
    x.makeCurrent();
    readBack[i] = HostTensor(v.type);
    DLC_CU("reading specialised input " + std::to_string(i) + " back to the host", cuMemcpyDtoHAsync,
           readBack[i].data(), static_cast<CUdeviceptr>(inputs[i].ptr), static_cast<size_t>(v.type.byteSize()),
           x.stream);
    DLC_CU("reading specialised input " + std::to_string(i) + " back to the host", cuStreamSynchronize, x.stream);
    refs.back().data = readBack[i].data();
  }
  checkRunInputs(p, refs);
  std::vector<TensorType> types;
  for (const DeviceTensorRef& t : outputs) types.push_back(t.type);
  checkOutputTypes(p, types);
  x.execute(
      [&] {
        for (size_t i = 0; i < inputs.size(); ++i) {
          int64_t bytes = inputs[i].type.byteSize();
          if (bytes > 0)
            DLC_CU("copying input " + std::to_string(i) + " on the device", cuMemcpyDtoDAsync,
                   x.valuePtr[p.inputs[i]], static_cast<CUdeviceptr>(inputs[i].ptr), static_cast<size_t>(bytes),
                   x.stream);
        }
      },
      [&] {
        for (size_t i = 0; i < outputs.size(); ++i) {
          int64_t bytes = outputs[i].type.byteSize();
          if (bytes > 0)
            DLC_CU("copying output " + std::to_string(i) + " on the device", cuMemcpyDtoDAsync,
                   static_cast<CUdeviceptr>(outputs[i].ptr), x.valuePtr[p.outputs[i]], static_cast<size_t>(bytes),
                   x.stream);
        }
      });
}

namespace {

// One resident input's check (the host device's messages, checkRunInputs).
void checkResidentInput(const Program& p, size_t i, const ConstTensorRef& t, bool checkValue = true) {
  if (i >= p.inputs.size())
    throw RunError("input " + std::to_string(i) + " does not exist: the model takes " +
                   std::to_string(p.inputs.size()) + " input(s)");
  const ValueInfo& v = p.values[p.inputs[i]];
  if (t.type != v.type)
    throw RunError("input " + std::to_string(i) + " ('" + v.name + "') must be " + v.type.str() + ", got " +
                   t.type.str());
  int64_t bytes = t.type.byteSize();
  if (checkValue && v.isSpecialized && bytes > 0 && std::memcmp(v.specialized.data(), t.data, static_cast<size_t>(bytes)) != 0)
    throw RunError("input " + std::to_string(i) + " ('" + v.name +
                   "') was specialised at compile time to the value it had then (an op needs it as a constant); "
                   "this executable cannot take another value");
}

}  // namespace

void CudaExecutor::writeInputs(const std::vector<InputWrite>& inputs) {
  Impl& x = *impl_;
  const Program& p = x.program;
  for (const auto& [i, t] : inputs) checkResidentInput(p, i, t);
  x.makeCurrent();
  for (const auto& [i, t] : inputs)
    if (t.type.byteSize() > 0)
      DLC_CU("copying input " + std::to_string(i) + " to the device", cuMemcpyHtoDAsync, x.valuePtr[p.inputs[i]],
             t.data, static_cast<size_t>(t.type.byteSize()), x.stream);
  DLC_CU("copying inputs to the device", cuStreamSynchronize, x.stream);
}

void CudaExecutor::runResident(const std::vector<InputWrite>& inputs, const std::vector<BufferRead>& outputs) {
  Impl& x = *impl_;
  const Program& p = x.program;  // verified when the executor was made
  for (const auto& [i, t] : inputs) checkResidentInput(p, i, t);
  for (const auto& [o, t] : outputs) {
    if (o >= p.outputs.size())
      throw RunError("output " + std::to_string(o) + " does not exist: the model has " +
                     std::to_string(p.outputs.size()) + " output(s)");
    if (t.type != p.values[p.outputs[o]].type)
      throw RunError("output " + std::to_string(o) + " is " + p.values[p.outputs[o]].type.str() +
                     ", the buffer given for it is " + t.type.str());
  }
  x.execute(
      [&] {
        for (const auto& [i, t] : inputs)
          if (t.type.byteSize() > 0)
            DLC_CU("copying input " + std::to_string(i) + " to the device", cuMemcpyHtoDAsync,
                   x.valuePtr[p.inputs[i]], t.data, static_cast<size_t>(t.type.byteSize()), x.stream);
      },
      [&] {
        // An alias computed elsewhere joins its input's buffer: the next run
        // reads the new value there.
        for (const OutputAlias& a : p.aliases) {
          CUdeviceptr from = x.valuePtr[p.outputs[a.output]], to = x.valuePtr[p.inputs[a.input]];
          int64_t bytes = p.values[p.inputs[a.input]].type.byteSize();
          if (from != to && bytes > 0)
            DLC_CU("copying output " + std::to_string(a.output) + " over input " + std::to_string(a.input),
                   cuMemcpyDtoDAsync, to, from, static_cast<size_t>(bytes), x.stream);
        }
        for (const auto& [o, t] : outputs)
          if (t.type.byteSize() > 0)
            DLC_CU("copying output " + std::to_string(o) + " to the host", cuMemcpyDtoHAsync, t.data,
                   x.valuePtr[p.outputs[o]], static_cast<size_t>(t.type.byteSize()), x.stream);
      });
}

void CudaExecutor::readInputs(const std::vector<BufferRead>& inputs) {
  Impl& x = *impl_;
  const Program& p = x.program;
  for (const auto& [i, t] : inputs) checkResidentInput(p, i, {nullptr, t.type}, false);
  x.makeCurrent();
  for (const auto& [i, t] : inputs)
    if (t.type.byteSize() > 0)
      DLC_CU("copying input " + std::to_string(i) + " back to the host", cuMemcpyDtoHAsync, t.data,
             x.valuePtr[p.inputs[i]], static_cast<size_t>(t.type.byteSize()), x.stream);
  DLC_CU("copying inputs back to the host", cuStreamSynchronize, x.stream);
}

}  // namespace dlc::rt::cuda
