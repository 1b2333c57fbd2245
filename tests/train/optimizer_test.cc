#include "runtime/train/optimizer.h"

#include <gtest/gtest.h>

#include <cmath>

namespace edgert {
namespace {

LoraAdapter OneParam(float value) {
  LoraAdapter a;
  a.layers.resize(1);
  a.layers[0][0].a = {value};
  a.layers[0][0].b = {0.0f};
  return a;
}

TEST(AdamW, MatchesTorchByHand) {
  // torch.optim.AdamW(lr=0.1, weight_decay=0.01) on p=1, grads 0.5 then -0.25:
  // step 1: p = 1*(1-0.001) - 0.1 * 1 = 0.899 (m̂/√v̂ = sign(g) on step one)
  LoraAdapter p = OneParam(1.0f);
  AdamW opt(p, {0.9f, 0.999f, 1e-8f, 0.01f});
  LoraAdapter g = OneParam(0.5f);
  opt.Step(p, g, 0.1f);
  EXPECT_NEAR(p.layers[0][0].a[0], 0.899f, 1e-6);
  g.layers[0][0].a[0] = -0.25f;
  opt.Step(p, g, 0.1f);
  // m = 0.9*0.05 + 0.1*(-0.25) = 0.02, v = 0.999*0.00025 + 0.001*0.0625 = 0.00031225
  const double m_hat = 0.02 / (1 - 0.81), v_hat = 0.00031225 / (1 - 0.998001);
  const double expected = 0.899 * (1 - 0.001) - 0.1 * m_hat / (std::sqrt(v_hat) + 1e-8);
  EXPECT_NEAR(p.layers[0][0].a[0], expected, 1e-6);
}

TEST(ClipGradNorm, ScalesToTheMaximum) {
  LoraAdapter g = OneParam(3.0f);
  g.layers[0][0].b[0] = 4.0f;
  EXPECT_DOUBLE_EQ(ClipGradNorm(g, 1.0), 5.0);
  EXPECT_NEAR(g.layers[0][0].a[0], 0.6f, 1e-6);
  EXPECT_NEAR(g.layers[0][0].b[0], 0.8f, 1e-6);
  EXPECT_NEAR(ClipGradNorm(g, 10.0), 1.0, 1e-6);  // below the maximum: unchanged
  EXPECT_NEAR(g.layers[0][0].a[0], 0.6f, 1e-6);
}

TEST(Schedule, HuggingFaceShapes) {
  EXPECT_EQ(LearningRate(Schedule::kLinear, 1.0f, 0, 10, 2), 0.0f);  // HF: lr 0 on the first step
  EXPECT_FLOAT_EQ(LearningRate(Schedule::kLinear, 1.0f, 1, 10, 2), 0.5f);
  EXPECT_FLOAT_EQ(LearningRate(Schedule::kLinear, 1.0f, 2, 10, 2), 1.0f);
  EXPECT_FLOAT_EQ(LearningRate(Schedule::kLinear, 1.0f, 6, 10, 2), 0.5f);
  EXPECT_FLOAT_EQ(LearningRate(Schedule::kCosine, 1.0f, 6, 10, 2), 0.5f);
  EXPECT_NEAR(LearningRate(Schedule::kCosine, 1.0f, 10, 10, 2), 0.0f, 1e-7);
  EXPECT_FLOAT_EQ(LearningRate(Schedule::kConstant, 2.0f, 9, 10, 0), 2.0f);
  EXPECT_FALSE(ParseSchedule("step").ok());
}

}  // namespace
}  // namespace edgert
