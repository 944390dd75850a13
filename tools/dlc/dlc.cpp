// dlc: the command-line driver (DESIGN.md "Command-line contract").
//   dlc compile MODEL ...   compile and show what was compiled
//   dlc compile MODEL -o OUT.dlcx   write the executable file
//   dlc run MODEL ...       compile and execute on a device (or run a .dlcx)
//   dlc export MODEL.dlc -o OUT.onnx   write a DSL model as ONNX
//   dlc train MODEL --data DIR ...     train on the CUDA or host device (Train.cpp)
//   dlc bench MODEL ...     time a model, profile its kernels (Bench.cpp)
// Exit codes: 0 success, 1 the user's error, 2 an internal error.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "codegen/cuda/PlanCuda.h"
#include "codegen/host/LowerToHost.h"
#include "frontend/onnx/Importer.h"
#include "frontend/onnx/TensorProtoIO.h"
#include "runtime/host/HostDevice.h"
#include "passes/MemoryPlan.h"
#include "api/Driver.h"
#include "tools/dlc/CudaCompile.h"
#include "tools/dlc/DeviceRun.h"
#include "api/MakeExecutable.h"
#include "runtime/Executable.h"
#include "tools/dlc/RunExecutable.h"
#include "tools/dlc/Export.h"
#include "tools/dlc/Stats.h"
#include "tools/dlc/Train.h"
#include "tools/dlc/Bench.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/raw_ostream.h"

namespace fs = std::filesystem;
using dlc::driver::CompileOptions;
using dlc::driver::Failure;

namespace {

const char* kMainHelp = R"(dlc: a deep-learning graph compiler and JIT runtime

usage: dlc <command> [options]

commands:
  compile   compile a model: show what was compiled, or write an executable (-o)
  run       run a model or an executable file on inputs in the ONNX test-data layout
  train     train a model (ONNX or DSL) on a data set and save it with the trained weights
  bench     time a model on a device: latency, throughput, memory, compile time, per-kernel profile
  export    write a model of the DSL (.dlc) as an ONNX model
  ops       list the ONNX operators the importer supports (--markdown: as a table)
  help      show this text; `dlc <command> --help` for one command

Exit codes: 0 success, 1 a problem with the input or the flags, 2 an internal error.
)";

const char* kCompileHelp = R"(usage: dlc compile MODEL [options]

Compiles MODEL (.onnx, a .dlc model of dlc's DSL, or .mlir text in the dlc
dialect) and prints a summary of what was compiled: the signature, the
kernels and the memory plan. With -o, also writes the executable file that
`dlc run` runs without compiling (docs/executable.md).

options:
  -o, --output OUT.dlcx      write the executable: the kernels, the memory plan,
                             the weights and, for --target cuda, the CUDA module
  --emit ir                  print the optimised core-op IR, before fusion
  --emit fused-ir            print the final IR: dlc.fusion kernels with the memory plan
  --emit plan                print the memory plan: each kernel's buffers, offsets, lifetimes
  --emit cuda                print the generated CUDA C++ module (one kernel per fused
                             kernel, named after it; needs no GPU)
  --no-elide                 print every constant in full (IR output elides those with
                             more than 64 elements)
  --stats                    print kernels by kind, library calls, the arena's peak bytes,
                             the naive and lower-bound bytes, and the time of each pass
  --json                     with --stats: one JSON object instead of text
  --explain-fusion           for each producer/consumer pair left in two kernels, print
                             the fusion rule that kept them apart
  --target host|cuda         the device to compile for (default host). cuda: the kernels are
                             generated and compiled by NVRTC (no GPU needed); the summary and
                             --stats add NVRTC's time and whether the kernel cache hit
  --arch sm_XY               with --target cuda: the GPU architecture (sm_80, sm_90 ...;
                             default: the GPU present, else sm_90)
  --no-kernel-cache          with --target cuda: neither read nor write the kernel cache
                             ($DLC_CACHE_DIR, else $XDG_CACHE_HOME/dlc, else ~/.cache/dlc)
  --no-libraries             with --target cuda or --emit cuda: generate every kernel
                             (no cuBLASLt GEMM or cuDNN convolution calls)
  --precision P              arithmetic of matrix products and convolutions: fp32 (default),
                             tf32 (f32 tensors, TF32 tensor cores in the CUDA library calls),
                             fp16 or bf16 (16-bit operands, f32 accumulation and f32
                             everywhere else; weights converted at compile time)
  --input-shape NAME=D0xD1   fix a symbolic input shape (repeatable)
  --print-ir-after-all       print the IR after import and after every pass (stderr)
  --print-ir-after=PASS      print the IR after the named pass (stderr; repeatable)
  --dump-dir DIR             write the IR after import and after each pass to DIR,
                             one numbered file per pass (00_import.mlir, 01_canonicalize.mlir ...)
  --no-opt                   run no optimisation pass (the imported IR as it is)
  -h, --help                 show this text
)";

const char* kRunHelp = R"(usage: dlc run MODEL --input-dir DIR --output-dir DIR [options]

Compiles MODEL and runs it; an executable file (written by `dlc compile -o`,
recognised by its contents, whatever its name) is loaded and run without
compiling. Inputs are read from DIR/input_0.pb, input_1.pb ... (serialised
onnx.TensorProto, in the order of the graph's non-initializer inputs);
outputs are written to output_0.pb ... in the order of the graph's outputs.

options:
  --device auto|host|cuda    where to run (default auto: the CUDA device when a GPU,
                             its driver and NVRTC can be used, else the host device;
                             auto says on stderr which it picked and why; cuda where
                             none can be used is an error that gives the reason)
  --cuda-graph               on the CUDA device, capture the model's kernels and
                             library calls as a CUDA graph and replay it
  --no-libraries             on the CUDA device, generate every kernel (no cuBLASLt
                             GEMM or cuDNN convolution calls)
  --input-dir DIR            the input tensors
  --output-dir DIR           where the outputs go (created if missing)
  --input-shape NAME=D0xD1   fix a symbolic input shape (repeatable)
  --precision P              as for compile: fp32 (default), tf32, fp16 or bf16
  --check-nan                after each kernel, look for NaN/Inf in its float outputs
                             and stop at the first kernel that has any (exit 1, naming
                             the kernel, its source op, the output and the first index);
                             on either device (CUDA: step by step, not with --cuda-graph)
  --print-ir-after-all, --print-ir-after=PASS, --dump-dir DIR, --no-opt
                             as for compile; running a model with and without
                             --no-opt is the differential check of the passes
                             (none of these apply to an executable file)
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
// `seen` (if given) gets the flag's name.
bool commonOption(Args& args, const std::string& a, CompileOptions& opts, std::string* seen = nullptr) {
  std::string v;
  if (seen) *seen = a.substr(0, a.find('='));
  if (args.value(a, "--input-shape", v)) return parseInputShape(v, opts), true;
  if (a == "--print-ir-after-all") return opts.printIrAfterAll = true, true;
  if (args.value(a, "--print-ir-after", v)) return opts.printIrAfter.push_back(v), true;
  if (args.value(a, "--dump-dir", v)) return opts.dumpDir = v, true;
  if (a == "--no-opt") return opts.optimize = false, true;
  if (args.value(a, "--precision", v)) {
    std::optional<dlc::PrecisionMode> p = dlc::parsePrecision(v);
    if (!p) throw UsageError{"--precision '" + v + "': expected fp32, tf32, fp16 or bf16"};
    return opts.precision = *p, true;
  }
  return false;
}

int report(const Failure& f) {
  std::cerr << f.message << "\n";
  return f.exitCode;
}

void printSummary(const std::string& path, const dlc::driver::CompileStats& stats,
                  const dlc::rt::Program& program, const std::string& target) {
  std::cout << "compiled " << path << " for the " << target << " device\n";
  for (size_t i = 0; i < program.inputs.size(); ++i) {
    const auto& v = program.values[program.inputs[i]];
    std::cout << "  input  " << i << " '" << v.name << "': " << v.type.str() << "\n";
  }
  for (size_t i = 0; i < program.outputs.size(); ++i) {
    const auto& v = program.values[program.outputs[i]];
    std::cout << "  output " << i << " '" << v.name << "': " << v.type.str() << "\n";
  }
  // What the constants take as stored (runtime/Program.h): a splat is one element.
  int64_t constantBytes = 0, splats = 0;
  for (const auto& v : program.values) {
    constantBytes += dlc::rt::storedConstantBytes(v);
    splats += v.splat ? 1 : 0;
  }
  std::cout << "  " << stats.kernels << " kernels (";
  const char* sep = "";
  for (const auto& [kind, n] : stats.byKind) std::cout << sep << kind << " " << n, sep = ", ";
  std::cout << "), " << program.instrs.size() << " host instructions\n  "
            << program.arenaBytes << " bytes of arena, " << constantBytes << " bytes of constants";
  if (splats > 0) std::cout << " (" << splats << " of them splats, one element each)";
  std::cout << "\n";
}

int compileCommand(int argc, char** argv) {
  Args args(argc, argv, 2);
  CompileOptions opts;
  std::string model, emit, target = "host", output;
  bool elide = true, stats = false, json = false;
  dlc::driver::CudaCompileOptions cuda;
  while (!args.done()) {
    std::string a = args.next(), v;
    if (a == "-h" || a == "--help") return std::cout << kCompileHelp, 0;
    if (args.value(a, "-o", output) || args.value(a, "--output", output)) continue;
    if (commonOption(args, a, opts)) continue;
    if (args.value(a, "--emit", emit)) continue;
    if (args.value(a, "--target", target)) continue;
    if (args.value(a, "--arch", cuda.arch)) continue;
    if (a == "--no-kernel-cache") { cuda.useCache = false; continue; }
    if (a == "--no-libraries") { cuda.useLibraries = false; continue; }
    if (a == "--no-elide") { elide = false; continue; }
    if (a == "--stats") { stats = true; continue; }
    if (a == "--json") { json = true; continue; }
    if (a == "--explain-fusion") { opts.explainFusion = true; continue; }
    if (a.rfind("-", 0) == 0) throw UsageError{"unknown option '" + a + "' (see dlc compile --help)"};
    if (!model.empty()) throw UsageError{"more than one model given: '" + model + "' and '" + a + "'"};
    model = a;
  }
  if (model.empty()) throw UsageError{"no model given (see dlc compile --help)"};
  if (target != "host" && target != "cuda") throw UsageError{"--target '" + target + "': expected host or cuda"};
  if (target != "cuda" && (!cuda.arch.empty() || !cuda.useCache))
    throw UsageError{"--arch and --no-kernel-cache go with --target cuda"};
  if (!cuda.useLibraries && target != "cuda" && emit != "cuda")
    throw UsageError{"--no-libraries goes with --target cuda or --emit cuda"};
  if (!emit.empty() && emit != "ir" && emit != "fused-ir" && emit != "plan" && emit != "cuda")
    throw UsageError{"--emit '" + emit + "': expected ir, fused-ir, plan or cuda"};
  if (!output.empty() && (!emit.empty() || stats || opts.explainFusion))
    throw UsageError{"-o writes the executable; it does not go with --emit, --stats or --explain-fusion"};
  if (dlc::rt::isExecutableFile(model))
    return report({1, model + ": an executable file (compiled already): run it with `dlc run " + model + "`"});
  if (json && !stats) throw UsageError{"--json goes with --stats"};
  if (emit == "ir") opts.fuse = false;
  cuda.allowTf32 = opts.precision == dlc::PrecisionMode::TF32;
  if (emit == "ir" && (stats || opts.explainFusion))
    throw UsageError{"--emit ir stops before fusion; --stats and --explain-fusion need the whole pipeline"};

  Failure f;
  std::string archOrigin;
  if (target == "cuda" && (f = dlc::driver::prepareCudaTarget(cuda, archOrigin)))
    return report({f.exitCode, "dlc compile: " + f.message});

  mlir::MLIRContext ctx;
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
  auto s = dlc::driver::collectStats(*module, pipeline, importMs);
  dlc::rt::Program program;
  std::optional<dlc::driver::CudaCompileResult> gpu;
  if (target == "cuda" || emit == "cuda" || (!stats && !opts.explainFusion)) {
    std::string error;
    if (!dlc::lowerToHost(*module, program, error)) return report({2, model + ": " + error});
  }
  if (emit == "cuda") {  // the module's source, before NVRTC
    dlc::codegen::CudaTarget t;
    if (!cuda.arch.empty()) t.arch = cuda.arch;
    t.useLibraries = cuda.useLibraries;
    t.allowTf32 = cuda.allowTf32;
    try {
      std::cout << dlc::codegen::planCuda(program, t).source;
    } catch (const dlc::codegen::CodegenError& e) {
      return report({2, model + ": " + e.what()});
    }
    return 0;
  }
  if (target == "cuda") {
    if ((f = dlc::driver::compileForCuda(model, program, cuda, gpu.emplace()))) return report(f);
    s.cuda = dlc::driver::cudaStats(*gpu);
  }
  if (stats) {
    if (json) dlc::driver::printStatsJson(model, s, std::cout);
    else dlc::driver::printStatsText(s, std::cout);
    return 0;
  }
  if (opts.explainFusion) return 0;
  printSummary(model, s, program, target == "cuda" ? "CUDA" : "host");
  if (gpu) dlc::driver::printCudaSummary(*gpu, archOrigin, std::cout);
  if (output.empty()) return 0;
  // The command line's options (values included, but not the model or the
  // output path) as the record of how the executable was made.
  dlc::driver::ExecutableRequest request;
  request.target = target;
  request.modelName = model;
  request.producer = "dlc compile";
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-o" || arg == "--output") ++i;  // where it went is not how it was made
    else if (arg != model && arg.rfind("--output=", 0) != 0)
      request.compileOptions += (request.compileOptions.empty() ? "" : " ") + arg;
  }
  dlc::rt::Executable exe;
  exe.target = target;
  exe.info = dlc::driver::executableInfo(request);
  if (gpu) exe.cuda = std::move(gpu->plan);
  exe.program = std::move(program);
  try {
    dlc::rt::saveExecutable(exe, output);
  } catch (const dlc::rt::ExecutableError& e) {
    return report({1, e.what()});
  }
  std::cout << "  wrote " << output << " (" << fs::file_size(output) << " bytes)\n";
  return 0;
}

int runCommand(int argc, char** argv) {
  Args args(argc, argv, 2);
  CompileOptions opts;
  std::string model, device = "auto", inputDir, outputDir, compileFlag;
  bool cudaGraph = false, useLibraries = true;
  dlc::rt::HostRunOptions runOptions;
  while (!args.done()) {
    std::string a = args.next();
    if (a == "-h" || a == "--help") return std::cout << kRunHelp, 0;
    std::string seen;
    if (commonOption(args, a, opts, &seen)) {
      if (compileFlag.empty()) compileFlag = seen;
      continue;
    }
    if (a == "--check-nan") { runOptions.checkNan = true; continue; }
    if (args.value(a, "--device", device)) continue;
    if (a == "--cuda-graph") { cudaGraph = true; continue; }
    if (a == "--no-libraries") { useLibraries = false; continue; }
    if (args.value(a, "--input-dir", inputDir)) continue;
    if (args.value(a, "--output-dir", outputDir)) continue;
    if (a.rfind("-", 0) == 0) throw UsageError{"unknown option '" + a + "' (see dlc run --help)"};
    if (!model.empty()) throw UsageError{"more than one model given: '" + model + "' and '" + a + "'"};
    model = a;
  }
  if (model.empty()) throw UsageError{"no model given (see dlc run --help)"};
  if (inputDir.empty() || outputDir.empty()) throw UsageError{"dlc run needs --input-dir and --output-dir"};
  if (device != "auto" && device != "host" && device != "cuda")
    throw UsageError{"--device '" + device + "': expected auto, host or cuda"};
  if (cudaGraph && device == "host") throw UsageError{"--cuda-graph needs the CUDA device (--device cuda or auto)"};
  if (!useLibraries && device == "host")
    throw UsageError{"--no-libraries needs the CUDA device (--device cuda or auto)"};
  // --check-nan runs the CUDA device's steps one by one: no graph to replay.
  if (runOptions.checkNan && cudaGraph) throw UsageError{"--check-nan and --cuda-graph exclude each other"};
  std::error_code ec;
  if (dlc::rt::isExecutableFile(model)) {
    if (!compileFlag.empty())
      throw UsageError{compileFlag + " does not apply to '" + model + "', an executable file (compiled already)"};
    if (!useLibraries)
      throw UsageError{"--no-libraries does not apply to '" + model + "', an executable file (compiled already)"};
    if (!fs::is_directory(inputDir, ec)) throw UsageError{"--input-dir '" + inputDir + "' is not a directory"};
    Failure f = dlc::driver::runExecutableFile(model, device, inputDir, outputDir, cudaGraph, runOptions);
    return f ? report(f) : 0;
  }
  dlc::tool::DeviceChoice choice = dlc::tool::chooseDevice(device);
  if (!choice.error.empty()) throw UsageError{"--device cuda: " + choice.error};
  if (!choice.note.empty()) std::cerr << choice.note << "\n";
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
    outputs = choice.cuda ? dlc::tool::runOnCuda(model, program, inputs, cudaGraph, useLibraries, runOptions.checkNan,
                                                 opts.precision == dlc::PrecisionMode::TF32)
                          : dlc::rt::runOnHost(program, inputs, runOptions);
  } catch (const dlc::rt::RunError& e) {
    return report({1, model + ": " + e.what()});
  } catch (const dlc::tool::CudaRunError& e) {
    return report({e.exitCode, e.message});
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
    if (cmd == "train") return dlc::tool::trainCommand(argc, argv);
    if (cmd == "bench") return dlc::tool::benchCommand(argc, argv);
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
