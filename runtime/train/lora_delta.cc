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
    // Per call, as the session may run any chunk size; m·r floats plus the
    // forward's scratch are small beside the projection itself.
    std::vector<float> ax(static_cast<size_t>(m * r));
    std::vector<float> scratch(static_cast<size_t>(grad::LoraScratchFloats(m, r, std::max(pair.in, pair.out))));
    grad::LoraForward(pair, r, s.scale, x, m, ax.data(), y, scratch.data());
  }
}

}  // namespace edgert
