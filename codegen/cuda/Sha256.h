// SHA-256 (FIPS 180-4): the kernel cache's key and its entries' checksum. A
// cryptographic hash so that a key collision (two modules sharing a cached
// CUBIN) is not a practical concern; no dependency provides one.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace dlc::codegen {

class Sha256 {
 public:
  Sha256();
  Sha256& update(std::string_view data);
  std::array<uint8_t, 32> digest();  // finishes the hash; call once
  std::string hexDigest();           // 64 lowercase hex digits

 private:
  void block(const uint8_t* p);
  uint32_t h_[8];
  uint8_t buf_[64];
  size_t bufLen_ = 0;
  uint64_t totalBytes_ = 0;
};

std::string sha256Hex(std::string_view data);

}  // namespace dlc::codegen
