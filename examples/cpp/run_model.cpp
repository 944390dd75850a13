// run_model: load a model (ONNX, .dlc or .mlir), compile it (for the GPU
// when one is asked for or present), print its signature and what the
// compiler made of it, run it and print the outputs.
//
//   run_model MODEL [--device auto|host|cuda] [--shape NAME=D0xD1...]... [--seed N] [INPUT.pb ...]
//
// --device cuda compiles for the GPU present (NVRTC) and runs there; auto
// (the default) does so when a GPU can be used, else runs on the host.
//
// Inputs are serialised onnx.TensorProto files in signature order (as for
// `dlc run`); without them, inputs are random (normal floats, small ints).
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <dlc/dlc.h>

namespace {

// "NAME=2x3x4" -> inputShapes[NAME] = {2, 3, 4}
void parseShape(const std::string& spec, dlc::CompileOptions& opts) {
  size_t eq = spec.rfind('=');
  if (eq == std::string::npos || eq == 0) throw dlc::Error(1, "--shape '" + spec + "': expected NAME=D0xD1...");
  dlc::Shape dims;
  std::stringstream ss(spec.substr(eq + 1));
  for (std::string d; std::getline(ss, d, 'x');) {
    char* end = nullptr;
    long long v = std::strtoll(d.c_str(), &end, 10);
    if (d.empty() || *end || v < 0) throw dlc::Error(1, "--shape '" + spec + "': '" + d + "' is not a size");
    dims.push_back(v);
  }
  opts.inputShapes[spec.substr(0, eq)] = dims;
}

dlc::Tensor randomInput(const dlc::TensorSpec& spec, std::mt19937& gen) {
  dlc::Tensor t(spec.dtype, spec.shape);
  std::normal_distribution<double> normal;
  std::uniform_int_distribution<int> small(0, 3);
  bool isFloat = spec.dtype == dlc::DType::F32 || spec.dtype == dlc::DType::F16 ||
                 spec.dtype == dlc::DType::BF16 || spec.dtype == dlc::DType::F64;
  for (int64_t i = 0; i < t.numElements(); ++i) t.setElement(i, isFloat ? normal(gen) : small(gen));
  return t;
}

void printStats(const dlc::CompileStats& s) {
  std::cout << "stats: " << s.kernels << " kernels (";
  const char* sep = "";
  for (const auto& [kind, n] : s.kernelsByKind) std::cout << sep << kind << " " << n, sep = ", ";
  std::cout << "), arena " << s.peakBytes << " bytes, constants " << s.constantBytes << " bytes\n";
}

int run(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: run_model MODEL [--device auto|host|cuda] [--shape NAME=D0xD1...]... [--seed N] "
                 "[INPUT.pb ...]\n";
    return 1;
  }
  std::string path = argv[1];
  dlc::CompileOptions opts;
  std::vector<std::string> inputFiles;
  unsigned seed = 0;
  dlc::Device device = dlc::Device::Auto;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--device" && i + 1 < argc) {
      std::string d = argv[++i];
      if (d == "host") device = dlc::Device::Host;
      else if (d == "cuda") device = dlc::Device::Cuda;
      else if (d == "auto") device = dlc::Device::Auto;
      else throw dlc::Error(1, "--device '" + d + "': expected auto, host or cuda");
      continue;
    }
    if (a == "--shape" && i + 1 < argc) parseShape(argv[++i], opts);
    else if (a == "--seed" && i + 1 < argc) seed = static_cast<unsigned>(std::stoul(argv[++i]));
    else inputFiles.push_back(a);
  }

  dlc::Model model = dlc::Model::fromFile(path);
  // A CUDA executable runs on either device; compiling one needs NVRTC but
  // no GPU. For the host alone, the host target is enough.
  if (device != dlc::Device::Host) opts.target = dlc::Target::Cuda;
  dlc::Executable exe;
  dlc::Status compiled = dlc::tryCompile(model, opts, exe);
  if (!compiled.ok() && device == dlc::Device::Auto) {
    opts.target = dlc::Target::Host;  // no NVRTC here: the host will do
    exe = dlc::compile(model, opts);
  } else {
    compiled.throwIfError();
  }
  std::cout << "model " << model.name() << " (dlc " << dlc::version() << ")\n";
  for (size_t i = 0; i < exe.inputs().size(); ++i)
    std::cout << "  input  " << i << " '" << exe.inputs()[i].name << "': " << exe.inputs()[i].typeString() << "\n";
  for (size_t i = 0; i < exe.outputs().size(); ++i)
    std::cout << "  output " << i << " '" << exe.outputs()[i].name << "': " << exe.outputs()[i].typeString() << "\n";
  printStats(exe.stats());

  std::vector<dlc::Tensor> inputs;
  if (!inputFiles.empty()) {
    for (const std::string& f : inputFiles) inputs.push_back(dlc::readTensorFile(f));
  } else {
    std::mt19937 gen(seed);
    for (const dlc::TensorSpec& spec : exe.inputs()) inputs.push_back(randomInput(spec, gen));
  }

  dlc::Session session(exe, device);
  std::cout << "device: " << dlc::deviceName(session.device()) << "\n";
  std::vector<dlc::Tensor> outputs = session.run(inputs);
  for (size_t i = 0; i < outputs.size(); ++i) {
    const dlc::Tensor& t = outputs[i];
    std::cout << "output " << i << " '" << exe.outputs()[i].name << "' " << t.typeString() << ":";
    for (int64_t k = 0; k < t.numElements() && k < 8; ++k) std::cout << " " << t.element(k);
    std::cout << (t.numElements() > 8 ? " ...\n" : "\n");
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const dlc::Error& e) {
    // The dlc tool's message and exit code for the same failure.
    std::cerr << e.what() << "\n";
    return e.code();
  }
}
