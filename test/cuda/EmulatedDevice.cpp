#include "test/cuda/EmulatedDevice.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <stdexcept>

#include "runtime/DTypeTraits.h"
#include "runtime/cuda/PlanCheck.h"
#include "runtime/host/HostDevice.h"
#include "test/cuda/HostModule.h"

namespace dlc::test {

namespace fs = std::filesystem;
using namespace rt;

namespace {

// One loaded module per distinct source, kept for the process.
void* loadModule(const std::string& source, const EmulationOptions& o) {
  static std::mutex mutex;
  static std::map<size_t, void*> loaded;
  std::lock_guard<std::mutex> lock(mutex);
  size_t hash = std::hash<std::string>{}(source);
  if (auto it = loaded.find(hash); it != loaded.end()) return it->second;
  std::string so = buildHostModule(source, o.workDir);
  void* handle = dlopen(so.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) throw std::runtime_error("dlopen " + so + ": " + dlerror());
  loaded[hash] = handle;
  return handle;
}

// A strided element of a MatrixView.
double viewAt(const std::vector<void*>& ptrs, const Program& p, const MatrixView& v, int64_t batchOffset,
              int64_t r, int64_t c) {
  ConstTensorRef t{ptrs[v.value], p.values[v.value].type};
  return loadAsDouble(t, v.offset + batchOffset + r * v.rowStride + c * v.colStride);
}

double gelu(double x) { return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))); }

// D is written in `dType` (the value's, or the call's own when staged).
void runGemm(const Program& p, const GemmCall& g, std::vector<void*>& ptrs, DType dType) {
  // Batch offsets of every batch index, outermost first.
  std::vector<std::array<int64_t, 4>> offsets{{0, 0, 0, 0}};
  for (const BatchDim& b : g.batch) {
    std::vector<std::array<int64_t, 4>> next;
    for (auto& o : offsets)
      for (int64_t i = 0; i < b.count; ++i)
        next.push_back({o[0] + i * b.strideA, o[1] + i * b.strideB, o[2] + i * b.strideC, o[3] + i * b.strideD});
    offsets = next;
  }
  TensorRef d{ptrs[g.d.value], TensorType{dType, p.values[g.d.value].type.shape}};
  for (auto& o : offsets)
    for (int64_t i = 0; i < g.m; ++i)
      for (int64_t j = 0; j < g.n; ++j) {
        double acc = 0;
        for (int64_t k = 0; k < g.k; ++k) acc += viewAt(ptrs, p, g.a, o[0], i, k) * viewAt(ptrs, p, g.b, o[1], k, j);
        double v = g.alpha * acc;
        if (g.c.value >= 0) v += g.beta * viewAt(ptrs, p, g.c, o[2], i, j);
        bool bias = g.epilogue == GemmEpilogue::Bias || g.epilogue == GemmEpilogue::BiasRelu ||
                    g.epilogue == GemmEpilogue::BiasGelu;
        if (bias) v += loadAsDouble({ptrs[g.bias], p.values[g.bias].type}, j);
        if (g.epilogue == GemmEpilogue::Relu || g.epilogue == GemmEpilogue::BiasRelu) v = v < 0 ? 0 : v;
        if (g.epilogue == GemmEpilogue::Gelu || g.epilogue == GemmEpilogue::BiasGelu) v = gelu(v);
        storeFromDouble(d, g.d.offset + o[3] + i * g.d.rowStride + j * g.d.colStride, v);
      }
}

void runConv(const Program& p, const ConvCall& c, std::vector<void*>& ptrs, DType yType) {
  ConstTensorRef x{ptrs[c.x], p.values[c.x].type}, w{ptrs[c.w], p.values[c.w].type};
  HostTensor y(TensorType{c.dtype, c.yShape});
  ConvParams params{c.strides, c.padLow, c.padHigh, c.dilations, c.groups};
  convolution(x, w, params, y.ref());
  TensorRef out{ptrs[c.y], TensorType{yType, p.values[c.y].type.shape}};
  int64_t channels = c.yShape[1], inner = 1;
  for (size_t d = 2; d < c.yShape.size(); ++d) inner *= c.yShape[d];
  for (int64_t i = 0; i < y.numElements(); ++i) {
    double v = loadAsDouble(y.cref(), i);
    if (c.bias >= 0) v += loadAsDouble({ptrs[c.bias], p.values[c.bias].type}, (i / inner) % channels);
    if (c.activation == ConvActivation::Relu) v = v < 0 ? 0 : v;
    storeFromDouble(out, i, v);
  }
}

}  // namespace

std::vector<HostTensor> runEmulated(const Program& program, const CudaPlan& plan,
                                    const std::vector<HostTensor>& inputs, const EmulationOptions& o) {
  void* module = loadModule(plan.source, o);
  // Buffers as the device places them: inputs and constants borrowed, the
  // arena and buffers of their own filled with 0xff bytes (poison).
  std::vector<void*> ptrs(program.values.size(), nullptr);
  std::vector<std::unique_ptr<unsigned char[]>> owned;
  auto poisoned = [&](int64_t bytes) {
    owned.emplace_back(new unsigned char[static_cast<size_t>(std::max<int64_t>(bytes, 1))]);
    std::memset(owned.back().get(), 0xff, static_cast<size_t>(std::max<int64_t>(bytes, 1)));
    return owned.back().get();
  };
  // The arena, 256-byte aligned as on the device.
  std::vector<unsigned char> arenaStore(static_cast<size_t>(program.arenaBytes + kArenaAlignment), 0xff);
  auto* arena = reinterpret_cast<unsigned char*>(
      (reinterpret_cast<uintptr_t>(arenaStore.data()) + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment);
  std::vector<bool> named(program.values.size(), false);
  for (const CudaKernel& k : plan.kernels)
    for (int32_t id : k.args) named[id] = true;
  for (const CudaStep& s : plan.steps)
    for (int32_t id : {s.gemm.a.value, s.gemm.b.value, s.gemm.c.value, s.gemm.d.value, s.gemm.bias, s.conv.x,
                       s.conv.w, s.conv.y, s.conv.bias})
      if (id >= 0 && s.kind != StepKind::Kernel) named[id] = true;
  for (int32_t id : program.outputs) named[id] = true;
  for (size_t id = 0; id < program.values.size(); ++id) {
    const ValueInfo& v = program.values[id];
    if (v.kind == ValueKind::Input && o.inputByteOffset) {
      size_t bytes = static_cast<size_t>(v.type.byteSize());
      owned.emplace_back(new unsigned char[bytes + kArenaAlignment + o.inputByteOffset]);
      auto* at = reinterpret_cast<unsigned char*>(
          (reinterpret_cast<uintptr_t>(owned.back().get()) + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment);
      at += o.inputByteOffset;
      std::memcpy(at, inputs[v.inputIndex].data(), bytes);
      ptrs[id] = at;
    } else if (v.kind == ValueKind::Input) ptrs[id] = const_cast<void*>(inputs[v.inputIndex].data());
    else if (v.kind == ValueKind::Constant && v.splat) {
      // As the CUDA device: a buffer (filled) only for a splat that a kernel
      // parameter or a library call names; generated code takes the others
      // as literals, so a stray read of one finds a null pointer.
      if (!named[id]) continue;
      owned.emplace_back(new unsigned char[static_cast<size_t>(std::max<int64_t>(v.type.byteSize(), 1))]);
      fillWithElement({owned.back().get(), v.type}, v.constant.data());
      ptrs[id] = owned.back().get();
    } else if (v.kind == ValueKind::Constant) ptrs[id] = const_cast<void*>(v.constant.data());
    else if (v.kind == ValueKind::Intermediate) ptrs[id] = v.offset >= 0 ? arena + v.offset : poisoned(v.type.byteSize());
  }
  int status = 0;
  auto launch = [&](int32_t kernelIndex, int32_t programKernel, void* firstArg) {
    const CudaKernel& k = plan.kernels[kernelIndex];
    auto fn = reinterpret_cast<void (*)(void**, const unsigned*)>(dlsym(module, (k.name + "_emulate").c_str()));
    if (!fn) throw std::runtime_error("the module has no " + k.name + "_emulate");
    std::vector<void*> args;
    for (int32_t v : k.args) args.push_back(ptrs[v]);
    if (firstArg) args[0] = firstArg;
    args.push_back(&status);
    unsigned g[6] = {std::min(k.grid.x, o.maxBlocks), std::min(k.grid.y, o.maxBlocks),
                     std::min(k.grid.z, o.maxBlocks), k.block.x, k.block.y, k.block.z};
    fn(args.data(), g);
    if (status != 0)
      throw RunError(program.kernels[programKernel].location + ": kernel " + k.name + " reported status " +
                     std::to_string(status) +
                     (status == int(KernelStatus::IndexOutOfRange) ? " (index out of range)"
                      : status == int(KernelStatus::IntegerDivByZero) ? " (integer division by zero)" : ""));
  };
  for (const CudaStep& s : plan.steps) {
    // A call that writes another element type than its output (mixed
    // precision) writes a scratch buffer that the epilogue's first argument
    // reads, as runtime/cuda does (PlanCheck.h stagedByType).
    if (s.kind == StepKind::Kernel) {
      launch(s.kernel, s.programKernel, nullptr);
      continue;
    }
    int32_t out = s.kind == StepKind::Gemm ? s.gemm.d.value : s.conv.y;
    DType written = s.kind == StepKind::Gemm ? s.gemm.cdType : s.conv.dtype;
    void* real = ptrs[out];
    void* scratch = nullptr;
    if (rt::cuda::stagedByType(program, s))
      ptrs[out] = scratch = poisoned(program.values[out].type.numElements() * dtypeSize(written));
    if (s.kind == StepKind::Gemm) runGemm(program, s.gemm, ptrs, written);
    else runConv(program, s.conv, ptrs, written);
    ptrs[out] = real;
    if (s.epilogue >= 0) launch(s.epilogue, s.programKernel, scratch);
  }
  std::vector<HostTensor> outs;
  for (int32_t id : program.outputs) outs.emplace_back(program.values[id].type, ptrs[id]);
  return outs;
}

std::string compareTensors(const HostTensor& e, const HostTensor& a, double rtol, double atol) {
  if (e.type() != a.type()) return "type " + a.type().str() + ", expected " + e.type().str();
  bool isF = isFloat(e.dtype());
  double worst = 0;
  int64_t at = -1;
  for (int64_t i = 0; i < e.numElements(); ++i) {
    double x = loadAsDouble(e.cref(), i), y = loadAsDouble(a.cref(), i);
    if (!isF) {
      if (x != y) return "element " + std::to_string(i) + " is " + std::to_string(y) + ", expected " + std::to_string(x);
      continue;
    }
    if (std::isnan(x) && std::isnan(y)) continue;
    if (x == y) continue;
    double excess = std::fabs(x - y) - (atol + rtol * std::fabs(x));
    if (std::isnan(excess) || excess > worst) {
      worst = std::isnan(excess) ? INFINITY : excess;
      at = i;
    }
  }
  if (at < 0) return "";
  return "element " + std::to_string(at) + " is " + std::to_string(loadAsDouble(a.cref(), at)) + ", expected " +
         std::to_string(loadAsDouble(e.cref(), at));
}

std::vector<HostTensor> randomInputs(const Program& program, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<HostTensor> out;
  for (int32_t id : program.inputs) {
    const ValueInfo& v = program.values[id];
    if (v.isSpecialized) {
      out.push_back(HostTensor(v.specialized.type(), v.specialized.data()));
      continue;
    }
    HostTensor t(v.type);
    for (int64_t i = 0; i < t.numElements(); ++i) {
      double x;
      if (isFloat(v.type.dtype)) x = std::uniform_real_distribution<double>(-2, 2)(rng);
      else if (v.type.dtype == DType::I1) x = rng() & 1;
      else if (isUnsigned(v.type.dtype)) x = static_cast<double>(rng() % 11);
      else x = static_cast<double>(static_cast<int>(rng() % 11) - 5);
      storeFromDouble(t.ref(), i, x);
    }
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace dlc::test
