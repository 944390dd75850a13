#include "api/MakeExecutable.h"

#include <cstdlib>
#include <ctime>

#include "codegen/cuda/Nvrtc.h"
#include "dlc/Version.h"

namespace dlc::driver {

namespace {

#define DLC_STR2(x) #x
#define DLC_STR(x) DLC_STR2(x)
constexpr const char* kVersion =
    DLC_STR(DLC_VERSION_MAJOR) "." DLC_STR(DLC_VERSION_MINOR) "." DLC_STR(DLC_VERSION_PATCH);

int64_t creationTime() {
  if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH")) {
    char* end = nullptr;
    long long v = std::strtoll(epoch, &end, 10);
    if (end != epoch && *end == '\0' && v >= 0) return v;
  }
  return static_cast<int64_t>(std::time(nullptr));
}

}  // namespace

rt::ExecutableInfo executableInfo(const ExecutableRequest& request) {
  rt::ExecutableInfo info;
  info.dlcVersion = kVersion;
  info.modelName = request.modelName;
  info.compileOptions = request.compileOptions;
  info.producer = request.producer;
  info.createdAt = creationTime();
  return info;
}

Failure makeExecutable(rt::Program program, const ExecutableRequest& request, rt::Executable& out) {
  if (request.target != "host" && request.target != "cuda")
    return {1, request.modelName + ": target '" + request.target + "': expected host or cuda"};
  rt::Executable exe;
  exe.target = request.target;
  exe.info = executableInfo(request);
  if (request.target == "cuda") {
    try {
      rt::CudaPlan plan = codegen::planCuda(program, request.cuda);
      codegen::compileModule(plan);
      exe.cuda = std::move(plan);
    } catch (const codegen::CodegenError& e) {
      return {1, request.modelName + ": target cuda: " + e.what()};
    } catch (const codegen::NvrtcError& e) {
      return {1, request.modelName + ": target cuda: " + e.what()};
    }
  }
  exe.program = std::move(program);
  out = std::move(exe);
  return {};
}

}  // namespace dlc::driver
