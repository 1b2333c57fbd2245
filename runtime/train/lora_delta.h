// runtime/train/lora_delta.h: LoRA adapters applied at inference, beside the
// frozen weights (Session::SetProjectionDelta), never merged:
//   y += Σ_i user_scale_i · (alpha_i/r_i) · B_i·(A_i·x)
// Several adapters stack; each keeps its own rank and targets.
#pragma once

#include <memory>
#include <vector>

#include "runtime/model/projection_delta.h"
#include "runtime/train/lora.h"

namespace edgert {

class LoraDelta : public ProjectionDelta {
 public:
  // `user_scale` multiplies the adapter's own alpha/r (edge-run --lora A.eta:SCALE).
  // Shared, not copied: one loaded adapter can serve many sessions at once.
  void Push(std::shared_ptr<const LoraAdapter> adapter, float user_scale);
  bool empty() const { return adapters_.empty(); }
  void Add(size_t layer, Projection p, const float* x, int64_t m, float* y) const override;

 private:
  struct Scaled {
    std::shared_ptr<const LoraAdapter> adapter;
    float scale;  // user scale · alpha / r (or / sqrt(r))
  };
  std::vector<Scaled> adapters_;
};

}  // namespace edgert
