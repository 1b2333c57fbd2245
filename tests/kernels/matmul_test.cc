// Every SIMD matmul variant against the scalar reference, the activation
// quantizer against QuantizeRowQ8_0Ref, and the operator's thread-count
// independence.
#include "kernels/matmul/matmul.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "base/quant_blocks.h"
#include "kernels/convert/fp16.h"
#include "kernels/convert/quantize.h"

#include "tests/kernels/random_input.h"

namespace edgert::kernels {
namespace {

const MatmulUkernels& Ref() { return *MatmulUkernelsFor(Isa::kScalar); }

// The SIMD variants under test; a missing ISA is reported, not silently passed.
std::vector<const MatmulUkernels*> Variants() {
  std::vector<const MatmulUkernels*> v;
  for (Isa isa : AllIsas()) {
    const MatmulUkernels* k = MatmulUkernelsFor(isa);
    if (k != nullptr && k != &Ref()) v.push_back(k);
  }
  return v;
}

#define SKIP_WITHOUT_VARIANTS() \
  if (Variants().empty()) GTEST_SKIP() << "this CPU runs no SIMD matmul variant (only the scalar reference)"

TEST(Matmul, DispatchesOnce) {
  const MatmulUkernels& best = GetMatmulUkernels();
  std::printf("dispatched matmul kernels: %s (best ISA %s)\n", best.isa, IsaName(BestIsa()));
  EXPECT_EQ(&best, &GetMatmulUkernels());
  for (Isa isa : AllIsas()) {
    if (!IsaSupported(isa)) std::printf("note: %s not supported here; its tests are skipped\n", IsaName(isa));
  }
}

// Quants bit-equal to ggml's reference quantizer; the f32 scale rounds to the
// reference's f16 scale; corr = c · Σ qs. Inputs include exact halves (ties).
TEST(Matmul, ActivationQuantizerMatchesReference) {
  const size_t k = 32 * 41;
  std::vector<float> x = Random(k, 1);
  for (size_t j = 0; j < 32; ++j) x[j] = static_cast<float>(j) - 15.5f;  // ties at x/d = ±k.5 (d = 16.5/127)
  for (size_t j = 32; j < 64; ++j) x[j] = 0.0f;                           // all-zero block
  for (size_t j = 64; j < 96; ++j) x[j] = (j % 2 ? 1.0f : -1.0f) * 127.0f * 0.5f / 127.0f * static_cast<float>(j % 7);
  std::vector<BlockQ8_0> ref(k / 32);
  QuantizeRowQ8_0Ref(x.data(), ref.data(), k);
  // The scalar variant's f32 scales: the bit-equal GEMMs need every variant's.
  std::vector<int8_t> ref_qs(k);
  std::vector<float> ref_d(k / 32);
  std::vector<int32_t> ref_corr(k / 32);
  Ref().quantize_q8(x.data(), k, -128, ref_qs.data(), ref_d.data(), ref_corr.data());
  std::vector<const MatmulUkernels*> all = Variants();
  all.push_back(&Ref());
  for (const MatmulUkernels* uk : all) {
    std::vector<int8_t> qs(k);
    std::vector<float> d(k / 32);
    std::vector<int32_t> corr(k / 32);
    uk->quantize_q8(x.data(), k, -128, qs.data(), d.data(), corr.data());
    for (size_t b = 0; b < k / 32; ++b) {
      int32_t sum = 0;
      for (size_t j = 0; j < 32; ++j) {
        ASSERT_EQ(qs[b * 32 + j], ref[b].qs[j]) << uk->isa << " block " << b << " element " << j;
        sum += qs[b * 32 + j];
      }
      EXPECT_EQ(F32ToF16(d[b]), ref[b].d) << uk->isa << " block " << b;
      EXPECT_EQ(d[b], ref_d[b]) << uk->isa << " block " << b;
      EXPECT_EQ(corr[b], -128 * sum) << uk->isa << " block " << b;
    }
  }
}

struct QuantShape {
  size_t m, n, kb;
};

struct Quantized {
  std::vector<uint8_t> w;  // n rows of blocks
  size_t row_bytes;
  std::vector<int8_t> xq;
  std::vector<float> xd;
  std::vector<int32_t> xc;
};

Quantized MakeQuantized(DType type, const QuantShape& s, uint32_t seed) {
  Quantized q;
  const size_t k = s.kb * 32;
  const std::vector<float> wf = Random(s.n * k, seed, 0.05f);
  q.row_bytes = s.kb * (type == DType::kQ8_0 ? sizeof(BlockQ8_0) : sizeof(BlockQ4_0));
  q.w.resize(s.n * q.row_bytes);
  for (size_t r = 0; r < s.n; ++r) {
    if (type == DType::kQ8_0) {
      QuantizeRowQ8_0Ref(wf.data() + r * k, reinterpret_cast<BlockQ8_0*>(q.w.data() + r * q.row_bytes), k);
    } else {
      QuantizeRowQ4_0Ref(wf.data() + r * k, reinterpret_cast<BlockQ4_0*>(q.w.data() + r * q.row_bytes), k);
    }
  }
  // Extreme quants too: -128 (legal in a GGUF file, never produced by the quantizer) and 127.
  if (type == DType::kQ8_0 && s.n > 0) {
    auto* blk = reinterpret_cast<BlockQ8_0*>(q.w.data());
    blk->qs[0] = -128;
    blk->qs[1] = 127;
  }
  const std::vector<float> x = Random(s.m * k, seed + 1);
  q.xq.resize(s.m * k);
  q.xd.resize(s.m * s.kb);
  q.xc.resize(s.m * s.kb);
  const int32_t c = type == DType::kQ8_0 ? kQ8_0ActivationCorr : kQ4_0ActivationCorr;
  for (size_t i = 0; i < s.m; ++i) {
    Ref().quantize_q8(x.data() + i * k, k, c, q.xq.data() + i * k, q.xd.data() + i * s.kb, q.xc.data() + i * s.kb);
  }
  return q;
}

// Σ_b |dw·dx| · Σ_j |w_j·x_j| per output: bounds every partial sum a variant can form.
std::vector<float> Magnitudes(DType type, const QuantShape& s, const Quantized& q) {
  std::vector<float> mag(s.m * s.n);
  std::vector<float> wrow(s.kb * 32);
  for (size_t r = 0; r < s.n; ++r) {
    const uint8_t* row = q.w.data() + r * q.row_bytes;
    if (type == DType::kQ8_0) DequantizeRowQ8_0(reinterpret_cast<const BlockQ8_0*>(row), wrow.data(), wrow.size());
    else DequantizeRowQ4_0(reinterpret_cast<const BlockQ4_0*>(row), wrow.data(), wrow.size());
    for (size_t i = 0; i < s.m; ++i) {
      double a = 0;
      for (size_t j = 0; j < wrow.size(); ++j) {
        a += std::fabs(wrow[j] * q.xd[i * s.kb + j / 32] * q.xq[i * s.kb * 32 + j]);
      }
      mag[i * s.n + r] = static_cast<float>(a);
    }
  }
  return mag;
}

void CheckQuantized(DType type) {
  SKIP_WITHOUT_VARIANTS();
  // n not a multiple of any row tile (4, 32, 64); kb odd, below and above 16
  // (the gather group), and not a multiple of the GEMM chunk (8). n = 300
  // spans two GEMM tile groups (256 rows), so the packing of one group
  // overlaps the prefetch of the next.
  // The AVX2 GEMM's edges: 8-row weight octets and 4-row activation tiles
  // (m, n = 4..9, not multiples of the tile; k = 32 one block), 32-block
  // chunks (kb = 32, 33, 65), activation passes of ~256 KB (kb = 300: 24 rows
  // per pass, so m = 30 takes two, the second 6 rows).
  const QuantShape shapes[] = {{1, 1, 1},   {1, 13, 3},  {1, 37, 29}, {1, 70, 33}, {1, 9, 515}, {2, 5, 1},
                               {3, 37, 17}, {5, 33, 9},  {9, 70, 28}, {4, 64, 8},  {17, 3, 40}, {6, 300, 19},
                               {4, 4, 1},   {5, 7, 1},   {8, 6, 32},  {7, 9, 33},  {6, 5, 65},  {30, 5, 300}};
  for (const QuantShape& s : shapes) {
    const Quantized q = MakeQuantized(type, s, static_cast<uint32_t>(s.n * 131 + s.kb));
    std::vector<float> ref(s.m * s.n), out(s.m * s.n);
    const auto gemm = type == DType::kQ8_0 ? &MatmulUkernels::q8_0_gemm : &MatmulUkernels::q4_0_gemm;
    const auto gemv = type == DType::kQ8_0 ? &MatmulUkernels::q8_0_gemv : &MatmulUkernels::q4_0_gemv;
    const auto pack = type == DType::kQ8_0 ? &MatmulUkernels::q8_0_gemv_pack : &MatmulUkernels::q4_0_gemv_pack;
    (Ref().*gemm)(s.m, s.n, s.kb, q.w.data(), q.row_bytes, q.xq.data(), q.xd.data(), q.xc.data(), ref.data(), s.n);
    const std::vector<float> mag = Magnitudes(type, s, q);
    for (const MatmulUkernels* uk : Variants()) {
      std::fill(out.begin(), out.end(), NAN);
      if (s.m == 1) {
        // The variant's own activation layout, in a buffer of exactly the
        // bound ukernels.h promises (64-byte aligned): ASan sees any overrun.
        std::vector<std::byte> packed(kGemvPackBytesPerBlock * (s.kb + 4) + 64);
        void* aligned = packed.data() + (64 - reinterpret_cast<uintptr_t>(packed.data()) % 64) % 64;
        (uk->*pack)(s.kb, q.xq.data(), q.xd.data(), q.xc.data(), aligned);
        (uk->*gemv)(s.n, s.kb, q.w.data(), q.row_bytes, aligned, out.data());
      } else {
        (uk->*gemm)(s.m, s.n, s.kb, q.w.data(), q.row_bytes, q.xq.data(), q.xd.data(), q.xc.data(), out.data(), s.n);
      }
      for (size_t e = 0; e < out.size(); ++e) {
        // Integer dots are exact, so only f32 summation order differs: each of
        // at most kb + 16 roundings errs by ≤ 2^-24 of a partial sum, and every
        // partial sum is bounded by mag. The AVX-512 and i8mm GEMMs and the
        // AVX2 GEMM and GEMV (and the AVX-VNNI GEMM, which falls back to
        // them below 4 rows) keep the reference order exactly and must match
        // bit for bit.
        const bool exact = std::strcmp(uk->isa, "avx2") == 0 || std::strcmp(uk->isa, "avxvnni") == 0 ||
                           (s.m > 1 && (std::strcmp(uk->isa, "avx512vnni") == 0 || std::strcmp(uk->isa, "neoni8mm") == 0));
        if (exact) {
          ASSERT_EQ(out[e], ref[e]) << uk->isa << " m=" << s.m << " n=" << s.n << " kb=" << s.kb << " at " << e;
        } else {
          const float tol = static_cast<float>(s.kb + 16) * 0x1p-24f * mag[e];
          ASSERT_NEAR(out[e], ref[e], tol) << uk->isa << " m=" << s.m << " n=" << s.n << " kb=" << s.kb << " at " << e;
        }
      }
    }
  }
}

TEST(Matmul, Q8_0VariantsMatchReference) { CheckQuantized(DType::kQ8_0); }
TEST(Matmul, Q4_0VariantsMatchReference) { CheckQuantized(DType::kQ4_0); }

void CheckFloat(DType type) {
  SKIP_WITHOUT_VARIANTS();
  const size_t shapes[][3] = {{1, 1, 1}, {1, 9, 37}, {1, 13, 64}, {2, 5, 17}, {5, 11, 100}, {7, 9, 33}, {70, 6, 48}};
  for (const auto& sh : shapes) {
    const size_t m = sh[0], n = sh[1], k = sh[2];
    const std::vector<float> wf = Random(n * k, 7), x = Random(m * k, 8);
    std::vector<uint16_t> wh(n * k);
    const void* w = wf.data();
    size_t stride = k * 4;
    if (type != DType::kF32) {
      for (size_t j = 0; j < wf.size(); ++j) wh[j] = type == DType::kF16 ? F32ToF16(wf[j]) : F32ToBF16(wf[j]);
      w = wh.data();
      stride = k * 2;
    }
    const auto fn = type == DType::kF32 ? &MatmulUkernels::f32_gemm
                    : type == DType::kF16 ? &MatmulUkernels::f16_gemm : &MatmulUkernels::bf16_gemm;
    std::vector<float> ref(m * n), out(m * n);
    (Ref().*fn)(m, n, k, w, stride, x.data(), k, ref.data(), n);
    for (const MatmulUkernels* uk : Variants()) {
      (uk->*fn)(m, n, k, w, stride, x.data(), k, out.data(), n);
      for (size_t i = 0; i < m; ++i) {
        for (size_t r = 0; r < n; ++r) {
          // Widening f16/bf16 is exact; only the f32 summation order differs
          // (≤ k + 16 roundings of partial sums bounded by Σ|w·x|).
          float mag = 0;
          for (size_t j = 0; j < k; ++j) mag += std::fabs(wf[r * k + j] * x[i * k + j]);
          const float tol = static_cast<float>(k + 16) * 0x1p-24f * mag * 1.01f;
          ASSERT_NEAR(out[i * n + r], ref[i * n + r], tol) << uk->isa << " m=" << m << " n=" << n << " k=" << k;
        }
      }
    }
  }
}

TEST(Matmul, F32VariantsMatchReference) { CheckFloat(DType::kF32); }
TEST(Matmul, F16VariantsMatchReference) { CheckFloat(DType::kF16); }
TEST(Matmul, Bf16VariantsMatchReference) { CheckFloat(DType::kBF16); }

// The operator: bias, validation, and bit-identical results for 1, 2 and 3 threads.
class PoolGuard {
 public:
  explicit PoolGuard(size_t threads) : pool_(pthreadpool_create(threads)) {}
  ~PoolGuard() { pthreadpool_destroy(pool_); }
  pthreadpool_t get() const { return pool_; }

 private:
  pthreadpool_t pool_;
};

TEST(Matmul, OperatorIsIndependentOfThreadCount) {
  const size_t n = 197, k = 32 * 23;
  const std::vector<float> wf = Random(n * k, 11, 0.05f), bias = Random(n, 12);
  std::vector<BlockQ8_0> w8(n * k / 32);
  std::vector<BlockQ4_0> w4(n * k / 32);
  QuantizeRowQ8_0Ref(wf.data(), w8.data(), n * k);
  QuantizeRowQ4_0Ref(wf.data(), w4.data(), n * k);
  std::vector<uint16_t> wh(n * k);
  for (size_t j = 0; j < wh.size(); ++j) wh[j] = F32ToF16(wf[j]);
  const struct {
    DType type;
    const void* data;
  } weights[] = {{DType::kQ8_0, w8.data()}, {DType::kQ4_0, w4.data()}, {DType::kF32, wf.data()}, {DType::kF16, wh.data()}};
  PoolGuard two(2), three(3);
  for (const auto& wt : weights) {
    for (size_t m : {1u, 6u}) {
      const std::vector<float> x = Random(m * k, 13);
      std::vector<std::byte> scratch(MatmulScratchBytes(wt.type, m, k));
      const MatmulWeights w{wt.type, wt.data, n, k, 0};
      std::vector<float> y1(m * n), y2(m * n), y3(m * n);
      ASSERT_TRUE(Matmul(w, x.data(), m, bias.data(), y1.data(), scratch.data(), scratch.size(), nullptr).ok());
      ASSERT_TRUE(Matmul(w, x.data(), m, bias.data(), y2.data(), scratch.data(), scratch.size(), two.get()).ok());
      ASSERT_TRUE(Matmul(w, x.data(), m, bias.data(), y3.data(), scratch.data(), scratch.size(), three.get()).ok());
      EXPECT_EQ(0, std::memcmp(y1.data(), y2.data(), y1.size() * 4)) << DTypeName(wt.type) << " m=" << m;
      EXPECT_EQ(0, std::memcmp(y1.data(), y3.data(), y1.size() * 4)) << DTypeName(wt.type) << " m=" << m;
      // And close to a dequantized f64 product + bias (catches a wrong bias or row stride).
      std::vector<float> row(k);
      for (size_t r = 0; r < n; r += 17) {
        if (wt.type == DType::kQ8_0) DequantizeRowQ8_0(w8.data() + r * k / 32, row.data(), k);
        else if (wt.type == DType::kQ4_0) DequantizeRowQ4_0(w4.data() + r * k / 32, row.data(), k);
        else for (size_t j = 0; j < k; ++j) row[j] = wt.type == DType::kF32 ? wf[r * k + j] : F16ToF32(wh[r * k + j]);
        for (size_t i = 0; i < m; ++i) {
          double acc = bias[r];
          for (size_t j = 0; j < k; ++j) acc += static_cast<double>(row[j]) * x[i * k + j];
          // Activation quantization to 8 bits: relative error ~ 1/254 per element, √k-averaged.
          const double tol = (wt.type == DType::kQ8_0 || wt.type == DType::kQ4_0) ? 0.05 : 1e-3;
          EXPECT_NEAR(y1[i * n + r], acc, tol) << DTypeName(wt.type) << " r=" << r << " i=" << i;
        }
      }
    }
  }
}

// q/k/v-like products sharing one input (different n, biases on some, an
// empty one) give bit for bit what one call per matrix gives, at 1 and 2 threads.
TEST(Matmul, SharedInputEqualsSeparateCalls) {
  const size_t k = 32 * 9, ns[] = {70, 0, 133, 16};
  PoolGuard two(2);
  for (DType type : {DType::kQ8_0, DType::kQ4_0, DType::kF16}) {
    for (size_t m : {1u, 5u}) {
      const std::vector<float> x = Random(m * k, 21);
      std::vector<std::vector<uint8_t>> w(4);
      std::vector<std::vector<float>> bias(4), y_one(4), y_shared(4);
      std::vector<MatmulOutput> outs;
      for (size_t j = 0; j < 4; ++j) {
        const std::vector<float> wf = Random(ns[j] * k, static_cast<uint32_t>(30 + j), 0.05f);
        w[j].resize(TensorBytes(type, std::vector<int64_t>{static_cast<int64_t>(ns[j]), static_cast<int64_t>(k)}).value() + 1);
        if (type == DType::kQ8_0) QuantizeRowQ8_0Ref(wf.data(), reinterpret_cast<BlockQ8_0*>(w[j].data()), ns[j] * k);
        else if (type == DType::kQ4_0) QuantizeRowQ4_0Ref(wf.data(), reinterpret_cast<BlockQ4_0*>(w[j].data()), ns[j] * k);
        for (size_t e = 0; type == DType::kF16 && e < ns[j] * k; ++e) {
          const uint16_t h = F32ToF16(wf[e]);
          std::memcpy(w[j].data() + 2 * e, &h, 2);
        }
        bias[j] = Random(ns[j], static_cast<uint32_t>(40 + j));
        y_one[j].assign(m * ns[j], 0.0f);
        y_shared[j].assign(m * ns[j] + 1, 0.0f);
        outs.push_back({{type, w[j].data(), ns[j], k, 0}, j % 2 == 0 ? bias[j].data() : nullptr, y_shared[j].data()});
      }
      std::vector<std::byte> scratch(MatmulScratchBytes(type, m, k));
      for (pthreadpool_t pool : {static_cast<pthreadpool_t>(nullptr), two.get()}) {
        for (size_t j = 0; j < 4; ++j) {
          ASSERT_TRUE(Matmul(outs[j].w, x.data(), m, outs[j].bias, y_one[j].data(), scratch.data(), scratch.size(), pool).ok());
        }
        ASSERT_TRUE(MatmulShared(outs, x.data(), m, scratch.data(), scratch.size(), pool).ok());
        for (size_t j = 0; j < 4; ++j) {
          if (y_one[j].empty()) continue;  // memcmp may not be given the null data() of an empty vector
          EXPECT_EQ(0, std::memcmp(y_one[j].data(), y_shared[j].data(), y_one[j].size() * 4))
              << DTypeName(type) << " m=" << m << " output " << j;
        }
      }
    }
  }
  // Mixed types or k are refused, naming the rule.
  BlockQ8_0 w8[4] = {};
  BlockQ4_0 w4[4] = {};
  float x[64] = {}, y[4] = {};
  std::byte scratch[2048];
  const MatmulOutput mixed[] = {{{DType::kQ8_0, w8, 2, 64, 0}, nullptr, y}, {{DType::kQ4_0, w4, 2, 64, 0}, nullptr, y + 2}};
  const Status s = MatmulShared(mixed, x, 1, scratch, sizeof(scratch), nullptr);
  EXPECT_NE(s.message().find("one weight type and one k"), std::string::npos) << s.message();
}

TEST(Matmul, OperatorRejectsBadShapes) {
  float x[64] = {}, y[4] = {};
  BlockQ8_0 w[4] = {};
  std::byte scratch[1024];
  const MatmulWeights bad_k{DType::kQ8_0, w, 2, 48, 0};
  const Status s = Matmul(bad_k, x, 1, nullptr, y, scratch, sizeof(scratch), nullptr);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("k = 48"), std::string::npos) << s.message();
  const MatmulWeights ok{DType::kQ8_0, w, 2, 64, 0};
  EXPECT_FALSE(Matmul(ok, x, 1, nullptr, y, scratch, 8, nullptr).ok());  // scratch too small
  const MatmulWeights short_stride{DType::kQ8_0, w, 2, 64, 34};
  EXPECT_FALSE(Matmul(short_stride, x, 1, nullptr, y, scratch, sizeof(scratch), nullptr).ok());
}

}  // namespace
}  // namespace edgert::kernels
