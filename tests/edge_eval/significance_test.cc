// edge-eval's statistics against values worked by hand (and checked in tables).
#include "tools/edge_eval/significance.h"

#include <gtest/gtest.h>

namespace edgert::eval {
namespace {

TEST(Significance, WilsonInterval) {
  // 8/10 at 95%: centre (0.8 + 0.19208)/1.38416 = 0.71682, half 0.22650 -> [0.4902, 0.9433].
  Interval i = WilsonInterval(8, 10);
  EXPECT_NEAR(i.low, 0.49016, 1e-4);
  EXPECT_NEAR(i.high, 0.94332, 1e-4);
  // 200/200 stays inside [0, 1]: lower bound n/(n + z^2) = 200/203.8416 = 0.98115.
  Interval all = WilsonInterval(200, 200);
  EXPECT_NEAR(all.low, 0.98115, 1e-4);
  EXPECT_DOUBLE_EQ(all.high, 1.0);
  EXPECT_DOUBLE_EQ(WilsonInterval(0, 50).low, 0.0);
}

TEST(Significance, McNemarExactForFewDiscordantPairs) {
  // b = 1, c = 6: n = 7, p = 2 (C(7,0) + C(7,1)) / 2^7 = 16/128.
  PairedTest t = McNemar(1, 6);
  EXPECT_TRUE(t.exact);
  EXPECT_NEAR(t.p_value, 0.125, 1e-12);
  // b = c: p capped at 1. No discordant pairs: p = 1.
  EXPECT_DOUBLE_EQ(McNemar(3, 3).p_value, 1.0);
  EXPECT_DOUBLE_EQ(McNemar(0, 0).p_value, 1.0);
  // b = 0, c = 5: p = 2 / 32.
  EXPECT_NEAR(McNemar(0, 5).p_value, 0.0625, 1e-12);
}

TEST(Significance, McNemarChiSquareForManyPairs) {
  // b = 10, c = 25: (|10 - 25| - 1)^2 / 35 = 5.6; chi-square(1) tail at 5.6 = 0.017960.
  PairedTest t = McNemar(10, 25);
  EXPECT_FALSE(t.exact);
  EXPECT_NEAR(t.statistic, 5.6, 1e-12);
  EXPECT_NEAR(t.p_value, 0.017960, 1e-5);
}

TEST(Significance, TwoProportionZ) {
  // 10/20 vs 18/20: pooled 0.7, se = sqrt(0.7 * 0.3 * 0.1) = 0.144914, z = 0.4 / se = 2.76026.
  ZTest t = TwoProportionZ(10, 20, 18, 20);
  EXPECT_NEAR(t.z, 2.76026, 1e-4);
  EXPECT_NEAR(t.p_value, 0.005775, 1e-5);
  EXPECT_DOUBLE_EQ(TwoProportionZ(20, 20, 20, 20).p_value, 1.0);  // no variance, no difference
}

}  // namespace
}  // namespace edgert::eval
