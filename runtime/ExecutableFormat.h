// The layout of the executable file (docs/executable.md) shared by its
// writer and reader: the header, the section table, the section ids, and the
// little-endian encoding of numbers, strings and lists. Internal to runtime/.
//
//   header (64 bytes)       "DLCX", format version, checksum, sizes
//   section table           32 bytes per section: id, flags, offset, size
//   sections                each 64-byte aligned (the weights 4096-aligned,
//                           so that they could be mapped), zero padding
#pragma once

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace dlc::rt::format {

constexpr char kMagic[4] = {'D', 'L', 'C', 'X'};
constexpr uint64_t kHeaderBytes = 64;
constexpr uint64_t kSectionEntryBytes = 32;
constexpr uint64_t kSectionAlignment = 64;
constexpr uint64_t kWeightsAlignment = 4096;  // the weights section, in the file
constexpr uint64_t kBlobAlignment = 64;       // each tensor, in the weights section
// The checksum (at byte 8) covers bytes [16, end): everything but the magic
// and version, which the reader checks by value first, and itself.
constexpr uint64_t kChecksumOffset = 8;
constexpr uint64_t kChecksumFrom = 16;
// Header fields after the checksum.
constexpr uint64_t kFileSizeOffset = 16;
constexpr uint64_t kHeaderSizeOffset = 24;
constexpr uint64_t kSectionCountOffset = 28;
constexpr uint64_t kTableOffsetOffset = 32;

// A section a reader does not know may be skipped unless it is Required.
constexpr uint32_t kSectionRequired = 1;

enum class SectionId : uint32_t {
  Info = 1,          // target and ExecutableInfo
  Values = 2,        // every ValueInfo; constants point into Weights
  Instructions = 3,
  Kernels = 4,
  MemoryPlan = 5,    // arena size and alignment (offsets are in Values)
  Signature = 6,     // input and output value ids
  Weights = 7,       // constant and specialised-input tensors, raw bytes
  CudaModule = 16,   // arch, NVRTC version, source, PTX, CUBIN
  CudaKernels = 17,
  CudaSteps = 18,    // incl. GemmCall / ConvCall descriptors
};
const char* sectionName(uint32_t id);  // "values"; "section N" for unknown ids

// A malformed file; the reader adds the file's name.
struct FormatError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class ByteWriter {
 public:
  std::string bytes;

  void u8(uint8_t v) { bytes.push_back(static_cast<char>(v)); }
  void u32(uint32_t v) { le(v, 4); }
  void i32(int32_t v) { le(static_cast<uint32_t>(v), 4); }
  void u64(uint64_t v) { le(v, 8); }
  void i64(int64_t v) { le(static_cast<uint64_t>(v), 8); }
  void f32(float v) {
    uint32_t bits;
    std::memcpy(&bits, &v, 4);
    u32(bits);
  }
  void str(std::string_view s) {
    u64(s.size());
    bytes.append(s);
  }
  void i64s(const std::vector<int64_t>& v) {
    u64(v.size());
    for (int64_t x : v) i64(x);
  }
  void i32s(const std::vector<int32_t>& v) {
    u64(v.size());
    for (int32_t x : v) i32(x);
  }
  void align(uint64_t a) { bytes.resize((bytes.size() + a - 1) / a * a, '\0'); }

 private:
  void le(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) bytes.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
};

// Reads one section; every read is bounds-checked and a list's count is
// checked against the bytes left before anything is allocated for it.
class ByteReader {
 public:
  ByteReader(std::string_view data, std::string section) : data_(data), section_(std::move(section)) {}

  // Names the record being read, for messages ("value 12").
  void setItem(std::string item) { item_ = std::move(item); }

  uint8_t u8() { return static_cast<uint8_t>(le(1)); }
  uint32_t u32() { return static_cast<uint32_t>(le(4)); }
  int32_t i32() { return static_cast<int32_t>(u32()); }
  uint64_t u64() { return le(8); }
  int64_t i64() { return static_cast<int64_t>(u64()); }
  float f32() {
    uint32_t bits = u32();
    float v;
    std::memcpy(&v, &bits, 4);
    return v;
  }
  std::string str() {
    size_t n = count(1, "string");
    std::string s(data_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  // `n` bytes as they are (a splat's element).
  std::string raw(size_t n) {
    if (remaining() < n)
      fail("truncated (" + std::to_string(n) + " more bytes needed at offset " + std::to_string(pos_) + " of " +
           std::to_string(data_.size()) + ")");
    std::string s(data_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  std::vector<int64_t> i64s() {
    size_t n = count(8, "list");
    std::vector<int64_t> v(n);
    for (auto& x : v) x = i64();
    return v;
  }
  std::vector<int32_t> i32s() {
    size_t n = count(4, "list");
    std::vector<int32_t> v(n);
    for (auto& x : v) x = i32();
    return v;
  }
  // A count of things of at least `minBytes` each that must follow.
  size_t count(size_t minBytes, const char* what) {
    uint64_t n = u64();
    if (n > remaining() / minBytes)
      fail(std::string(what) + " of " + std::to_string(n) + " entries does not fit in the " +
           std::to_string(remaining()) + " bytes left");
    return static_cast<size_t>(n);
  }
  size_t remaining() const { return data_.size() - pos_; }
  void expectEnd() const {
    if (remaining() != 0)
      fail(std::to_string(remaining()) + " bytes after the last record");
  }

  [[noreturn]] void fail(const std::string& what) const {
    throw FormatError("section '" + section_ + "'" + (item_.empty() ? "" : ", " + item_) + ": " + what);
  }

 private:
  uint64_t le(int n) {
    if (remaining() < static_cast<size_t>(n))
      fail("truncated (" + std::to_string(n) + " more bytes needed at offset " + std::to_string(pos_) +
           " of " + std::to_string(data_.size()) + ")");
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(data_[pos_ + i]);
    pos_ += n;
    return v;
  }

  std::string_view data_;
  size_t pos_ = 0;
  std::string section_, item_;
};

}  // namespace dlc::rt::format
