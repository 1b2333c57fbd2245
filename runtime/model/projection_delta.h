// runtime/model/projection_delta.h: something added to the output of a
// layer's projections during the forward pass, beside the frozen weights,
// never merged into them (LoRA adapters are one: runtime/train/lora_delta.h).
// The model file stays untouched and several deltas can be swapped per session.
#pragma once

#include <cstddef>
#include <cstdint>

namespace edgert {

// The seven projections of a Qwen2 layer, in LoraTarget's order.
enum class Projection : uint8_t { kQ, kK, kV, kO, kGate, kUp, kDown };

class ProjectionDelta {
 public:
  virtual ~ProjectionDelta() = default;
  // y[m][out] += delta(x[m][in]) for projection `p` of layer `layer`; y
  // already holds x·Wᵀ (+ bias). Called from the session's own thread.
  virtual void Add(size_t layer, Projection p, const float* x, int64_t m, float* y) const = 0;
};

}  // namespace edgert
