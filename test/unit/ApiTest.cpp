// The public C++ API (include/dlc) against the dlc tool: the same model
// gives the same signature, statistics and outputs, and the same failure the
// same message and code. Plus what only the API has: zero-copy tensors,
// input checks before a run, GraphBuilder models, the Status variants.
#include <cmath>
#include <regex>
#include <thread>

#include "ApiTestUtil.h"

namespace dlc::apitest {
namespace {

const std::string kMlp = sourcePath("examples/models/mlp.onnx");

// The Error of the throwing call and the Status of its try variant agree.
void expectSameFailure(const Error& e, const Status& s) {
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), e.code());
  EXPECT_EQ(s.message(), e.message());
}

// ---- loading errors: the tool's messages and codes ----------------------

TEST(ApiLoad, MissingOnnxFileHasTheToolsMessage) {
  std::string path = (tempDir() / "missing.onnx").string();
  Error e = errorOf([&] { Model::fromOnnxFile(path); });
  CliResult cli = runCli("compile " + quote(path));
  EXPECT_EQ(e.code(), 1);
  EXPECT_EQ(cli.exitCode, 1);
  EXPECT_EQ(e.message(), cli.err);
  EXPECT_NE(e.message().find(path), std::string::npos) << e.message();
  Model m;
  expectSameFailure(e, Model::tryFromOnnxFile(path, m));
  EXPECT_TRUE(m.isEmpty()) << "a failed tryFrom* leaves its output unchanged";
}

TEST(ApiLoad, BadBytesHaveTheToolsMessage) {
  fs::path dir = tempDir();
  for (const std::string& bytes : {std::string("this is not a protobuf \xff\xff\xff"), std::string()}) {
    fs::path path = dir / "bad.onnx";
    writeText(path, bytes);
    CliResult cli = runCli("compile " + quote(path));
    ASSERT_EQ(cli.exitCode, 1);
    Error fromFile = errorOf([&] { Model::fromOnnxFile(path.string()); });
    EXPECT_EQ(fromFile.code(), 1);
    EXPECT_EQ(fromFile.message(), cli.err);
    // The same bytes in memory, named as the file: the same message.
    Error fromBytes = errorOf([&] { Model::fromOnnxBytes(bytes, path.string()); });
    EXPECT_EQ(fromBytes.code(), 1);
    EXPECT_EQ(fromBytes.message(), cli.err);
    Model m;
    expectSameFailure(fromBytes, Model::tryFromOnnxBytes(bytes, path.string(), ".", m));
  }
}

TEST(ApiLoad, MissingFilesByExtensionHaveTheToolsMessages) {
  fs::path dir = tempDir();
  for (const char* name : {"missing.dlc", "missing.mlir", "missing.onnx"}) {
    std::string path = (dir / name).string();
    CliResult cli = runCli("compile " + quote(path));
    Error e = errorOf([&] { Model::fromFile(path); });
    EXPECT_EQ(e.code(), cli.exitCode) << name;
    EXPECT_EQ(e.message(), cli.err) << name;
  }
}

TEST(ApiLoad, UnsupportedOpFailsAtCompileWithTheToolsMessage) {
  GraphBuilder g("unsupported");
  Value x = g.input("x", DType::F32, {2, 3});
  g.output(g.op("NoSuchOp", {x}, {}, "mystery"), "y");
  fs::path path = tempDir() / "unsupported.onnx";
  writeText(path, g.build().toOnnx());
  CliResult cli = runCli("compile " + quote(path));
  ASSERT_EQ(cli.exitCode, 1);
  Model model = Model::fromOnnxBytes(g.build().toOnnx(), path.string());  // loads: it parses
  Error e = errorOf([&] { compile(model); });
  EXPECT_EQ(e.code(), 1);
  EXPECT_EQ(e.message(), cli.err);
  EXPECT_NE(e.message().find("mystery"), std::string::npos) << "names the node: " << e.message();
  Executable exe;
  expectSameFailure(e, tryCompile(model, {}, exe));
  EXPECT_TRUE(exe.isEmpty());
}

// ---- signature and statistics: the tool's ------------------------------

TEST(ApiCompile, SignatureIsTheTools) {
  Executable exe = compile(Model::fromOnnxFile(kMlp));
  CliResult cli = runCli("compile " + quote(kMlp));
  ASSERT_EQ(cli.exitCode, 0) << cli.err;
  std::regex line(R"((input|output) +(\d+) '([^']*)': (\S+))");
  std::vector<std::string> cliInputs, cliOutputs, apiInputs, apiOutputs;
  for (std::sregex_iterator it(cli.out.begin(), cli.out.end(), line), end; it != end; ++it)
    ((*it)[1] == "input" ? cliInputs : cliOutputs).push_back((*it)[3].str() + " " + (*it)[4].str());
  for (const TensorSpec& s : exe.inputs()) apiInputs.push_back(s.name + " " + s.typeString());
  for (const TensorSpec& s : exe.outputs()) apiOutputs.push_back(s.name + " " + s.typeString());
  EXPECT_FALSE(cliInputs.empty());
  EXPECT_EQ(apiInputs, cliInputs);
  EXPECT_EQ(apiOutputs, cliOutputs);
  EXPECT_EQ(exe.modelName(), kMlp);
}

int64_t jsonNumber(const std::string& json, const std::string& key) {
  std::smatch m;
  EXPECT_TRUE(std::regex_search(json, m, std::regex("\"" + key + "\": (-?\\d+)"))) << key << " in " << json;
  return m.empty() ? -2 : std::stoll(m[1].str());
}

TEST(ApiCompile, StatsAreTheTools) {
  Executable exe = compile(Model::fromOnnxFile(kMlp));
  CliResult cli = runCli("compile " + quote(kMlp) + " --stats --json");
  ASSERT_EQ(cli.exitCode, 0) << cli.err;
  const CompileStats& s = exe.stats();
  EXPECT_EQ(s.kernels, jsonNumber(cli.out, "kernels"));
  EXPECT_EQ(s.peakBytes, jsonNumber(cli.out, "peak_bytes"));
  EXPECT_EQ(s.naiveBytes, jsonNumber(cli.out, "naive_bytes"));
  EXPECT_EQ(s.lowerBoundBytes, jsonNumber(cli.out, "lower_bound_bytes"));
  int byKind = 0;
  for (const auto& [kind, n] : s.kernelsByKind) {
    EXPECT_EQ(n, jsonNumber(cli.out, kind)) << kind;
    byKind += n;
  }
  EXPECT_EQ(byKind, s.kernels);
  EXPECT_GT(s.constantBytes, 0);
}

TEST(ApiCompile, NoOptKeepsOneKernelPerOp) {
  CompileOptions opts;
  opts.optimize = false;
  Executable plain = compile(Model::fromOnnxFile(kMlp), opts);
  Executable optimized = compile(Model::fromOnnxFile(kMlp));
  EXPECT_GT(plain.stats().kernels, optimized.stats().kernels);
}

TEST(ApiCuda, CudaExecutableRunsOnTheGpuOrOnTheHostWithTheHostsResults) {
  // Compiling for CUDA needs NVRTC, not a GPU.
  Model model = Model::fromOnnxFile(kMlp);
  CompileOptions opts;
  opts.target = Target::Cuda;
  opts.arch = "sm_80";
  Executable gpuExe = compile(model, opts);
  EXPECT_EQ(gpuExe.target(), Target::Cuda);
  Executable hostExe = compile(model);
  Tensor x = randomTensor({4, 784}, 3);
  std::vector<Tensor> expected = Session(hostExe, Device::Host).run({x});

  // The host device runs a CUDA executable's program: the same bits.
  Session onHost(gpuExe, Device::Host);
  EXPECT_EQ(onHost.device(), Device::Host);
  EXPECT_EQ(onHost.run({x})[0].toVector<float>(), expected[0].toVector<float>());

  // Device::Cuda: a GPU session where one can run, else error 1 with the reason.
  Session gpu;
  Status st = Session::tryCreate(gpuExe, Device::Cuda, gpu);
  if (st.ok()) {
    EXPECT_EQ(gpu.device(), Device::Cuda);
    std::vector<Tensor> out = gpu.run({x});
    std::vector<float> a = out[0].toVector<float>(), b = expected[0].toVector<float>();
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-5 + 1e-4 * std::abs(b[i])) << i;
    EXPECT_EQ(Session(gpuExe, Device::Auto).device(), Device::Cuda);
  } else {
    EXPECT_EQ(st.code(), 1);
    EXPECT_NE(st.message().find("device cuda: "), std::string::npos) << st.message();
    EXPECT_EQ(Session(gpuExe, Device::Auto).device(), Device::Host);
  }
  // A host executable never runs on the GPU.
  Error e = errorOf([&] { Session session(hostExe, Device::Cuda); });
  EXPECT_EQ(e.code(), 1);
  EXPECT_NE(e.message().find("compiled for the host"), std::string::npos) << e.message();
  EXPECT_EQ(Session(hostExe, Device::Auto).device(), Device::Host);
}

TEST(ApiCuda, BadArchAndDeviceTensorMisuseAreErrors) {
  CompileOptions opts;
  opts.target = Target::Cuda;
  opts.arch = "sm_9x";
  Error e = errorOf([&] { compile(Model::fromOnnxFile(kMlp), opts); });
  EXPECT_EQ(e.code(), 1);
  EXPECT_NE(e.message().find("sm_9x"), std::string::npos) << e.message();
  // Owning tensors live on the host; device memory is wrapped, never read here.
  EXPECT_EQ(errorOf([&] { Tensor(DType::F32, {1}, Device::Cuda); }).code(), 1);
  float x = 0;
  Tensor d = Tensor::wrap(&x, DType::F32, {1}, Device::Cuda);
  EXPECT_EQ(d.device(), Device::Cuda);
  EXPECT_EQ(errorOf([&] { d.element(0); }).code(), 1);
  EXPECT_EQ(errorOf([&] { Tensor::wrap(&x, DType::F32, {1}, Device::Auto); }).code(), 1);
  // A host session refuses device tensors before running anything.
  Session host(compile(Model::fromOnnxFile(kMlp)), Device::Host);
  std::vector<float> buf(4 * 784);
  Tensor in = Tensor::wrap(buf.data(), DType::F32, {4, 784}, Device::Cuda);
  Error r = errorOf([&] { host.run({in}); });
  EXPECT_EQ(r.code(), 1);
  EXPECT_NE(r.message().find("the session runs on the host"), std::string::npos) << r.message();
}

TEST(ApiCompile, EmptyObjectsAreRefused) {
  EXPECT_EQ(errorOf([] { compile(Model()); }).code(), 1);
  EXPECT_EQ(errorOf([] { Session s(Executable{}); }).code(), 1);
  Session s;
  EXPECT_EQ(errorOf([&] { s.run({}); }).code(), 1);
}

// ---- running: the tool's results ---------------------------------------

TEST(ApiRun, OutputsEqualTheTools) {
  fs::path dir = tempDir();
  Tensor x = randomTensor({4, 784}, 7);
  fs::create_directories(dir / "in");
  writeTensorFile((dir / "in" / "input_0.pb").string(), x);
  CliResult cli = runCli("run " + quote(kMlp) + " --device host --input-dir " + quote(dir / "in") +
                         " --output-dir " + quote(dir / "out"));
  ASSERT_EQ(cli.exitCode, 0) << cli.err;
  Tensor expected = readTensorFile((dir / "out" / "output_0.pb").string());

  Session session(compile(Model::fromOnnxFile(kMlp)));
  std::vector<Tensor> out = session.run({x});
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].typeString(), expected.typeString());
  // The same program on the same device: the same bits.
  EXPECT_EQ(out[0].toVector<float>(), expected.toVector<float>());
  // Softmax rows sum to one (a property independent of both).
  for (int r = 0; r < 4; ++r) {
    double sum = 0;
    for (int c = 0; c < 10; ++c) sum += out[0].element(r * 10 + c);
    EXPECT_NEAR(sum, 1.0, 1e-5);
  }
}

TEST(ApiRun, WrongShapeHasTheToolsMessage) {
  fs::path dir = tempDir();
  Tensor x = randomTensor({2, 784}, 1);
  fs::create_directories(dir / "in");
  writeTensorFile((dir / "in" / "input_0.pb").string(), x);
  // --device host: auto would add its note on the device it picked to stderr.
  CliResult cli = runCli("run " + quote(kMlp) + " --device host --input-dir " + quote(dir / "in") +
                         " --output-dir " + quote(dir / "out"));
  ASSERT_EQ(cli.exitCode, 1);
  Session session(compile(Model::fromOnnxFile(kMlp)));
  Error e = errorOf([&] { session.run({x}); });
  EXPECT_EQ(e.code(), 1);
  EXPECT_EQ(e.message(), cli.err);
  std::vector<Tensor> outs;
  expectSameFailure(e, session.tryRun({x}, outs));
}

TEST(ApiRun, InputsAreCheckedBeforeRunning) {
  Session session(compile(Model::fromOnnxFile(kMlp)));
  Tensor good = randomTensor({4, 784}, 2);
  auto message = [&](const std::vector<Tensor>& in) {
    Error e = errorOf([&] { session.run(in); });
    EXPECT_EQ(e.code(), 1) << e.message();
    return e.message();
  };
  EXPECT_EQ(message({}), kMlp + ": the model takes 1 input(s), 0 given");
  EXPECT_EQ(message({good, good}), kMlp + ": the model takes 1 input(s), 2 given");
  EXPECT_EQ(message({Tensor(DType::F64, {4, 784})}),
            kMlp + ": input 0 ('input') must be tensor<4x784xf32>, got tensor<4x784xf64>");
  EXPECT_EQ(message({Tensor()}), kMlp + ": input 0 ('input'): an empty Tensor");

  // Output buffers for runInto: count, type, writability.
  std::vector<Tensor> none;
  EXPECT_EQ(errorOf([&] { session.runInto({good}, none); }).message(),
            kMlp + ": the model has 1 output(s), 0 given");
  std::vector<Tensor> wrong = {Tensor(DType::F32, {10, 4})};
  EXPECT_EQ(errorOf([&] { session.runInto({good}, wrong); }).message(),
            kMlp + ": output 0 ('probs') is tensor<4x10xf32>, the tensor given for it is tensor<10x4xf32>");
  const float constant[40] = {};
  std::vector<Tensor> readOnly = {Tensor::wrap(static_cast<const void*>(constant), DType::F32, {4, 10})};
  EXPECT_EQ(errorOf([&] { session.runInto({good}, readOnly); }).code(), 1);
  EXPECT_EQ(readOnly[0].element(0), 0.0) << "a refused run writes nothing";
}

TEST(ApiRun, ZeroCopyInputsAndOutputs) {
  Session session(compile(Model::fromOnnxFile(kMlp)));
  Tensor owned = randomTensor({4, 784}, 3);
  std::vector<Tensor> expected = session.run({owned});

  std::vector<float> in(owned.toVector<float>());
  std::vector<float> out(40, -1.0f);
  Tensor inView = Tensor::wrap(static_cast<const void*>(in.data()), DType::F32, {4, 784});
  std::vector<Tensor> outViews = {Tensor::wrap(out.data(), DType::F32, {4, 10})};
  EXPECT_TRUE(inView.isView());
  EXPECT_TRUE(inView.isReadOnly());
  EXPECT_EQ(inView.rawData(), in.data());
  session.runInto({inView}, outViews);
  EXPECT_EQ(outViews[0].rawData(), out.data()) << "the caller's buffer, not a copy";
  EXPECT_EQ(out, expected[0].toVector<float>());

  std::vector<Tensor> again = {Tensor::wrap(out.data(), DType::F32, {4, 10})};
  std::fill(out.begin(), out.end(), 0.0f);
  EXPECT_TRUE(session.tryRunInto({inView}, again).ok());
  EXPECT_EQ(out, expected[0].toVector<float>());
}

TEST(ApiRun, SessionsOnSeveralThreads) {
  Executable exe = compile(Model::fromOnnxFile(kMlp));
  Tensor x = randomTensor({4, 784}, 4);
  std::vector<float> expected = Session(exe).run({x})[0].toVector<float>();
  std::vector<std::vector<float>> results(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      Session s(exe);  // one session per thread (docs/api.md)
      for (int i = 0; i < 3; ++i) results[t] = s.run({x})[0].toVector<float>();
    });
  for (auto& th : threads) th.join();
  for (const auto& r : results) EXPECT_EQ(r, expected);
}

TEST(ApiCompile, CompilesOnSeveralThreads) {
  Model model = Model::fromOnnxFile(kMlp);
  Tensor x = randomTensor({4, 784}, 6);
  std::vector<float> expected = Session(compile(model)).run({x})[0].toVector<float>();
  std::vector<std::vector<float>> results(3);
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t)
    threads.emplace_back([&, t] { results[t] = Session(compile(model)).run({x})[0].toVector<float>(); });
  for (auto& th : threads) th.join();
  for (const auto& r : results) EXPECT_EQ(r, expected);
}

// ---- GraphBuilder -------------------------------------------------------

// y = softmax(relu(x @ w1 + b1) @ w2 + b2), checked against plain loops.
TEST(ApiGraphBuilder, MlpMatchesHandWrittenLoops) {
  const int n = 3, in = 5, hid = 4, out = 2;
  Tensor w1 = randomTensor({in, hid}, 10), b1 = randomTensor({hid}, 11);
  Tensor w2 = randomTensor({hid, out}, 12), b2 = randomTensor({out}, 13);
  Tensor x = randomTensor({n, in}, 14);

  GraphBuilder g("mlp_built");
  Value vx = g.input("x", DType::F32, {"N", in});
  Value h = g.relu(g.add(g.matmul(vx, g.parameter("fc1.w", w1)), g.parameter("fc1.b", b1)));
  Value y = g.softmax(g.gemm(h, g.parameter("fc2.w", w2), g.parameter("fc2.b", b2)));
  g.output(y, "probs");
  CompileOptions opts;
  opts.inputShapes["x"] = {n, in};
  Executable exe = compile(g.build(), opts);
  ASSERT_EQ(exe.inputs().size(), 1u);
  EXPECT_EQ(exe.inputs()[0].typeString(), "tensor<3x5xf32>");
  EXPECT_EQ(exe.outputs()[0].name, "probs");
  std::vector<Tensor> result = Session(exe).run({x});

  const float *X = x.data<float>(), *W1 = w1.data<float>(), *B1 = b1.data<float>();
  const float *W2 = w2.data<float>(), *B2 = b2.data<float>();
  for (int r = 0; r < n; ++r) {
    std::vector<double> hv(hid), logits(out);
    for (int j = 0; j < hid; ++j) {
      double s = B1[j];
      for (int k = 0; k < in; ++k) s += double(X[r * in + k]) * W1[k * hid + j];
      hv[j] = s > 0 ? s : 0;
    }
    double mx = -1e30, sum = 0;
    for (int j = 0; j < out; ++j) {
      logits[j] = B2[j];
      for (int k = 0; k < hid; ++k) logits[j] += hv[k] * W2[k * out + j];
      mx = std::max(mx, logits[j]);
    }
    for (int j = 0; j < out; ++j) sum += std::exp(logits[j] - mx);
    for (int j = 0; j < out; ++j)
      EXPECT_NEAR(result[0].element(r * out + j), std::exp(logits[j] - mx) / sum, 1e-5) << r << "," << j;
  }
}

TEST(ApiGraphBuilder, SymbolicInputNeedsAShape) {
  GraphBuilder g("symbolic");
  g.output(g.relu(g.input("x", DType::F32, {"N", 3})), "y");
  Model model = g.build();
  Error e = errorOf([&] { compile(model); });
  EXPECT_EQ(e.code(), 1);
  EXPECT_NE(e.message().find("symbolic"), std::string::npos) << e.message();
  CompileOptions opts;
  opts.inputShapes["x"] = {7, 3};
  EXPECT_EQ(compile(model, opts).outputs()[0].typeString(), "tensor<7x3xf32>");
}

TEST(ApiGraphBuilder, ToOnnxRoundTrips) {
  GraphBuilder g("roundtrip");
  Value x = g.input("x", DType::F32, {2, 2, 4, 4});
  Value w = g.parameter("conv.w", randomTensor({3, 2, 3, 3}, 20));
  Value c = g.conv2d(x, w, g.parameter("conv.b", randomTensor({3}, 21)), {1, 1}, {1, 1, 1, 1});
  Value p = g.maxPool2d(g.relu(c), {2, 2});
  g.output(g.flatten(p), "features");
  Model built = g.build();
  EXPECT_EQ(built.format(), ModelFormat::Onnx);
  Model reloaded = Model::fromOnnxBytes(built.toOnnx(), "roundtrip.onnx");
  Tensor in = randomTensor({2, 2, 4, 4}, 22);
  std::vector<Tensor> a = Session(compile(built)).run({in});
  std::vector<Tensor> b = Session(compile(reloaded)).run({in});
  EXPECT_EQ(a[0].typeString(), "tensor<2x12xf32>");
  EXPECT_EQ(a[0].toVector<float>(), b[0].toVector<float>());
}

TEST(ApiGraphBuilder, GenericOpsAttributesAndTypes) {
  GraphBuilder g("generic");
  Value x = g.input("x", DType::F32, {2, 3});
  Value sum = g.op("ReduceSum", {x, g.constant(Tensor::fromVector<int64_t>({1}, {1}))},
                   {Attribute::integer("keepdims", 0)});
  Value big = g.op("Greater", {sum, g.constant(Tensor::fromVector<float>({}, {0.0f}))});
  EXPECT_EQ(big.dtype(), DType::Bool);
  EXPECT_EQ(g.cast(big, DType::I32).dtype(), DType::I32);
  Value arg = g.op("ArgMax", {x}, {Attribute::integer("axis", 1), Attribute::integer("keepdims", 0)});
  EXPECT_EQ(arg.dtype(), DType::I64);
  std::vector<Value> topk = g.ops("TopK", {x, g.constant(Tensor::fromVector<int64_t>({1}, {2}))}, 2);
  ASSERT_EQ(topk.size(), 2u);
  g.output(sum, "sum");
  g.output(big, "positive");
  g.output(arg, "argmax");
  g.output(topk[1], "top2");
  Executable exe = compile(g.build());
  std::vector<Tensor> out = Session(exe).run({Tensor::fromVector<float>({2, 3}, {1, 5, 2, -4, -1, -3})});
  EXPECT_EQ(out[0].toVector<float>(), (std::vector<float>{8, -8}));
  EXPECT_EQ(out[1].toVector<bool>(), (std::vector<bool>{true, false}));
  EXPECT_EQ(out[2].toVector<int64_t>(), (std::vector<int64_t>{1, 1}));
  EXPECT_EQ(out[3].toVector<int64_t>(), (std::vector<int64_t>{1, 2, 1, 2}));
}

TEST(ApiGraphBuilder, MisuseIsAnError) {
  GraphBuilder g("misuse");
  Value x = g.input("x", DType::F32, {2});
  EXPECT_EQ(errorOf([&] { g.input("x", DType::F32, {2}); }).code(), 1) << "defined twice";
  GraphBuilder other("other");
  Value foreign = other.input("z", DType::F32, {2});
  Error e = errorOf([&] { g.add(x, foreign); });
  EXPECT_EQ(e.code(), 1);
  EXPECT_NE(e.message().find("'z'"), std::string::npos) << e.message();
  EXPECT_EQ(errorOf([&] { g.output(Value(), "y"); }).code(), 1);
  EXPECT_EQ(errorOf([&] { g.input("n", DType::F32, {-1}); }).code(), 1);
}

// ---- tensors ------------------------------------------------------------

TEST(ApiTensor, OwningViewsAndTypedAccess) {
  Tensor t = Tensor::fromVector<int32_t>({2, 2}, {1, 2, 3, 4});
  EXPECT_EQ(t.typeString(), "tensor<2x2xi32>");
  EXPECT_EQ(t.byteSize(), 16);
  EXPECT_FALSE(t.isView());
  Tensor alias = t;  // shares the memory
  alias.data<int32_t>()[0] = 9;
  EXPECT_EQ(t.data<int32_t>()[0], 9);
  Tensor copy = t.clone();
  copy.data<int32_t>()[0] = 1;
  EXPECT_EQ(t.data<int32_t>()[0], 9);
  EXPECT_EQ(errorOf([&] { t.data<float>(); }).code(), 1);
  EXPECT_EQ(errorOf([&] { Tensor::fromVector<float>({3}, {1, 2}); }).code(), 1);
  EXPECT_EQ(errorOf([&] { Tensor(DType::F32, {2, -1}); }).code(), 1);
  EXPECT_EQ(errorOf([&] { Tensor::wrap(static_cast<void*>(nullptr), DType::F32, {2}); }).code(), 1);
  EXPECT_EQ(errorOf([&] { t.element(4); }).code(), 1);
  EXPECT_TRUE(Tensor().isEmpty());

  const double buffer[3] = {1.5, 2.5, 3.5};
  Tensor view = Tensor::wrap(static_cast<const void*>(buffer), DType::F64, {3});
  EXPECT_EQ(view.element(2), 3.5);
  EXPECT_EQ(errorOf([&] { view.mutableData(); }).code(), 1);
  Tensor h = Tensor::fromVector<Float16>({2}, {Float16(0.5f), Float16(-2.0f)});
  EXPECT_EQ(float(h.data<Float16>()[1]), -2.0f);
  EXPECT_EQ(h.element(0), 0.5);
}

TEST(ApiTensor, FilesRoundTripAndErrors) {
  fs::path dir = tempDir();
  Tensor t = Tensor::fromVector<int64_t>({3}, {4, -5, 6});
  writeTensorFile((dir / "t.pb").string(), t);
  Tensor back = readTensorFile((dir / "t.pb").string());
  EXPECT_EQ(back.typeString(), t.typeString());
  EXPECT_EQ(back.toVector<int64_t>(), t.toVector<int64_t>());
  Error e = errorOf([&] { readTensorFile((dir / "none.pb").string()); });
  EXPECT_EQ(e.code(), 1);
  EXPECT_NE(e.message().find("none.pb"), std::string::npos) << e.message();
}

TEST(ApiStatus, OkAndThrowIfError) {
  Status ok;
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ok.code(), 0);
  ok.throwIfError();
  Status bad(1, "x: wrong");
  EXPECT_FALSE(bool(bad));
  Error e = errorOf([&] { bad.throwIfError(); });
  EXPECT_EQ(e.code(), 1);
  EXPECT_STREQ(e.what(), "x: wrong");

  Model m;
  ASSERT_TRUE(Model::tryFromOnnxFile(kMlp, m).ok());
  Executable exe;
  ASSERT_TRUE(tryCompile(m, {}, exe).ok());
  Session s;
  ASSERT_TRUE(Session::tryCreate(exe, Device::Host, s).ok());
  std::vector<Tensor> out;
  ASSERT_TRUE(s.tryRun({randomTensor({4, 784}, 5)}, out).ok());
  EXPECT_EQ(out.size(), 1u);
}

TEST(ApiVersion, MatchesTheHeader) {
  EXPECT_EQ(std::string(version()), std::to_string(DLC_VERSION_MAJOR) + "." +
                                        std::to_string(DLC_VERSION_MINOR) + "." +
                                        std::to_string(DLC_VERSION_PATCH));
}

// ---- executable files: save, load, run without compiling ----------------

TEST(ApiExecutableFile, SavedAndLoadedRunsLikeTheCompiledOneAndTheTool) {
  fs::path dir = tempDir();
  Executable compiled = compile(Model::fromOnnxFile(kMlp));
  std::string path = (dir / "mlp.dlcx").string();
  compiled.save(path);
  Executable loaded = loadExecutable(path);
  EXPECT_EQ(loaded.modelName(), path);
  EXPECT_EQ(loaded.target(), Target::Host);
  ASSERT_EQ(loaded.inputs().size(), compiled.inputs().size());
  EXPECT_EQ(loaded.inputs()[0].name, compiled.inputs()[0].name);
  EXPECT_EQ(loaded.inputs()[0].typeString(), compiled.inputs()[0].typeString());
  EXPECT_EQ(loaded.outputs()[0].typeString(), compiled.outputs()[0].typeString());
  EXPECT_EQ(loaded.stats().kernels, compiled.stats().kernels);
  EXPECT_EQ(loaded.stats().kernelsByKind, compiled.stats().kernelsByKind);
  EXPECT_EQ(loaded.stats().peakBytes, compiled.stats().peakBytes);
  EXPECT_EQ(loaded.stats().constantBytes, compiled.stats().constantBytes);
  EXPECT_EQ(loaded.stats().naiveBytes, -1);

  Tensor x = randomTensor({4, 784}, 11);
  std::vector<float> want = Session(compiled).run({x})[0].toVector<float>();
  EXPECT_EQ(Session(loaded).run({x})[0].toVector<float>(), want);
  // The tool runs the same file to the same bits.
  fs::create_directories(dir / "in");
  writeTensorFile((dir / "in" / "input_0.pb").string(), x);
  CliResult cli = runCli("run " + quote(path) + " --input-dir " + quote(dir / "in") + " --output-dir " +
                         quote(dir / "out"));
  ASSERT_EQ(cli.exitCode, 0) << cli.err;
  EXPECT_EQ(readTensorFile((dir / "out" / "output_0.pb").string()).toVector<float>(), want);
  // And a wrong input gets the tool's message, naming the file.
  Tensor wrong = randomTensor({2, 784}, 1);
  writeTensorFile((dir / "in" / "input_0.pb").string(), wrong);
  // --device host: auto would add its note on the device it picked to stderr.
  cli = runCli("run " + quote(path) + " --device host --input-dir " + quote(dir / "in") + " --output-dir " +
               quote(dir / "out"));
  ASSERT_EQ(cli.exitCode, 1);
  Session session(loaded);
  Error e = errorOf([&] { session.run({wrong}); });
  EXPECT_EQ(e.message(), cli.err);
}

TEST(ApiExecutableFile, DamagedFilesHaveTheToolsMessages) {
  fs::path dir = tempDir();
  std::string path = (dir / "mlp.dlcx").string();
  compile(Model::fromOnnxFile(kMlp)).save(path);
  std::string bytes = readText(path);
  fs::create_directories(dir / "in");
  writeTensorFile((dir / "in" / "input_0.pb").string(), randomTensor({4, 784}, 2));
  for (const std::string& damaged : {bytes.substr(0, bytes.size() / 2), bytes.substr(0, 64) + "x" + bytes.substr(65)}) {
    writeText(path, damaged);
    Error e = errorOf([&] { loadExecutable(path); });
    EXPECT_EQ(e.code(), 1);
    EXPECT_EQ(e.message().rfind(path + ": ", 0), 0u) << e.message();
    CliResult cli = runCli("run " + quote(path) + " --input-dir " + quote(dir / "in") + " --output-dir " +
                           quote(dir / "out"));
    EXPECT_EQ(cli.exitCode, 1);
    EXPECT_EQ(e.message(), cli.err);
    Executable out;
    expectSameFailure(e, tryLoadExecutable(path, out));
    EXPECT_TRUE(out.isEmpty());
  }
  Error e = errorOf([&] { loadExecutable((dir / "missing.dlcx").string()); });
  EXPECT_EQ(e.code(), 1);
  EXPECT_NE(e.message().find("missing.dlcx: cannot open"), std::string::npos) << e.message();
  Executable empty;
  EXPECT_EQ(errorOf([&] { empty.save(path); }).code(), 1);
  expectSameFailure(errorOf([&] { compile(Model::fromOnnxFile(kMlp)).save((dir / "no" / "m.dlcx").string()); }),
                    compile(Model::fromOnnxFile(kMlp)).trySave((dir / "no" / "m.dlcx").string()));
}

}  // namespace
}  // namespace dlc::apitest
