// Every SIMD gemm variant against the scalar reference.
#include "kernels/gemm/gemm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "base/quant_blocks.h"
#include "kernels/convert/quantize.h"

namespace edgert::kernels {
namespace {

std::vector<const GemmKernels*> Variants() {
  std::vector<const GemmKernels*> v;
  if (const GemmKernels* k = Avx2GemmKernels()) v.push_back(k);
  if (const GemmKernels* k = Avx512VnniGemmKernels()) v.push_back(k);
  return v;
}

std::vector<float> Random(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

TEST(Gemm, VariantsExist) {
  const GemmKernels& best = GetGemmKernels();
  std::printf("dispatched gemm kernels: %s\n", best.name);
  if (Variants().empty()) GTEST_SKIP() << "this CPU has no SIMD variant; only the scalar reference runs";
}

TEST(Gemm, ActivationQuantizationIsBitExact) {
  const std::vector<float> x = Random(32 * 37, 1);
  std::vector<float> s_ref(37), s(37);
  std::vector<int8_t> q_ref(x.size()), q(x.size());
  ScalarGemmKernels().quantize_activations(x.data(), x.size(), s_ref.data(), q_ref.data());
  for (const GemmKernels* k : Variants()) {
    k->quantize_activations(x.data(), x.size(), s.data(), q.data());
    EXPECT_EQ(s, s_ref) << k->name;
    EXPECT_EQ(q, q_ref) << k->name;
  }
}

// Quantized products: the int8 dot is exact; only the f32 order of the
// per-block sums differs, so allow 1e-5 of Σ|terms|.
template <typename Block>
void CheckQuantized(QGemmFn GemmKernels::*fn, void (*quantize)(const float*, Block*, size_t)) {
  for (size_t rows : {1u, 5u, 13u}) {
    for (size_t m : {1u, 3u, 8u}) {
      const size_t k = 32 * 29;
      const std::vector<float> wf = Random(rows * k, 2, 0.05f);
      std::vector<Block> w(rows * k / 32);
      quantize(wf.data(), w.data(), wf.size());
      const std::vector<float> x = Random(m * k, 3);
      std::vector<float> xs(m * k / 32);
      std::vector<int8_t> xq(m * k);
      ScalarGemmKernels().quantize_activations(x.data(), x.size(), xs.data(), xq.data());
      std::vector<float> want(m * rows), got(m * rows);
      (ScalarGemmKernels().*fn)(w.data(), k / 32 * sizeof(Block), rows, xs.data(), xq.data(), k / 32, m, want.data(), rows);
      for (const GemmKernels* v : Variants()) {
        (v->*fn)(w.data(), k / 32 * sizeof(Block), rows, xs.data(), xq.data(), k / 32, m, got.data(), rows);
        for (size_t i = 0; i < want.size(); ++i) {
          EXPECT_NEAR(got[i], want[i], 1e-5f * (std::fabs(want[i]) + 1.0f)) << v->name << " rows " << rows << " m " << m << " at " << i;
        }
      }
    }
  }
}

TEST(Gemm, Q8_0VariantsMatchScalar) { CheckQuantized<BlockQ8_0>(&GemmKernels::q8_0, QuantizeRowQ8_0Ref); }
TEST(Gemm, Q4_0VariantsMatchScalar) { CheckQuantized<BlockQ4_0>(&GemmKernels::q4_0, QuantizeRowQ4_0Ref); }

TEST(Gemm, QuantizedProductIsCloseToTheFloatProduct) {
  // Q8_0 weights and activations against the plain f32 product of the same
  // (dequantized) weights: the activation rounding is the only difference.
  const size_t k = 896, rows = 64;
  const std::vector<float> wf = Random(rows * k, 4, 0.02f);
  std::vector<BlockQ8_0> w(rows * k / 32);
  QuantizeRowQ8_0Ref(wf.data(), w.data(), wf.size());
  std::vector<float> wd(rows * k);
  DequantizeRowQ8_0(w.data(), wd.data(), wd.size());
  const std::vector<float> x = Random(k, 5);
  std::vector<float> xs(k / 32), y(rows), yf(rows);
  std::vector<int8_t> xq(k);
  const GemmKernels& g = GetGemmKernels();
  g.quantize_activations(x.data(), k, xs.data(), xq.data());
  g.q8_0(w.data(), k / 32 * sizeof(BlockQ8_0), rows, xs.data(), xq.data(), k / 32, 1, y.data(), rows);
  ScalarGemmKernels().f32(wd.data(), k, rows, x.data(), 1, yf.data(), rows);
  double err = 0, norm = 0;
  for (size_t r = 0; r < rows; ++r) err += (y[r] - yf[r]) * (y[r] - yf[r]), norm += yf[r] * yf[r];
  EXPECT_LT(std::sqrt(err / norm), 0.01);  // int8 activations: well under 1% relative error
}

TEST(Gemm, F32VariantsMatchScalar) {
  for (size_t k : {31u, 64u, 896u}) {
    const size_t rows = 7, m = 3;
    const std::vector<float> w = Random(rows * k, 6), x = Random(m * k, 7);
    std::vector<float> want(m * rows), got(m * rows);
    ScalarGemmKernels().f32(w.data(), k, rows, x.data(), m, want.data(), rows);
    for (const GemmKernels* v : Variants()) {
      v->f32(w.data(), k, rows, x.data(), m, got.data(), rows);
      for (size_t i = 0; i < want.size(); ++i) {
        EXPECT_NEAR(got[i], want[i], 1e-5f * std::sqrt(static_cast<float>(k))) << v->name << " k " << k << " at " << i;
      }
    }
  }
}

}  // namespace
}  // namespace edgert::kernels
