// dx += dy·W (kernels/matmul/matmul_transposed.h): every variant against a
// float64 loop over the same dequantized weights, for every weight type, with
// panel, tile-row and register-block remainders; and thread-count independence.
#include <gtest/gtest.h>
#include <pthreadpool.h>

#include <cmath>
#include <cstring>
#include <utility>
#include <vector>

#include "base/quant_blocks.h"
#include "kernels/convert/fp16_rows.h"
#include "kernels/convert/quantize.h"
#include "kernels/matmul/matmul_transposed.h"
#include "tests/kernels/random_input.h"

namespace edgert::kernels {
namespace {

// W[n][k] of `type` from random values; `deq` gets what it decodes to.
std::vector<uint8_t> MakeWeights(DType type, size_t n, size_t k, std::vector<float>& deq) {
  const std::vector<float> src = Random(n * k, 11);
  deq.resize(n * k);
  std::vector<uint8_t> out;
  for (size_t r = 0; r < n; ++r) {
    const float* x = src.data() + r * k;
    float* d = deq.data() + r * k;
    switch (type) {
      case DType::kF32: {
        const auto* b = reinterpret_cast<const uint8_t*>(x);
        out.insert(out.end(), b, b + k * 4);
        std::copy_n(x, k, d);
        break;
      }
      case DType::kF16:
      case DType::kBF16: {
        std::vector<uint16_t> h(k);
        (type == DType::kF16 ? ConvertRowF32ToF16 : ConvertRowF32ToBF16)(x, h.data(), k);
        (type == DType::kF16 ? ConvertRowF16ToF32 : ConvertRowBF16ToF32)(h.data(), d, k);
        const auto* b = reinterpret_cast<const uint8_t*>(h.data());
        out.insert(out.end(), b, b + k * 2);
        break;
      }
      case DType::kQ8_0: {
        std::vector<BlockQ8_0> q(k / kQuantBlock);
        QuantizeRowQ8_0Ref(x, q.data(), k);
        DequantizeRowQ8_0(q.data(), d, k);
        const auto* b = reinterpret_cast<const uint8_t*>(q.data());
        out.insert(out.end(), b, b + q.size() * sizeof(BlockQ8_0));
        break;
      }
      case DType::kQ4_0: {
        std::vector<BlockQ4_0> q(k / kQuantBlock);
        QuantizeRowQ4_0Ref(x, q.data(), k);
        DequantizeRowQ4_0(q.data(), d, k);
        const auto* b = reinterpret_cast<const uint8_t*>(q.data());
        out.insert(out.end(), b, b + q.size() * sizeof(BlockQ4_0));
        break;
      }
    }
  }
  return out;
}

void Check(Isa isa, DType type, size_t m, size_t n, size_t k) {
  std::vector<float> deq;
  const std::vector<uint8_t> w = MakeWeights(type, n, k, deq);
  const std::vector<float> dy = Random(m * n, 5);
  const std::vector<float> dx0 = Random(m * k, 6);  // accumulated into
  std::vector<float> dx = dx0;
  const MatmulWeights mw{type, w.data(), n, k, 0};
  ASSERT_TRUE(MatmulTransposedAccumulateWith(isa, mw, dy.data(), m, dx.data(), nullptr).ok());
  for (size_t i = 0; i < m; ++i) {
    for (size_t c = 0; c < k; ++c) {
      double want = dx0[i * k + c], mag = std::fabs(want);
      for (size_t r = 0; r < n; ++r) {
        want += static_cast<double>(dy[i * n + r]) * deq[r * k + c];
        mag += std::fabs(static_cast<double>(dy[i * n + r]) * deq[r * k + c]);
      }
      // f32 accumulation of n + 1 terms: |error| <= ~n·2⁻²⁴·Σ|terms|; far tighter in practice.
      ASSERT_NEAR(dx[i * k + c], want, 1e-6 * mag * std::sqrt(static_cast<double>(n)))
          << IsaName(isa) << " " << DTypeName(type) << " m " << m << " n " << n << " k " << k << " at " << i << "," << c;
    }
  }
  // Any thread count gives the same bits.
  std::vector<float> dx2 = dx0;
  pthreadpool_t pool = pthreadpool_create(3);
  ASSERT_TRUE(MatmulTransposedAccumulateWith(isa, mw, dy.data(), m, dx2.data(), pool).ok());
  pthreadpool_destroy(pool);
  EXPECT_EQ(dx, dx2);
  // dy as the first n columns of wider rows: the same result.
  std::vector<float> wide(m * (n + 5), 7.0f);
  for (size_t i = 0; i < m; ++i) std::copy_n(dy.data() + i * n, n, wide.data() + i * (n + 5));
  std::vector<float> dx3 = dx0;
  ASSERT_TRUE(MatmulTransposedAccumulateWith(isa, mw, wide.data(), m, dx3.data(), nullptr, n + 5).ok());
  EXPECT_EQ(dx, dx3);
}

// y += x·Wᵀ through the same tiles (MatmulDequantizedAccumulate).
void CheckForward(Isa isa, DType type, size_t m, size_t n, size_t k) {
  std::vector<float> deq;
  const std::vector<uint8_t> w = MakeWeights(type, n, k, deq);
  const std::vector<float> x = Random(m * k, 7), y0 = Random(m * n, 8);
  std::vector<float> y = y0;
  const MatmulWeights mw{type, w.data(), n, k, 0};
  ASSERT_TRUE(MatmulDequantizedAccumulateWith(isa, mw, x.data(), m, y.data(), nullptr).ok());
  for (size_t i = 0; i < m; ++i) {
    for (size_t o = 0; o < n; ++o) {
      double want = y0[i * n + o], mag = std::fabs(want);
      for (size_t c = 0; c < k; ++c) {
        want += static_cast<double>(x[i * k + c]) * deq[o * k + c];
        mag += std::fabs(static_cast<double>(x[i * k + c]) * deq[o * k + c]);
      }
      ASSERT_NEAR(y[i * n + o], want, 1e-6 * mag * std::sqrt(static_cast<double>(k)))
          << IsaName(isa) << " " << DTypeName(type) << " m " << m << " n " << n << " k " << k << " at " << i << "," << o;
    }
  }
  std::vector<float> y2 = y0;
  pthreadpool_t pool = pthreadpool_create(3);
  ASSERT_TRUE(MatmulDequantizedAccumulateWith(isa, mw, x.data(), m, y2.data(), pool).ok());
  pthreadpool_destroy(pool);
  EXPECT_EQ(y, y2);
}

TEST(MatmulDequantized, EveryVariantAndTypeMatchesFloat64) {
  for (Isa isa : AllIsas()) {
    if (!IsaSupported(isa)) continue;
    for (DType t : {DType::kF32, DType::kF16, DType::kBF16, DType::kQ8_0, DType::kQ4_0}) {
      CheckForward(isa, t, 13, 150, 288);  // n: two panels and a part; k: two tiles and a part
      CheckForward(isa, t, 1, 7, 32);
    }
    CheckForward(isa, DType::kF32, 5, 9, 40);
  }
}

TEST(MatmulTransposed, EveryVariantAndTypeMatchesFloat64) {
  for (Isa isa : AllIsas()) {
    if (!IsaSupported(isa)) continue;
    for (DType t : {DType::kF32, DType::kF16, DType::kBF16, DType::kQ8_0, DType::kQ4_0}) {
      Check(isa, t, 13, 300, 160);  // k: two panels and a half; n: tile remainder; m: block remainder
      Check(isa, t, 1, 7, 32);
      Check(isa, t, 6, 128, 64);
    }
    Check(isa, DType::kF32, 5, 9, 40);  // a float panel narrower than a block
  }
}

// Each ISA's tile filler gives the reference conversions' bits (row slices
// at odd offsets and lengths for the float types, whole blocks for quantized).
TEST(MatmulTransposed, EveryDequantizerEqualsTheReference) {
  const size_t n = 3, k = 160;
  for (Isa isa : AllIsas()) {
    const TransposedDequantizeFn deq = TransposedDequantizeFor(isa);
    if (deq == nullptr) continue;
    for (DType t : {DType::kF32, DType::kF16, DType::kBF16, DType::kQ8_0, DType::kQ4_0}) {
      std::vector<float> unused;
      const std::vector<uint8_t> w = MakeWeights(t, n, k, unused);
      const size_t row_bytes = w.size() / n;
      const bool quantized = t == DType::kQ8_0 || t == DType::kQ4_0;
      for (const auto& [c0, cols] : quantized ? std::vector<std::pair<size_t, size_t>>{{0, 64}, {32, 128}, {128, 32}}
                                              : std::vector<std::pair<size_t, size_t>>{{0, 64}, {3, 37}, {150, 10}}) {
        for (size_t r = 0; r < n; ++r) {
          std::vector<float> got(cols, NAN), want(cols, 0.0f);
          deq(t, w.data() + r * row_bytes, c0, cols, got.data());
          TransposedDequantizeScalar(t, w.data() + r * row_bytes, c0, cols, want.data());
          EXPECT_EQ(0, std::memcmp(got.data(), want.data(), cols * sizeof(float)))
              << IsaName(isa) << " " << DTypeName(t) << " c0 " << c0 << " cols " << cols << " row " << r;
        }
      }
    }
  }
}

TEST(MatmulTransposed, RefusesBadShapes) {
  float x = 0;
  uint8_t w[64] = {};
  EXPECT_FALSE(MatmulTransposedAccumulate(MatmulWeights{DType::kQ8_0, w, 1, 40, 0}, &x, 1, &x, nullptr).ok());
  EXPECT_FALSE(MatmulTransposedAccumulate(MatmulWeights{DType::kF32, nullptr, 1, 4, 0}, &x, 1, &x, nullptr).ok());
}

}  // namespace
}  // namespace edgert::kernels
