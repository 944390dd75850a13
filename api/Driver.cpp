#include "api/Driver.h"

#include <chrono>
#include <filesystem>

#include "frontend/dsl/Dsl.h"
#include "frontend/onnx/Importer.h"
#include "frontend/onnx/ModelFile.h"
#include "ir/Dialect.h"
#include "ir/TensorConversions.h"
#include "runtime/TensorLimits.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassInstrumentation.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/raw_ostream.h"

namespace fs = std::filesystem;

namespace dlc::driver {
namespace {

// Collects diagnostics as "LOC: error: message" lines instead of printing
// them, so that the driver decides the exit code and prints once.
class DiagnosticCollector {
 public:
  explicit DiagnosticCollector(mlir::MLIRContext& ctx)
      : handler_(&ctx, [this](mlir::Diagnostic& d) {
          if (d.getSeverity() == mlir::DiagnosticSeverity::Remark) {
            remarks_.push_back(d.str());
            return mlir::success();
          }
          std::string s;
          llvm::raw_string_ostream os(s);
          os << d.getLocation() << ": " << (d.getSeverity() == mlir::DiagnosticSeverity::Error ? "error" : "note")
             << ": " << d;
          for (const mlir::Diagnostic& note : d.getNotes()) os << "\n  note: " << note;
          text_ += (text_.empty() ? "" : "\n") + os.str();
          return mlir::success();
        }) {}
  const std::string& text() const { return text_; }
  const std::vector<std::string>& remarks() const { return remarks_; }

 private:
  std::string text_;
  std::vector<std::string> remarks_;
  mlir::ScopedDiagnosticHandler handler_;
};

// Prints (--print-ir-after*) and dumps (--dump-dir) the IR after each pass,
// and times each pass.
class IrDumps : public mlir::PassInstrumentation {
 public:
  IrDumps(const CompileOptions& opts, PipelineReport* report) : opts_(opts), report_(report) {}

  void record(const std::string& stage, mlir::Operation* op) {
    bool print = opts_.printIrAfterAll ||
                 std::find(opts_.printIrAfter.begin(), opts_.printIrAfter.end(), stage) !=
                     opts_.printIrAfter.end();
    if (print) {
      llvm::errs() << "// -----// IR Dump After " << stage << " //----- //\n";
      op->print(llvm::errs());
      llvm::errs() << "\n";
    }
    if (!opts_.dumpDir.empty()) {
      char name[32];
      std::snprintf(name, sizeof(name), "%02d_", index_++);
      std::string path = (fs::path(opts_.dumpDir) / (name + stage + ".mlir")).string();
      std::error_code ec;
      llvm::raw_fd_ostream out(path, ec);
      if (!ec) op->print(out);
    }
  }

  void runBeforePass(mlir::Pass*, mlir::Operation*) override {
    start_ = std::chrono::steady_clock::now();
  }

  void runAfterPass(mlir::Pass* pass, mlir::Operation* op) override {
    if (report_)
      report_->passMs.push_back(
          {pass->getArgument().str(),
           std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_).count()});
    record(pass->getArgument().str(), op);
  }

 private:
  const CompileOptions& opts_;
  PipelineReport* report_;
  std::chrono::steady_clock::time_point start_;
  int index_ = 0;
};

}  // namespace

void initContext(mlir::MLIRContext& ctx) {
  ctx.loadDialect<DlcDialect, mlir::func::FuncDialect>();
}

namespace {

// The verifier after import: text the user wrote may be invalid; an imported
// model that fails it is a bug in the importer.
bool verifyImported(mlir::ModuleOp module, bool userText, const DiagnosticCollector& diags,
                    Failure& failure) {
  if (mlir::succeeded(mlir::verify(module))) return true;
  failure = {userText ? 1 : 2,
             (userText ? "" : "internal error: the imported IR does not verify:\n") + diags.text()};
  return false;
}

// IR text is the user's: besides the verifier, it must have the entry point
// and tensors that dlc can hold (the ONNX importer and the DSL check these
// as they build the IR). Every value is checked: a function argument that
// flows straight to `return` meets no op verifier.
bool checkIrText(mlir::ModuleOp module, const std::string& path, Failure& failure) {
  auto main = module.lookupSymbol<mlir::func::FuncOp>("main");
  if (!main) {
    failure = {1, path + ": the module has no func.func @main (the model's entry point)"};
    return false;
  }
  auto check = [&](mlir::Value v, mlir::Location loc) {
    auto t = v.getType().dyn_cast<mlir::RankedTensorType>();
    if (!t) return true;
    std::string problem;
    if (!t.hasStaticShape()) {
      problem = "dynamic dimensions are not supported (dlc compiles static shapes)";
    } else if (auto dtype = dtypeOf(t.getElementType())) {
      problem = rt::tensorSizeProblem(*dtype, {t.getShape().begin(), t.getShape().end()});
    }
    if (problem.empty()) return true;
    std::string where;
    llvm::raw_string_ostream(where) << loc;
    failure = {1, where + ": error: " + problem};
    return false;
  };
  bool ok = true;
  module.walk([&](mlir::Operation* op) {
    for (mlir::Region& r : op->getRegions())
      for (mlir::Block& b : r)
        for (mlir::BlockArgument a : b.getArguments())
          if (ok && !check(a, op->getLoc())) ok = false;
    for (mlir::Value v : op->getResults())
      if (ok && !check(v, op->getLoc())) ok = false;
    return ok ? mlir::WalkResult::advance() : mlir::WalkResult::interrupt();
  });
  return ok;
}

OnnxImportOptions importOptions(const CompileOptions& opts) {
  OnnxImportOptions io;
  io.inputShapes = opts.inputShapes;
  io.inputValues = opts.inputValues;
  io.training = opts.training;
  return io;
}

// DSL text -> ONNX model (frontend/dsl) -> the ONNX importer. An importer
// error on a node the DSL generated is reported at the DSL call.
mlir::OwningOpRef<mlir::ModuleOp> importDsl(mlir::MLIRContext& ctx, const std::string& source,
                                            const std::string& name, const std::string& baseDir,
                                            const CompileOptions& opts, Failure& failure) {
  dsl::Translation t = dsl::translateToOnnx(source, name, baseDir);
  if (!t.ok()) {
    failure = {1, t.errors};
    return nullptr;
  }
  ImportError error;
  auto module = importOnnxBytes(ctx, t.modelBytes, name, baseDir, importOptions(opts), error);
  if (!module) failure = {1, dsl::describeImportError(source, name, t, error.message, error.node, error.reason)};
  return module;
}

std::string readFile(const std::string& path, Failure& failure) {
  try {
    return onnx_io::readFileBytes(path, path + ": no such file");
  } catch (const onnx_io::ModelFileError& e) {
    failure = {1, e.what()};
    return {};
  }
}

}  // namespace

mlir::OwningOpRef<mlir::ModuleOp> loadModel(mlir::MLIRContext& ctx, const std::string& path,
                                            const CompileOptions& opts, Failure& failure) {
  initContext(ctx);
  DiagnosticCollector diags(ctx);
  mlir::OwningOpRef<mlir::ModuleOp> module;
  std::string ext = fs::path(path).extension().string();
  if (ext == ".mlir") {
    if (!opts.inputShapes.empty()) {
      failure = {1, path + ": --input-shape applies to ONNX and DSL models; IR text is already static"};
      return nullptr;
    }
    module = mlir::parseSourceFile<mlir::ModuleOp>(path, &ctx);
    if (!module) {
      std::error_code ec;
      failure = {1, fs::exists(path, ec) ? diags.text() : path + ": no such file"};
      return nullptr;
    }
  } else if (ext == ".dlc") {
    std::string source = readFile(path, failure);
    if (failure) return nullptr;
    module = importDsl(ctx, source, path, fs::path(path).parent_path().string(), opts, failure);
    if (!module) return nullptr;
  } else {
    std::string error;
    module = importOnnxFile(ctx, path, importOptions(opts), error);
    if (!module) {
      failure = {1, error};
      return nullptr;
    }
  }
  if (!verifyImported(*module, ext == ".mlir", diags, failure)) return nullptr;
  if (ext == ".mlir" && !checkIrText(*module, path, failure)) return nullptr;
  return module;
}

mlir::OwningOpRef<mlir::ModuleOp> loadModel(mlir::MLIRContext& ctx, const InMemoryModel& model,
                                            const CompileOptions& opts, Failure& failure) {
  initContext(ctx);
  DiagnosticCollector diags(ctx);
  mlir::OwningOpRef<mlir::ModuleOp> module;
  if (model.format == ModelFormat::Dsl) {
    module = importDsl(ctx, model.bytes, model.name, model.baseDir, opts, failure);
  } else {
    ImportError error;
    module = importOnnxBytes(ctx, model.bytes, model.name, model.baseDir, importOptions(opts), error);
    if (!module) failure = {1, error.message};
  }
  if (!module || !verifyImported(*module, false, diags, failure)) return nullptr;
  return module;
}

Failure runPipeline(mlir::ModuleOp module, const CompileOptions& opts, PipelineReport* report) {
  mlir::MLIRContext& ctx = *module.getContext();
  DiagnosticCollector diags(ctx);
  if (!opts.dumpDir.empty()) {
    std::error_code ec;
    fs::create_directories(opts.dumpDir, ec);
    if (ec) return {1, opts.dumpDir + ": cannot create the dump directory: " + ec.message()};
  }
  mlir::PassManager pm(&ctx);
  auto dumps = std::make_unique<IrDumps>(opts, report);
  dumps->record("import", module);
  pm.addInstrumentation(std::move(dumps));
  PipelineOptions pipeline;
  pipeline.fuse = opts.fuse;
  pipeline.explainFusion = opts.explainFusion;
  pipeline.precision = opts.precision;
  pipeline.checkpoint = opts.checkpoint;
  if (opts.optimize) buildInferencePipeline(pm, pipeline);
  if (mlir::failed(pm.run(module)))
    return {2, "internal error: the pass pipeline failed:\n" + diags.text()};
  if (report) report->remarks = diags.remarks();
  return {};
}

}  // namespace dlc::driver
