// runtime/generate/sampler.cc: penalties, truncation, and a seeded draw.
#include "runtime/generate/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "base/splitmix.h"

namespace edgert {
namespace {

uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

Status SamplingOptions::Validate() const {
  if (!(temperature >= 0.0f) || !std::isfinite(temperature)) return InvalidArgument("temperature must be >= 0");
  if (top_k < 0) return InvalidArgument("top-k must be >= 0");
  if (!(top_p > 0.0f && top_p <= 1.0f)) return InvalidArgument("top-p must be in (0, 1]");
  if (!(min_p >= 0.0f && min_p <= 1.0f)) return InvalidArgument("min-p must be in [0, 1]");
  if (!(repetition_penalty > 0.0f) || !std::isfinite(repetition_penalty)) {
    return InvalidArgument("repetition penalty must be > 0");
  }
  return OkStatus();
}

Sampler::Sampler(const SamplingOptions& options) : o_(options) {
  uint64_t x = options.seed;
  for (uint64_t& s : state_) s = SplitMix64(x);
}

double Sampler::NextUniform() {  // xoshiro256**
  const uint64_t result = Rotl(state_[1] * 5, 7) * 9;
  const uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = Rotl(state_[3], 45);
  return static_cast<double>(result >> 11) * 0x1.0p-53;
}

int32_t Sampler::Sample(std::span<float> logits, std::span<const int32_t> history) {
  const auto n = static_cast<int32_t>(logits.size());
  if (o_.repetition_penalty != 1.0f) {
    // Each distinct id once, as torch.gather/scatter does in HF.
    for (size_t i = 0; i < history.size(); ++i) {
      const int32_t id = history[i];
      if (id < 0 || id >= n) continue;
      if (std::find(history.begin(), history.begin() + static_cast<std::ptrdiff_t>(i), id) !=
          history.begin() + static_cast<std::ptrdiff_t>(i)) {
        continue;
      }
      float& l = logits[static_cast<size_t>(id)];
      l = l < 0 ? l * o_.repetition_penalty : l / o_.repetition_penalty;
    }
  }
  if (o_.temperature <= 0.0f) {
    return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
  }
  for (float& l : logits) l /= o_.temperature;

  // Candidates by descending logit (ties: lower id first, for reproducibility).
  // Tokens a grammar masked (-inf) have probability 0: leaving them out draws
  // the same token from the same numbers, and after a mask that leaves a few
  // hundred of 151,936 the sort and the exponentials are over those alone.
  candidates_.clear();
  candidates_.reserve(logits.size());
  for (int32_t i = 0; i < n; ++i) {
    const float l = logits[static_cast<size_t>(i)];
    if (l != -std::numeric_limits<float>::infinity()) candidates_.emplace_back(l, i);
  }
  if (candidates_.empty()) {  // everything masked: the caller's mistake; draw as before, from all
    for (int32_t i = 0; i < n; ++i) candidates_.emplace_back(logits[static_cast<size_t>(i)], i);
  }
  auto by_logit = [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); };
  std::vector<double>& probs = probs_;
  if (o_.top_k > 0 && static_cast<size_t>(o_.top_k) < candidates_.size()) {
    const auto keep = static_cast<std::ptrdiff_t>(o_.top_k);
    std::partial_sort(candidates_.begin(), candidates_.begin() + keep, candidates_.end(), by_logit);
    candidates_.resize(static_cast<size_t>(keep));
  }
  // Softmax over what is left (in double: the sums decide truncation), in
  // candidate order; the max first for stability.
  std::swap(candidates_.front(), *std::min_element(candidates_.begin(), candidates_.end(), by_logit));
  const double max = candidates_.front().first;
  probs.resize(candidates_.size());
  double sum = 0;
  for (size_t i = 0; i < candidates_.size(); ++i) sum += probs[i] = std::exp(static_cast<double>(candidates_[i].first) - max);
  // Truncation reorders the candidates: their kept prefix's probabilities are
  // then computed again below.
  const auto prob = [&](size_t i) { return std::exp(static_cast<double>(candidates_[i].first) - max) / sum; };
  size_t kept = candidates_.size();
  if (o_.min_p > 0.0f && o_.top_p >= 1.0f) {
    // min-p alone: p >= p_max·min_p, with p_max = 1/sum (the max's own term
    // is exp(0)): a filter, no sort of the rest.
    const double threshold = (1.0 / sum) * static_cast<double>(o_.min_p);
    kept = static_cast<size_t>(std::partition(candidates_.begin() + 1, candidates_.end(),
                                              [&](const auto& c) { return std::exp(static_cast<double>(c.first) - max) / sum >= threshold; }) -
                               candidates_.begin());
    std::sort(candidates_.begin(), candidates_.begin() + static_cast<std::ptrdiff_t>(kept), by_logit);
  } else if (o_.top_p < 1.0f) {
    // Keep the smallest prefix, by descending logit, whose mass reaches top_p
    // (HF drops tokens whose cumulative mass from the low end is <= 1 - top_p;
    // always keeps one). Sorted only as far as needed: a prefix of 64, then
    // 4x longer until its mass reaches top_p (the whole vocabulary sorted cost
    // ~12 ms a token).
    for (size_t sorted = std::min<size_t>(64, candidates_.size());; sorted = std::min(candidates_.size(), 4 * sorted)) {
      std::partial_sort(candidates_.begin(), candidates_.begin() + static_cast<std::ptrdiff_t>(sorted), candidates_.end(),
                        by_logit);
      double cum = 0;
      size_t cut = 0;
      while (cut < sorted && cum < static_cast<double>(o_.top_p)) cum += prob(cut++);
      if (cum >= static_cast<double>(o_.top_p) || sorted == candidates_.size()) {
        kept = cut;
        break;
      }
    }
    if (o_.min_p > 0.0f) {
      const double threshold = prob(0) * static_cast<double>(o_.min_p);
      size_t cut = 1;
      while (cut < kept && prob(cut) >= threshold) ++cut;
      kept = cut;
    }
  }
  if (o_.top_p >= 1.0f && o_.min_p <= 0.0f) {
    for (double& p : probs) p /= sum;  // no truncation reordered them: the exponentials above
  } else {
    probs.resize(kept);
    for (size_t i = 0; i < kept; ++i) probs[i] = prob(i);
  }
  double total = 0;
  for (double p : probs) total += p;
  double r = NextUniform() * total;
  for (size_t i = 0; i < probs.size(); ++i) {
    r -= probs[i];
    if (r < 0) return candidates_[i].second;
  }
  return candidates_[probs.size() - 1].second;
}

}  // namespace edgert
