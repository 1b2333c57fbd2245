// runtime/generate/sampler.h: choosing the next token from logits.
//
// The Hugging Face rules, applied in Hugging Face's order: repetition penalty
// over the tokens seen so far (a positive logit is divided by the penalty, a
// negative one multiplied), then temperature, top-k, top-p, min-p, then a draw.
// temperature <= 0 means greedy (argmax; the lowest id wins a tie).
// Reproducible: the same seed and logits give the same tokens on every platform.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/status.h"

namespace edgert {

struct SamplingOptions {
  float temperature = 0.0f;
  int32_t top_k = 0;               // 0: off
  float top_p = 1.0f;              // 1: off
  float min_p = 0.0f;              // 0: off
  float repetition_penalty = 1.0f; // 1: off
  uint64_t seed = 0;

  Status Validate() const;
};

class Sampler {
 public:
  explicit Sampler(const SamplingOptions& options);

  // `logits` is modified in place (penalty, temperature). `history`: the ids
  // the penalty applies to (prompt and generated so far).
  int32_t Sample(std::span<float> logits, std::span<const int32_t> history);

 private:
  double NextUniform();  // [0, 1)
  SamplingOptions o_;
  uint64_t state_[4];
  std::vector<std::pair<float, int32_t>> candidates_;  // reused between calls
  std::vector<double> probs_;
};

}  // namespace edgert
