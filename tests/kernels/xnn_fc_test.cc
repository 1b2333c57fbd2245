// The XNNPACK engine (kernels/xnnpack/xnn_fc.h) against the scalar reference:
// f32 / f16 / bf16 rows, a bias, rows with a stride, n across several packed
// chunks and not a multiple of one, one or more threads; Matmul routes float
// products of kXnnFcMinRows rows or more to it; too little scratch is refused.
#include "kernels/xnnpack/xnn_fc.h"

#include <gtest/gtest.h>
#include <pthreadpool.h>

#include <cmath>
#include <vector>

#include "kernels/convert/fp16.h"
#include "kernels/matmul/matmul.h"

#include "tests/kernels/random_input.h"

namespace edgert::kernels {
namespace {

#define SKIP_WITHOUT_ENGINE() \
  if (!XnnFcEnabled()) GTEST_SKIP() << "XNNPACK engine off here (EDGERT_KERNELS caps the ISA, or XNNPACK refused this CPU)"

struct Case {
  DType type;
  size_t m, n, k, pad;  // pad: extra elements between rows (row stride = k + pad)
  bool bias;
  size_t threads;
};

void Check(const Case& c) {
  const size_t stride_elems = c.k + c.pad, elem = c.type == DType::kF32 ? 4 : 2;
  const std::vector<float> wf = Random(c.n * stride_elems, 21, 0.05f), x = Random(c.m * c.k, 22);
  const std::vector<float> bias = Random(c.n, 23);
  std::vector<uint16_t> wh(wf.size());
  for (size_t j = 0; j < wf.size(); ++j) wh[j] = c.type == DType::kF16 ? F32ToF16(wf[j]) : F32ToBF16(wf[j]);
  const void* w = c.type == DType::kF32 ? static_cast<const void*>(wf.data()) : wh.data();
  // What the engine multiplies: the rows as widened to f32 (exact for f16 / bf16).
  auto weight = [&](size_t r, size_t j) {
    const size_t at = r * stride_elems + j;
    return c.type == DType::kF32 ? wf[at] : c.type == DType::kF16 ? F16ToF32(wh[at]) : BF16ToF32(wh[at]);
  };
  const MatmulWeights mw{c.type, w, c.n, c.k, stride_elems * elem};
  std::vector<float> y(c.m * c.n, -7.0f);
  std::vector<std::byte> scratch(XnnFcScratchBytes(c.k));
  pthreadpool_t pool = c.threads > 1 ? pthreadpool_create(c.threads) : nullptr;
  const Status s = XnnFc(mw, stride_elems * elem, x.data(), c.m, c.bias ? bias.data() : nullptr, y.data(), scratch.data(),
                         scratch.size(), pool);
  if (pool != nullptr) pthreadpool_destroy(pool);
  ASSERT_TRUE(s.ok()) << s.message();
  for (size_t i = 0; i < c.m; ++i) {
    for (size_t r = 0; r < c.n; ++r) {
      double ref = c.bias ? bias[r] : 0.0, mag = c.bias ? std::fabs(bias[r]) : 0.0;
      for (size_t j = 0; j < c.k; ++j) {
        ref += static_cast<double>(weight(r, j)) * x[i * c.k + j];
        mag += std::fabs(static_cast<double>(weight(r, j)) * x[i * c.k + j]);
      }
      // f32 sums in XNNPACK's order: at most k + 1 roundings of partial sums
      // bounded by Σ|w·x| (+|bias|), against an exact (double) reference.
      const double tol = static_cast<double>(c.k + 2) * 0x1p-24 * mag + 1e-30;
      ASSERT_NEAR(y[i * c.n + r], ref, tol) << DTypeName(c.type) << " m=" << c.m << " n=" << c.n << " k=" << c.k
                                            << " at " << i << "," << r;
    }
  }
}

TEST(XnnFc, F32MatchesReference) {
  SKIP_WITHOUT_ENGINE();
  Check({DType::kF32, 16, 7, 33, 0, false, 1});
  Check({DType::kF32, 19, kXnnFcChunkRows * 2 + 5, 64, 0, true, 2});
  Check({DType::kF32, 33, kXnnFcChunkRows + 1, 40, 3, true, 3});  // strided rows are copied first
}

TEST(XnnFc, F16AndBf16MatchReference) {
  SKIP_WITHOUT_ENGINE();
  Check({DType::kF16, 17, kXnnFcChunkRows + 9, 96, 0, true, 2});
  Check({DType::kBF16, 24, 3, 128, 8, false, 1});
}

TEST(XnnFc, RefusesShortScratch) {
  SKIP_WITHOUT_ENGINE();
  const std::vector<float> w = Random(4 * 32, 1), x = Random(16 * 32, 2);
  std::vector<float> y(16 * 4);
  std::vector<std::byte> scratch(XnnFcScratchBytes(32) - 1);
  const Status s = XnnFc({DType::kF32, w.data(), 4, 32, 0}, 128, x.data(), 16, nullptr, y.data(), scratch.data(),
                         scratch.size(), nullptr);
  EXPECT_FALSE(s.ok());
}

TEST(XnnFc, MatmulRoutesFloatProductsWithEnoughRows) {
  SKIP_WITHOUT_ENGINE();
  const size_t n = 300, k = 64;
  EXPECT_EQ(MatmulScratchBytes(DType::kF32, kXnnFcMinRows - 1, k), 0u);
  EXPECT_EQ(MatmulScratchBytes(DType::kF32, kXnnFcMinRows, k), XnnFcScratchBytes(k));
  const std::vector<float> w = Random(n * k, 3, 0.05f), x = Random(kXnnFcMinRows * k, 4);
  std::vector<float> engine(kXnnFcMinRows * n), direct(kXnnFcMinRows * n);
  std::vector<std::byte> scratch(MatmulScratchBytes(DType::kF32, kXnnFcMinRows, k));
  const MatmulWeights mw{DType::kF32, w.data(), n, k, 0};
  ASSERT_TRUE(Matmul(mw, x.data(), kXnnFcMinRows, nullptr, engine.data(), scratch.data(), scratch.size(), nullptr).ok());
  ASSERT_TRUE(XnnFc(mw, k * 4, x.data(), kXnnFcMinRows, nullptr, direct.data(), scratch.data(), scratch.size(), nullptr).ok());
  EXPECT_EQ(engine, direct);  // the same engine, the same bits
}

}  // namespace
}  // namespace edgert::kernels
