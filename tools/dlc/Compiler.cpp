#include "tools/dlc/Compiler.h"

#include <chrono>
#include <filesystem>
#include <fstream>

#include "frontend/onnx/Importer.h"
#include "ir/Dialect.h"
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

mlir::OwningOpRef<mlir::ModuleOp> loadModel(mlir::MLIRContext& ctx, const std::string& path,
                                            const CompileOptions& opts, Failure& failure) {
  initContext(ctx);
  DiagnosticCollector diags(ctx);
  mlir::OwningOpRef<mlir::ModuleOp> module;
  std::string ext = fs::path(path).extension().string();
  if (ext == ".mlir") {
    if (!opts.inputShapes.empty()) {
      failure = {1, path + ": --input-shape applies to ONNX models; IR text is already static"};
      return nullptr;
    }
    module = mlir::parseSourceFile<mlir::ModuleOp>(path, &ctx);
    if (!module) {
      std::error_code ec;
      failure = {1, fs::exists(path, ec) ? diags.text() : path + ": no such file"};
      return nullptr;
    }
  } else {
    OnnxImportOptions io;
    io.inputShapes = opts.inputShapes;
    io.inputValues = opts.inputValues;
    std::string error;
    module = importOnnxFile(ctx, path, io, error);
    if (!module) {
      failure = {1, error};
      return nullptr;
    }
  }
  if (mlir::failed(mlir::verify(*module))) {
    // Text the user wrote may be invalid; an imported model that fails the
    // verifier is a bug in the importer.
    failure = {ext == ".mlir" ? 1 : 2,
               (ext == ".mlir" ? "" : "internal error: the imported IR does not verify:\n") +
                   diags.text()};
    return nullptr;
  }
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
  if (opts.optimize) buildInferencePipeline(pm, pipeline);
  if (mlir::failed(pm.run(module)))
    return {2, "internal error: the pass pipeline failed:\n" + diags.text()};
  if (report) report->remarks = diags.remarks();
  return {};
}

}  // namespace dlc::driver
