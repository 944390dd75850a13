// dlc: the command-line driver (DESIGN.md "Command-line contract").
//   dlc compile MODEL ...   compile and show what was compiled
//   dlc run MODEL ...       compile and execute on a device
//   dlc export MODEL.dlc -o OUT.onnx   write a DSL model as ONNX
// Exit codes: 0 success, 1 the user's error, 2 an internal error.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "codegen/host/LowerToHost.h"
#include "frontend/onnx/Importer.h"
#include "frontend/onnx/TensorProtoIO.h"
#include "runtime/host/HostDevice.h"
#include "passes/MemoryPlan.h"
#include "api/Driver.h"
#include "tools/dlc/Export.h"
#include "tools/dlc/Stats.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/raw_ostream.h"

namespace fs = std::filesystem;
using dlc::driver::CompileOptions;
using dlc::driver::Failure;

namespace {

const char* kMainHelp = R"(dlc: a deep-learning graph compiler and JIT runtime

usage: dlc <command> [options]

commands:
  compile   compile a model and show what was compiled (IR, summary)
  run       compile a model and run it on inputs in the ONNX test-data layout
  export    write a model of the DSL (.dlc) as an ONNX model
  ops       list the ONNX operators the importer supports (--markdown: as a table)
  help      show this text; `dlc <command> --help` for one command

Exit codes: 0 success, 1 a problem with the input or the flags, 2 an internal error.
)";

const char* kCompileHelp = R"(usage: dlc compile MODEL [options]

Compiles MODEL (.onnx, a .dlc model of dlc's DSL, or .mlir text in the dlc
dialect) and prints a summary of what was compiled: the signature, the
kernels and the memory plan.

options:
  --emit ir                  print the optimised core-op IR, before fusion
  --emit fused-ir            print the final IR: dlc.fusion kernels with the memory plan
  --emit plan                print the memory plan: each kernel's buffers, offsets, lifetimes
  --no-elide                 print every constant in full (IR output elides those with
                             more than 64 elements)
  --stats                    print kernels by kind, library calls, the arena's peak bytes,
                             the naive and lower-bound bytes, and the time of each pass
  --json                     with --stats: one JSON object instead of text
  --explain-fusion           for each producer/consumer pair left in two kernels, print
                             the fusion rule that kept them apart
  --target host              the device to compile for (cuda: not available yet)
  --input-shape NAME=D0xD1   fix a symbolic input shape (repeatable)
  --print-ir-after-all       print the IR after import and after every pass (stderr)
  --print-ir-after=PASS      print the IR after the named pass (stderr; repeatable)
  --dump-dir DIR             write the IR after import and after each pass to DIR,
                             one numbered file per pass (00_import.mlir, 01_canonicalize.mlir ...)
  --no-opt                   run no optimisation pass (the imported IR as it is)
  -h, --help                 show this text
)";

const char* kRunHelp = R"(usage: dlc run MODEL --input-dir DIR --output-dir DIR [options]

Compiles MODEL and runs it. Inputs are read from DIR/input_0.pb, input_1.pb ...
(serialised onnx.TensorProto, in the order of the graph's non-initializer
inputs); outputs are written to output_0.pb ... in the order of the graph's
outputs.

options:
  --device auto|host|cuda    where to run (auto: the host device until the CUDA
                             backend lands; cuda: not available yet)
  --input-dir DIR            the input tensors
  --output-dir DIR           where the outputs go (created if missing)
  --input-shape NAME=D0xD1   fix a symbolic input shape (repeatable)
  --check-nan                after each kernel, look for NaN/Inf in its float outputs
                             and stop at the first kernel that has any (exit 1, naming
                             the kernel, its source op, the output and the first index)
  --print-ir-after-all, --print-ir-after=PASS, --dump-dir DIR, --no-opt
                             as for compile; running a model with and without
                             --no-opt is the differential check of the passes
  -h, --help                 show this text
)";

const char* kExportHelp = R"(usage: dlc export MODEL.dlc -o OUT.onnx [options]

Translates a model written in dlc's DSL (docs/dsl.md) into the equivalent
ONNX model and writes it to OUT.onnx: the graph dlc compiles for MODEL.dlc,
parameters as initializers under their DSL names, the train section as
metadata_props (dlc.train.*). The model is imported as `dlc compile` would
import it, so that an error is reported at its DSL source line, and the
outputs get their shapes from that import (symbolic input dimensions stay
symbolic, and so do the output dimensions that follow them).

options:
  -o, --output OUT.onnx      where the ONNX model goes (required)
  -h, --help                 show this text
)";

struct UsageError {
  std::string message;
};

// A tiny argv reader: flags with values as `--flag V` or `--flag=V`.
class Args {
 public:
  Args(int argc, char** argv, int first) {
    for (int i = first; i < argc; ++i) rest_.push_back(argv[i]);
  }
  bool done() const { return pos_ >= rest_.size(); }
  std::string next() { return rest_[pos_++]; }
  // If `arg` is `flag` or `flag=V`, returns true and sets the value.
  bool value(const std::string& arg, const std::string& flag, std::string& out) {
    if (arg == flag) {
      if (done()) throw UsageError{flag + " needs a value"};
      out = next();
      return true;
    }
    if (arg.rfind(flag + "=", 0) == 0) {
      out = arg.substr(flag.size() + 1);
      return true;
    }
    return false;
  }

 private:
  std::vector<std::string> rest_;
  size_t pos_ = 0;
};

void parseInputShape(const std::string& spec, CompileOptions& opts) {
  size_t eq = spec.rfind('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
    throw UsageError{"--input-shape '" + spec + "': expected NAME=D0xD1..."};
  std::vector<int64_t> dims;
  std::stringstream ss(spec.substr(eq + 1));
  std::string d;
  while (std::getline(ss, d, 'x')) {
    char* end = nullptr;
    long long v = std::strtoll(d.c_str(), &end, 10);
    if (d.empty() || *end != '\0' || v < 0)
      throw UsageError{"--input-shape '" + spec + "': '" + d + "' is not a dimension size"};
    dims.push_back(v);
  }
  opts.inputShapes[spec.substr(0, eq)] = dims;
}

// Handles the options compile and run share; returns false if not one of them.
bool commonOption(Args& args, const std::string& a, CompileOptions& opts) {
  std::string v;
  if (args.value(a, "--input-shape", v)) return parseInputShape(v, opts), true;
  if (a == "--print-ir-after-all") return opts.printIrAfterAll = true, true;
  if (args.value(a, "--print-ir-after", v)) return opts.printIrAfter.push_back(v), true;
  if (args.value(a, "--dump-dir", v)) return opts.dumpDir = v, true;
  if (a == "--no-opt") return opts.optimize = false, true;
  return false;
}

int report(const Failure& f) {
  std::cerr << f.message << "\n";
  return f.exitCode;
}

void printSummary(const std::string& path, const dlc::driver::CompileStats& stats,
                  const dlc::rt::Program& program) {
  std::cout << "compiled " << path << " for the host device\n";
  for (size_t i = 0; i < program.inputs.size(); ++i) {
    const auto& v = program.values[program.inputs[i]];
    std::cout << "  input  " << i << " '" << v.name << "': " << v.type.str() << "\n";
  }
  for (size_t i = 0; i < program.outputs.size(); ++i) {
    const auto& v = program.values[program.outputs[i]];
    std::cout << "  output " << i << " '" << v.name << "': " << v.type.str() << "\n";
  }
  int64_t constantBytes = 0;
  for (const auto& v : program.values)
    if (v.kind == dlc::rt::ValueKind::Constant) constantBytes += v.type.byteSize();
  std::cout << "  " << stats.kernels << " kernels (";
  const char* sep = "";
  for (const auto& [kind, n] : stats.byKind) std::cout << sep << kind << " " << n, sep = ", ";
  std::cout << "), " << program.instrs.size() << " host instructions\n  "
            << program.arenaBytes << " bytes of arena, " << constantBytes << " bytes of constants\n";
}

int compileCommand(int argc, char** argv) {
  Args args(argc, argv, 2);
  CompileOptions opts;
  std::string model, emit, target = "host";
  bool elide = true, stats = false, json = false;
  while (!args.done()) {
    std::string a = args.next(), v;
    if (a == "-h" || a == "--help") return std::cout << kCompileHelp, 0;
    if (commonOption(args, a, opts)) continue;
    if (args.value(a, "--emit", emit)) continue;
    if (args.value(a, "--target", target)) continue;
    if (a == "--no-elide") { elide = false; continue; }
    if (a == "--stats") { stats = true; continue; }
    if (a == "--json") { json = true; continue; }
    if (a == "--explain-fusion") { opts.explainFusion = true; continue; }
    if (a.rfind("-", 0) == 0) throw UsageError{"unknown option '" + a + "' (see dlc compile --help)"};
    if (!model.empty()) throw UsageError{"more than one model given: '" + model + "' and '" + a + "'"};
    model = a;
  }
  if (model.empty()) throw UsageError{"no model given (see dlc compile --help)"};
  if (target == "cuda") throw UsageError{"--target cuda: the CUDA backend is not available in this build yet"};
  if (target != "host") throw UsageError{"--target '" + target + "': expected host or cuda"};
  if (!emit.empty() && emit != "ir" && emit != "fused-ir" && emit != "plan")
    throw UsageError{"--emit '" + emit + "': expected ir, fused-ir or plan (cuda comes with the CUDA backend)"};
  if (json && !stats) throw UsageError{"--json goes with --stats"};
  if (emit == "ir") opts.fuse = false;
  if (emit == "ir" && (stats || opts.explainFusion))
    throw UsageError{"--emit ir stops before fusion; --stats and --explain-fusion need the whole pipeline"};

  mlir::MLIRContext ctx;
  Failure f;
  auto start = std::chrono::steady_clock::now();
  auto module = dlc::driver::loadModel(ctx, model, opts, f);
  if (f) return report(f);
  double importMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  dlc::driver::PipelineReport pipeline;
  if ((f = dlc::driver::runPipeline(*module, opts, &pipeline))) return report(f);
  for (const std::string& remark : pipeline.remarks) std::cout << remark << "\n";
  if (emit == "ir" || emit == "fused-ir") {
    mlir::OpPrintingFlags flags;
    if (elide) flags.elideLargeElementsAttrs(64);
    module->print(llvm::outs(), flags);
    llvm::outs() << "\n";
    return 0;
  }
  if (emit == "plan") {
    auto main = module->lookupSymbol<mlir::func::FuncOp>("main");
    if (!main) return report({1, model + ": the module has no func.func @main"});
    dlc::printMemoryPlan(main, llvm::outs());
    return 0;
  }
  if (stats) {
    auto s = dlc::driver::collectStats(*module, pipeline, importMs);
    if (json) dlc::driver::printStatsJson(model, s, std::cout);
    else dlc::driver::printStatsText(s, std::cout);
    return 0;
  }
  if (opts.explainFusion) return 0;
  dlc::rt::Program program;
  std::string error;
  if (!dlc::lowerToHost(*module, program, error)) return report({2, model + ": " + error});
  printSummary(model, dlc::driver::collectStats(*module, pipeline, importMs), program);
  return 0;
}

int runCommand(int argc, char** argv) {
  Args args(argc, argv, 2);
  CompileOptions opts;
  std::string model, device = "auto", inputDir, outputDir;
  dlc::rt::HostRunOptions runOptions;
  while (!args.done()) {
    std::string a = args.next();
    if (a == "-h" || a == "--help") return std::cout << kRunHelp, 0;
    if (commonOption(args, a, opts)) continue;
    if (a == "--check-nan") { runOptions.checkNan = true; continue; }
    if (args.value(a, "--device", device)) continue;
    if (args.value(a, "--input-dir", inputDir)) continue;
    if (args.value(a, "--output-dir", outputDir)) continue;
    if (a.rfind("-", 0) == 0) throw UsageError{"unknown option '" + a + "' (see dlc run --help)"};
    if (!model.empty()) throw UsageError{"more than one model given: '" + model + "' and '" + a + "'"};
    model = a;
  }
  if (model.empty()) throw UsageError{"no model given (see dlc run --help)"};
  if (inputDir.empty() || outputDir.empty()) throw UsageError{"dlc run needs --input-dir and --output-dir"};
  if (device == "cuda") throw UsageError{"--device cuda: the CUDA backend is not available in this build yet"};
  if (device != "auto" && device != "host") throw UsageError{"--device '" + device + "': expected auto, host or cuda"};
  std::error_code ec;
  if (!fs::is_directory(inputDir, ec)) throw UsageError{"--input-dir '" + inputDir + "' is not a directory"};

  // The inputs are read first: the compiler may specialise on their values.
  std::vector<dlc::rt::HostTensor> inputs;
  auto inputPath = [&](size_t i) {
    return (fs::path(inputDir) / ("input_" + std::to_string(i) + ".pb")).string();
  };
  // A file that is not a tensor is reported after the model's own errors (a
  // model with a sequence input fails on that input, not on its data).
  std::string inputError;
  try {
    for (size_t i = 0; fs::exists(inputPath(i), ec); ++i)
      inputs.push_back(dlc::onnx_io::loadTensorFile(inputPath(i)));
    opts.inputValues = &inputs;
  } catch (const dlc::onnx_io::TensorError& e) {
    inputError = e.what();
  }

  mlir::MLIRContext ctx;
  Failure f;
  auto module = dlc::driver::loadModel(ctx, model, opts, f);
  if (f) return report(f);
  if ((f = dlc::driver::runPipeline(*module, opts))) return report(f);
  dlc::rt::Program program;
  std::string error;
  if (!dlc::lowerToHost(*module, program, error)) return report({2, model + ": " + error});

  if (!inputError.empty()) return report({1, inputError});
  if (inputs.size() < program.inputs.size())
    return report({1, inputPath(inputs.size()) + ": missing; the model takes " +
                          std::to_string(program.inputs.size()) + " input(s)"});
  if (inputs.size() > program.inputs.size())
    return report({1, inputPath(program.inputs.size()) + ": the model takes only " +
                          std::to_string(program.inputs.size()) + " input(s)"});

  std::vector<dlc::rt::HostTensor> outputs;
  try {
    outputs = dlc::rt::runOnHost(program, inputs, runOptions);
  } catch (const dlc::rt::RunError& e) {
    return report({1, model + ": " + e.what()});
  }
  fs::create_directories(outputDir, ec);
  if (ec) return report({1, outputDir + ": cannot create the output directory: " + ec.message()});
  for (size_t i = 0; i < outputs.size(); ++i)
    dlc::onnx_io::saveTensorFile((fs::path(outputDir) / ("output_" + std::to_string(i) + ".pb")).string(),
                                 outputs[i]);
  return 0;
}

// `dlc export MODEL.dlc -o OUT.onnx`: the ONNX model the DSL translates to.
int exportCommand(int argc, char** argv) {
  Args args(argc, argv, 2);
  std::string model, out;
  while (!args.done()) {
    std::string a = args.next();
    if (a == "-h" || a == "--help") return std::cout << kExportHelp, 0;
    if (args.value(a, "-o", out) || args.value(a, "--output", out)) continue;
    if (a.rfind("-", 0) == 0) throw UsageError{"unknown option '" + a + "' (see dlc export --help)"};
    if (!model.empty()) throw UsageError{"more than one model given: '" + model + "' and '" + a + "'"};
    model = a;
  }
  if (model.empty()) throw UsageError{"no model given (see dlc export --help)"};
  if (out.empty()) throw UsageError{"no output file given: dlc export " + model + " -o OUT.onnx"};
  if (fs::path(model).extension() != ".dlc")
    throw UsageError{"'" + model + "' is not a DSL model (.dlc): export translates the DSL to ONNX"};
  std::error_code ec;
  if (!fs::is_regular_file(model, ec)) return report({1, model + ": no such file"});
  std::ifstream in(model, std::ios::binary);
  std::string source((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Failure f;
  std::string bytes = dlc::driver::exportDsl(source, model, f);
  if (f) return report(f);
  std::ofstream file(out, std::ios::binary | std::ios::trunc);
  file << bytes;
  file.close();
  if (!file) return report({1, out + ": cannot write the file"});
  return 0;
}

// `dlc ops [--markdown]`: the importer's converter table, the one source of
// the README's list of supported operators.
int opsCommand(int argc, char** argv) {
  bool markdown = false;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--markdown") markdown = true;
    else if (a == "-h" || a == "--help")
      return std::cout << "usage: dlc ops [--markdown]\n\nLists the ONNX operators (default domain) "
                          "that dlc imports.\n", 0;
    else throw UsageError{"unknown option '" + a + "' (see dlc ops --help)"};
  }
  std::vector<std::string> ops = dlc::supportedOnnxOps();
  if (!markdown) {
    for (const auto& op : ops) std::cout << op << "\n";
    return 0;
  }
  // Grouped by initial letter, one line each: compact and easy to scan.
  std::cout << ops.size() << " operators of the default ONNX domain:\n\n";
  for (size_t i = 0; i < ops.size();) {
    char initial = ops[i][0];
    std::cout << "- **" << initial << "**:";
    for (const char* sep = " "; i < ops.size() && ops[i][0] == initial; ++i, sep = ", ")
      std::cout << sep << ops[i];
    std::cout << "\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return std::cerr << kMainHelp, 1;
  std::string cmd = argv[1];
  try {
    if (cmd == "compile") return compileCommand(argc, argv);
    if (cmd == "run") return runCommand(argc, argv);
    if (cmd == "export") return exportCommand(argc, argv);
    if (cmd == "ops") return opsCommand(argc, argv);
    if (cmd == "help" || cmd == "-h" || cmd == "--help") return std::cout << kMainHelp, 0;
    if (cmd == "train" || cmd == "bench")
      throw UsageError{"'" + cmd + "' is not available in this build yet"};
    throw UsageError{"unknown command '" + cmd + "' (see dlc help)"};
  } catch (const UsageError& e) {
    std::cerr << "dlc " << cmd << ": " << e.message << "\n";
    return 1;
  } catch (const dlc::onnx_io::TensorError& e) {
    std::cerr << e.what() << "\n";
    return 1;
  } catch (const std::bad_alloc&) {
    // A valid model can need more memory than this machine gives: not a bug.
    std::cerr << "dlc " << cmd << ": out of memory: the model needs more memory than is available\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "dlc " << cmd << ": internal error: " << e.what() << "\n";
    return 2;
  }
}
