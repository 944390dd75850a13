// bytes -> Executable. Every file is treated as hostile: the header and the
// checksum first, then each section with bounds-checked reads (a count is
// checked against the bytes present before anything is allocated for it),
// enums and ids range-checked, then verifyProgram and the CudaPlan's checks
// (runtime/ExecutableCheck.cpp). The field order mirrors ExecutableWriter.cpp.
#include <algorithm>
#include <fstream>
#include <limits>
#include <map>

#include "runtime/Checksum.h"
#include "runtime/Executable.h"
#include "runtime/ExecutableCheck.h"
#include "runtime/ExecutableFormat.h"

namespace dlc::rt {

using format::ByteReader;
using format::FormatError;
using format::SectionId;

namespace format {

const char* sectionName(uint32_t id) {
  switch (static_cast<SectionId>(id)) {
    case SectionId::Info: return "info";
    case SectionId::Values: return "values";
    case SectionId::Instructions: return "instructions";
    case SectionId::Kernels: return "kernels";
    case SectionId::MemoryPlan: return "memory plan";
    case SectionId::Signature: return "signature";
    case SectionId::Weights: return "weights";
    case SectionId::CudaModule: return "cuda module";
    case SectionId::CudaKernels: return "cuda kernels";
    case SectionId::CudaSteps: return "cuda steps";
  }
  return "unknown";
}

}  // namespace format

namespace {

constexpr int64_t kMaxRank = 64;

uint64_t getLe(std::string_view s, uint64_t at, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[at + i]);
  return v;
}

std::string sectionLabel(uint32_t id) {
  std::string name = format::sectionName(id);
  return name == "unknown" ? "section " + std::to_string(id) : name;
}

template <typename E>
E readEnum(ByteReader& r, E last, const char* what) {
  uint8_t v = r.u8();
  if (v > static_cast<uint8_t>(last)) r.fail(std::string(what) + " code " + std::to_string(v) + " is unknown");
  return static_cast<E>(v);
}

TensorType readType(ByteReader& r) {
  TensorType t;
  t.dtype = readEnum(r, DType::U64, "element type");
  t.shape = r.i64s();
  if (static_cast<int64_t>(t.shape.size()) > kMaxRank)
    r.fail("rank " + std::to_string(t.shape.size()) + " exceeds " + std::to_string(kMaxRank));
  // The byte size must fit in an int64 (with room: offsets are added to it).
  int64_t bytes = dtypeSize(t.dtype);
  const int64_t limit = std::numeric_limits<int64_t>::max() / 4;
  for (int64_t d : t.shape) {
    if (d < 0) r.fail("negative dimension " + std::to_string(d) + " in shape " + shapeString(t.shape));
    if (d != 0 && bytes > limit / d) r.fail("shape " + shapeString(t.shape) + " is too large");
    bytes *= d;
  }
  return t;
}

// A tensor stored in the weights section: its type, then where its bytes are.
HostTensor readTensor(ByteReader& r, std::string_view weights) {
  TensorType type = readType(r);
  uint64_t offset = r.u64(), size = r.u64();
  if (size != static_cast<uint64_t>(type.byteSize()))
    r.fail(type.str() + " needs " + std::to_string(type.byteSize()) + " bytes, the file gives " +
           std::to_string(size));
  if (offset > weights.size() || size > weights.size() - offset)
    r.fail("the data [" + std::to_string(offset) + ", +" + std::to_string(size) +
           ") lies outside the weights section of " + std::to_string(weights.size()) + " bytes");
  return HostTensor(type, weights.data() + offset);
}

void readInfo(ByteReader& r, Executable& exe) {
  exe.target = r.str();
  if (exe.target != "host" && exe.target != "cuda") r.fail("target '" + exe.target + "' is neither host nor cuda");
  exe.info.dlcVersion = r.str();
  exe.info.modelName = r.str();
  exe.info.compileOptions = r.str();
  exe.info.producer = r.str();
  exe.info.createdAt = r.i64();
}

void readValues(ByteReader& r, Program& p, std::string_view weights, uint32_t version) {
  // At least: kind, flags, dtype, rank, inputIndex, offset, name length.
  size_t n = r.count(1 + 1 + 1 + 8 + 4 + 8 + 8, "value list");
  p.values.resize(n);
  for (size_t i = 0; i < n; ++i) {
    r.setItem("value " + std::to_string(i));
    ValueInfo& v = p.values[i];
    v.kind = readEnum(r, ValueKind::Local, "value kind");
    uint8_t flags = r.u8();
    // Version 3 added the splat flag (8).
    if (flags & ~(version >= 3 ? 15u : 7u)) r.fail("unknown flags " + std::to_string(flags));
    v.isSpecialized = (flags & 4) != 0;
    v.splat = (flags & 8) != 0;
    v.type = readType(r);
    v.inputIndex = r.i32();
    v.offset = r.i64();
    v.name = r.str();
    if (v.splat) {
      if (v.kind != ValueKind::Constant || (flags & 1))
        r.fail("a splat must be a Constant without data in the weights section");
      std::string element = r.raw(static_cast<size_t>(dtypeSize(v.type.dtype)));
      v.constant = HostTensor(TensorType{v.type.dtype, {}}, element.data());
    }
    if (flags & 1) v.constant = readTensor(r, weights);
    if (flags & 2) v.specialized = readTensor(r, weights);
    // What the host device relies on beyond verifyProgram's rules.
    if (v.kind == ValueKind::Constant && !v.splat && (!(flags & 1) || v.constant.type() != v.type))
      r.fail("a constant " + v.type.str() + " without data of that type");
    if (v.isSpecialized && (v.kind != ValueKind::Input || !(flags & 2) || v.specialized.type() != v.type))
      r.fail("specialised without an Input value of type " + v.type.str());
  }
  r.setItem("");
  r.expectEnd();
}

void readInstructions(ByteReader& r, Program& p) {
  // At least: op, kind, operand count, result, axis, 20 list counts, location.
  size_t n = r.count(1 + 1 + 8 + 4 + 8 + 20 * 8 + 8 + 8, "instruction list");
  p.instrs.resize(n);
  for (size_t i = 0; i < n; ++i) {
    r.setItem("instruction " + std::to_string(i));
    Instr& in = p.instrs[i];
    in.op = readEnum(r, OpCode::Argsort, "opcode");
    in.kind = r.u8();
    in.operands = r.i32s();
    in.result = r.i32();
    in.axis = r.i64();
    for (auto* v : {&in.dims, &in.start, &in.limit, &in.strides, &in.low, &in.high, &in.interior})
      *v = r.i64s();
    for (auto* v : {&in.dot.lhsBatch, &in.dot.rhsBatch, &in.dot.lhsContract, &in.dot.rhsContract})
      *v = r.i64s();
    for (auto* v : {&in.conv.strides, &in.conv.padLow, &in.conv.padHigh, &in.conv.dilations})
      *v = r.i64s();
    in.conv.groups = r.i64();
    for (auto* v : {&in.window.window, &in.window.strides, &in.window.padLow, &in.window.padHigh,
                    &in.window.dilations})
      *v = r.i64s();
    in.location = r.str();
  }
  r.setItem("");
  r.expectEnd();
}

void readKernels(ByteReader& r, Program& p) {
  size_t n = r.count(1 + 4 + 4 + 8 + 8 + 8, "kernel list");
  p.kernels.resize(n);
  for (size_t i = 0; i < n; ++i) {
    r.setItem("kernel " + std::to_string(i));
    Kernel& k = p.kernels[i];
    k.kind = readEnum(r, KernelKind::Scatter, "kernel kind");
    k.begin = r.i32();
    k.end = r.i32();
    k.inputs = r.i32s();
    k.outputs = r.i32s();
    k.location = r.str();
  }
  r.setItem("");
  r.expectEnd();
}

void readMemoryPlan(ByteReader& r, Program& p) {
  p.arenaBytes = r.i64();
  int64_t alignment = r.i64();
  if (alignment != kArenaAlignment)
    r.fail("the plan aligns buffers to " + std::to_string(alignment) + " bytes; this dlc needs " +
           std::to_string(kArenaAlignment));
  r.expectEnd();
}

// Version 1 files end after the outputs: they have no aliases.
void readSignature(ByteReader& r, Program& p, uint32_t version) {
  p.inputs = r.i32s();
  p.outputs = r.i32s();
  if (version >= 2) {
    size_t n = r.count(9, "alias list");
    for (size_t i = 0; i < n; ++i) {
      r.setItem("alias " + std::to_string(i));
      OutputAlias a;
      a.output = r.i32();
      a.input = r.i32();
      uint8_t inPlace = r.u8();
      if (inPlace > 1) r.fail("in-place flag " + std::to_string(inPlace) + " is neither 0 nor 1");
      a.inPlace = inPlace == 1;
      p.aliases.push_back(a);
    }
    r.setItem("");
  }
  r.expectEnd();
}

void readCudaModule(ByteReader& r, CudaPlan& c) {
  for (std::string* s : {&c.arch, &c.nvrtcVersion, &c.source, &c.ptx, &c.cubin}) *s = r.str();
  r.expectEnd();
}

Dim3 readDim3(ByteReader& r) {
  Dim3 d;
  d.x = r.u32();
  d.y = r.u32();
  d.z = r.u32();
  return d;
}

void readCudaKernels(ByteReader& r, CudaPlan& c) {
  size_t n = r.count(8 + 8 + 12 + 12 + 4 + 8, "kernel list");
  c.kernels.resize(n);
  for (size_t i = 0; i < n; ++i) {
    r.setItem("kernel " + std::to_string(i));
    CudaKernel& k = c.kernels[i];
    k.name = r.str();
    k.fused = r.str();
    k.grid = readDim3(r);
    k.block = readDim3(r);
    k.sharedBytes = r.u32();
    k.args = r.i32s();
  }
  r.setItem("");
  r.expectEnd();
}

MatrixView readView(ByteReader& r) {
  MatrixView v;
  v.value = r.i32();
  for (int64_t* x : {&v.offset, &v.rows, &v.cols, &v.rowStride, &v.colStride}) *x = r.i64();
  return v;
}

void readGemm(ByteReader& r, GemmCall& g) {
  for (DType* t : {&g.aType, &g.bType, &g.cdType}) *t = readEnum(r, DType::U64, "element type");
  for (int64_t* x : {&g.m, &g.n, &g.k}) *x = r.i64();
  for (MatrixView* v : {&g.a, &g.b, &g.c, &g.d}) *v = readView(r);
  g.batch.resize(r.count(5 * 8, "batch list"));
  for (BatchDim& b : g.batch)
    for (int64_t* x : {&b.count, &b.strideA, &b.strideB, &b.strideC, &b.strideD}) *x = r.i64();
  g.alpha = r.f32();
  g.beta = r.f32();
  g.epilogue = readEnum(r, GemmEpilogue::BiasGelu, "GEMM epilogue");
  g.bias = r.i32();
  g.allowTf32 = r.u8() != 0;
}

void readConv(ByteReader& r, ConvCall& c) {
  c.dtype = readEnum(r, DType::U64, "element type");
  for (int32_t* id : {&c.x, &c.w, &c.y, &c.bias}) *id = r.i32();
  for (auto* v : {&c.xShape, &c.wShape, &c.yShape, &c.strides, &c.padLow, &c.padHigh, &c.dilations}) *v = r.i64s();
  c.groups = r.i64();
  c.activation = readEnum(r, ConvActivation::Relu, "convolution activation");
  c.allowTf32 = r.u8() != 0;
}

void readCudaSteps(ByteReader& r, CudaPlan& c) {
  size_t n = r.count(1 + 3 * 4, "step list");
  c.steps.resize(n);
  for (size_t i = 0; i < n; ++i) {
    r.setItem("step " + std::to_string(i));
    CudaStep& s = c.steps[i];
    s.kind = readEnum(r, StepKind::Conv, "step kind");
    s.programKernel = r.i32();
    s.kernel = r.i32();
    s.epilogue = r.i32();
    readGemm(r, s.gemm);
    readConv(r, s.conv);
  }
  r.setItem("");
  r.expectEnd();
}

struct Section {
  uint32_t id = 0;
  uint64_t offset = 0, size = 0;
};

// The format version of a file whose header readTable has checked.
uint32_t formatVersion(std::string_view bytes) { return static_cast<uint32_t>(getLe(bytes, 4, 4)); }

// The header and the section table, checked; returns the sections by id.
std::map<uint32_t, std::string_view> readTable(std::string_view bytes) {
  if (bytes.size() < 4 || bytes.compare(0, 4, std::string_view(format::kMagic, 4)) != 0)
    throw FormatError("not a dlc executable (it does not start with \"DLCX\")");
  if (bytes.size() < format::kHeaderBytes)
    throw FormatError("truncated: " + std::to_string(bytes.size()) + " bytes, less than the " +
                      std::to_string(format::kHeaderBytes) + "-byte header");
  uint32_t version = static_cast<uint32_t>(getLe(bytes, 4, 4));
  if (version == 0) throw FormatError("format version 0 is not a version dlc ever wrote");
  if (version > kExecutableFormatVersion)
    throw FormatError("format version " + std::to_string(version) + " is newer than this dlc reads (up to " +
                      std::to_string(kExecutableFormatVersion) +
                      "): run it with a newer dlc, or compile the model again with this one");
  uint64_t fileSize = getLe(bytes, format::kFileSizeOffset, 8);
  if (fileSize != bytes.size())
    throw FormatError(fileSize > bytes.size()
                          ? "truncated: the header says " + std::to_string(fileSize) + " bytes, the file has " +
                                std::to_string(bytes.size())
                          : std::to_string(bytes.size() - fileSize) + " bytes after the end the header declares (" +
                                std::to_string(fileSize) + " bytes)");
  uint64_t stored = getLe(bytes, format::kChecksumOffset, 8);
  uint64_t computed = checksum64(bytes.data() + format::kChecksumFrom, bytes.size() - format::kChecksumFrom);
  if (stored != computed) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "checksum mismatch (stored %016llx, computed %016llx)",
                  static_cast<unsigned long long>(stored), static_cast<unsigned long long>(computed));
    throw FormatError(std::string(buf) + ": the file is corrupt");
  }
  uint64_t headerSize = getLe(bytes, format::kHeaderSizeOffset, 4);
  uint64_t count = getLe(bytes, format::kSectionCountOffset, 4);
  uint64_t table = getLe(bytes, format::kTableOffsetOffset, 8);
  if (headerSize != format::kHeaderBytes)
    throw FormatError("header size " + std::to_string(headerSize) + " is not " + std::to_string(format::kHeaderBytes));
  if (table < format::kHeaderBytes || table > bytes.size() ||
      count > (bytes.size() - table) / format::kSectionEntryBytes)
    throw FormatError("the section table (" + std::to_string(count) + " entries at offset " + std::to_string(table) +
                      ") lies outside the file of " + std::to_string(bytes.size()) + " bytes");
  uint64_t tableEnd = table + count * format::kSectionEntryBytes;
  std::vector<Section> sections;
  std::map<uint32_t, std::string_view> byId;
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t e = table + i * format::kSectionEntryBytes;
    Section s{static_cast<uint32_t>(getLe(bytes, e, 4)), getLe(bytes, e + 8, 8), getLe(bytes, e + 16, 8)};
    uint32_t flags = static_cast<uint32_t>(getLe(bytes, e + 4, 4));
    std::string label = "section '" + sectionLabel(s.id) + "'";
    if (s.offset < tableEnd || s.offset > bytes.size() || s.size > bytes.size() - s.offset)
      throw FormatError(label + " (offset " + std::to_string(s.offset) + ", " + std::to_string(s.size) +
                        " bytes) lies outside the file of " + std::to_string(bytes.size()) + " bytes");
    if (byId.count(s.id)) throw FormatError(label + " appears twice");
    if (std::string_view(format::sectionName(s.id)) == "unknown") {
      if (flags & format::kSectionRequired)
        throw FormatError(label + " is required but unknown to this dlc (a newer dlc wrote it)");
      continue;  // optional: something a later dlc added
    }
    sections.push_back(s);
    byId[s.id] = bytes.substr(s.offset, s.size);
  }
  std::sort(sections.begin(), sections.end(), [](const Section& a, const Section& b) { return a.offset < b.offset; });
  for (size_t i = 1; i < sections.size(); ++i)
    if (sections[i].offset < sections[i - 1].offset + sections[i - 1].size)
      throw FormatError("sections '" + sectionLabel(sections[i - 1].id) + "' and '" + sectionLabel(sections[i].id) +
                        "' overlap");
  return byId;
}

Executable parse(std::string_view bytes) {
  std::map<uint32_t, std::string_view> sections = readTable(bytes);
  auto section = [&](SectionId id) {
    auto it = sections.find(static_cast<uint32_t>(id));
    if (it == sections.end())
      throw FormatError("section '" + std::string(format::sectionName(static_cast<uint32_t>(id))) + "' is missing");
    return ByteReader(it->second, format::sectionName(static_cast<uint32_t>(id)));
  };
  Executable exe;
  { ByteReader r = section(SectionId::Info); readInfo(r, exe); r.expectEnd(); }
  section(SectionId::Weights);  // present (its bytes are read through the values)
  std::string_view weights = sections[static_cast<uint32_t>(SectionId::Weights)];
  { ByteReader r = section(SectionId::Values); readValues(r, exe.program, weights, formatVersion(bytes)); }
  { ByteReader r = section(SectionId::Instructions); readInstructions(r, exe.program); }
  { ByteReader r = section(SectionId::Kernels); readKernels(r, exe.program); }
  { ByteReader r = section(SectionId::MemoryPlan); readMemoryPlan(r, exe.program); }
  { ByteReader r = section(SectionId::Signature); readSignature(r, exe.program, formatVersion(bytes)); }
  bool hasCuda = sections.count(static_cast<uint32_t>(SectionId::CudaModule)) ||
                 sections.count(static_cast<uint32_t>(SectionId::CudaKernels)) ||
                 sections.count(static_cast<uint32_t>(SectionId::CudaSteps));
  if (hasCuda != (exe.target == "cuda"))
    throw FormatError("target '" + exe.target + "' " + (hasCuda ? "with" : "without") + " CUDA sections");
  if (hasCuda) {
    CudaPlan plan;
    { ByteReader r = section(SectionId::CudaModule); readCudaModule(r, plan); }
    { ByteReader r = section(SectionId::CudaKernels); readCudaKernels(r, plan); }
    { ByteReader r = section(SectionId::CudaSteps); readCudaSteps(r, plan); }
    exe.cuda = std::move(plan);
  }
  return exe;
}

}  // namespace

Executable parseExecutable(std::string_view bytes, const std::string& name) {
  Executable exe;
  try {
    exe = parse(bytes);
  } catch (const FormatError& e) {
    throw ExecutableError(name + ": " + e.what());
  }
  try {
    verifyProgram(exe.program);
  } catch (const InvalidProgram& e) {
    throw ExecutableError(name + ": the program is invalid: " + e.what());
  }
  std::string problem = checkProgramOps(exe.program);
  if (problem.empty() && exe.cuda) problem = checkCudaPlan(exe.program, *exe.cuda);
  if (!problem.empty()) throw ExecutableError(name + ": " + problem);
  return exe;
}

bool hasExecutableMagic(std::string_view bytes) {
  return bytes.size() >= 4 && bytes.compare(0, 4, std::string_view(format::kMagic, 4)) == 0;
}

bool isExecutableFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4];
  return in.read(magic, 4) && hasExecutableMagic(std::string_view(magic, 4));
}

Executable loadExecutable(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ExecutableError(path + ": cannot open the executable");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw ExecutableError(path + ": cannot read the executable");
  return parseExecutable(bytes, path);
}

}  // namespace dlc::rt
