#include "test/cuda/fake/FakeCudaHarness.h"

#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <vector>

#include "codegen/cuda/Nvrtc.h"
#include "codegen/cuda/PlanCuda.h"
#include "test/cuda/HostModule.h"

namespace dlc::test {

namespace fs = std::filesystem;

namespace {

std::string workDir() {
  const char* d = std::getenv("DLC_FAKE_CUDA_WORK_DIR");
  return d && *d ? d : (fs::temp_directory_path() / "dlc-fake-cuda").string();
}

}  // namespace

FakeCuda& FakeCuda::get() {
  static FakeCuda* f = new FakeCuda;
  return *f;
}

FakeCuda::FakeCuda() {
  // DLC_FAKE_CUDA_LIBRARY: the build's libdlc_fake_cuda.so (a compile definition).
  const char* set = std::getenv("DLC_LIBCUDA");
  path_ = set && *set ? set : DLC_FAKE_CUDA_LIBRARY;
  setenv("DLC_LIBCUDA", path_.c_str(), 1);
  handle_ = dlopen(path_.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle_) throw std::runtime_error("cannot load the fake CUDA driver " + path_ + ": " + dlerror());
  auto sym = [&](const char* name) {
    void* p = dlsym(handle_, name);
    if (!p) throw std::runtime_error(path_ + " has no " + name);
    return p;
  };
  counts_ = reinterpret_cast<decltype(counts_)>(sym("dlcFakeCudaCounts"));
  takeMisuse_ = reinterpret_cast<decltype(takeMisuse_)>(sym("dlcFakeCudaTakeMisuse"));
  failCall_ = reinterpret_cast<decltype(failCall_)>(sym("dlcFakeCudaFailCall"));
  clearFailures_ = reinterpret_cast<decltype(clearFailures_)>(sym("dlcFakeCudaClearFailures"));
  setMemoryBytes_ = reinterpret_cast<decltype(setMemoryBytes_)>(sym("dlcFakeCudaSetMemoryBytes"));
  register_ = reinterpret_cast<decltype(register_)>(sym("dlcFakeCudaRegisterModule"));
}

DlcFakeCudaCounts FakeCuda::counts() const {
  DlcFakeCudaCounts c{};
  counts_(&c);
  return c;
}

std::string FakeCuda::takeMisuse() const { return takeMisuse_(); }

void FakeCuda::failCall(const std::string& name, int64_t nth, int cuResult) const {
  failCall_(name.c_str(), nth, cuResult);
}

void FakeCuda::clearFailures() const { clearFailures_(); }

void FakeCuda::setMemoryBytes(int64_t bytes) const { setMemoryBytes_(bytes); }

void FakeCuda::registerPlan(const rt::CudaPlan& plan) const {
  if (plan.kernels.empty()) return;
  std::string object = buildHostModule(plan.source, workDir());
  std::vector<const char*> names;
  std::vector<int> params;
  for (const rt::CudaKernel& k : plan.kernels) {
    names.push_back(k.name.c_str());
    params.push_back(static_cast<int>(k.args.size()) + 1);  // + the status word
  }
  for (const std::string* image : {&plan.ptx, &plan.cubin}) {
    if (image->empty()) continue;
    if (register_(image->data(), image->size(), object.c_str(), static_cast<int>(names.size()), names.data(),
                  params.data()) != 0)
      throw std::runtime_error("the fake CUDA driver refuses a module image of " + std::to_string(image->size()) +
                               " bytes (neither PTX nor a whole ELF file)");
  }
}

rt::CudaPlan FakeCuda::plan(const rt::Program& program, bool useLibraries) const {
  codegen::CudaTarget target;
  target.arch = "sm_90";
  target.smCount = 132;
  target.useLibraries = useLibraries;
  rt::CudaPlan plan = codegen::planCuda(program, target);
  if (!plan.kernels.empty()) {
    codegen::NvrtcOptions options;
    options.cacheDir = (fs::path(workDir()) / "kernel-cache").string();
    codegen::compileModule(plan, options);
  }
  registerPlan(plan);
  return plan;
}

}  // namespace dlc::test
