// Row operations: the reference against f64 formulas (what HF computes), and
// every SIMD variant against the reference.
#include "kernels/rowops/rowops.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "tests/kernels/random_input.h"

namespace edgert::kernels {
namespace {

const RowOpsUkernels& Ref() { return *RowOpsUkernelsFor(Isa::kScalar); }

std::vector<const RowOpsUkernels*> Variants() {
  std::vector<const RowOpsUkernels*> v;
  for (Isa isa : AllIsas()) {  // several ISAs may share a table (the ARM ones share NEON's)
    const RowOpsUkernels* k = RowOpsUkernelsFor(isa);
    if (k != nullptr && k != &Ref() && std::find(v.begin(), v.end(), k) == v.end()) v.push_back(k);
  }
  return v;
}

#define SKIP_WITHOUT_VARIANTS() \
  if (Variants().empty()) GTEST_SKIP() << "this CPU runs no SIMD row-op variant: only the scalar reference runs"

// f32 results within `ulps` units in the last place of a reference value (or
// an absolute floor for values near zero).
void ExpectClose(const std::vector<float>& got, const std::vector<float>& want, float rel, float abs, const char* what) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_NEAR(got[i], want[i], abs + rel * std::fabs(want[i])) << what << " at " << i;
  }
}

const size_t kSizes[] = {1, 15, 16, 17, 64, 896, 1537, 4864};

TEST(RowOps, ReferenceMatchesF64) {
  for (size_t n : kSizes) {
    const std::vector<float> x = Random(n, 1), w = Random(n, 2);
    std::vector<float> y(n);
    Ref().rmsnorm(n, x.data(), w.data(), 1e-6f, y.data());
    double ss = 0;
    for (float v : x) ss += static_cast<double>(v) * v;
    const double scale = 1.0 / std::sqrt(ss / static_cast<double>(n) + 1e-6);
    for (size_t i = 0; i < n; ++i) ASSERT_NEAR(y[i], w[i] * x[i] * scale, 1e-5 * std::fabs(w[i] * x[i] * scale) + 1e-7);

    std::vector<float> s = Random(n, 3, 4.0f);
    const std::vector<float> s0 = s;
    Ref().softmax(n, s.data());
    double mx = -1e300, sum = 0;
    for (float v : s0) mx = std::max(mx, static_cast<double>(v));
    for (float v : s0) sum += std::exp(v - mx);
    // The f32 sum of n terms carries up to n roundings (γ_n ≈ n·2^-24 relative).
    const double rel = (static_cast<double>(n) + 8) * 0x1p-24;
    for (size_t i = 0; i < n; ++i) {
      const double want = std::exp(s0[i] - mx) / sum;
      ASSERT_NEAR(s[i], want, rel * want + 1e-12) << "softmax n=" << n << " at " << i;
    }
  }
}

// The cross-entropy's pass: max and Σ exp(x - max) against f64, over sizes
// up to a vocabulary's (Qwen2.5: 151,936).
TEST(RowOps, ExpSumMatchesF64) {
  for (size_t n : {size_t{1}, size_t{17}, size_t{4864}, size_t{151936}}) {
    std::vector<float> x = Random(n, 11, 8.0f);
    const std::vector<float> x0 = x;
    const ExpSum e = Ref().exp_sum(n, x.data());
    double mx = -1e300, sum = 0;
    for (float v : x0) mx = std::max(mx, static_cast<double>(v));
    for (float v : x0) sum += std::exp(v - mx);
    EXPECT_EQ(e.max, static_cast<float>(mx));
    EXPECT_NEAR(e.sum, sum, 1e-6 * sum) << n;
    for (size_t i = 0; i < n; ++i) {
      // The f32 difference rounds once (relative 2^-24 of the argument), then exp once.
      const double want = std::exp(x0[i] - mx);
      ASSERT_NEAR(x[i], want, (2.0 + std::fabs(x0[i] - mx)) * 0x1p-24 * want) << n << " " << i;
    }
    for (const RowOpsUkernels* uk : Variants()) {
      std::vector<float> y = x0;
      const ExpSum ev = uk->exp_sum(n, y.data());
      EXPECT_EQ(ev.max, e.max) << uk->isa;
      EXPECT_NEAR(ev.sum, e.sum, 1e-6 * e.sum) << uk->isa << " n=" << n;
      ExpectClose(y, x, 1e-6f, 1e-30f, "exp_sum");
      std::vector<float> a = x0, b = x0;
      Ref().scale(n, 0.37f, a.data());
      uk->scale(n, 0.37f, b.data());
      EXPECT_EQ(a, b) << uk->isa << " scale n=" << n;  // one rounding each: exact
    }
  }
  // A row that is -inf but for one entry (masked logits): exp 0 there, sum 1.
  std::vector<float> m = {-INFINITY, 3.0f, -INFINITY};
  std::vector<const RowOpsUkernels*> all = Variants();
  all.push_back(&Ref());
  for (const RowOpsUkernels* uk : all) {
    std::vector<float> y = m;
    const ExpSum e = uk->exp_sum(y.size(), y.data());
    EXPECT_EQ(e.max, 3.0f);
    EXPECT_EQ(e.sum, 1.0);
    EXPECT_EQ(y, (std::vector<float>{0.0f, 1.0f, 0.0f})) << uk->isa;
  }
}

// The SwiGLU gradient against f64, and every variant against the reference.
TEST(RowOps, SiluMulBackwardMatchesF64) {
  std::vector<size_t> sizes(std::begin(kSizes), std::end(kSizes));
  for (size_t n : sizes) {
    std::vector<float> g = Random(n, 12, 6.0f), u = Random(n, 13), dh = Random(n, 14);
    if (n == 1) g[0] = -1000.0f;  // exp overflow in the reference: sigmoid 0
    std::vector<float> dg(n), du(n);
    Ref().silu_mul_backward(n, g.data(), u.data(), dh.data(), dg.data(), du.data());
    for (size_t i = 0; i < n; ++i) {
      const double sig = 1.0 / (1.0 + std::exp(-static_cast<double>(g[i])));
      const double want_du = dh[i] * g[i] * sig, want_dg = dh[i] * u[i] * sig * (1.0 + g[i] * (1.0 - sig));
      ASSERT_NEAR(du[i], want_du, 1e-6 * std::fabs(want_du) + 1e-30) << n << " " << i;
      ASSERT_NEAR(dg[i], want_dg, 1e-5 * (std::fabs(dh[i] * u[i] * sig) * (1.0 + std::fabs(g[i]))) + 1e-30) << n << " " << i;
    }
    for (const RowOpsUkernels* uk : Variants()) {
      std::vector<float> dg2(n), du2(n);
      uk->silu_mul_backward(n, g.data(), u.data(), dh.data(), dg2.data(), du2.data());
      for (size_t i = 0; i < n; ++i) {
        ASSERT_NEAR(du2[i], du[i], 1e-6f * std::fabs(du[i]) + 1e-30f) << uk->isa << " du " << n << " " << i;
        // 1 - s cancels for large g: compare against the size of its terms.
        ASSERT_NEAR(dg2[i], dg[i], 1e-6f * std::fabs(dh[i] * u[i]) * (1.0f + std::fabs(g[i])) + 1e-30f)
            << uk->isa << " dg " << n << " " << i;
      }
    }
  }
}

TEST(RowOps, RopeTableMatchesHf) {
  // HF: inv_freq in f32, angle = f32(pos) * inv_freq in f32, cos/sin in f32.
  const size_t d = 64;
  std::vector<float> c(3 * d / 2), s(3 * d / 2);
  RopeTable(d, 1e6f, 4095, 3, c.data(), s.data());
  for (size_t p = 0; p < 3; ++p) {
    for (size_t i = 0; i < d / 2; ++i) {
      const float inv = 1.0f / std::pow(1e6f, static_cast<float>(2 * i) / 64.0f);
      const float angle = static_cast<float>(4095 + p) * inv;
      EXPECT_NEAR(c[p * d / 2 + i], std::cos(static_cast<double>(angle)), 1e-7);
      EXPECT_NEAR(s[p * d / 2 + i], std::sin(static_cast<double>(angle)), 1e-7);
    }
  }
  EXPECT_EQ(c[d / 2 - 1 + 0], static_cast<float>(std::cos(static_cast<double>(4095.0f * (1.0f / std::pow(1e6f, 62.0f / 64.0f))))));
}

TEST(RowOps, RmsNormBackwardMatchesF64) {
  for (size_t n : kSizes) {
    const std::vector<float> x = Random(n, 11, 3.0f), w = Random(n, 12), dy = Random(n, 13), dres = Random(n, 14);
    double ss = 0, dot = 0;
    for (size_t i = 0; i < n; ++i) {
      ss += double{x[i]} * x[i];
      dot += double{w[i]} * dy[i] * x[i];
    }
    const double r = 1.0 / std::sqrt(ss / static_cast<double>(n) + 1e-6), c = r * r * r * dot / static_cast<double>(n);
    std::vector<double> g(n);
    double mag = 0;
    for (size_t i = 0; i < n; ++i) {
      g[i] = r * w[i] * dy[i] - x[i] * c;
      mag = std::max(mag, std::fabs(g[i]));
    }
    std::vector<const RowOpsUkernels*> all = Variants();
    all.push_back(&Ref());
    for (const RowOpsUkernels* uk : all) {
      SCOPED_TRACE(std::string(uk->isa) + " n " + std::to_string(n));
      std::vector<float> alone(n, NAN), with = dres, apart(n, NAN);
      uk->rmsnorm_backward(n, x.data(), w.data(), 1e-6f, dy.data(), nullptr, alone.data());
      uk->rmsnorm_backward(n, x.data(), w.data(), 1e-6f, dy.data(), with.data(), with.data());  // dres = dx
      uk->rmsnorm_backward(n, x.data(), w.data(), 1e-6f, dy.data(), dres.data(), apart.data());
      // The sums carry up to n roundings each; r·w·dy and x·c cancel to g.
      const double tol = (static_cast<double>(n) + 16) * 0x1p-24 * (mag + std::fabs(c) * 3.0 * 4);
      for (size_t i = 0; i < n; ++i) {
        ASSERT_NEAR(alone[i], g[i], tol) << i;
        ASSERT_NEAR(apart[i], dres[i] + g[i], tol + std::fabs(dres[i]) * 0x1p-23) << i;
        ASSERT_EQ(with[i], apart[i]) << i;
      }
    }
  }
}

TEST(RowOps, RopeRotatesHalves) {
  // head_dim 4, one head: (a0, a1, b0, b1) with cos = 0, sin = 1 -> (-b0, -b1, a0, a1).
  float x[4] = {1, 2, 3, 4};
  const float c[2] = {0, 0}, s[2] = {1, 1};
  Ref().rope(1, 4, c, s, x);
  EXPECT_EQ(x[0], -3.0f);
  EXPECT_EQ(x[1], -4.0f);
  EXPECT_EQ(x[2], 1.0f);
  EXPECT_EQ(x[3], 2.0f);
}

TEST(RowOps, VariantsMatchReference) {
  SKIP_WITHOUT_VARIANTS();
  for (const RowOpsUkernels* uk : Variants()) {
    for (size_t n : kSizes) {
      const std::vector<float> x = Random(n, 5, 3.0f), w = Random(n, 6), up = Random(n, 7);
      std::vector<float> a(n), b(n);
      // rmsnorm: only the order of the Σx² differs (≤ n roundings of a positive sum).
      Ref().rmsnorm(n, x.data(), w.data(), 1e-6f, a.data());
      uk->rmsnorm(n, x.data(), w.data(), 1e-6f, b.data());
      ExpectClose(b, a, 2e-6f + static_cast<float>(n) * 0x1p-24f, 0.0f, "rmsnorm");
      // exp-based ops: the vector exp is within a few ulps of libm's.
      Ref().silu(n, x.data(), a.data());
      uk->silu(n, x.data(), b.data());
      ExpectClose(b, a, 1e-6f, 1e-30f, "silu");
      Ref().silu_mul(n, x.data(), up.data(), a.data());
      uk->silu_mul(n, x.data(), up.data(), b.data());
      ExpectClose(b, a, 1e-6f, 1e-30f, "silu_mul");
      a = x;
      b = x;
      Ref().softmax(n, a.data());
      uk->softmax(n, b.data());
      ExpectClose(b, a, 2e-6f, 1e-30f, "softmax");
    }
    // Extremes: large |x| in silu (exp overflow / underflow paths), -inf in softmax (masked positions).
    std::vector<float> x = {-1000.0f, -100.0f, -88.0f, -10.0f, 0.0f, 10.0f, 88.0f, 100.0f, 1000.0f};
    std::vector<float> a(x.size()), b(x.size());
    Ref().silu(x.size(), x.data(), a.data());
    uk->silu(x.size(), x.data(), b.data());
    ExpectClose(b, a, 1e-6f, 1e-30f, "silu extremes");
    std::vector<float> s = {0.0f, -INFINITY, 1.0f, -INFINITY, 2.0f};
    std::vector<float> s2 = s;
    Ref().softmax(s.size(), s.data());
    uk->softmax(s2.size(), s2.data());
    ExpectClose(s2, s, 1e-6f, 0.0f, "softmax with -inf");
    EXPECT_EQ(s2[1], 0.0f);
    // exp into subnormals and to zero (the vector exp's 2^n in two halves):
    // within one subnormal step (2^-149) of libm's, or 1e-6 relative.
    std::vector<float> sub = {0.0f, -87.0f, -90.0f, -100.0f, -103.0f, -103.5f, -110.0f, -1000.0f};
    std::vector<float> sub2 = sub;
    const ExpSum er = Ref().exp_sum(sub.size(), sub.data()), ev = uk->exp_sum(sub2.size(), sub2.data());
    EXPECT_EQ(ev.max, er.max);
    ExpectClose(sub2, sub, 1e-6f, 0x1p-149f, "exp_sum subnormals");
    EXPECT_GT(sub2[4], 0.0f) << uk->isa << ": exp(-103) is a subnormal, not 0";
    EXPECT_EQ(sub2[7], 0.0f);
    for (size_t head_dim : {64u, 128u, 6u, 34u}) {
      const size_t heads = 3, half = head_dim / 2;
      const std::vector<float> c = Random(half, 8), sn = Random(half, 9);
      const std::vector<float> x0 = Random(heads * head_dim, 10);
      std::vector<float> ra = x0, rb = x0;
      Ref().rope(heads, head_dim, c.data(), sn.data(), ra.data());
      uk->rope(heads, head_dim, c.data(), sn.data(), rb.data());
      // Same operations; the compiler may fuse a·c - b·s into one FMA on either
      // side, which changes the last bit: allow 2 ulps of (|a|+|b|)(|cos|+|sin|).
      for (size_t e = 0; e < ra.size(); ++e) {
        const size_t h = e / head_dim, i = e % head_dim % half;
        const float xa = x0[h * head_dim + i], xb = x0[h * head_dim + half + i];
        const float bound = 2.0f * (std::fabs(xa) + std::fabs(xb)) * (std::fabs(c[i]) + std::fabs(sn[i])) * 0x1p-23f;
        ASSERT_NEAR(rb[e], ra[e], bound) << uk->isa << " rope head_dim " << head_dim << " at " << e;
      }
    }
  }
}

}  // namespace
}  // namespace edgert::kernels
