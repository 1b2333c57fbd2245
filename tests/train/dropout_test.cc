// tests/train/dropout_test.cc: LoRA dropout masks (runtime/train/dropout.h).
#include "runtime/train/dropout.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "base/splitmix.h"

namespace edgert {
namespace {

// The first outputs of SplitMix64 from state 0 (the published reference
// sequence); tools/reference/qwen2.py's splitmix64_hash gives the same.
TEST(SplitMix64, MatchesTheReferenceSequence) {
  uint64_t state = 0;
  EXPECT_EQ(SplitMix64(state), 0xE220A8397B1DCDAFull);
  EXPECT_EQ(SplitMix64(state), 0x6E789E6AA1B965F4ull);
}

TEST(Dropout, DropsAboutPOfTheElements) {
  for (float p : {0.05f, 0.1f, 0.25f, 0.5f}) {
    const int64_t n = 200000;
    int64_t dropped = 0;
    for (int64_t i = 0; i < n; ++i) dropped += !DropoutKeeps(12345, i, p);
    // Binomial: 5 standard deviations of the fraction is below 0.006 at n = 2e5;
    // the 16-bit threshold rounds p down by less than 2^-16.
    EXPECT_NEAR(static_cast<double>(dropped) / n, p, 0.006) << "p " << p;
  }
}

TEST(Dropout, ZeroProbabilityKeepsEverythingUnscaled) {
  std::vector<float> x = {1.5f, -2.0f, 3.25f}, y(3);
  ApplyDropout(x.data(), 0, 3, 99, 0.0f, y.data());
  EXPECT_EQ(y, x);
}

TEST(Dropout, ScalesKeptElementsAndZeroesTheRest) {
  const float p = 0.3f;
  std::vector<float> x(1000), y(1000);
  for (size_t i = 0; i < x.size(); ++i) x[i] = 0.5f + static_cast<float>(i);
  ApplyDropout(x.data(), 0, 1000, 7, p, y.data());
  for (int64_t i = 0; i < 1000; ++i) {
    const auto u = static_cast<size_t>(i);
    EXPECT_EQ(y[u], DropoutKeeps(7, i, p) ? x[u] * (1.0f / (1.0f - p)) : 0.0f) << i;
  }
  // In place, and in pieces that start anywhere in a group of four, gives the same.
  ApplyDropout(x.data(), 0, 333, 7, p, x.data());
  ApplyDropout(x.data(), 333, 1000, 7, p, x.data());
  EXPECT_EQ(x, y);
}

// d/dx Σ w·dropout(x) = dropout(w) with the same key: the mask is its own backward.
TEST(Dropout, IsItsOwnBackward) {
  const float p = 0.2f;
  std::vector<float> w(64), x(64), dx(64), y(64);
  for (size_t i = 0; i < 64; ++i) {
    w[i] = std::sin(static_cast<float>(i));
    x[i] = std::cos(static_cast<float>(i));
  }
  ApplyDropout(w.data(), 0, 64, 3, p, dx.data());
  for (size_t i = 0; i < 64; ++i) {
    std::vector<float> xp = x;
    xp[i] += 1.0f;
    ApplyDropout(x.data(), 0, 64, 3, p, y.data());
    double f0 = 0, f1 = 0;
    for (size_t j = 0; j < 64; ++j) f0 += w[j] * y[j];
    ApplyDropout(xp.data(), 0, 64, 3, p, y.data());
    for (size_t j = 0; j < 64; ++j) f1 += w[j] * y[j];
    EXPECT_NEAR(f1 - f0, dx[i], 1e-5) << i;  // f is linear in x: the difference is the derivative
  }
}

TEST(Dropout, KeysDifferAcrossStepsSequencesLayersAndTargets) {
  const uint64_t base = DropoutSequenceKey(42, 3, 1);
  EXPECT_NE(base, DropoutSequenceKey(42, 3, 0));
  EXPECT_NE(base, DropoutSequenceKey(42, 2, 1));
  EXPECT_NE(base, DropoutSequenceKey(43, 3, 1));
  EXPECT_EQ(base, DropoutSequenceKey(42, 3, 1));
  EXPECT_NE(DropoutTargetKey(base, 0, 1), DropoutTargetKey(base, 1, 0));
  EXPECT_NE(DropoutTargetKey(base, 0, 0), DropoutTargetKey(base, 0, 1));
  // Masks under different keys are unrelated: about p² of elements dropped by both.
  const float p = 0.5f;
  int64_t both = 0;
  const uint64_t k1 = DropoutTargetKey(base, 0, 0), k2 = DropoutTargetKey(base, 0, 1);
  for (int64_t i = 0; i < 100000; ++i) both += !DropoutKeeps(k1, i, p) && !DropoutKeeps(k2, i, p);
  EXPECT_NEAR(static_cast<double>(both) / 100000, p * p, 0.01);
}

}  // namespace
}  // namespace edgert
