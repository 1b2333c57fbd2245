// runtime/model/rope_table.cc
#include "runtime/model/rope_table.h"

#include <cmath>

namespace edgert {

void BuildRopeTable(const ModelConfig& c, int64_t positions, float* cos, float* sin) {
  const int64_t half = c.head_dim / 2;
  for (int64_t i = 0; i < half; ++i) {
    const float exponent = static_cast<float>(2 * i) / static_cast<float>(c.head_dim);
    const float inv_freq = 1.0f / std::pow(c.rope_theta, exponent);
    for (int64_t p = 0; p < positions; ++p) {
      const float angle = static_cast<float>(p) * inv_freq;
      cos[p * half + i] = std::cos(angle);
      sin[p * half + i] = std::sin(angle);
    }
  }
}

}  // namespace edgert
