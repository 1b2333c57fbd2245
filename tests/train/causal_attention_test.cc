// The blocked causal attention of training (runtime/train/causal_attention.h)
// against a plain double-precision loop, for every kernel table this CPU runs:
// lengths that are and are not multiples of the 64-position block (1 included),
// GQA ratios 1, 2 and 7, head sizes below, at and above the 64-column panel.
// Results must not depend on the thread count (bit for bit), and the parts of
// probs and scratch the functions do not write must not be read (they start NaN).
#include "runtime/train/causal_attention.h"

#include <gtest/gtest.h>
#include <pthreadpool.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

namespace edgert::grad {
namespace {

struct Case {
  int64_t heads, kv_heads, d, m;
};

std::vector<float> Random(size_t n, uint32_t seed, float scale) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

struct Result {
  std::vector<float> probs, out, dq, dk, dv;
};

struct Inputs {
  std::vector<float> q, k, v, dout;
};

Inputs MakeInputs(const Case& c) {
  const auto m = static_cast<size_t>(c.m);
  return {Random(m * static_cast<size_t>(c.heads * c.d), 1, 1.0f), Random(m * static_cast<size_t>(c.kv_heads * c.d), 2, 1.0f),
          Random(m * static_cast<size_t>(c.kv_heads * c.d), 3, 1.0f), Random(m * static_cast<size_t>(c.heads * c.d), 4, 1.0f)};
}

// Softmax attention and its gradients, one (head, query) at a time, in double.
Result Reference(const Case& c, const Inputs& in) {
  const int64_t m = c.m, d = c.d, qs = c.heads * d, ks = c.kv_heads * d, group = c.heads / c.kv_heads;
  const double scale = 1.0 / std::sqrt(static_cast<double>(d));
  Result r{std::vector<float>(static_cast<size_t>(c.heads * m * m)), std::vector<float>(static_cast<size_t>(m * qs)),
           std::vector<float>(static_cast<size_t>(m * qs)), std::vector<float>(static_cast<size_t>(m * ks)),
           std::vector<float>(static_cast<size_t>(m * ks))};
  std::vector<double> dk(static_cast<size_t>(m * ks)), dv(static_cast<size_t>(m * ks));
  for (int64_t h = 0; h < c.heads; ++h) {
    const int64_t g = h / group;
    for (int64_t i = 0; i < m; ++i) {
      std::vector<double> p(static_cast<size_t>(i + 1)), dp(static_cast<size_t>(i + 1));
      double mx = -1e300, sum = 0, pdp = 0;
      for (int64_t j = 0; j <= i; ++j) {
        double s = 0;
        for (int64_t e = 0; e < d; ++e) s += double{in.q[static_cast<size_t>(i * qs + h * d + e)]} * in.k[static_cast<size_t>(j * ks + g * d + e)];
        p[static_cast<size_t>(j)] = s * scale;
        mx = std::max(mx, s * scale);
      }
      for (double& x : p) sum += (x = std::exp(x - mx));
      for (double& x : p) x /= sum;
      for (int64_t j = 0; j <= i; ++j) {
        const double pj = p[static_cast<size_t>(j)];
        r.probs[static_cast<size_t>((h * m + i) * m + j)] = static_cast<float>(pj);
        double dpj = 0;
        for (int64_t e = 0; e < d; ++e) {
          const double vje = in.v[static_cast<size_t>(j * ks + g * d + e)], doe = in.dout[static_cast<size_t>(i * qs + h * d + e)];
          r.out[static_cast<size_t>(i * qs + h * d + e)] += static_cast<float>(pj * vje);
          dpj += doe * vje;
          dv[static_cast<size_t>(j * ks + g * d + e)] += pj * doe;
        }
        dp[static_cast<size_t>(j)] = dpj;
        pdp += pj * dpj;
      }
      for (int64_t j = 0; j <= i; ++j) {
        const double ds = p[static_cast<size_t>(j)] * (dp[static_cast<size_t>(j)] - pdp) * scale;
        for (int64_t e = 0; e < d; ++e) {
          r.dq[static_cast<size_t>(i * qs + h * d + e)] += static_cast<float>(ds * in.k[static_cast<size_t>(j * ks + g * d + e)]);
          dk[static_cast<size_t>(j * ks + g * d + e)] += ds * in.q[static_cast<size_t>(i * qs + h * d + e)];
        }
      }
    }
  }
  for (size_t i = 0; i < dk.size(); ++i) {
    r.dk[i] = static_cast<float>(dk[i]);
    r.dv[i] = static_cast<float>(dv[i]);
  }
  return r;
}

Result RunBlocked(const kernels::AttentionGradUkernels& uk, const Case& c, const Inputs& in, size_t threads) {
  const AttentionShape s{c.heads, c.kv_heads, c.d};
  const auto m = static_cast<size_t>(c.m);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  Result r{std::vector<float>(static_cast<size_t>(c.heads) * m * m, nan), std::vector<float>(m * static_cast<size_t>(c.heads * c.d), nan),
           std::vector<float>(m * static_cast<size_t>(c.heads * c.d), nan), std::vector<float>(m * static_cast<size_t>(c.kv_heads * c.d), nan),
           std::vector<float>(m * static_cast<size_t>(c.kv_heads * c.d), nan)};
  // One float more than asked for, used as the start: scratch not 64-byte aligned.
  std::vector<float> scratch(static_cast<size_t>(CausalAttentionScratchFloats(s, c.m)) + 1, nan);
  pthreadpool_t pool = threads > 1 ? pthreadpool_create(threads) : nullptr;
  CausalAttentionForward(uk, s, in.q.data(), in.k.data(), in.v.data(), c.m, r.probs.data(), r.out.data(),
                         scratch.data() + 1, pool);
  CausalAttentionBackward(uk, s, in.q.data(), in.k.data(), in.v.data(), r.probs.data(), in.dout.data(), c.m,
                          r.dq.data(), r.dk.data(), r.dv.data(), scratch.data() + 1, pool);
  if (pool != nullptr) pthreadpool_destroy(pool);
  return r;
}

// Largest |a − b| over the largest |b|: the products sum up to 512 terms in f32.
double RelativeError(const std::vector<float>& a, const std::vector<float>& b) {
  double err = 0, mag = 1e-30;
  for (size_t i = 0; i < b.size(); ++i) {
    err = std::max(err, std::abs(double{a[i]} - b[i]));
    mag = std::max(mag, std::abs(double{b[i]}));
  }
  return err / mag;
}

const Case kCases[] = {{14, 2, 64, 1},  {14, 2, 64, 65}, {14, 2, 64, 200}, {7, 7, 64, 130},
                       {7, 1, 64, 100}, {4, 2, 16, 37},  {2, 1, 128, 129}, {2, 2, 96, 70}};

TEST(CausalAttention, MatchesDoubleReferenceOnEveryKernelTable) {
  for (const kernels::Isa isa : kernels::AllIsas()) {
    const kernels::AttentionGradUkernels* uk = kernels::AttentionGradUkernelsFor(isa);
    if (uk == nullptr) continue;
    for (const Case& c : kCases) {
      SCOPED_TRACE(std::string(uk->isa) + " heads " + std::to_string(c.heads) + "/" + std::to_string(c.kv_heads) +
                   " d " + std::to_string(c.d) + " m " + std::to_string(c.m));
      const Inputs in = MakeInputs(c);
      const Result want = Reference(c, in), got = RunBlocked(*uk, c, in, 1);
      // The causal part of probs only; the rest is not the function's.
      std::vector<float> causal = want.probs, got_causal = want.probs;
      for (int64_t h = 0; h < c.heads; ++h) {
        for (int64_t i = 0; i < c.m; ++i) {
          for (int64_t j = 0; j <= i; ++j) {
            const auto at = static_cast<size_t>((h * c.m + i) * c.m + j);
            got_causal[at] = got.probs[at];
          }
        }
      }
      EXPECT_LT(RelativeError(got_causal, causal), 1e-5);
      EXPECT_LT(RelativeError(got.out, want.out), 1e-5);
      EXPECT_LT(RelativeError(got.dq, want.dq), 1e-5);
      EXPECT_LT(RelativeError(got.dk, want.dk), 1e-5);
      EXPECT_LT(RelativeError(got.dv, want.dv), 1e-5);
    }
  }
}

TEST(CausalAttention, SameBitsForAnyThreadCount) {
  const kernels::AttentionGradUkernels& uk = kernels::GetAttentionGradUkernels();
  for (const Case& c : {Case{14, 2, 64, 200}, Case{7, 7, 64, 65}}) {
    const Inputs in = MakeInputs(c);
    const Result one = RunBlocked(uk, c, in, 1);
    for (size_t threads : {2, 3}) {
      const Result many = RunBlocked(uk, c, in, threads);
      for (const auto& [a, b] : {std::pair{&one.out, &many.out}, {&one.dq, &many.dq}, {&one.dk, &many.dk},
                                 {&one.dv, &many.dv}}) {
        ASSERT_EQ(0, std::memcmp(a->data(), b->data(), a->size() * sizeof(float))) << threads << " threads";
      }
    }
  }
}

TEST(CausalAttention, ForwardWithoutProbsGivesTheSameOutput) {
  const kernels::AttentionGradUkernels& uk = kernels::GetAttentionGradUkernels();
  for (const Case& c : {Case{14, 2, 64, 200}, Case{2, 1, 128, 1}}) {
    const Inputs in = MakeInputs(c);
    const Result kept = RunBlocked(uk, c, in, 2);
    const AttentionShape s{c.heads, c.kv_heads, c.d};
    std::vector<float> out(kept.out.size(), std::numeric_limits<float>::quiet_NaN());
    std::vector<float> scratch(static_cast<size_t>(CausalAttentionScratchFloats(s, c.m)));
    CausalAttentionForward(uk, s, in.q.data(), in.k.data(), in.v.data(), c.m, nullptr, out.data(), scratch.data(),
                           nullptr);
    ASSERT_EQ(0, std::memcmp(out.data(), kept.out.data(), out.size() * sizeof(float)));
  }
}

TEST(CausalAttention, ForwardWithoutOutputGivesTheSameProbs) {
  const kernels::AttentionGradUkernels& uk = kernels::GetAttentionGradUkernels();
  for (const Case& c : {Case{14, 2, 64, 200}, Case{2, 1, 128, 1}}) {
    const Inputs in = MakeInputs(c);
    const Result kept = RunBlocked(uk, c, in, 2);
    const AttentionShape s{c.heads, c.kv_heads, c.d};
    std::vector<float> probs(kept.probs.size(), std::numeric_limits<float>::quiet_NaN());
    std::vector<float> scratch(static_cast<size_t>(CausalAttentionScratchFloats(s, c.m)));
    CausalAttentionForward(uk, s, in.q.data(), in.k.data(), in.v.data(), c.m, probs.data(), nullptr, scratch.data(),
                           nullptr);
    for (int64_t h = 0; h < c.heads; ++h) {
      for (int64_t i = 0; i < c.m; ++i) {
        const auto at = static_cast<size_t>((h * c.m + i) * c.m);
        ASSERT_EQ(0, std::memcmp(probs.data() + at, kept.probs.data() + at, static_cast<size_t>(i + 1) * sizeof(float)))
            << h << " " << i;
      }
    }
  }
}

TEST(CausalAttention, BackwardRecomputingProbsGivesTheSameBits) {
  const kernels::AttentionGradUkernels& uk = kernels::GetAttentionGradUkernels();
  for (const Case& c : {Case{14, 2, 64, 200}, Case{2, 1, 128, 1}, Case{4, 2, 16, 37}}) {
    const Inputs in = MakeInputs(c);
    const Result kept = RunBlocked(uk, c, in, 2);  // probs from the forward pass
    const AttentionShape s{c.heads, c.kv_heads, c.d};
    const float nan = std::numeric_limits<float>::quiet_NaN();
    std::vector<float> dq(kept.dq.size(), nan), dk(kept.dk.size(), nan), dv(kept.dv.size(), nan);
    std::vector<float> scratch(static_cast<size_t>(CausalAttentionScratchFloats(s, c.m)), nan);
    pthreadpool_t pool = pthreadpool_create(2);
    CausalAttentionBackward(uk, s, in.q.data(), in.k.data(), in.v.data(), nullptr, in.dout.data(), c.m, dq.data(),
                            dk.data(), dv.data(), scratch.data(), pool);
    pthreadpool_destroy(pool);
    ASSERT_EQ(0, std::memcmp(dq.data(), kept.dq.data(), dq.size() * sizeof(float)));
    ASSERT_EQ(0, std::memcmp(dk.data(), kept.dk.data(), dk.size() * sizeof(float)));
    ASSERT_EQ(0, std::memcmp(dv.data(), kept.dv.data(), dv.size() * sizeof(float)));
  }
}

}  // namespace
}  // namespace edgert::grad
