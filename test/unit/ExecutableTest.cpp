// The executable file (runtime/Executable.h, docs/executable.md): every
// field of Program and CudaPlan survives save -> load, a loaded program runs
// on the host device to the same bytes, and hostile files (bad magic,
// versions, checksums, truncation, sizes and ids out of range) end in an
// ExecutableError naming the file and the problem, never in a crash.
#include "runtime/Executable.h"

#include <cstring>
#include <filesystem>
#include <fstream>

#include "ExecutableFixture.h"
#include "runtime/Checksum.h"
#include "runtime/host/HostDevice.h"

namespace dlc::rt::test {
namespace {

// --- comparisons, field by field (not through the format under test) -------

void expectSameTensor(const HostTensor& a, const HostTensor& b, const std::string& what) {
  ASSERT_EQ(a.data() == nullptr, b.data() == nullptr) << what;
  if (!a.data()) return;
  EXPECT_EQ(a.type(), b.type()) << what;
  ASSERT_EQ(a.byteSize(), b.byteSize()) << what;
  EXPECT_EQ(std::memcmp(a.data(), b.data(), static_cast<size_t>(a.byteSize())), 0) << what;
}

void expectSamePrograms(const Program& a, const Program& b) {
  ASSERT_EQ(a.values.size(), b.values.size());
  for (size_t i = 0; i < a.values.size(); ++i) {
    const ValueInfo &x = a.values[i], &y = b.values[i];
    std::string what = "value " + std::to_string(i);
    EXPECT_EQ(x.type, y.type) << what;
    EXPECT_EQ(x.kind, y.kind) << what;
    EXPECT_EQ(x.inputIndex, y.inputIndex) << what;
    EXPECT_EQ(x.name, y.name) << what;
    EXPECT_EQ(x.isSpecialized, y.isSpecialized) << what;
    EXPECT_EQ(x.offset, y.offset) << what;
    EXPECT_EQ(x.splat, y.splat) << what;
    expectSameTensor(x.constant, y.constant, what + " constant");
    expectSameTensor(x.specialized, y.specialized, what + " specialized");
  }
  ASSERT_EQ(a.instrs.size(), b.instrs.size());
  for (size_t i = 0; i < a.instrs.size(); ++i) {
    const Instr &x = a.instrs[i], &y = b.instrs[i];
    std::string what = "instruction " + std::to_string(i);
    EXPECT_EQ(x.op, y.op) << what;
    EXPECT_EQ(x.operands, y.operands) << what;
    EXPECT_EQ(x.result, y.result) << what;
    EXPECT_EQ(x.kind, y.kind) << what;
    EXPECT_EQ(x.axis, y.axis) << what;
    EXPECT_EQ(x.dims, y.dims) << what;
    EXPECT_EQ(x.start, y.start) << what;
    EXPECT_EQ(x.limit, y.limit) << what;
    EXPECT_EQ(x.strides, y.strides) << what;
    EXPECT_EQ(x.low, y.low) << what;
    EXPECT_EQ(x.high, y.high) << what;
    EXPECT_EQ(x.interior, y.interior) << what;
    EXPECT_EQ(x.dot.lhsBatch, y.dot.lhsBatch) << what;
    EXPECT_EQ(x.dot.rhsBatch, y.dot.rhsBatch) << what;
    EXPECT_EQ(x.dot.lhsContract, y.dot.lhsContract) << what;
    EXPECT_EQ(x.dot.rhsContract, y.dot.rhsContract) << what;
    EXPECT_EQ(x.conv.strides, y.conv.strides) << what;
    EXPECT_EQ(x.conv.padLow, y.conv.padLow) << what;
    EXPECT_EQ(x.conv.padHigh, y.conv.padHigh) << what;
    EXPECT_EQ(x.conv.dilations, y.conv.dilations) << what;
    EXPECT_EQ(x.conv.groups, y.conv.groups) << what;
    EXPECT_EQ(x.window.window, y.window.window) << what;
    EXPECT_EQ(x.window.strides, y.window.strides) << what;
    EXPECT_EQ(x.window.padLow, y.window.padLow) << what;
    EXPECT_EQ(x.window.padHigh, y.window.padHigh) << what;
    EXPECT_EQ(x.window.dilations, y.window.dilations) << what;
    EXPECT_EQ(x.location, y.location) << what;
  }
  ASSERT_EQ(a.kernels.size(), b.kernels.size());
  for (size_t i = 0; i < a.kernels.size(); ++i) {
    const Kernel &x = a.kernels[i], &y = b.kernels[i];
    EXPECT_EQ(x.kind, y.kind) << i;
    EXPECT_EQ(x.begin, y.begin) << i;
    EXPECT_EQ(x.end, y.end) << i;
    EXPECT_EQ(x.inputs, y.inputs) << i;
    EXPECT_EQ(x.outputs, y.outputs) << i;
    EXPECT_EQ(x.location, y.location) << i;
  }
  EXPECT_EQ(a.arenaBytes, b.arenaBytes);
  EXPECT_EQ(a.inputs, b.inputs);
  EXPECT_EQ(a.outputs, b.outputs);
  ASSERT_EQ(a.aliases.size(), b.aliases.size());
  for (size_t i = 0; i < a.aliases.size(); ++i) {
    EXPECT_EQ(a.aliases[i].output, b.aliases[i].output) << i;
    EXPECT_EQ(a.aliases[i].input, b.aliases[i].input) << i;
    EXPECT_EQ(a.aliases[i].inPlace, b.aliases[i].inPlace) << i;
  }
}

void expectSameViews(const MatrixView& a, const MatrixView& b) {
  EXPECT_EQ(a.value, b.value);
  EXPECT_EQ(a.offset, b.offset);
  EXPECT_EQ(a.rows, b.rows);
  EXPECT_EQ(a.cols, b.cols);
  EXPECT_EQ(a.rowStride, b.rowStride);
  EXPECT_EQ(a.colStride, b.colStride);
}

void expectSamePlans(const CudaPlan& a, const CudaPlan& b) {
  EXPECT_EQ(a.arch, b.arch);
  EXPECT_EQ(a.nvrtcVersion, b.nvrtcVersion);
  EXPECT_EQ(a.source, b.source);
  EXPECT_EQ(a.ptx, b.ptx);
  EXPECT_EQ(a.cubin, b.cubin);
  ASSERT_EQ(a.kernels.size(), b.kernels.size());
  for (size_t i = 0; i < a.kernels.size(); ++i) {
    const CudaKernel &x = a.kernels[i], &y = b.kernels[i];
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.fused, y.fused);
    EXPECT_TRUE(x.grid == y.grid);
    EXPECT_TRUE(x.block == y.block);
    EXPECT_EQ(x.sharedBytes, y.sharedBytes);
    EXPECT_EQ(x.args, y.args);
  }
  ASSERT_EQ(a.steps.size(), b.steps.size());
  for (size_t i = 0; i < a.steps.size(); ++i) {
    const CudaStep &x = a.steps[i], &y = b.steps[i];
    EXPECT_EQ(x.kind, y.kind);
    EXPECT_EQ(x.programKernel, y.programKernel);
    EXPECT_EQ(x.kernel, y.kernel);
    EXPECT_EQ(x.epilogue, y.epilogue);
    const GemmCall &g = x.gemm, &h = y.gemm;
    EXPECT_EQ(g.aType, h.aType);
    EXPECT_EQ(g.bType, h.bType);
    EXPECT_EQ(g.cdType, h.cdType);
    EXPECT_EQ(g.m, h.m);
    EXPECT_EQ(g.n, h.n);
    EXPECT_EQ(g.k, h.k);
    expectSameViews(g.a, h.a);
    expectSameViews(g.b, h.b);
    expectSameViews(g.c, h.c);
    expectSameViews(g.d, h.d);
    ASSERT_EQ(g.batch.size(), h.batch.size());
    for (size_t j = 0; j < g.batch.size(); ++j) {
      EXPECT_EQ(g.batch[j].count, h.batch[j].count);
      EXPECT_EQ(g.batch[j].strideA, h.batch[j].strideA);
      EXPECT_EQ(g.batch[j].strideB, h.batch[j].strideB);
      EXPECT_EQ(g.batch[j].strideC, h.batch[j].strideC);
      EXPECT_EQ(g.batch[j].strideD, h.batch[j].strideD);
    }
    EXPECT_EQ(g.alpha, h.alpha);
    EXPECT_EQ(g.beta, h.beta);
    EXPECT_EQ(g.epilogue, h.epilogue);
    EXPECT_EQ(g.bias, h.bias);
    EXPECT_EQ(g.allowTf32, h.allowTf32);
    const ConvCall &c = x.conv, &e = y.conv;
    EXPECT_EQ(c.dtype, e.dtype);
    EXPECT_EQ(c.x, e.x);
    EXPECT_EQ(c.w, e.w);
    EXPECT_EQ(c.y, e.y);
    EXPECT_EQ(c.bias, e.bias);
    EXPECT_EQ(c.xShape, e.xShape);
    EXPECT_EQ(c.wShape, e.wShape);
    EXPECT_EQ(c.yShape, e.yShape);
    EXPECT_EQ(c.strides, e.strides);
    EXPECT_EQ(c.padLow, e.padLow);
    EXPECT_EQ(c.padHigh, e.padHigh);
    EXPECT_EQ(c.dilations, e.dilations);
    EXPECT_EQ(c.groups, e.groups);
    EXPECT_EQ(c.activation, e.activation);
    EXPECT_EQ(c.allowTf32, e.allowTf32);
  }
}

void expectSameExecutables(const Executable& a, const Executable& b) {
  EXPECT_EQ(a.target, b.target);
  EXPECT_EQ(a.info.dlcVersion, b.info.dlcVersion);
  EXPECT_EQ(a.info.modelName, b.info.modelName);
  EXPECT_EQ(a.info.compileOptions, b.info.compileOptions);
  EXPECT_EQ(a.info.producer, b.info.producer);
  EXPECT_EQ(a.info.createdAt, b.info.createdAt);
  expectSamePrograms(a.program, b.program);
  ASSERT_EQ(a.cuda.has_value(), b.cuda.has_value());
  if (a.cuda) expectSamePlans(*a.cuda, *b.cuda);
}

// --- hand edits of a file ----------------------------------------------------

uint64_t getLe(const std::string& s, size_t at, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[at + i]);
  return v;
}
void putLe(std::string& s, size_t at, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) s[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
// The layout of docs/executable.md, spelled out here independently.
constexpr size_t kChecksumAt = 8, kFileSizeAt = 16, kCountAt = 28, kTableAt = 64, kEntryBytes = 32;

void fixChecksum(std::string& s) { putLe(s, kChecksumAt, checksum64(s.data() + 16, s.size() - 16), 8); }

// The table entry of section `id`.
size_t entryOf(const std::string& s, uint32_t id) {
  uint64_t count = getLe(s, kCountAt, 4);
  for (size_t i = 0; i < count; ++i)
    if (getLe(s, kTableAt + i * kEntryBytes, 4) == id) return kTableAt + i * kEntryBytes;
  ADD_FAILURE() << "no section " << id;
  return kTableAt;
}
size_t sectionStart(const std::string& s, uint32_t id) { return getLe(s, entryOf(s, id) + 8, 8); }

std::string loadError(const std::string& bytes) {
  try {
    parseExecutable(bytes, "m.dlcx");
  } catch (const ExecutableError& e) {
    return e.what();
  }
  return "";
}

void expectError(const std::string& bytes, const std::string& part) {
  std::string e = loadError(bytes);
  ASSERT_FALSE(e.empty()) << "loaded; expected an error with '" << part << "'";
  EXPECT_EQ(e.rfind("m.dlcx: ", 0), 0u) << e;
  EXPECT_NE(e.find(part), std::string::npos) << e;
}

class ExecutableTest : public ::testing::Test {
 protected:
  Executable exe = everyFieldExecutable();
  std::string bytes = serializeExecutable(exe);
};

// --- the checksum ------------------------------------------------------------

TEST(ChecksumTest, EveryBitAndTheLengthCount) {
  for (size_t n : {0, 1, 7, 8, 31, 32, 33, 64, 100, 257}) {
    std::string data(n, '\0');
    for (size_t i = 0; i < n; ++i) data[i] = static_cast<char>(i * 37 + 11);
    uint64_t base = checksum64(data.data(), n);
    EXPECT_EQ(base, checksum64(data.data(), n)) << "deterministic";
    EXPECT_NE(base, checksum64(data.data(), n, 1)) << "seeded";
    std::string longer = data + '\0';
    EXPECT_NE(base, checksum64(longer.data(), longer.size())) << "a trailing zero byte counts, n=" << n;
    for (size_t bit = 0; bit < n * 8; ++bit) {
      std::string flipped = data;
      flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
      ASSERT_NE(base, checksum64(flipped.data(), n)) << "bit " << bit << " of " << n << " bytes";
    }
  }
}

// The streaming checksum (the writer's) is checksum64 of the concatenation,
// wherever the pieces are cut.
TEST(ChecksumTest, StreamedInPiecesIsTheSame) {
  std::string data(300, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 131 + 7);
  for (size_t n : {0, 5, 31, 32, 33, 64, 100, 300}) {
    uint64_t want = checksum64(data.data(), n, 3);
    for (size_t cut1 = 0; cut1 <= n; cut1 += 7) {
      for (size_t cut2 = cut1; cut2 <= n; cut2 += 13) {
        Checksum64 sum(3);
        sum.update(data.data(), cut1);
        sum.update(data.data() + cut1, cut2 - cut1);
        sum.update(data.data() + cut2, n - cut2);
        ASSERT_EQ(sum.finish(), want) << n << " cut at " << cut1 << " and " << cut2;
      }
    }
  }
}

// --- round trips ---------------------------------------------------------------

TEST_F(ExecutableTest, EveryFieldRoundTrips) {
  Executable back = parseExecutable(bytes, "m.dlcx");
  expectSameExecutables(exe, back);
  // And again: what was read writes the same bytes.
  EXPECT_EQ(serializeExecutable(back), bytes);
}

TEST_F(ExecutableTest, HostTargetRoundTrips) {
  exe.target = "host";
  exe.cuda.reset();
  Executable back = parseExecutable(serializeExecutable(exe), "m.dlcx");
  expectSameExecutables(exe, back);
}

TEST_F(ExecutableTest, LoadedProgramRunsToTheSameBytes) {
  std::vector<HostTensor> want = runOnHost(exe.program, everyFieldInputs());
  Executable back = parseExecutable(bytes, "m.dlcx");
  std::vector<HostTensor> got = runOnHost(back.program, everyFieldInputs());
  ASSERT_EQ(want.size(), got.size());
  for (size_t i = 0; i < want.size(); ++i) expectSameTensor(want[i], got[i], "output " + std::to_string(i));
}

TEST_F(ExecutableTest, FileLayout) {
  EXPECT_EQ(bytes.substr(0, 4), "DLCX");
  EXPECT_EQ(getLe(bytes, 4, 4), kExecutableFormatVersion);
  EXPECT_EQ(getLe(bytes, kFileSizeAt, 8), bytes.size());
  EXPECT_TRUE(hasExecutableMagic(bytes));
  EXPECT_FALSE(hasExecutableMagic("\x08\x07"));
  // Weights 4096-aligned in the file, every constant 64-aligned: mappable.
  EXPECT_EQ(sectionStart(bytes, 7) % 4096, 0u);
  const float want[] = {-4.5f, -3.0f, -1.5f, 0.0f};  // the constant `table`
  size_t at = bytes.find(std::string(reinterpret_cast<const char*>(want), sizeof want));
  ASSERT_NE(at, std::string::npos);
  EXPECT_EQ(at % 64, 0u);
}

TEST_F(ExecutableTest, SaveAndLoadFiles) {
  auto dir = std::filesystem::temp_directory_path() / ("dlc-exe-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string path = (dir / "m.dlcx").string();
  saveExecutable(exe, path);
  EXPECT_TRUE(isExecutableFile(path));
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  expectSameExecutables(exe, loadExecutable(path));
  {
    // The file is streamed as it is laid out, checksum last: the same bytes.
    std::ifstream in(path, std::ios::binary);
    std::string saved((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_TRUE(saved == bytes) << "saveExecutable and serializeExecutable differ";
  }
  try {
    loadExecutable((dir / "missing.dlcx").string());
    ADD_FAILURE() << "a missing file loaded";
  } catch (const ExecutableError& e) {
    EXPECT_NE(std::string(e.what()).find("missing.dlcx: cannot open"), std::string::npos) << e.what();
  }
  try {
    saveExecutable(exe, (dir / "no-such-dir" / "m.dlcx").string());
    ADD_FAILURE() << "saved into a missing folder";
  } catch (const ExecutableError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot write"), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
}

// --- hostile files -------------------------------------------------------------

TEST_F(ExecutableTest, BadMagic) {
  expectError("", "not a dlc executable");
  expectError("ir_version: 8", "not a dlc executable");
  std::string b = bytes;
  b[0] = 'X';
  expectError(b, "does not start with \"DLCX\"");
}

TEST_F(ExecutableTest, Versions) {
  std::string b = bytes;
  putLe(b, 4, kExecutableFormatVersion + 1, 4);
  expectError(b, "format version " + std::to_string(kExecutableFormatVersion + 1) + " is newer");
  putLe(b, 4, 0, 4);
  expectError(b, "format version 0");
}

TEST_F(ExecutableTest, ChecksumMismatch) {
  std::string b = bytes;
  size_t at = sectionStart(b, 7) + 3;  // a byte of the weights
  b[at] = static_cast<char>(b[at] ^ 0x10);
  expectError(b, "checksum mismatch");
  expectError(b, "corrupt");
}

TEST_F(ExecutableTest, TruncatedAnywhere) {
  // Every length short of the whole file is refused, with what is wrong.
  for (size_t n = 0; n < bytes.size(); n += (n < 256 ? 1 : 61)) {
    std::string e = loadError(bytes.substr(0, n));
    ASSERT_FALSE(e.empty()) << "a file cut at " << n << " bytes loaded";
    if (n >= 64) {
      EXPECT_NE(e.find("truncated"), std::string::npos) << e;
    }
  }
  expectError(bytes + "xyz", "3 bytes after the end");
}

TEST_F(ExecutableTest, SectionOutsideTheFile) {
  std::string b = bytes;
  size_t entry = entryOf(b, 2);
  putLe(b, entry + 16, b.size(), 8);  // the values' size
  fixChecksum(b);
  expectError(b, "section 'values'");
  expectError(b, "lies outside the file");
  putLe(b, entry + 16, ~uint64_t{0}, 8);
  fixChecksum(b);
  expectError(b, "lies outside the file");
}

TEST_F(ExecutableTest, HugeCountsAreRefusedBeforeAllocating) {
  std::string b = bytes;
  putLe(b, sectionStart(b, 2), uint64_t{1} << 60, 8);  // the value count
  fixChecksum(b);
  expectError(b, "section 'values': value list of 1152921504606846976 entries does not fit");
  b = bytes;
  putLe(b, sectionStart(b, 3), ~uint64_t{0} / 2, 8);  // the instruction count
  fixChecksum(b);
  expectError(b, "does not fit");
  b = bytes;
  putLe(b, kCountAt, 0xffffffff, 4);  // sections
  fixChecksum(b);
  expectError(b, "the section table (4294967295 entries");
}

TEST_F(ExecutableTest, SectionTableProblems) {
  std::string b = bytes;
  putLe(b, entryOf(b, 6), 2, 4);  // signature -> a second 'values'
  fixChecksum(b);
  expectError(b, "appears twice");
  b = bytes;
  putLe(b, entryOf(b, 6), 999, 4);  // an unknown, required section
  fixChecksum(b);
  expectError(b, "section 999' is required but unknown");
  putLe(b, entryOf(b, 999) + 4, 0, 4);  // ... optional: skipped; now 'signature' is missing
  fixChecksum(b);
  expectError(b, "section 'signature' is missing");
  b = bytes;
  putLe(b, entryOf(b, 3) + 8, sectionStart(b, 2), 8);  // instructions over values
  fixChecksum(b);
  expectError(b, "overlap");
}

// Format 2 added the output aliases at the end of the signature section:
// one alias (output, input, in-place flag) in the fixture.
TEST_F(ExecutableTest, OutputAliasesAreChecked) {
  size_t alias = sectionStart(bytes, 6) + (8 + 2 * 4) + (8 + 8 * 4) + 8;
  std::string b = bytes;
  b[alias + 8] = 2;
  fixChecksum(b);
  expectError(b, "section 'signature', alias 0: in-place flag 2 is neither 0 nor 1");
  b = bytes;
  putLe(b, alias, 8, 4);
  fixChecksum(b);
  expectError(b, "alias 0 (output 8 into input 0): the program has 8 outputs and 2 inputs");
  b = bytes;
  putLe(b, alias + 4, 1, 4);  // x's new value into idx (i64)
  fixChecksum(b);
  expectError(b, "alias 0 (output 7 into input 1): the output is value");
}

// A version 1 file (before output aliases) still loads, with none.
TEST_F(ExecutableTest, Version1FilesStillLoad) {
  std::string seed = std::string(DLC_SOURCE_DIR) + "/test/fuzz/corpus/executable/mlp.dlcx";
  std::ifstream in(seed, std::ios::binary);
  ASSERT_TRUE(in) << seed;
  std::string v1((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_EQ(getLe(v1, 4, 4), 1u) << seed << " is no longer a version 1 file";
  Executable exe = parseExecutable(v1, seed);
  EXPECT_FALSE(exe.program.outputs.empty());
  EXPECT_TRUE(exe.program.aliases.empty());
}

// A version 2 file (before splat constants) still loads: the fixture as
// version 2 wrote it, every constant in full.
TEST_F(ExecutableTest, Version2FilesStillLoad) {
  std::string seed = std::string(DLC_SOURCE_DIR) + "/test/fuzz/corpus/executable/every-field-v2.dlcx";
  std::ifstream in(seed, std::ios::binary);
  ASSERT_TRUE(in) << seed;
  std::string v2((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_EQ(getLe(v2, 4, 4), 2u) << seed << " is no longer a version 2 file";
  Executable old = parseExecutable(v2, seed);
  EXPECT_EQ(old.program.aliases.size(), 1u);
  for (const ValueInfo& v : old.program.values) EXPECT_FALSE(v.splat);
  EXPECT_EQ(runOnHost(old.program, everyFieldInputs()).size(), old.program.outputs.size());
}

// --- splat constants (runtime/Program.h) -------------------------------------

// y = x * 3 over 1024 x 1024: the splat takes one element in the file, not
// 4 MiB, reads back as a splat and runs to the expanded constant's result.
TEST(ExecutableSplatTest, OneElementInTheFile) {
  ProgramBuilder b;
  const TensorType t{DType::F32, {1024, 1024}};
  int32_t x = b.input(t, "x");
  int32_t three = addSplat(b.program, t, 3.0, "three");
  b.beginKernel();
  int32_t y = b.output(OpCode::Binary, {x, three}, t, -1, static_cast<uint8_t>(BinaryKind::Mul));
  b.endKernel();
  b.program.outputs = {y};
  Executable exe;
  exe.program = std::move(b.program);
  std::string bytes = serializeExecutable(exe);
  EXPECT_LT(bytes.size(), 16384u);
  Executable back = parseExecutable(bytes, "m.dlcx");
  const ValueInfo& v = back.program.values[three];
  EXPECT_TRUE(v.splat);
  EXPECT_EQ(v.type, t);
  ASSERT_EQ(v.constant.type(), (TensorType{DType::F32, {}}));
  EXPECT_EQ(v.constant.as<float>()[0], 3.0f);
  EXPECT_EQ(storedConstantBytes(v), 4);
  std::vector<HostTensor> in;
  in.push_back(HostTensor(t));
  for (int64_t i = 0; i < t.numElements(); ++i) in[0].as<float>()[i] = static_cast<float>(i % 1000) - 500.0f;
  std::vector<HostTensor> out = runOnHost(back.program, in);
  for (int64_t i = 0; i < t.numElements(); ++i)
    ASSERT_EQ(out[0].as<float>()[i], 3.0f * (static_cast<float>(i % 1000) - 500.0f)) << i;
}

// The fixture's splat `half`: where its record's flags byte is (the layout of
// docs/executable.md: kind, flags, dtype, rank, 3 dims, input index, offset,
// name length, name, element).
size_t splatFlagsAt(const std::string& bytes) {
  size_t name = bytes.find("half");
  EXPECT_NE(name, std::string::npos);
  EXPECT_EQ(bytes.rfind("half"), name) << "the name is not unique in the file";
  return name - 8 - 8 - 4 - (1 + 8 + 3 * 8) - 1;
}

TEST_F(ExecutableTest, MalformedSplatRecordsAreRefused) {
  size_t flags = splatFlagsAt(bytes);
  ASSERT_EQ(static_cast<unsigned char>(bytes[flags]), 8u);
  ASSERT_EQ(static_cast<unsigned char>(bytes[flags - 1]), static_cast<unsigned char>(ValueKind::Constant));
  std::string b = bytes;
  b[flags - 1] = static_cast<char>(ValueKind::Input);
  fixChecksum(b);
  expectError(b, "a splat must be a Constant without data in the weights section");
  b = bytes;
  b[flags] = 8 | 1;  // a splat with data in the weights section too
  fixChecksum(b);
  expectError(b, "a splat must be a Constant without data in the weights section");
  b = bytes;
  b[flags] = 0;  // a constant with no data at all
  fixChecksum(b);
  expectError(b, "without data of that type");
  b = bytes;
  putLe(b, 4, 2, 4);  // a version 2 file knows no splats
  fixChecksum(b);
  expectError(b, "unknown flags 8");
}

TEST_F(ExecutableTest, ValuesOutOfRange) {
  // The first output id, in the signature section: inputs list (count + 2
  // ids), outputs count, then the ids.
  std::string b = bytes;
  size_t outputs = sectionStart(b, 6) + 8 + 2 * 4 + 8;
  putLe(b, outputs, 12345, 4);
  fixChecksum(b);
  expectError(b, "the program is invalid: output 0 refers to value 12345");
}

TEST_F(ExecutableTest, BadEnumsAndTypes) {
  std::string b = bytes;
  size_t v0 = sectionStart(b, 2) + 8;  // value 0: kind, flags, dtype
  b[v0] = 9;
  fixChecksum(b);
  expectError(b, "value 0: value kind code 9 is unknown");
  b = bytes;
  b[v0 + 2] = 77;
  fixChecksum(b);
  expectError(b, "value 0: element type code 77 is unknown");
  b = bytes;
  putLe(b, v0 + 3 + 8, ~uint64_t{0}, 8);  // x's first dimension
  fixChecksum(b);
  expectError(b, "negative dimension");
  b = bytes;
  size_t i0 = sectionStart(b, 3) + 8;  // instruction 0: opcode
  b[i0] = 50;
  fixChecksum(b);
  expectError(b, "instruction 0: opcode code 50 is unknown");
}

TEST_F(ExecutableTest, OpsMustMatchTheirShapeRules) {
  // The transpose's permutation [0, 2, 1] -> [0, 1, 1] passes the reader and
  // verifyProgram but would make the kernel read out of bounds.
  Executable bad = everyFieldExecutable();
  bad.program.instrs[0].dims = {0, 1, 1};
  expectError(serializeExecutable(bad), "instruction 0 (transpose_0): ");
  bad = everyFieldExecutable();
  bad.program.instrs[0].dims = {0, 1, 2};
  expectError(serializeExecutable(bad), "the op's shape rule gives 2x3x4");
  bad = everyFieldExecutable();
  bad.program.values[bad.program.instrs[2].operands[1]].type.dtype = DType::F64;  // the pad value
  bad.program.values[bad.program.instrs[2].operands[1]].constant = makeTensor(DType::F64, {}, {0.5});
  expectError(serializeExecutable(bad), "the pad value is tensor<f64>");
  bad = everyFieldExecutable();
  bad.program.instrs[5].kind = 99;  // the window reduction's ReduceKind
  expectError(serializeExecutable(bad), "kind code 99");
  bad = everyFieldExecutable();
  bad.program.values[1].specialized = makeTensor(DType::I64, {3}, {1, 2, 3});
  expectError(serializeExecutable(bad), "specialised without");
  bad = everyFieldExecutable();
  bad.program.values[3].constant = makeTensor(DType::F32, {2}, {1, 2});
  expectError(serializeExecutable(bad), "a constant tensor<3x5x2xf32> without data of that type");
}

TEST_F(ExecutableTest, CudaPlanMustMatchTheProgram) {
  Executable bad = everyFieldExecutable();
  bad.cuda->steps.pop_back();
  expectError(serializeExecutable(bad), "the CUDA plan has 6 steps for 7 kernels");
  bad = everyFieldExecutable();
  bad.cuda->steps[0].kernel = 4;
  expectError(serializeExecutable(bad), "CUDA step 0 refers to CUDA kernel 4, but the plan has 4");
  bad = everyFieldExecutable();
  bad.cuda->steps[1].gemm.bias = 100;
  expectError(serializeExecutable(bad), "CUDA step 1's GEMM bias refers to value 100");
  bad = everyFieldExecutable();
  bad.cuda->kernels[2].args.push_back(-3);
  expectError(serializeExecutable(bad), "CUDA kernel 2 ('k2_loop') refers to value -3");
  bad = everyFieldExecutable();
  bad.cuda->steps[3].programKernel = 2;
  expectError(serializeExecutable(bad), "CUDA step 3 is for kernel 2");
}

TEST_F(ExecutableTest, TargetAndSectionsAgree) {
  Executable bad = everyFieldExecutable();
  bad.cuda.reset();
  EXPECT_THROW(serializeExecutable(bad), ExecutableError);
  bad.target = "tpu";
  EXPECT_THROW(serializeExecutable(bad), ExecutableError);
  // A host file relabelled cuda.
  exe.target = "host";
  exe.cuda.reset();
  std::string b = serializeExecutable(exe);
  size_t info = sectionStart(b, 1);
  ASSERT_EQ(b.substr(info + 8, 4), "host");
  b.replace(info + 8, 4, "cuda");
  fixChecksum(b);
  expectError(b, "target 'cuda' without CUDA sections");
}

// The committed seed of the fuzzer is this fixture's file: a change of the
// bytes written for the same executable is a format change, which must come
// with a new format version (and DLC_UPDATE_GOLDEN=1 to rewrite the file).
TEST_F(ExecutableTest, FormatIsStable) {
  std::string golden = std::string(DLC_SOURCE_DIR) + "/test/fuzz/corpus/executable/every-field.dlcx";
  if (std::getenv("DLC_UPDATE_GOLDEN")) saveExecutable(exe, golden);
  std::ifstream in(golden, std::ios::binary);
  ASSERT_TRUE(in) << golden;
  std::string committed((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(committed == bytes) << golden << " differs from what this dlc writes for it";
  expectSameExecutables(exe, parseExecutable(committed, golden));
}

// Every single-byte change (checksum fixed, so the reader sees it) either
// loads or is an ExecutableError: never a crash or another exception.
TEST_F(ExecutableTest, EveryByteFlipIsHandled) {
  size_t loaded = 0;
  for (size_t at = 16; at < bytes.size(); ++at) {
    for (unsigned char x : {0x01, 0x80, 0xff}) {
      std::string b = bytes;
      b[at] = static_cast<char>(b[at] ^ x);
      fixChecksum(b);
      try {
        parseExecutable(b, "m.dlcx");
        ++loaded;
      } catch (const ExecutableError&) {
      }
    }
  }
  // Most bytes are names, weights and padding, which may change freely.
  EXPECT_GT(loaded, 0u);
}

}  // namespace
}  // namespace dlc::rt::test
