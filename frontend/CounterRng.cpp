#include "frontend/CounterRng.h"

namespace dlc {

using mlir::Value;

namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

Value fmix32(Emitter& e, Value h) {
  mlir::Type u32 = Emitter::elementType(h);
  auto shiftXor = [&](Value x, int bits) {
    return e.binary<XorOp>(x, e.binary<ShiftRightOp>(x, e.splatLike(bits, x)));
  };
  {
    Value factor = e.splat(0x85ebca6bu, u32, Emitter::shape(h));
    Value mixed = shiftXor(h, 16);
    h = e.mul(mixed, factor);
  }
  {
    Value factor = e.splat(0xc2b2ae35u, u32, Emitter::shape(h));
    Value mixed = shiftXor(h, 13);
    h = e.mul(mixed, factor);
  }
  return shiftXor(h, 16);
}

}  // namespace

Value counterRandomBits(Emitter& e, Value key, uint32_t stream, const Dims& shape) {
  int64_t count = 1;
  for (int64_t d : shape) count *= d;
  if (count > (int64_t{1} << 32))
    throw EmitError("random bits for more than 2^32 elements (" + std::to_string(count) +
                    ") would repeat; this tensor is too large");
  mlir::Type u32 = Emitter::elementType(key);
  auto word = [&](int64_t i) { return e.reshape(e.slice(key, {i}, {i + 1}, {1}), {}); };
  uint32_t salt = stream * 0x9e3779b9u;  // wraps: a different start per stream
  Value saltValue = e.splat(salt, u32);
  Value k0 = e.add(word(0), saltValue);
  Value k1 = word(1);
  Value index = e.reshape(e.iota({count}, 0, u32), shape);
  Value h = fmix32(e, e.binary<XorOp>(index, e.broadcastInDim(k0, {}, shape)));
  return fmix32(e, e.add(h, e.broadcastInDim(k1, {}, shape)));
}

std::array<uint32_t, 2> trainingRngKey(uint64_t seed, uint64_t step) {
  uint64_t k = splitmix64(splitmix64(seed) + step);
  return {static_cast<uint32_t>(k), static_cast<uint32_t>(k >> 32)};
}

}  // namespace dlc
