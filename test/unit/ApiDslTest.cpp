// Models in the DSL (docs/dsl.md) through the public API: loading from a
// string or a file, errors in the DSL's format with the tool's messages,
// parameters loaded from tensor files, and the ONNX form of a DSL model.
// These need the DSL frontend (frontend/dsl).
#include "ApiTestUtil.h"

namespace dlc::apitest {
namespace {

// y = x @ w + b with w all ones and b zeros: each y[i][j] is the row sum of x.
const char* kDense = R"(model dense
input x: f32[2, 3]
param w: f32[3, 4] = ones
param b: f32[4] = zeros
output y = x @ w + b
)";

TEST(ApiDsl, StringModelCompilesAndRuns) {
  Model model = Model::fromDslString(kDense, "dense.dlc");
  EXPECT_EQ(model.format(), ModelFormat::Dsl);
  EXPECT_EQ(model.name(), "dense.dlc");
  Executable exe = compile(model);
  ASSERT_EQ(exe.inputs().size(), 1u);
  EXPECT_EQ(exe.inputs()[0].name, "x");
  EXPECT_EQ(exe.inputs()[0].typeString(), "tensor<2x3xf32>");
  EXPECT_EQ(exe.outputs()[0].name, "y");
  EXPECT_EQ(exe.outputs()[0].typeString(), "tensor<2x4xf32>");
  std::vector<float> xs = {1, 2, 3, -1, 0.5f, 4};
  std::vector<Tensor> out = Session(exe).run({Tensor::fromVector<float>({2, 3}, xs)});
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 4; ++j)
      EXPECT_FLOAT_EQ(out[0].element(i * 4 + j), xs[i * 3] + xs[i * 3 + 1] + xs[i * 3 + 2]);
}

TEST(ApiDsl, FileModelEqualsTheTool) {
  fs::path dir = tempDir();
  writeText(dir / "dense.dlc", kDense);
  Tensor x = randomTensor({2, 3}, 3);
  fs::create_directories(dir / "in");
  writeTensorFile((dir / "in" / "input_0.pb").string(), x);
  CliResult cli = runCli("run " + quote(dir / "dense.dlc") + " --input-dir " + quote(dir / "in") +
                         " --output-dir " + quote(dir / "out"));
  ASSERT_EQ(cli.exitCode, 0) << cli.err;
  Tensor expected = readTensorFile((dir / "out" / "output_0.pb").string());
  Model model = Model::fromFile((dir / "dense.dlc").string());
  EXPECT_EQ(model.format(), ModelFormat::Dsl);
  std::vector<Tensor> out = Session(compile(model)).run({x});
  EXPECT_EQ(out[0].toVector<float>(), expected.toVector<float>());
}

TEST(ApiDsl, SyntaxErrorsHaveTheToolsMessage) {
  fs::path dir = tempDir();
  // Two bad statements: the parser recovers and reports both.
  std::string source = "model bad\ninput x: f32[2, 3]\nlet y = x +\noutput z = relu(x\nlet w = ) 3\n";
  fs::path path = dir / "bad.dlc";
  writeText(path, source);
  CliResult cli = runCli("compile " + quote(path));
  ASSERT_EQ(cli.exitCode, 1);
  Error e = errorOf([&] { Model::fromDslString(source, path.string()); });
  EXPECT_EQ(e.code(), 1);
  EXPECT_EQ(e.message(), cli.err);
  EXPECT_EQ(e.message().rfind(path.string() + ":3:", 0), 0u) << "FILE:LINE:COL first: " << e.message();
  size_t errors = 0;
  for (size_t p = e.message().find(": error: "); p != std::string::npos; p = e.message().find(": error: ", p + 1))
    ++errors;
  EXPECT_GE(errors, 2u) << e.message();
  EXPECT_NE(e.message().find('^'), std::string::npos) << "a caret line: " << e.message();
  Error fromFile = errorOf([&] { Model::fromDslFile(path.string()); });
  EXPECT_EQ(fromFile.message(), cli.err);
  Model m;
  Status s = Model::tryFromDslString(source, path.string(), dir.string(), m);
  EXPECT_EQ(s.code(), 1);
  EXPECT_EQ(s.message(), e.message());
  EXPECT_TRUE(m.isEmpty());
}

TEST(ApiDsl, ShapeErrorsPointAtTheCall) {
  fs::path dir = tempDir();
  std::string source = "model mismatch\ninput x: f32[2, 3]\nparam w: f32[4, 5]\noutput y = x @ w\n";
  fs::path path = dir / "mismatch.dlc";
  writeText(path, source);
  CliResult cli = runCli("compile " + quote(path));
  ASSERT_EQ(cli.exitCode, 1);
  Model model = Model::fromDslString(source, path.string());  // it parses and translates
  Error e = errorOf([&] { compile(model); });
  EXPECT_EQ(e.code(), 1);
  EXPECT_EQ(e.message(), cli.err);
  EXPECT_EQ(e.message().rfind(path.string() + ":4:", 0), 0u) << "at the @ on line 4: " << e.message();
}

TEST(ApiDsl, SymbolicDimensionsTakeInputShapes) {
  Model model = Model::fromDslString("input x: f32[N, 3]\noutput y = relu(x)\n", "sym.dlc");
  Error e = errorOf([&] { compile(model); });
  EXPECT_EQ(e.code(), 1);
  EXPECT_NE(e.message().find("symbolic"), std::string::npos) << e.message();
  CompileOptions opts;
  opts.inputShapes["x"] = {5, 3};
  EXPECT_EQ(compile(model, opts).outputs()[0].typeString(), "tensor<5x3xf32>");
}

TEST(ApiDsl, LoadedParametersAreReadFromTheModelsFolder) {
  fs::path dir = tempDir();
  Tensor w = Tensor::fromVector<float>({2, 2}, {1, 2, 3, 4});
  writeTensorFile((dir / "w.pb").string(), w);
  std::string source = "input x: f32[1, 2]\nparam w: f32[2, 2] = load(\"w.pb\")\noutput y = x @ w\n";
  writeText(dir / "loaded.dlc", source);
  Tensor x = Tensor::fromVector<float>({1, 2}, {1, 1});
  std::vector<float> expected = {4, 6};  // [1 1] @ [[1 2] [3 4]]
  EXPECT_EQ(Session(compile(Model::fromDslFile((dir / "loaded.dlc").string()))).run({x})[0].toVector<float>(),
            expected);
  // A string model reads load() paths inside its baseDir.
  EXPECT_EQ(Session(compile(Model::fromDslString(source, "loaded.dlc", dir.string()))).run({x})[0].toVector<float>(),
            expected);
}

TEST(ApiDsl, OnnxFormIsTheSameModel) {
  Model dsl = Model::fromDslString(R"(model cnn
input x: f32[1, 1, 6, 6]
param k: f32[2, 1, 3, 3] = normal(std=0.5)
param kb: f32[2] = uniform(low=-1, high=1)
output y = max_pool(relu(conv2d(x, k, kb)), kernel=[2, 2], strides=[2, 2])
)", "cnn.dlc");
  Model onnx = Model::fromOnnxBytes(dsl.toOnnx(), "cnn.onnx");
  Tensor x = randomTensor({1, 1, 6, 6}, 9);
  std::vector<Tensor> a = Session(compile(dsl)).run({x});
  std::vector<Tensor> b = Session(compile(onnx)).run({x});
  EXPECT_EQ(a[0].typeString(), "tensor<1x2x2x2xf32>");
  EXPECT_EQ(a[0].toVector<float>(), b[0].toVector<float>());
}

}  // namespace
}  // namespace dlc::apitest
