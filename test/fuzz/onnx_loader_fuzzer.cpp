// Fuzz target of the ONNX loader: any bytes through the protobuf parse, the
// checks (ONNX's checker where it applies, dlc's own rules), the import, the
// pass pipeline and the lowering to a host Program, all in memory. The
// outcome must be a Program or a user error (exit code 1 in the CLI); an
// internal error (exit code 2: an imported module that does not verify, a
// failed pipeline or lowering) is a bug as much as a crash is.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "api/Driver.h"
#include "codegen/host/LowerToHost.h"
#include "ir/TensorConversions.h"
#include "runtime/Program.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/MLIRContext.h"

namespace {

// External data resolves inside an empty folder of its own.
const std::string& baseDir() {
  static const std::string dir = [] {
    std::error_code ec;
    auto d = std::filesystem::temp_directory_path(ec) / "dlc-onnx-fuzz";
    std::filesystem::create_directories(d, ec);
    return d.string();
  }();
  return dir;
}

// Compiling allocates what the model's tensors need (the host program holds
// constants in full): a valid model of a few hundred bytes may legitimately
// ask for gigabytes. Such models are explored only up to the import, so that
// a run finds bugs rather than the memory limit.
constexpr int64_t kMaxFuzzTensorBytes = int64_t{1} << 26;

bool small(mlir::ModuleOp module) {
  bool ok = true;
  module.walk([&](mlir::Operation* op) {
    for (mlir::Value v : op->getResults()) {
      auto t = v.getType().dyn_cast<mlir::RankedTensorType>();
      if (t && t.hasStaticShape() && dlc::tensorTypeOf(t).byteSize() > kMaxFuzzTensorBytes) ok = false;
    }
    for (mlir::Region& r : op->getRegions())
      for (mlir::Block& b : r)
        for (mlir::BlockArgument a : b.getArguments()) {
          auto t = a.getType().dyn_cast<mlir::RankedTensorType>();
          if (t && t.hasStaticShape() && dlc::tensorTypeOf(t).byteSize() > kMaxFuzzTensorBytes) ok = false;
        }
  });
  return ok;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mlir::MLIRContext ctx(mlir::MLIRContext::Threading::DISABLED);
  dlc::driver::InMemoryModel model;
  model.bytes.assign(reinterpret_cast<const char*>(data), size);
  model.name = "fuzz.onnx";
  model.baseDir = baseDir();
  dlc::driver::CompileOptions opts;
  dlc::driver::Failure failure;
  auto module = dlc::driver::loadModel(ctx, model, opts, failure);
  if (!module) {
    if (failure.exitCode != 1) __builtin_trap();
    return 0;
  }
  if (!small(*module)) return 0;
  if (dlc::driver::runPipeline(*module, opts)) __builtin_trap();
  dlc::rt::Program program;
  std::string error;
  if (!dlc::lowerToHost(*module, program, error)) __builtin_trap();
  return 0;
}
