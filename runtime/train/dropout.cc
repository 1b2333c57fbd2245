// runtime/train/dropout.cc
#include "runtime/train/dropout.h"

#include <cmath>

#include "base/splitmix.h"

namespace edgert {
namespace {

constexpr uint64_t kGamma = 0x9E3779B97F4A7C15ull;  // SplitMix64's increment

// One SplitMix64 output of a state derived from two values, so that keys of
// neighbouring (step, sequence) or (layer, target) pairs are unrelated.
uint64_t Mix(uint64_t a, uint64_t b) { return SplitMix64Hash(a * kGamma + b); }

uint32_t DropThreshold(float p) { return static_cast<uint32_t>(std::floor(static_cast<double>(p) * 65536.0)); }

uint32_t Field(uint64_t hash, int64_t index) { return static_cast<uint32_t>(hash >> (48 - 16 * (index & 3))) & 0xFFFF; }

}  // namespace

uint64_t DropoutSequenceKey(uint64_t seed, int64_t step, int64_t sequence) {
  return Mix(Mix(seed, static_cast<uint64_t>(step)), static_cast<uint64_t>(sequence));
}

uint64_t DropoutTargetKey(uint64_t sequence_key, int64_t layer, int32_t target) {
  return Mix(Mix(sequence_key, static_cast<uint64_t>(layer)), static_cast<uint64_t>(target));
}

bool DropoutKeeps(uint64_t key, int64_t index, float p) {
  return Field(SplitMix64Hash(key + static_cast<uint64_t>(index >> 2)), index) >= DropThreshold(p);
}

void ApplyDropout(const float* x, int64_t begin, int64_t end, uint64_t key, float p, float* y) {
  const uint32_t threshold = DropThreshold(p);
  const float keep_scale = 1.0f / (1.0f - p);
  auto apply = [&](int64_t i, uint64_t hash) { y[i] = Field(hash, i) >= threshold ? x[i] * keep_scale : 0.0f; };
  int64_t i = begin;
  for (; i < end && (i & 3) != 0; ++i) apply(i, SplitMix64Hash(key + static_cast<uint64_t>(i >> 2)));
  for (; i + 4 <= end; i += 4) {  // whole groups: one hash for four elements
    const uint64_t hash = SplitMix64Hash(key + static_cast<uint64_t>(i >> 2));
    for (int64_t k = 0; k < 4; ++k) apply(i + k, hash);
  }
  for (; i < end; ++i) apply(i, SplitMix64Hash(key + static_cast<uint64_t>(i >> 2)));
}

}  // namespace edgert
