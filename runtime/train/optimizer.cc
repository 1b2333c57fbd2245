// runtime/train/optimizer.cc
#include "runtime/train/optimizer.h"

#include <cmath>
#include <numbers>

namespace edgert {
namespace {

template <typename F>
void ForEach(LoraAdapter& a, const LoraAdapter& b, F f) {
  for (size_t l = 0; l < a.layers.size(); ++l) {
    for (size_t t = 0; t < a.layers[l].size(); ++t) {
      f(a.layers[l][t].a, b.layers[l][t].a);
      f(a.layers[l][t].b, b.layers[l][t].b);
    }
  }
}

}  // namespace

AdamW::AdamW(const LoraAdapter& shape, const AdamWOptions& options)
    : o_(options), m_(shape.ZerosLike()), v_(shape.ZerosLike()) {}

void AdamW::Restore(LoraAdapter m, LoraAdapter v, int64_t step) {
  m_ = std::move(m);
  v_ = std::move(v);
  step_ = step;
}

void AdamW::Step(LoraAdapter& params, const LoraAdapter& grads, float lr) {
  ++step_;
  const double bc1 = 1.0 - std::pow(static_cast<double>(o_.beta1), static_cast<double>(step_));
  const double bc2 = 1.0 - std::pow(static_cast<double>(o_.beta2), static_cast<double>(step_));
  const float step_size = static_cast<float>(lr / bc1);
  const float bc2_sqrt = static_cast<float>(std::sqrt(bc2));
  const float decay = 1.0f - lr * o_.weight_decay;
  for (size_t l = 0; l < params.layers.size(); ++l) {
    for (size_t t = 0; t < params.layers[l].size(); ++t) {
      auto update = [&](std::vector<float>& p, const std::vector<float>& g, std::vector<float>& m, std::vector<float>& v) {
        for (size_t i = 0; i < p.size(); ++i) {
          p[i] *= decay;
          m[i] = o_.beta1 * m[i] + (1.0f - o_.beta1) * g[i];
          v[i] = o_.beta2 * v[i] + (1.0f - o_.beta2) * g[i] * g[i];
          p[i] -= step_size * m[i] / (std::sqrt(v[i]) / bc2_sqrt + o_.eps);
        }
      };
      update(params.layers[l][t].a, grads.layers[l][t].a, m_.layers[l][t].a, v_.layers[l][t].a);
      update(params.layers[l][t].b, grads.layers[l][t].b, m_.layers[l][t].b, v_.layers[l][t].b);
    }
  }
}

double ClipGradNorm(LoraAdapter& grads, double max_norm) {
  double sq = 0;
  ForEach(grads, grads, [&](std::vector<float>& g, const std::vector<float>&) {
    for (float x : g) sq += static_cast<double>(x) * x;
  });
  const double norm = std::sqrt(sq);
  if (max_norm > 0) {
    const double coef = max_norm / (norm + 1e-6);
    if (coef < 1.0) {
      ForEach(grads, grads, [&](std::vector<float>& g, const std::vector<float>&) {
        for (float& x : g) x = static_cast<float>(x * coef);
      });
    }
  }
  return norm;
}

Result<Schedule> ParseSchedule(const std::string& name) {
  if (name == "constant") return Schedule::kConstant;
  if (name == "linear") return Schedule::kLinear;
  if (name == "cosine") return Schedule::kCosine;
  return InvalidArgument("schedule '" + name + "': expected constant, linear or cosine");
}

float LearningRate(Schedule s, float base_lr, int64_t step, int64_t total, int64_t warmup) {
  if (step < warmup) return base_lr * static_cast<float>(step) / static_cast<float>(std::max<int64_t>(1, warmup));
  const double progress = static_cast<double>(step - warmup) / static_cast<double>(std::max<int64_t>(1, total - warmup));
  switch (s) {
    case Schedule::kConstant: return base_lr;
    case Schedule::kLinear: return base_lr * static_cast<float>(std::max(0.0, 1.0 - progress));
    case Schedule::kCosine:
      return base_lr * static_cast<float>(std::max(0.0, 0.5 * (1.0 + std::cos(std::numbers::pi * progress))));
  }
  return base_lr;
}

}  // namespace edgert
