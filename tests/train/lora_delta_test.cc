// LoRA at inference (Session + LoraDelta) against the training graph's
// forward pass (LoraGraph::Loss), an independent implementation of the same
// adapted model: the cross-entropy of a sequence must agree.
#include "runtime/train/lora_delta.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "runtime/train/lora_graph.h"
#include "tests/train/micro_model.h"

namespace edgert {
namespace {

LoraAdapter RandomAdapter(const Model& model, uint32_t seed) {
  LoraConfig c;
  c.rank = 4;
  c.alpha = 8;
  auto a = LoraAdapter::Create(model.config(), c, seed);
  std::mt19937 rng(seed);
  std::normal_distribution<float> n(0.0f, 0.3f);
  for (auto& layer : a->layers) {
    for (LoraPair& p : layer) {
      for (float& b : p.b) b = n(rng);
    }
  }
  return *a;
}

// Mean next-token cross-entropy of `ids` from a session's logits.
double SessionLoss(const std::shared_ptr<const Model>& model, std::shared_ptr<const ProjectionDelta> delta,
                   const std::vector<int32_t>& ids) {
  auto session = Session::Create(model, SessionOptions{32, 8}, nullptr);
  session->SetProjectionDelta(std::move(delta));
  const auto vocab = static_cast<size_t>(model->config().vocab_size);
  std::vector<float> logits(ids.size() * vocab);
  EXPECT_TRUE(session->Forward(ids, {}, logits).ok());
  double sum = 0;
  for (size_t t = 0; t + 1 < ids.size(); ++t) {
    const float* row = logits.data() + t * vocab;
    double mx = row[0], z = 0;
    for (size_t j = 0; j < vocab; ++j) mx = std::max(mx, static_cast<double>(row[j]));
    for (size_t j = 0; j < vocab; ++j) z += std::exp(row[j] - mx);
    sum += mx + std::log(z) - row[ids[t + 1]];
  }
  return sum / static_cast<double>(ids.size() - 1);
}

TEST(LoraDelta, SessionWithAdapterMatchesTheTrainingGraph) {
  auto model = testing::MicroModel(DType::kF32);
  const auto adapter = std::make_shared<const LoraAdapter>(RandomAdapter(*model, 3));
  const std::vector<int32_t> ids = {3, 17, 42, 5, 9, 60, 1, 33, 8, 8, 21, 2};  // 12 > max_batch 8: two chunks
  auto graph = LoraGraph::Create(model, 16, 4);
  auto ref = graph->Loss(*adapter, ids, ids, nullptr);
  const double want = ref->loss / static_cast<double>(ref->tokens);
  auto delta = std::make_shared<LoraDelta>();
  delta->Push(adapter, 1.0f);
  const double got = SessionLoss(model, delta, ids);
  // Both f32 with the same products, summed in other orders: agreement to
  // float rounding over two layers, far below the adapter's effect (checked).
  EXPECT_NEAR(got, want, 1e-5 * want);
  const double base = SessionLoss(model, nullptr, ids);
  EXPECT_GT(std::fabs(base - want), 1e-2);
}

TEST(LoraDelta, ScalesAndStacks) {
  auto model = testing::MicroModel(DType::kQ8_0);
  const auto adapter = std::make_shared<const LoraAdapter>(RandomAdapter(*model, 4));
  const std::vector<int32_t> ids = {1, 2, 3, 4, 5, 6, 7};
  auto whole = std::make_shared<LoraDelta>();
  whole->Push(adapter, 1.0f);
  auto halves = std::make_shared<LoraDelta>();
  halves->Push(adapter, 0.5f);
  halves->Push(adapter, 0.5f);
  auto off = std::make_shared<LoraDelta>();
  off->Push(adapter, 0.0f);
  EXPECT_NEAR(SessionLoss(model, halves, ids), SessionLoss(model, whole, ids), 1e-5);
  EXPECT_EQ(SessionLoss(model, off, ids), SessionLoss(model, nullptr, ids));
}

}  // namespace
}  // namespace edgert
