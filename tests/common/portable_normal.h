// tests/common/portable_normal.h: normal draws that are the same numbers with
// every C++ standard library. std::normal_distribution's algorithm is left to
// the implementation (libstdc++ and libc++ give different values for one
// seed), so a test whose tolerance was measured on its data would see other
// data under libc++. SplitMix64 (base/splitmix.h) and Box-Muller instead.
#pragma once

#include <cmath>
#include <cstdint>

#include "base/splitmix.h"

namespace edgert::testing {

class PortableNormal {
 public:
  PortableNormal(uint64_t seed, float stddev) : state_(seed), stddev_(stddev) {}

  float operator()() {
    // Two uniforms in (0, 1]: 53-bit mantissas, never 0 (log).
    const double u1 = static_cast<double>((SplitMix64(state_) >> 11) + 1) * 0x1p-53;
    const double u2 = static_cast<double>(SplitMix64(state_) >> 11) * 0x1p-53;
    constexpr double kTwoPi = 6.283185307179586;
    return static_cast<float>(stddev_ * std::sqrt(-2.0 * std::log(u1)) * std::cos(kTwoPi * u2));
  }

 private:
  uint64_t state_;
  double stddev_;
};

}  // namespace edgert::testing
