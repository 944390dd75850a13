// Counter-based random bits from core ops, for Dropout in training
// (docs/training.md "Dropout"). No state and no rng op: element i of a
// tensor gets the hash of (key, stream, i), where the key (two u32 words)
// is derived on the host from the seed and the step (trainingRngKey). The
// bits are a function of their inputs alone, so they are the same on every
// device and the same when a step is run again, and the integer ops they
// are made of (iota, xor, add, mul, shift on ui32) fuse into the consumer's
// loop kernel.
#pragma once

#include <array>
#include <cstdint>

#include "frontend/Emitter.h"

namespace dlc {

// murmur3's 32-bit finaliser, a bijection of u32 that mixes every input bit
// into every output bit:
//   h ^= h >> 16; h *= 0x85ebca6b; h ^= h >> 13; h *= 0xc2b2ae35; h ^= h >> 16.
// The bits of element i (row-major index) of `shape`:
//   h = fmix32(fmix32(i ^ (k0 + stream * 0x9e3779b9)) + k1)
// where key is a tensor<2xui32> [k0, k1]. Returns a tensor of `shape` of ui32.
mlir::Value counterRandomBits(Emitter& e, mlir::Value key, uint32_t stream, const Dims& shape);

// The key of training step `step` (0 for the first) under `seed`: the two
// halves of splitmix64(splitmix64(seed) + step).
std::array<uint32_t, 2> trainingRngKey(uint64_t seed, uint64_t step);

}  // namespace dlc
