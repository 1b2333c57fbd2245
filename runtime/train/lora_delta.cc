// runtime/train/lora_delta.cc
#include "runtime/train/lora_delta.h"

#include <algorithm>

#include "runtime/train/backward_ops.h"

namespace edgert {

void LoraDelta::Push(std::shared_ptr<const LoraAdapter> adapter, float user_scale) {
  const float scale = user_scale * adapter->config.scale();
  adapters_.push_back({std::move(adapter), scale});
}

void LoraDelta::Add(size_t layer, Projection p, const float* x, int64_t m, float* y) const {
  for (const Scaled& s : adapters_) {
    const LoraAdapter& adapter = *s.adapter;
    if (layer >= adapter.layers.size()) continue;
    const LoraPair& pair = adapter.layers[layer][static_cast<size_t>(p)];
    if (!pair.enabled()) continue;
    const int32_t r = adapter.config.rank;
    // m·r floats of A·x and the forward's scratch, small beside the projection.
    // One adapter serves sessions on many threads at once (the C API), so the
    // buffer is the calling thread's; it grows to the largest chunk it has
    // seen and then no decode step allocates (tests/train/decode_allocations_test).
    const auto ax_floats = static_cast<size_t>(m * r);
    const size_t floats = ax_floats + static_cast<size_t>(grad::LoraScratchFloats(m, r, std::max(pair.in, pair.out)));
    thread_local std::vector<float> buffer;
    if (buffer.size() < floats) buffer.resize(floats);
    grad::LoraForward(pair, r, s.scale, x, m, buffer.data(), y, buffer.data() + ax_floats);
  }
}

}  // namespace edgert
