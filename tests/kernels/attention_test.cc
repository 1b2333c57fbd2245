// Attention: the operator (GQA mapping, causal lengths) against an f64 direct
// formula, every SIMD variant against the reference, and thread-count
// independence; the training attention's row operations (attention_grad.h)
// of every SIMD table against the scalar ones.
#include "kernels/attention/attention.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernels/attention/attention_grad.h"
#include "kernels/convert/fp16.h"

#include "tests/kernels/random_input.h"

namespace edgert::kernels {
namespace {

struct Case {
  size_t n_heads, n_kv_heads, head_dim, m, pos0;
};

// softmax(q·k·scale)·v in f64, straight from the definition.
std::vector<double> Direct(const Case& c, const std::vector<float>& q, const std::vector<float>& k,
                           const std::vector<float>& v, size_t kv_stride) {
  std::vector<double> out(c.m * c.n_heads * c.head_dim);
  const double scale = 1.0 / std::sqrt(static_cast<double>(c.head_dim));
  for (size_t i = 0; i < c.m; ++i) {
    for (size_t h = 0; h < c.n_heads; ++h) {
      const size_t g = h * c.n_kv_heads / c.n_heads;
      const size_t n = c.pos0 + i + 1;
      std::vector<double> s(n);
      double mx = -1e300, sum = 0;
      for (size_t j = 0; j < n; ++j) {
        double dot = 0;
        for (size_t d = 0; d < c.head_dim; ++d) {
          dot += static_cast<double>(q[(i * c.n_heads + h) * c.head_dim + d]) * k[j * kv_stride + g * c.head_dim + d];
        }
        s[j] = dot * scale;
        mx = std::max(mx, s[j]);
      }
      for (double& x : s) sum += (x = std::exp(x - mx));
      for (size_t d = 0; d < c.head_dim; ++d) {
        double o = 0;
        for (size_t j = 0; j < n; ++j) o += s[j] / sum * v[j * kv_stride + g * c.head_dim + d];
        out[(i * c.n_heads + h) * c.head_dim + d] = o;
      }
    }
  }
  return out;
}

const Case kCases[] = {
    {14, 2, 64, 1, 0}, {14, 2, 64, 1, 37}, {12, 2, 128, 1, 100}, {14, 2, 64, 9, 5}, {4, 4, 20, 3, 17}, {2, 1, 272, 2, 3},
};

TEST(Attention, MatchesDirectFormulaAndVariants) {
  const AttentionUkernels& ref = *AttentionUkernelsFor(Isa::kScalar);
  std::vector<const AttentionUkernels*> all = {&ref};
  for (Isa isa : AllIsas()) {  // several ISAs may share a table (the ARM ones share NEON's)
    const AttentionUkernels* k = AttentionUkernelsFor(isa);
    if (k != nullptr && std::find(all.begin(), all.end(), k) == all.end()) all.push_back(k);
  }
  if (all.size() == 1) std::printf("note: no SIMD attention variant here; only the scalar reference is tested\n");
  for (const Case& c : kCases) {
    const size_t n_ctx = c.pos0 + c.m + 2;  // longer than needed: later positions must be ignored
    const size_t kv_stride = c.n_kv_heads * c.head_dim + 3;
    const std::vector<float> q = Random(c.m * c.n_heads * c.head_dim, 1), k = Random(n_ctx * kv_stride, 2),
                             v = Random(n_ctx * kv_stride, 3);
    std::vector<uint16_t> kh(k.size()), vh(v.size());
    std::vector<float> kr(k.size()), vr(v.size());  // the f16 cache widened back, for the f64 formula
    for (size_t j = 0; j < k.size(); ++j) {
      kh[j] = F32ToF16(k[j]);
      vh[j] = F32ToF16(v[j]);
      kr[j] = F16ToF32(kh[j]);
      vr[j] = F16ToF32(vh[j]);
    }
    const AttentionParams p32{c.n_heads, c.n_kv_heads, c.head_dim, kv_stride, DType::kF32};
    AttentionParams p16 = p32;
    p16.kv_type = DType::kF16;
    std::vector<float> scratch(AttentionScratchBytes(p32, c.pos0 + c.m) / 4);
    const std::vector<double> want32 = Direct(c, q, k, v, kv_stride), want16 = Direct(c, q, kr, vr, kv_stride);
    for (const AttentionUkernels* uk : all) {
      std::vector<float> out(q.size());
      ASSERT_TRUE(AttentionWith(*uk, p32, q.data(), c.m, c.pos0, k.data(), v.data(), out.data(), scratch.data(),
                                scratch.size() * 4, nullptr).ok());
      // Outputs are convex combinations of |v| ~ 1 values: f32 rounding of
      // scores (≈ head_dim·2^-24·|q||k|) and of the weighted sum bound the error by ~1e-5.
      for (size_t e = 0; e < out.size(); ++e) ASSERT_NEAR(out[e], want32[e], 2e-5) << uk->isa << " f32 at " << e;
      ASSERT_TRUE(AttentionWith(*uk, p16, q.data(), c.m, c.pos0, kh.data(), vh.data(), out.data(), scratch.data(),
                                scratch.size() * 4, nullptr).ok());
      for (size_t e = 0; e < out.size(); ++e) ASSERT_NEAR(out[e], want16[e], 2e-5) << uk->isa << " f16 at " << e;
    }
  }
}

TEST(Attention, IndependentOfThreadCount) {
  const Case c{14, 2, 64, 7, 30};
  const size_t kv_stride = c.n_kv_heads * c.head_dim;
  const std::vector<float> q = Random(c.m * c.n_heads * c.head_dim, 4), k = Random(40 * kv_stride, 5),
                           v = Random(40 * kv_stride, 6);
  const AttentionParams p{c.n_heads, c.n_kv_heads, c.head_dim, kv_stride, DType::kF32};
  std::vector<std::byte> scratch(AttentionScratchBytes(p, c.pos0 + c.m));
  std::vector<float> a(q.size()), b(q.size());
  pthreadpool_t pool = pthreadpool_create(3);
  ASSERT_TRUE(Attention(p, q.data(), c.m, c.pos0, k.data(), v.data(), a.data(), scratch.data(), scratch.size(), nullptr).ok());
  ASSERT_TRUE(Attention(p, q.data(), c.m, c.pos0, k.data(), v.data(), b.data(), scratch.data(), scratch.size(), pool).ok());
  pthreadpool_destroy(pool);
  EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * 4));
}

// scaled_softmax and softmax_backward of every SIMD table against the scalar
// table's, on lengths around the 8- and 16-lane vectors (masked tails).
TEST(AttentionGrad, RowOpsMatchScalar) {
  const AttentionGradUkernels& ref = *AttentionGradUkernelsFor(Isa::kScalar);
  std::vector<const AttentionGradUkernels*> variants;
  for (Isa isa : AllIsas()) {
    const AttentionGradUkernels* k = AttentionGradUkernelsFor(isa);
    if (k != nullptr && k != &ref && std::find(variants.begin(), variants.end(), k) == variants.end()) {
      variants.push_back(k);
    }
  }
  if (variants.empty()) GTEST_SKIP() << "no SIMD training-attention table here";
  constexpr double u = 0x1p-24;  // f32 unit roundoff
  const float scale = 0.125f;    // 1/sqrt(64)
  for (const AttentionGradUkernels* uk : variants) {
    for (size_t n : {1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 200, 512}) {
      SCOPED_TRACE(std::string(uk->isa) + " n " + std::to_string(n));
      const std::vector<float> x = Random(n, 21, 8.0f);
      std::vector<float> want = x, got = x;
      ref.scaled_softmax(n, scale, want.data());
      uk->scaled_softmax(n, scale, got.data());
      // The reference rounds scale·x before exp (relative u of an argument
      // |scale·(x - max)| ≤ 6 here, so ~7u of exp), the vector exp is within
      // ~2 ulp, and each side's sum of n positive terms carries up to n
      // roundings in its own order: (16 + 2n)·u of each probability.
      for (size_t i = 0; i < n; ++i) ASSERT_NEAR(got[i], want[i], (16.0 + 2.0 * static_cast<double>(n)) * u * want[i] + 1e-30) << i;

      const std::vector<float> p = want, ds0 = Random(n, 22);
      std::vector<float> ds_want = ds0, ds_got = ds0;
      ref.softmax_backward(n, p.data(), scale, ds_want.data());
      uk->softmax_backward(n, p.data(), scale, ds_got.data());
      double abs_dot = 0, dot = 0;
      for (size_t i = 0; i < n; ++i) {
        abs_dot += std::fabs(double{p[i]} * ds0[i]);
        dot += double{p[i]} * ds0[i];
      }
      for (size_t i = 0; i < n; ++i) {
        // Each side's Σ p·ds is off by ≤ (n + 1)·u·Σ|p·ds|; ds − dot, the two
        // products and the f32 dot each round once more (≤ 4u of their sizes).
        const double tol =
            scale * p[i] * (2.0 * static_cast<double>(n + 1) * u * abs_dot + 8.0 * u * (std::fabs(ds0[i]) + std::fabs(dot))) + 1e-30;
        ASSERT_NEAR(ds_got[i], ds_want[i], tol) << i;
      }
    }
  }
}

TEST(Attention, RejectsBadParams) {
  float q[64] = {}, k[64] = {}, out[64] = {}, scratch[64] = {};
  const AttentionParams uneven{3, 2, 8, 16, DType::kF32};
  EXPECT_FALSE(Attention(uneven, q, 1, 0, k, k, out, scratch, sizeof(scratch), nullptr).ok());
  const AttentionParams short_stride{2, 2, 8, 8, DType::kF32};
  EXPECT_FALSE(Attention(short_stride, q, 1, 0, k, k, out, scratch, sizeof(scratch), nullptr).ok());
  const AttentionParams ok{2, 1, 8, 8, DType::kF32};
  EXPECT_FALSE(Attention(ok, q, 1, 100, k, k, out, scratch, sizeof(scratch), nullptr).ok());  // scratch too small
  const AttentionParams q8{2, 1, 8, 8, DType::kQ8_0};
  EXPECT_FALSE(Attention(q8, q, 1, 0, k, k, out, scratch, sizeof(scratch), nullptr).ok());
}

}  // namespace
}  // namespace edgert::kernels
