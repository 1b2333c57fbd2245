// The int8 backward products (LoraGraphOptions::int8_backward) against the
// f32 ones on quantized micro models: the same loss, LoRA gradients within a
// stated relative bound, the same bits for any thread count.
#include <gtest/gtest.h>
#include <pthreadpool.h>

#include <cmath>
#include <random>

#include "runtime/train/lora_graph.h"
#include "tests/common/portable_normal.h"
#include "tests/train/micro_model.h"

namespace edgert {
namespace {

using testing::MicroModel;

struct GraphRun {
  double loss = 0;
  LoraAdapter grads;
};

GraphRun Gradients(const std::shared_ptr<const Model>& model, const LoraAdapter& adapter, bool int8, pthreadpool_t pool,
              const std::vector<int32_t>& ids, const std::vector<int32_t>& labels, int64_t loss_rows = 128) {
  LoraGraphOptions o{static_cast<int64_t>(ids.size()), adapter.config.rank, loss_rows};
  o.int8_backward = int8;
  auto graph = LoraGraph::Create(model, o);
  EXPECT_TRUE(graph.ok()) << graph.status().message();
  GraphRun r{0, adapter.ZerosLike()};
  auto loss = graph->AccumulateGradients(adapter, ids, labels, 1.0f / 40, r.grads, pool);
  EXPECT_TRUE(loss.ok()) << loss.status().message();
  r.loss = loss->loss;
  return r;
}

double Norm(const std::vector<float>& v) {
  double s = 0;
  for (float x : v) s += static_cast<double>(x) * x;
  return std::sqrt(s);
}

double DiffNorm(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += (static_cast<double>(a[i]) - b[i]) * (static_cast<double>(a[i]) - b[i]);
  return std::sqrt(s);
}

// 48 positions: every product through a frozen weight has m >= kInt8MinRows
// rows (the layers' 48, the LM head's 40 counted ones), so all take the int8 path.
TEST(Int8Backward, GradientsAgreeWithF32Products) {
  for (DType type : {DType::kQ8_0, DType::kQ4_0}) {
    SCOPED_TRACE(DTypeName(type));
    auto model = MicroModel(type);
    LoraConfig cfg;
    cfg.rank = 4;
    auto adapter = LoraAdapter::Create(model->config(), cfg, 9);
    ASSERT_TRUE(adapter.ok());
    std::mt19937 rng(4);
    testing::PortableNormal nd(4, 0.05f);  // the same B under libstdc++ and libc++
    for (auto& layer : adapter->layers) {
      for (LoraPair& p : layer) {
        for (float& b : p.b) b = nd();
      }
    }
    std::vector<int32_t> ids(48), labels(48);
    for (size_t t = 0; t < ids.size(); ++t) {
      ids[t] = static_cast<int32_t>(rng() % 64);
      labels[t] = t % 6 == 5 ? kIgnoreLabel : ids[t];
    }
    ASSERT_GE(LoraGraph::CountedTokens(labels), 16);
    const GraphRun f32 = Gradients(model, *adapter, false, nullptr, ids, labels);
    const GraphRun int8 = Gradients(model, *adapter, true, nullptr, ids, labels);
    EXPECT_EQ(f32.loss, int8.loss);  // the forward pass does not change
    // Each int8 product errs by ~0.7-0.9% (rms, relative; kernels/README.md),
    // and a gradient passes through up to nine of them (the LM head, then
    // down, gate/up, o, q/k/v per layer) with independent errors. Measured
    // here (worst A or B of any target, relative Frobenius norm): 1.43% Q8_0,
    // 1.56% Q4_0 with 32-wide blocks (AVX2, NEON); 2.57% both with the wide
    // format's 128 (AVX-512, scalar), which here spans all of n (at most 64):
    // the LM head's dy (softmax − onehot over 64 tokens, one entry near −1)
    // shares one scale per row instead of two. Those figures were one draw of
    // std::normal_distribution (libstdc++'s; libc++ draws other numbers); with
    // this portable draw (the same B everywhere): 4.1% / 5.2% worst for the
    // wide format, under 4% for 32-wide blocks. Across 16 seeds the worst
    // target reached 10% (AVX2) and 10-26% (wide), on targets whose gradient
    // is small beside the others': a per-target bound on this micro model is
    // a regression check for this draw, not an accuracy claim. Bound: 6%.
    double worst = 0;
    bool any_differs = false;
    for (size_t li = 0; li < f32.grads.layers.size(); ++li) {
      for (size_t t = 0; t < f32.grads.layers[li].size(); ++t) {
        const LoraPair& g = f32.grads.layers[li][t];
        const LoraPair& q = int8.grads.layers[li][t];
        for (const auto& [want, got] : {std::pair{&g.a, &q.a}, std::pair{&g.b, &q.b}}) {
          const double rel = DiffNorm(*want, *got) / Norm(*want);
          worst = std::max(worst, rel);
          any_differs |= *want != *got;
          EXPECT_LT(rel, 0.06) << "layer " << li << " " << LoraTargetName(static_cast<LoraTarget>(t));
        }
      }
    }
    EXPECT_TRUE(any_differs) << "the int8 path did not run";
    RecordProperty("worst_relative_" + std::string(DTypeName(type)), std::to_string(worst));
    // The int8 products split work by dx columns: any thread count, the same bits.
    pthreadpool_t pool = pthreadpool_create(2);
    const GraphRun two = Gradients(model, *adapter, true, pool, ids, labels);
    pthreadpool_destroy(pool);
    for (size_t li = 0; li < f32.grads.layers.size(); ++li) {
      for (size_t t = 0; t < f32.grads.layers[li].size(); ++t) {
        EXPECT_EQ(two.grads.layers[li][t].a, int8.grads.layers[li][t].a);
        EXPECT_EQ(two.grads.layers[li][t].b, int8.grads.layers[li][t].b);
      }
    }
  }
}

// The LM head's loss chunk decides how many rows of logits exist at once, not
// how d(hidden) is computed: the int8 path quantizes each chunk's d(logits)
// and multiplies all counted rows at once, so any chunk gives the same bits.
// 40 counted rows (of 49) in chunks of 128 (one), 20 (two) and 16 (16 + 16 +
// 8: when each chunk had its own product, the last, below kInt8MinRows rows,
// went through f32 products and this failed). A vocabulary of 17000 spans two
// of the graph's 16384-row vocabulary chunks, the last ending in a partial
// quantization block.
TEST(Int8Backward, LossChunkKeepsTheBits) {
  for (DType type : {DType::kQ8_0, DType::kQ4_0}) {
    SCOPED_TRACE(DTypeName(type));
    auto model = MicroModel(type, 2, 17000);
    LoraConfig cfg;
    cfg.rank = 4;
    auto adapter = LoraAdapter::Create(model->config(), cfg, 9);
    ASSERT_TRUE(adapter.ok());
    std::mt19937 rng(6);
    testing::PortableNormal nd(6, 0.05f);
    for (auto& layer : adapter->layers) {
      for (LoraPair& p : layer) {
        for (float& b : p.b) b = nd();
      }
    }
    std::vector<int32_t> ids(49), labels(49);
    for (size_t t = 0; t < ids.size(); ++t) {
      ids[t] = static_cast<int32_t>(rng() % 17000);
      labels[t] = t % 6 == 5 ? kIgnoreLabel : ids[t];
    }
    ASSERT_EQ(LoraGraph::CountedTokens(labels), 40);
    const GraphRun one = Gradients(model, *adapter, true, nullptr, ids, labels, 128);
    const GraphRun f32 = Gradients(model, *adapter, false, nullptr, ids, labels, 128);
    for (int64_t rows : {20, 16}) {
      SCOPED_TRACE(rows);
      const GraphRun chunked = Gradients(model, *adapter, true, nullptr, ids, labels, rows);
      EXPECT_NEAR(chunked.loss, one.loss, 1e-9 * std::fabs(one.loss));
      for (size_t li = 0; li < one.grads.layers.size(); ++li) {
        for (size_t t = 0; t < one.grads.layers[li].size(); ++t) {
          EXPECT_EQ(chunked.grads.layers[li][t].a, one.grads.layers[li][t].a) << li << " " << t;
          EXPECT_EQ(chunked.grads.layers[li][t].b, one.grads.layers[li][t].b) << li << " " << t;
        }
      }
    }
    // And the int8 path ran: it differs from the f32 products, within the bound above.
    bool any_differs = false;
    for (size_t li = 0; li < one.grads.layers.size(); ++li) {
      for (size_t t = 0; t < one.grads.layers[li].size(); ++t) {
        const LoraPair& g = f32.grads.layers[li][t];
        const LoraPair& q = one.grads.layers[li][t];
        any_differs |= g.b != q.b;
        EXPECT_LT(DiffNorm(g.b, q.b) / Norm(g.b), 0.04) << li << " " << t;
      }
    }
    EXPECT_TRUE(any_differs);
  }
}

}  // namespace
}  // namespace edgert
