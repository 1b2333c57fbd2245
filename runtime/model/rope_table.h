// runtime/model/rope_table.h: RoPE cos/sin tables, built exactly as Hugging
// Face builds them, in f32: inv_freq[i] = 1 / theta^(2i/d),
// angle = float(position) * inv_freq[i]. Shared by inference and training so
// both rotate identically.
#pragma once

#include <cstdint>

#include "formats/model_config.h"

namespace edgert {

// cos/sin: [positions][head_dim/2]
void BuildRopeTable(const ModelConfig& config, int64_t positions, float* cos, float* sin);

}  // namespace edgert
