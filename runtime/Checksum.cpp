#include "runtime/Checksum.h"

#include <algorithm>
#include <cstring>

namespace dlc::rt {
namespace {

// Odd 64-bit constants with well-mixed bits (those of xxHash64).
constexpr uint64_t kP1 = 0x9E3779B185EBCA87ull;
constexpr uint64_t kP2 = 0xC2B2AE3D27D4EB4Full;
constexpr uint64_t kP3 = 0x165667B19E3779F9ull;
constexpr uint64_t kP4 = 0x85EBCA77C2B2AE63ull;
constexpr uint64_t kP5 = 0x27D4EB2F165667C5ull;

uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

// Little-endian loads whatever the host's byte order, so that a file's
// checksum is the same everywhere.
uint64_t load64(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

uint64_t lane(uint64_t acc, uint64_t word) { return rotl(acc + word * kP2, 31) * kP1; }

uint64_t mergeLane(uint64_t h, uint64_t acc) { return (h ^ lane(0, acc)) * kP1 + kP4; }

// Four lanes over 32-byte stripes: independent multiply chains.
void stripe(uint64_t& a, uint64_t& b, uint64_t& c, uint64_t& d, const unsigned char* p) {
  a = lane(a, load64(p));
  b = lane(b, load64(p + 8));
  c = lane(c, load64(p + 16));
  d = lane(d, load64(p + 24));
}

// The hash of `size` bytes whose last (size % 32, or all when fewer than 32)
// are [p, end), after the lanes took every whole stripe.
uint64_t finishHash(uint64_t seed, uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t size,
                    const unsigned char* p, const unsigned char* end) {
  uint64_t h;
  if (size >= 32) {
    h = rotl(a, 1) + rotl(b, 7) + rotl(c, 12) + rotl(d, 18);
    h = mergeLane(mergeLane(mergeLane(mergeLane(h, a), b), c), d);
  } else {
    h = seed + kP5;
  }
  h += size;
  for (; end - p >= 8; p += 8) h = rotl(h ^ lane(0, load64(p)), 27) * kP1 + kP4;
  for (; p < end; ++p) h = rotl(h ^ (*p * kP5), 11) * kP1;
  // Final avalanche: every input bit reaches every output bit.
  h ^= h >> 33;
  h *= kP2;
  h ^= h >> 29;
  h *= kP3;
  h ^= h >> 32;
  return h;
}

}  // namespace

uint64_t checksum64(const void* data, size_t size, uint64_t seed) {
  const auto* p = static_cast<const unsigned char*>(data);
  const unsigned char* end = p + size;
  uint64_t a = seed + kP1 + kP2, b = seed + kP2, c = seed, d = seed - kP1;
  if (size >= 32)
    for (; end - p >= 32; p += 32) stripe(a, b, c, d, p);
  return finishHash(seed, a, b, c, d, size, p, end);
}

Checksum64::Checksum64(uint64_t seed)
    : seed_(seed), a_(seed + kP1 + kP2), b_(seed + kP2), c_(seed), d_(seed - kP1) {}

void Checksum64::update(const void* data, size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  const unsigned char* end = p + size;
  total_ += size;
  if (pendingBytes_ > 0) {
    size_t n = std::min(size, 32 - pendingBytes_);
    std::memcpy(pending_ + pendingBytes_, p, n);
    pendingBytes_ += n;
    p += n;
    if (pendingBytes_ < 32) return;
    stripe(a_, b_, c_, d_, pending_);
    pendingBytes_ = 0;
  }
  for (; end - p >= 32; p += 32) stripe(a_, b_, c_, d_, p);
  std::memcpy(pending_, p, static_cast<size_t>(end - p));
  pendingBytes_ = static_cast<size_t>(end - p);
}

uint64_t Checksum64::finish() const {
  return finishHash(seed_, a_, b_, c_, d_, total_, pending_, pending_ + pendingBytes_);
}

}  // namespace dlc::rt
