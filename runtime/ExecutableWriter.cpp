// Executable -> bytes (runtime/ExecutableFormat.h, docs/executable.md). The
// field order of every record here is mirrored by ExecutableReader.cpp.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <utility>
#include <vector>

#include "runtime/Checksum.h"
#include "runtime/Executable.h"
#include "runtime/ExecutableFormat.h"

namespace dlc::rt {

using format::ByteWriter;
using format::SectionId;

namespace {

void writeType(ByteWriter& w, const TensorType& t) {
  w.u8(static_cast<uint8_t>(t.dtype));
  w.i64s(t.shape);
}

// Tensors go to the weights section, each 64-byte aligned within it (and so
// in the file: the section is 4096-aligned). Only their places are decided
// here: the bytes are copied once, from the tensors to the output.
class Weights {
 public:
  struct Blob {
    const char* data;
    uint64_t offset, size;
  };
  std::vector<Blob> blobs;
  uint64_t size = 0;

  void tensor(ByteWriter& record, const HostTensor& t) {
    writeType(record, t.type());
    size = (size + format::kBlobAlignment - 1) / format::kBlobAlignment * format::kBlobAlignment;
    auto bytes = static_cast<uint64_t>(t.byteSize());
    record.u64(size);
    record.u64(bytes);
    blobs.push_back({static_cast<const char*>(t.data()), size, bytes});
    size += bytes;
  }
};

std::string info(const Executable& exe) {
  ByteWriter w;
  w.str(exe.target);
  w.str(exe.info.dlcVersion);
  w.str(exe.info.modelName);
  w.str(exe.info.compileOptions);
  w.str(exe.info.producer);
  w.i64(exe.info.createdAt);
  return w.bytes;
}

std::string values(const Program& p, Weights& weights) {
  ByteWriter w;
  w.u64(p.values.size());
  for (const ValueInfo& v : p.values) {
    w.u8(static_cast<uint8_t>(v.kind));
    bool hasConstant = v.constant.data() != nullptr && !v.splat, hasSpecialized = v.specialized.data() != nullptr;
    w.u8((hasConstant ? 1 : 0) | (hasSpecialized ? 2 : 0) | (v.isSpecialized ? 4 : 0) | (v.splat ? 8 : 0));
    writeType(w, v.type);
    w.i32(v.inputIndex);
    w.i64(v.offset);
    w.str(v.name);
    // Version 3: a splat's one element, in the record itself.
    if (v.splat) w.bytes.append(static_cast<const char*>(v.constant.data()), static_cast<size_t>(dtypeSize(v.type.dtype)));
    if (hasConstant) weights.tensor(w, v.constant);
    if (hasSpecialized) weights.tensor(w, v.specialized);
  }
  return w.bytes;
}

std::string instructions(const Program& p) {
  ByteWriter w;
  w.u64(p.instrs.size());
  for (const Instr& in : p.instrs) {
    w.u8(static_cast<uint8_t>(in.op));
    w.u8(in.kind);
    w.i32s(in.operands);
    w.i32(in.result);
    w.i64(in.axis);
    for (const auto* v : {&in.dims, &in.start, &in.limit, &in.strides, &in.low, &in.high, &in.interior})
      w.i64s(*v);
    for (const auto* v : {&in.dot.lhsBatch, &in.dot.rhsBatch, &in.dot.lhsContract, &in.dot.rhsContract})
      w.i64s(*v);
    for (const auto* v : {&in.conv.strides, &in.conv.padLow, &in.conv.padHigh, &in.conv.dilations})
      w.i64s(*v);
    w.i64(in.conv.groups);
    for (const auto* v : {&in.window.window, &in.window.strides, &in.window.padLow, &in.window.padHigh,
                          &in.window.dilations})
      w.i64s(*v);
    w.str(in.location);
  }
  return w.bytes;
}

std::string kernels(const Program& p) {
  ByteWriter w;
  w.u64(p.kernels.size());
  for (const Kernel& k : p.kernels) {
    w.u8(static_cast<uint8_t>(k.kind));
    w.i32(k.begin);
    w.i32(k.end);
    w.i32s(k.inputs);
    w.i32s(k.outputs);
    w.str(k.location);
  }
  return w.bytes;
}

std::string memoryPlan(const Program& p) {
  ByteWriter w;
  w.i64(p.arenaBytes);
  w.i64(kArenaAlignment);
  return w.bytes;
}

std::string signature(const Program& p) {
  ByteWriter w;
  w.i32s(p.inputs);
  w.i32s(p.outputs);
  w.u64(p.aliases.size());  // version 2
  for (const OutputAlias& a : p.aliases) {
    w.i32(a.output);
    w.i32(a.input);
    w.u8(a.inPlace ? 1 : 0);
  }
  return w.bytes;
}

std::string cudaModule(const CudaPlan& c) {
  ByteWriter w;
  for (const std::string* s : {&c.arch, &c.nvrtcVersion, &c.source, &c.ptx, &c.cubin}) w.str(*s);
  return w.bytes;
}

void writeDim3(ByteWriter& w, const Dim3& d) {
  w.u32(d.x);
  w.u32(d.y);
  w.u32(d.z);
}

std::string cudaKernels(const CudaPlan& c) {
  ByteWriter w;
  w.u64(c.kernels.size());
  for (const CudaKernel& k : c.kernels) {
    w.str(k.name);
    w.str(k.fused);
    writeDim3(w, k.grid);
    writeDim3(w, k.block);
    w.u32(k.sharedBytes);
    w.i32s(k.args);
  }
  return w.bytes;
}

void writeView(ByteWriter& w, const MatrixView& v) {
  w.i32(v.value);
  for (int64_t x : {v.offset, v.rows, v.cols, v.rowStride, v.colStride}) w.i64(x);
}

void writeGemm(ByteWriter& w, const GemmCall& g) {
  for (DType t : {g.aType, g.bType, g.cdType}) w.u8(static_cast<uint8_t>(t));
  for (int64_t x : {g.m, g.n, g.k}) w.i64(x);
  for (const MatrixView* v : {&g.a, &g.b, &g.c, &g.d}) writeView(w, *v);
  w.u64(g.batch.size());
  for (const BatchDim& b : g.batch)
    for (int64_t x : {b.count, b.strideA, b.strideB, b.strideC, b.strideD}) w.i64(x);
  w.f32(g.alpha);
  w.f32(g.beta);
  w.u8(static_cast<uint8_t>(g.epilogue));
  w.i32(g.bias);
  w.u8(g.allowTf32 ? 1 : 0);
}

void writeConv(ByteWriter& w, const ConvCall& c) {
  w.u8(static_cast<uint8_t>(c.dtype));
  for (int32_t id : {c.x, c.w, c.y, c.bias}) w.i32(id);
  for (const auto* v : {&c.xShape, &c.wShape, &c.yShape, &c.strides, &c.padLow, &c.padHigh, &c.dilations})
    w.i64s(*v);
  w.i64(c.groups);
  w.u8(static_cast<uint8_t>(c.activation));
  w.u8(c.allowTf32 ? 1 : 0);
}

// Every field of every step, whatever its kind, so that a plan reads back
// exactly as it was written.
std::string cudaSteps(const CudaPlan& c) {
  ByteWriter w;
  w.u64(c.steps.size());
  for (const CudaStep& s : c.steps) {
    w.u8(static_cast<uint8_t>(s.kind));
    w.i32(s.programKernel);
    w.i32(s.kernel);
    w.i32(s.epilogue);
    writeGemm(w, s.gemm);
    writeConv(w, s.conv);
  }
  return w.bytes;
}

// Where the bytes of a file go: a string, or a file written as it is made.
// Every byte passes through the checksum, which covers [16, end).
class Sink {
 public:
  virtual ~Sink() = default;
  void write(const char* data, uint64_t n) {
    if (n == 0) return;
    if (at_ + n > format::kChecksumFrom) {
      uint64_t skip = at_ >= format::kChecksumFrom ? 0 : format::kChecksumFrom - at_;
      sum_.update(data + skip, n - skip);
    }
    put(data, n);
    at_ += n;
  }
  void zeros(uint64_t n) {
    static const char kZeros[4096] = {};
    for (; n > 0; n -= std::min<uint64_t>(n, sizeof kZeros)) write(kZeros, std::min<uint64_t>(n, sizeof kZeros));
  }
  uint64_t at() const { return at_; }
  uint64_t checksum() const { return sum_.finish(); }

 protected:
  virtual void put(const char* data, uint64_t n) = 0;

 private:
  uint64_t at_ = 0;
  Checksum64 sum_;
};

class StringSink : public Sink {
 public:
  std::string bytes;

 protected:
  void put(const char* data, uint64_t n) override { bytes.append(data, static_cast<size_t>(n)); }
};

class FileSink : public Sink {
 public:
  explicit FileSink(std::ofstream& out) : out_(out) {}

 protected:
  void put(const char* data, uint64_t n) override { out_.write(data, static_cast<std::streamsize>(n)); }

 private:
  std::ofstream& out_;
};

uint64_t alignUp(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

// Lays the file out and writes it into `sink`, all but the checksum (8 zero
// bytes at offset 8, which the caller fills in with sink.checksum()). The
// weights are copied from the Program's tensors straight to the sink.
void checkWritable(const Executable& exe) {
  if (exe.target != "host" && exe.target != "cuda")
    throw ExecutableError("executable: target '" + exe.target + "' is neither host nor cuda");
  if ((exe.target == "cuda") != exe.cuda.has_value())
    throw ExecutableError("executable: target '" + exe.target + "' " +
                          (exe.cuda ? "with" : "without") + " a CUDA plan");
}

void writeExecutable(const Executable& exe, Sink& sink) {
  checkWritable(exe);
  const Program& p = exe.program;
  Weights weights;
  std::vector<std::pair<SectionId, std::string>> sections;
  sections.emplace_back(SectionId::Info, info(exe));
  sections.emplace_back(SectionId::Values, values(p, weights));
  sections.emplace_back(SectionId::Instructions, instructions(p));
  sections.emplace_back(SectionId::Kernels, kernels(p));
  sections.emplace_back(SectionId::MemoryPlan, memoryPlan(p));
  sections.emplace_back(SectionId::Signature, signature(p));
  if (exe.cuda) {
    sections.emplace_back(SectionId::CudaModule, cudaModule(*exe.cuda));
    sections.emplace_back(SectionId::CudaKernels, cudaKernels(*exe.cuda));
    sections.emplace_back(SectionId::CudaSteps, cudaSteps(*exe.cuda));
  }
  // Last: the weights are most of a large file and end it.
  sections.emplace_back(SectionId::Weights, std::string());

  // Where each section goes.
  uint64_t table = format::kHeaderBytes;
  uint64_t end = table + sections.size() * format::kSectionEntryBytes;
  std::vector<uint64_t> offsets, sizes;
  for (auto& [id, bytes] : sections) {
    bool isWeights = id == SectionId::Weights;
    end = alignUp(end, isWeights ? format::kWeightsAlignment : format::kSectionAlignment);
    offsets.push_back(end);
    sizes.push_back(isWeights ? weights.size : bytes.size());
    end += sizes.back();
  }

  ByteWriter head;
  head.bytes.append(format::kMagic, 4);
  head.u32(kExecutableFormatVersion);
  head.u64(0);  // checksum, filled in last
  head.u64(end);
  head.u32(static_cast<uint32_t>(format::kHeaderBytes));
  head.u32(static_cast<uint32_t>(sections.size()));
  head.u64(table);  // the section table follows the header
  head.align(format::kHeaderBytes);
  for (size_t i = 0; i < sections.size(); ++i) {
    head.u32(static_cast<uint32_t>(sections[i].first));
    head.u32(format::kSectionRequired);
    head.u64(offsets[i]);
    head.u64(sizes[i]);
    head.u64(0);
  }
  sink.write(head.bytes.data(), head.bytes.size());
  for (size_t i = 0; i < sections.size(); ++i) {
    sink.zeros(offsets[i] - sink.at());
    if (sections[i].first != SectionId::Weights) {
      sink.write(sections[i].second.data(), sections[i].second.size());
      continue;
    }
    for (const Weights::Blob& b : weights.blobs) {
      sink.zeros(offsets[i] + b.offset - sink.at());
      sink.write(b.data, b.size);
    }
  }
}

void putLe(std::string& s, uint64_t at, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) s[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

}  // namespace

std::string serializeExecutable(const Executable& exe) {
  StringSink sink;
  writeExecutable(exe, sink);
  putLe(sink.bytes, format::kChecksumOffset, sink.checksum(), 8);
  return std::move(sink.bytes);
}

void saveExecutable(const Executable& exe, const std::string& path) {
  checkWritable(exe);
  // A temporary file renamed into place: a reader never sees half a file,
  // and a failed write leaves an older executable as it was. The file is
  // written as it is laid out (the weights straight from the Program, no
  // copy of the whole file in memory), then its checksum put in place.
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw ExecutableError(path + ": cannot write the executable (cannot create '" + tmp + "')");
    FileSink sink(out);
    try {
      writeExecutable(exe, sink);
    } catch (...) {
      out.close();
      std::remove(tmp.c_str());
      throw;
    }
    ByteWriter sum;
    sum.u64(sink.checksum());
    out.seekp(static_cast<std::streamoff>(format::kChecksumOffset));
    out.write(sum.bytes.data(), static_cast<std::streamsize>(sum.bytes.size()));
    out.close();
    if (!out) {
      std::remove(tmp.c_str());
      throw ExecutableError(path + ": cannot write the executable (writing '" + tmp + "' failed)");
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    throw ExecutableError(path + ": cannot write the executable: " + ec.message());
  }
}

}  // namespace dlc::rt
