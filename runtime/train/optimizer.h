// runtime/train/optimizer.h: AdamW, gradient clipping and learning-rate
// schedules, each as PyTorch / Hugging Face define them, so a run here follows
// the same trajectory as the reference.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"
#include "runtime/train/lora.h"

namespace edgert {

struct AdamWOptions {
  float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
  float weight_decay = 0.0f;
};

// torch.optim.AdamW: p ← p·(1 − lr·wd); m, v updated; p ← p − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε)
class AdamW {
 public:
  AdamW(const LoraAdapter& shape, const AdamWOptions& options);
  void Step(LoraAdapter& params, const LoraAdapter& grads, float lr);
  int64_t step() const { return step_; }
  const LoraAdapter& m() const { return m_; }
  const LoraAdapter& v() const { return v_; }
  // For resuming from a checkpoint.
  void Restore(LoraAdapter m, LoraAdapter v, int64_t step);

 private:
  AdamWOptions o_;
  LoraAdapter m_, v_;
  int64_t step_ = 0;
};

// Global L2 norm of all gradients; scales them to max_norm when above it
// (torch.nn.utils.clip_grad_norm_: coefficient max_norm / (norm + 1e-6)).
// Returns the norm before clipping. max_norm <= 0: no clipping.
double ClipGradNorm(LoraAdapter& grads, double max_norm);

enum class Schedule { kConstant, kLinear, kCosine };
Result<Schedule> ParseSchedule(const std::string& name);

// Learning rate at optimizer step `step` (0-based) of `total`, with
// `warmup` steps of linear warm-up from 0, as Hugging Face's schedulers.
float LearningRate(Schedule s, float base_lr, int64_t step, int64_t total, int64_t warmup);

}  // namespace edgert
