#include "runtime/generate/sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <tuple>

#include "runtime/generate/chat.h"

namespace edgert {
namespace {

TEST(Sampler, GreedyIsArgmaxLowestIdOnTies) {
  Sampler s({});
  std::vector<float> l = {0.1f, 3.0f, -1.0f, 3.0f};
  EXPECT_EQ(s.Sample(l, {}), 1);
}

TEST(Sampler, RepetitionPenaltyFollowsHuggingFace) {
  SamplingOptions o;
  o.repetition_penalty = 2.0f;
  Sampler s(o);
  std::vector<float> l = {4.0f, -1.0f, 3.0f};
  const std::vector<int32_t> seen = {0, 1, 0};  // id 0 penalised once, not twice
  EXPECT_EQ(s.Sample(l, seen), 2);
  EXPECT_FLOAT_EQ(l[0], 2.0f);   // positive: divided
  EXPECT_FLOAT_EQ(l[1], -2.0f);  // negative: multiplied
  EXPECT_FLOAT_EQ(l[2], 3.0f);
}

std::map<int32_t, int> Histogram(const SamplingOptions& o, const std::vector<float>& logits, int draws) {
  Sampler s(o);
  std::map<int32_t, int> h;
  for (int i = 0; i < draws; ++i) {
    std::vector<float> l = logits;
    ++h[s.Sample(l, {})];
  }
  return h;
}

TEST(Sampler, SameSeedSameTokens) {
  SamplingOptions o;
  o.temperature = 1.0f;
  o.seed = 42;
  const std::vector<float> logits = {1, 2, 3, 4, 5};
  EXPECT_EQ(Histogram(o, logits, 500), Histogram(o, logits, 500));
  o.seed = 43;
  Sampler a({1.0f, 0, 1.0f, 0.0f, 1.0f, 42}), b({1.0f, 0, 1.0f, 0.0f, 1.0f, 43});
  int differ = 0;
  for (int i = 0; i < 50; ++i) {
    std::vector<float> x = logits, y = logits;
    differ += a.Sample(x, {}) != b.Sample(y, {});
  }
  EXPECT_GT(differ, 0);
}

TEST(Sampler, DrawsFollowTheSoftmax) {
  SamplingOptions o;
  o.temperature = 1.0f;
  o.seed = 7;
  const std::vector<float> logits = {0.0f, std::log(2.0f), std::log(3.0f), std::log(4.0f)};  // p = 0.1..0.4
  const auto h = Histogram(o, logits, 40000);
  for (int i = 0; i < 4; ++i) {
    // 40000 draws: the standard deviation of a count is at most ~100 (p=0.4).
    EXPECT_NEAR(h.at(i), 4000 * (i + 1), 500) << "token " << i;
  }
}

TEST(Sampler, TopKTopPMinPTruncate) {
  const std::vector<float> logits = {0.0f, std::log(2.0f), std::log(3.0f), std::log(4.0f)};  // p = 0.1..0.4
  SamplingOptions o;
  o.temperature = 1.0f;
  o.top_k = 2;
  auto h = Histogram(o, logits, 3000);
  EXPECT_EQ(h.count(0) + h.count(1), 0u);
  o.top_k = 0;
  o.top_p = 0.7f;  // 0.4 + 0.3 reaches 0.7: tokens 3 and 2
  h = Histogram(o, logits, 3000);
  EXPECT_EQ(h.count(0) + h.count(1), 0u);
  EXPECT_GT(h.count(2), 0u);
  o.top_p = 1.0f;
  o.min_p = 0.6f;  // keep p >= 0.24: tokens 2 (0.3) and 3
  h = Histogram(o, logits, 3000);
  EXPECT_EQ(h.count(0) + h.count(1), 0u);
  EXPECT_GT(h.count(2), 0u);
}

// A grammar's mask leaves a few tokens of a large vocabulary: the draws are
// those of the same logits without the masked ones, seed for seed, and a
// masked token is never drawn.
TEST(Sampler, MaskedTokensChangeNothingButCost) {
  const std::vector<float> kept = {0.5f, std::log(2.0f), std::log(3.0f), 1.7f};
  const std::vector<int32_t> ids = {3, 900, 41000, 151935};
  std::vector<float> masked(151936, -std::numeric_limits<float>::infinity());
  for (size_t i = 0; i < ids.size(); ++i) masked[static_cast<size_t>(ids[i])] = kept[i];
  for (const auto& [top_k, top_p, min_p] : {std::tuple{0, 1.0f, 0.0f}, std::tuple{0, 0.8f, 0.0f}, std::tuple{3, 1.0f, 0.0f},
                                            std::tuple{0, 1.0f, 0.3f}, std::tuple{10, 1.0f, 0.0f}}) {
    SamplingOptions o;
    o.temperature = 0.7f;
    o.top_k = top_k;
    o.top_p = top_p;
    o.min_p = min_p;
    o.seed = 11;
    Sampler small(o), large(o);
    for (int i = 0; i < 300; ++i) {
      std::vector<float> a = kept, b = masked;
      const int32_t want = ids[static_cast<size_t>(small.Sample(a, {}))];
      ASSERT_EQ(large.Sample(b, {}), want) << "draw " << i << " top_k " << top_k << " top_p " << top_p << " min_p " << min_p;
    }
  }
}

// Top-p and min-p sort only a prefix of the candidates: the tokens drawn are
// those a full sort keeps (the reference below, as HF computes it), and the
// likely ones among them are drawn.
TEST(Sampler, PartialSortKeepsWhatAFullSortKeeps) {
  std::mt19937 rng(5);
  std::normal_distribution<float> nd(0.0f, 2.5f);
  std::vector<float> logits(3000);
  for (float& l : logits) l = nd(rng);
  for (const auto& [top_p, min_p] : {std::pair{0.9f, 0.0f}, std::pair{0.5f, 0.0f}, std::pair{1.0f, 0.05f}, std::pair{0.95f, 0.02f}}) {
    std::vector<std::pair<double, int32_t>> ref;
    for (size_t i = 0; i < logits.size(); ++i) ref.emplace_back(logits[i] / 0.8, static_cast<int32_t>(i));
    std::sort(ref.begin(), ref.end(), [](auto a, auto b) { return a.first > b.first; });
    double sum = 0;
    for (auto& r : ref) sum += r.first = std::exp(r.first - ref.front().first);
    std::map<int32_t, double> keep;
    double cum = 0;
    for (const auto& r : ref) {
      const double p = r.first / sum;
      if (p < (1.0 / sum) * min_p) break;
      keep[r.second] = p;
      if ((cum += p) >= top_p) break;
    }
    SamplingOptions o;
    o.temperature = 0.8f;
    o.top_p = top_p;
    o.min_p = min_p;
    const auto h = Histogram(o, logits, 4000);
    for (const auto& [id, count] : h) EXPECT_TRUE(keep.count(id)) << "token " << id << " top_p " << top_p;
    for (const auto& [id, p] : keep) {
      if (p > 0.01) {
        EXPECT_TRUE(h.count(id)) << "token " << id << " p " << p << " never drawn";
      }
    }
  }
}

TEST(Sampler, ValidatesOptions) {
  EXPECT_TRUE(SamplingOptions{}.Validate().ok());
  EXPECT_FALSE((SamplingOptions{-1.0f}).Validate().ok());
  EXPECT_FALSE((SamplingOptions{1.0f, 0, 0.0f}).Validate().ok());
  EXPECT_FALSE((SamplingOptions{1.0f, 0, 1.0f, 0.0f, 0.0f}).Validate().ok());
}

TEST(Chat, RendersQwenChatMLWithTheDefaultSystemPrompt) {
  const std::vector<ChatMessage> m = {{"user", "Hi"}};
  EXPECT_EQ(RenderChatML(m, "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.", true),
            "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
            "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
  const std::vector<ChatMessage> with_system = {{"system", "Be brief."}, {"user", "Hi"}, {"assistant", "Hello"}};
  EXPECT_EQ(RenderChatML(with_system, "unused", false),
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
            "<|im_start|>assistant\nHello<|im_end|>\n");
}

}  // namespace
}  // namespace edgert
