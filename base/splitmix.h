// base/splitmix.h: SplitMix64, the small deterministic generator every seeded
// thing in edge-rt starts from (random weights, LoRA init, sampler state), so
// a seed means the same numbers on every platform and build.
#pragma once

#include <cstdint>

namespace edgert {

// SplitMix64's output function on its own: a stateless hash of `state` (the
// generator's next value is SplitMix64Hash(state + golden gamma)). Used where
// a random draw must be addressable by index, such as dropout masks that the
// backward pass redraws instead of storing.
inline uint64_t SplitMix64Hash(uint64_t state) {
  uint64_t z = state;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

inline uint64_t SplitMix64(uint64_t& state) { return SplitMix64Hash(state += 0x9E3779B97F4A7C15ull); }

}  // namespace edgert
