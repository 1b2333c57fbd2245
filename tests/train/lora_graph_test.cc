// LoRA backward pass: gradients against central finite differences of the
// loss, on a micro model, for every target, with -100 labels present. (The
// comparison with PyTorch autograd is the golden test.)
#include <gtest/gtest.h>
#include <pthreadpool.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "runtime/train/lora_graph.h"
#include "tests/train/micro_model.h"

namespace edgert {
namespace {

using testing::MicroModel;

// An adapter for `model` with random non-zero B, so that A's gradients are
// not trivially zero.
Result<LoraAdapter> TrainedAdapter(const Model& model, const LoraConfig& cfg) {
  auto a = LoraAdapter::Create(model.config(), cfg, 9);
  if (!a.ok()) return a;
  std::mt19937 rng(5);
  std::normal_distribution<float> n(0.0f, 0.05f);
  for (auto& layer : a->layers) {
    for (LoraPair& p : layer) {
      for (float& b : p.b) b = n(rng);
    }
  }
  return a;
}

// Streaming weights changes memory, never results: the same loss and
// gradients, bit for bit. A smaller loss chunk changes the blocking of the
// LM head's products: the same up to float rounding.
TEST(LoraGraph, StreamingAndLossChunkKeepResults) {
  auto model = MicroModel(DType::kQ8_0);
  auto adapter = TrainedAdapter(*model, {.rank = 4});
  ASSERT_TRUE(adapter.ok());
  const std::vector<int32_t> ids = {3, 17, 42, 5, 9, 60, 1, 33, 8, 8, 21, 2};
  const std::vector<int32_t> labels = {-100, 17, 42, 5, 9, 60, 1, 33, 8, -100, 21, 2};
  std::vector<LoraAdapter> grads;
  std::vector<double> losses;
  for (const LoraGraphOptions& o : {LoraGraphOptions{16, 4, 128, false}, LoraGraphOptions{16, 4, 128, true},
                                    LoraGraphOptions{16, 4, 3, true}}) {
    auto graph = LoraGraph::Create(model, o);
    ASSERT_TRUE(graph.ok()) << graph.status().message();
    grads.push_back(adapter->ZerosLike());
    auto loss = graph->AccumulateGradients(*adapter, ids, labels, 0.1f, grads.back(), nullptr);
    ASSERT_TRUE(loss.ok()) << loss.status().message();
    losses.push_back(loss->loss);
  }
  EXPECT_EQ(losses[0], losses[1]);
  EXPECT_NEAR(losses[0], losses[2], 1e-6 * std::fabs(losses[0]));
  for (size_t li = 0; li < grads[0].layers.size(); ++li) {
    for (size_t t = 0; t < grads[0].layers[li].size(); ++t) {
      const LoraPair& g = grads[0].layers[li][t];
      EXPECT_EQ(g.a, grads[1].layers[li][t].a) << li << " " << t;
      EXPECT_EQ(g.b, grads[1].layers[li][t].b) << li << " " << t;
      float scale = 0;
      for (float x : g.b) scale = std::max(scale, std::fabs(x));
      for (size_t i = 0; i < g.b.size(); ++i) EXPECT_NEAR(g.b[i], grads[2].layers[li][t].b[i], 1e-5f * scale);
    }
  }
}

// Keeping layers' activations from forward changes time and memory, never
// results: loss and gradients bit for bit, with LoRA dropout (its masks are
// redrawn in backward) and without, with streamed weights, for a graph that
// keeps some layers and recomputes others.
TEST(LoraGraph, SavedLayersKeepResults) {
  for (DType dtype : {DType::kQ8_0, DType::kF32}) {
    auto model = MicroModel(dtype, 4);
    for (float dropout : {0.0f, 0.2f}) {
      auto adapter = TrainedAdapter(*model, {.rank = 4, .dropout = dropout});
      ASSERT_TRUE(adapter.ok());
      const std::vector<int32_t> ids = {3, 17, 42, 5, 9, 60, 1, 33, 8, 8, 21, 2};
      const std::vector<int32_t> labels = {-100, 17, 42, 5, 9, 60, 1, 33, 8, -100, 21, 2};
      std::vector<LoraAdapter> grads;
      std::vector<double> losses;
      for (int64_t saved : {0, 1, 3}) {
        for (bool stream : {false, true}) {
          LoraGraphOptions o{16, 4, 128, stream, true};
          o.saved_layers = saved;
          auto graph = LoraGraph::Create(model, o);
          ASSERT_TRUE(graph.ok()) << graph.status().message();
          EXPECT_EQ(graph->arena().capacity(), LoraGraph::Bytes(model->config(), o).total());
          grads.push_back(adapter->ZerosLike());
          auto loss = graph->AccumulateGradients(*adapter, ids, labels, 0.1f, grads.back(), nullptr, 77);
          ASSERT_TRUE(loss.ok()) << loss.status().message();
          losses.push_back(loss->loss);
          auto eval = graph->Loss(*adapter, ids, labels, nullptr);
          ASSERT_TRUE(eval.ok());
          losses.push_back(eval->loss);
        }
      }
      for (size_t i = 2; i < losses.size(); ++i) EXPECT_EQ(losses[i], losses[i % 2]) << i;
      for (size_t k = 1; k < grads.size(); ++k) {
        for (size_t li = 0; li < grads[0].layers.size(); ++li) {
          for (size_t t = 0; t < grads[0].layers[li].size(); ++t) {
            ASSERT_EQ(grads[k].layers[li][t].a, grads[0].layers[li][t].a) << k << " " << li << " " << t;
            ASSERT_EQ(grads[k].layers[li][t].b, grads[0].layers[li][t].b) << k << " " << li << " " << t;
          }
        }
      }
    }
    // No more than the layers below the last.
    LoraGraphOptions o{16, 4, 128, false, false};
    o.saved_layers = 4;
    EXPECT_FALSE(LoraGraph::Create(model, o).ok());
  }
}

// The thread count changes time, never results: loss and gradients bit for
// bit with no pool and with 2 or 3 threads (every product, the LoRA branch's
// included, splits in fixed blocks), with and without LoRA dropout, for a
// sequence long enough that the row-wise work splits into several blocks.
TEST(LoraGraph, ThreadCountKeepsResults) {
  for (DType dtype : {DType::kQ8_0, DType::kF32}) {
    auto model = MicroModel(dtype);
    for (float dropout : {0.0f, 0.2f}) {
      auto adapter = TrainedAdapter(*model, {.rank = 4, .dropout = dropout});
      ASSERT_TRUE(adapter.ok());
      std::vector<int32_t> ids(60), labels(60);
      for (size_t i = 0; i < ids.size(); ++i) {
        ids[i] = static_cast<int32_t>((i * 37 + 5) % 64);
        labels[i] = i % 7 == 3 ? -100 : ids[i];
      }
      std::vector<LoraAdapter> grads;
      std::vector<double> losses;
      for (size_t threads : {1, 2, 3}) {
        pthreadpool_t pool = threads > 1 ? pthreadpool_create(threads) : nullptr;
        LoraGraphOptions o{64, 4, 128, false, true};
        o.saved_layers = 1;
        auto graph = LoraGraph::Create(model, o);
        ASSERT_TRUE(graph.ok()) << graph.status().message();
        grads.push_back(adapter->ZerosLike());
        auto loss = graph->AccumulateGradients(*adapter, ids, labels, 0.1f, grads.back(), pool, 77);
        if (pool != nullptr) pthreadpool_destroy(pool);
        ASSERT_TRUE(loss.ok()) << loss.status().message();
        losses.push_back(loss->loss);
      }
      for (size_t k = 1; k < grads.size(); ++k) {
        EXPECT_EQ(losses[k], losses[0]);
        for (size_t li = 0; li < grads[0].layers.size(); ++li) {
          for (size_t t = 0; t < grads[0].layers[li].size(); ++t) {
            ASSERT_EQ(grads[k].layers[li][t].a, grads[0].layers[li][t].a) << k << " " << li << " " << t;
            ASSERT_EQ(grads[k].layers[li][t].b, grads[0].layers[li][t].b) << k << " " << li << " " << t;
          }
        }
      }
    }
  }
}

TEST(LoraGraph, GradientsMatchFiniteDifferences) {
  auto model = MicroModel(DType::kF32);
  auto adapter = TrainedAdapter(*model, {.rank = 4, .alpha = 8});
  ASSERT_TRUE(adapter.ok());
  auto graph = LoraGraph::Create(model, 16, adapter->config.rank);
  ASSERT_TRUE(graph.ok());
  const std::vector<int32_t> ids = {3, 17, 42, 5, 9, 60, 1, 33, 8, 8, 21, 2};
  const std::vector<int32_t> labels = {-100, -100, -100, 5, 9, 60, 1, 33, 8, -100, 21, 2};
  const int64_t counted = LoraGraph::CountedTokens(labels);
  ASSERT_EQ(counted, 8);
  const float scale = 1.0f / static_cast<float>(counted);
  LoraAdapter grads = adapter->ZerosLike();
  auto loss = graph->AccumulateGradients(*adapter, ids, labels, scale, grads, nullptr);
  ASSERT_TRUE(loss.ok()) << loss.status().message();
  EXPECT_EQ(loss->tokens, counted);

  auto mean_loss = [&](const LoraAdapter& a) {
    auto l = graph->Loss(a, ids, labels, nullptr);
    return l->loss / static_cast<double>(l->tokens);
  };
  std::mt19937 rng(1);
  int checked = 0;
  for (size_t li = 0; li < adapter->layers.size(); ++li) {
    for (int t = 0; t < kLoraTargetCount; ++t) {
      for (bool is_a : {true, false}) {
        LoraPair& p = adapter->layers[li][static_cast<size_t>(t)];
        std::vector<float>& v = is_a ? p.a : p.b;
        const std::vector<float>& gv = is_a ? grads.layers[li][static_cast<size_t>(t)].a : grads.layers[li][static_cast<size_t>(t)].b;
        for (int probe = 0; probe < 3; ++probe) {
          const size_t i = rng() % v.size();
          const float old = v[i];
          const float eps = 1e-2f;
          v[i] = old + eps;
          const double up = mean_loss(*adapter);
          v[i] = old - eps;
          const double down = mean_loss(*adapter);
          v[i] = old;
          const double fd = (up - down) / (2.0 * eps);
          EXPECT_NEAR(gv[i], fd, 2e-3 * std::max(1.0, std::fabs(fd)) + 2e-5)
              << "layer " << li << " " << LoraTargetName(static_cast<LoraTarget>(t)) << (is_a ? " A" : " B") << "[" << i << "]";
          ++checked;
        }
      }
    }
  }
  EXPECT_EQ(checked, 2 * 7 * 2 * 3);
}

TEST(LoraGraph, ZeroBLeavesTheModelUnchangedAndGivesOnlyBGradients) {
  auto model = MicroModel(DType::kQ8_0);
  auto adapter = LoraAdapter::Create(model->config(), LoraConfig{}, 1);
  ASSERT_TRUE(adapter.ok());
  auto graph = LoraGraph::Create(model, 8, 8);
  ASSERT_TRUE(graph.ok());
  const std::vector<int32_t> ids = {1, 2, 3, 4, 5, 6};
  LoraAdapter grads = adapter->ZerosLike();
  ASSERT_TRUE(graph->AccumulateGradients(*adapter, ids, ids, 1.0f, grads, nullptr).ok());
  double a_norm = 0, b_norm = 0;
  for (auto& layer : grads.layers) {
    for (LoraPair& p : layer) {
      for (float x : p.a) a_norm += x * x;
      for (float x : p.b) b_norm += x * x;
    }
  }
  EXPECT_EQ(a_norm, 0.0);  // B = 0 blocks every path to A
  EXPECT_GT(b_norm, 0.0);
}

TEST(LoraGraph, ParameterCountForQwen05B) {
  auto adapter = LoraAdapter::Create(*PresetConfig("qwen2.5-0.5b"), LoraConfig{}, 1);
  ASSERT_TRUE(adapter.ok());
  EXPECT_EQ(adapter->ParameterCount(), 4399104);
}

TEST(LoraTargets, Parse) {
  EXPECT_EQ(*ParseLoraTargets("all"), 0x7fu);
  EXPECT_EQ(*ParseLoraTargets("q_proj,v_proj"), 0b101u);
  EXPECT_EQ(*ParseLoraTargets("gate,up,down"), 0b1110000u);
  EXPECT_FALSE(ParseLoraTargets("lm_head").ok());
}

}  // namespace
}  // namespace edgert
