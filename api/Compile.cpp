// compile(): the dlc tool's `compile` path (api/Driver.h: load, pipeline;
// codegen/host: lowering) in-process, keeping the MLIR-free Program.
#include "api/Driver.h"
#include "api/Internal.h"
#include "api/MakeExecutable.h"
#include "codegen/host/LowerToHost.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace dlc {
namespace {

int64_t planNumber(mlir::ModuleOp module, llvm::StringRef attr) {
  auto main = module.lookupSymbol<mlir::func::FuncOp>("main");
  if (!main) return -1;
  if (auto a = main->getAttrOfType<mlir::IntegerAttr>(attr)) return a.getInt();
  return -1;
}

// The options as the tool's flags: the executable file's record of them.
std::string optionFlags(const CompileOptions& o) {
  std::string flags = o.target == Target::Cuda ? "--target cuda" : "--target host";
  for (const auto& [name, shape] : o.inputShapes) {
    flags += " --input-shape " + name + "=";
    for (size_t i = 0; i < shape.size(); ++i) flags += (i ? "x" : "") + std::to_string(shape[i]);
  }
  if (!o.optimize) flags += " --no-opt";
  if (o.target == Target::Cuda && !o.arch.empty()) flags += " --arch " + o.arch;
  static const char* kPrecision[] = {"fp32", "tf32", "fp16", "bf16"};
  if (o.precision != Precision::F32) flags += std::string(" --precision ") + kPrecision[int(o.precision)];
  return flags;
}

// Loads the model as the tool loads the same file or bytes.
mlir::OwningOpRef<mlir::ModuleOp> load(mlir::MLIRContext& ctx, const Model::Impl& m,
                                       const driver::CompileOptions& opts, driver::Failure& f) {
  using Source = Model::Impl::Source;
  switch (m.source) {
    case Source::OnnxFile:
    case Source::DslFile:
    case Source::IrFile: return driver::loadModel(ctx, m.name, opts, f);
    case Source::OnnxBytes:
    case Source::Built:
      return driver::loadModel(ctx, driver::InMemoryModel{driver::ModelFormat::Onnx, m.text, m.name, m.baseDir},
                               opts, f);
    case Source::DslString:
      return driver::loadModel(ctx, driver::InMemoryModel{driver::ModelFormat::Dsl, m.text, m.name, m.baseDir},
                               opts, f);
  }
  f = {2, m.name + ": internal error: unknown model source"};
  return nullptr;
}

Executable compileChecked(const Model& model, const CompileOptions& options) {
  if (model.isEmpty()) throw Error(1, "compile: the model is empty (a default-constructed Model)");
  driver::CompileOptions opts;
  opts.inputShapes = options.inputShapes;
  opts.optimize = options.optimize;
  opts.precision = static_cast<PrecisionMode>(options.precision);  // same order
  driver::Failure f;
  driver::ExecutableRequest request;
  request.target = options.target == Target::Cuda ? "cuda" : "host";
  request.modelName = model.name();
  request.compileOptions = optionFlags(options);
  request.producer = "libdlc";
  if (options.target == Target::Cuda) {  // as the tool: the target's problems before compiling
    request.cuda.arch = options.arch;
    request.cuda.allowTf32 = options.precision == Precision::TF32;
    std::string archOrigin;
    if ((f = driver::prepareCudaTarget(request.cuda, archOrigin)))
      throw Error(f.exitCode, model.name() + ": " + f.message);
  }

  mlir::MLIRContext ctx;
  auto module = load(ctx, *model.impl(), opts, f);
  if (f) throw Error(f.exitCode, f.message);
  if ((f = driver::runPipeline(*module, opts))) throw Error(f.exitCode, f.message);
  rt::Program program;
  std::string error;
  if (!lowerToHost(*module, program, error)) throw Error(2, model.name() + ": " + error);
  auto file = std::make_shared<rt::Executable>();
  if ((f = driver::makeExecutable(std::move(program), request, *file))) throw Error(f.exitCode, f.message);

  std::shared_ptr<Executable::Impl> impl = api::executableImpl(std::move(file));
  impl->modelName = model.name();
  impl->stats.naiveBytes = planNumber(*module, "dlc.naive_bytes");
  impl->stats.lowerBoundBytes = planNumber(*module, "dlc.lower_bound_bytes");
  return Executable(std::move(impl));
}

const Executable::Impl& nonEmpty(const Executable::Impl* impl) {
  if (!impl) throw Error(1, "an empty Executable (default-constructed): compile a model first");
  return *impl;
}

}  // namespace

std::string TensorSpec::typeString() const {
  return rt::TensorType{api::toRt(dtype), shape}.str();
}

Executable::Executable() = default;
Executable::~Executable() = default;
Executable::Executable(const Executable&) = default;
Executable& Executable::operator=(const Executable&) = default;
Executable::Executable(Executable&&) noexcept = default;
Executable& Executable::operator=(Executable&&) noexcept = default;
Executable::Executable(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

bool Executable::isEmpty() const { return !impl_; }
const std::string& Executable::modelName() const { return nonEmpty(impl_.get()).modelName; }
Target Executable::target() const { return nonEmpty(impl_.get()).target; }
const std::vector<TensorSpec>& Executable::inputs() const { return nonEmpty(impl_.get()).inputs; }
const std::vector<TensorSpec>& Executable::outputs() const { return nonEmpty(impl_.get()).outputs; }
const CompileStats& Executable::stats() const { return nonEmpty(impl_.get()).stats; }

Executable compile(const Model& model, const CompileOptions& options) {
  Executable exe;
  api::translateExceptions([&] { exe = compileChecked(model, options); });
  return exe;
}

Status tryCompile(const Model& model, const CompileOptions& options, Executable& out) {
  Executable exe;
  Status s = api::catchStatus([&] { exe = compileChecked(model, options); });
  if (s.ok()) out = std::move(exe);
  return s;
}

}  // namespace dlc
