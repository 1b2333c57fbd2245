// kernels/matmul/matmul_avx2.cc: AVX2 + FMA + F16C matrix products, for x86
// CPUs without AVX-512 VNNI.
//
// Quantized: four weight rows at a time, each 32-weight block multiplied with
// vpmaddubsw. Q8_0 uses the sign trick (|w| unsigned times x carrying w's sign:
// w + 128 as the unsigned operand would saturate the 16-bit pair sums); Q4_0
// feeds its raw nibbles (0..15, no saturation possible) and adds the block's
// correction term. For m > 1 the four rows stay in L1 while every activation
// row passes (no repacking): simple, and enough for a fallback ISA.
// May not allocate, log or dispatch.
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "base/quant_blocks.h"
#include "kernels/matmul/matmul_variants.h"

namespace edgert::kernels::avx2 {
namespace {

constexpr size_t kQ8 = sizeof(BlockQ8_0);
constexpr size_t kQ4 = sizeof(BlockQ4_0);

inline float Hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline float Hmax(__m256 v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline int32_t HsumI(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
  return _mm_cvtsi128_si32(s);
}

// Same quants as QuantizeRowQ8_0Ref (halves away from zero, emulated exactly).
void QuantizeQ8(const float* x, size_t k, int32_t corr_mul, int8_t* qs, float* d, int32_t* corr) {
  const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
  const __m256 half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f);
  for (size_t b = 0; b < k / kQuantBlock; ++b, x += kQuantBlock, qs += kQuantBlock) {
    __m256 v[4];
    __m256 amax = _mm256_setzero_ps();
    for (int j = 0; j < 4; ++j) {
      v[j] = _mm256_loadu_ps(x + 8 * j);
      amax = _mm256_max_ps(amax, _mm256_and_ps(v[j], abs_mask));
    }
    const float db = Hmax(amax) / 127.0f;
    const float id = db != 0.0f ? 1.0f / db : 0.0f;
    const __m256 vid = _mm256_set1_ps(id);
    __m256i q[4];
    for (int j = 0; j < 4; ++j) {
      const __m256 t = _mm256_mul_ps(v[j], vid);
      const __m256 tr = _mm256_round_ps(t, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
      const __m256 frac = _mm256_and_ps(_mm256_sub_ps(t, tr), abs_mask);
      const __m256 step = _mm256_and_ps(_mm256_cmp_ps(frac, half, _CMP_GE_OQ),
                                        _mm256_or_ps(one, _mm256_andnot_ps(abs_mask, t)));
      q[j] = _mm256_cvttps_epi32(_mm256_add_ps(tr, step));
    }
    const __m256i sum = _mm256_add_epi32(_mm256_add_epi32(q[0], q[1]), _mm256_add_epi32(q[2], q[3]));
    // packs interleave 128-bit lanes; a dword permute restores k order.
    const __m256i i8 = _mm256_packs_epi16(_mm256_packs_epi32(q[0], q[1]), _mm256_packs_epi32(q[2], q[3]));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(qs),
                        _mm256_permutevar8x32_epi32(i8, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)));
    d[b] = db;
    corr[b] = corr_mul * HsumI(sum);
  }
}

// 32 int8 products of one block as 8 int32 partial sums.
inline __m256i DotQ8(const std::byte* blk_qs, __m256i x) {
  const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk_qs));
  const __m256i p = _mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(x, w));
  return _mm256_madd_epi16(p, _mm256_set1_epi16(1));
}

inline __m256i DotQ4(const std::byte* blk_qs, __m256i x, int32_t corr) {
  const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk_qs));
  const __m256i nib = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(raw, 4), raw), _mm256_set1_epi8(0x0F));
  const __m256i p = _mm256_madd_epi16(_mm256_maddubs_epi16(nib, x), _mm256_set1_epi16(1));
  return _mm256_add_epi32(p, _mm256_castsi128_si256(_mm_cvtsi32_si128(corr)));
}

constexpr size_t kRows = 4;

template <bool kQ4Weights>
void QGemm(size_t m, size_t n, size_t kb, const void* w, size_t w_stride, const int8_t* xq, const float* xd,
           const int32_t* xc, float* y, size_t y_stride) {
  constexpr size_t kBlockBytes = kQ4Weights ? kQ4 : kQ8;
  for (size_t r0 = 0; r0 < n; r0 += kRows) {
    const size_t nr = std::min(kRows, n - r0);
    const std::byte* row[kRows];
    for (size_t j = 0; j < kRows; ++j) row[j] = static_cast<const std::byte*>(w) + (r0 + std::min(j, nr - 1)) * w_stride;
    for (size_t i = 0; i < m; ++i) {
      const int8_t* qx = xq + i * kb * kQuantBlock;
      __m256 acc[kRows];
      for (auto& a : acc) a = _mm256_setzero_ps();
      for (size_t b = 0; b < kb; ++b) {
        const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(qx + b * kQuantBlock));
        const float dx = xd[i * kb + b];
        for (size_t j = 0; j < kRows; ++j) {
          const std::byte* blk = row[j] + b * kBlockBytes;
          uint16_t dbits;
          std::memcpy(&dbits, blk, 2);
          const __m256 s = _mm256_set1_ps(_cvtsh_ss(dbits) * dx);
          const __m256i dot = kQ4Weights ? DotQ4(blk + 2, x, xc[i * kb + b]) : DotQ8(blk + 2, x);
          acc[j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), s, acc[j]);
        }
      }
      for (size_t j = 0; j < nr; ++j) y[i * y_stride + r0 + j] = Hsum(acc[j]);
    }
  }
}

template <bool kQ4Weights>
void QGemv(size_t n, size_t kb, const void* w, size_t w_stride, const void* packed, float* y) {
  const PlainGemvActivations x = ViewPlainGemv(kb, packed);
  QGemm<kQ4Weights>(1, n, kb, w, w_stride, x.xq, x.xd, x.xc, y, n);
}

// Float weights: dot-product tiles; the k tail (k % 8) runs scalar.
struct F16 { uint16_t bits; };
struct BF16 { uint16_t bits; };
inline __m256 Load8(const float* p) { return _mm256_loadu_ps(p); }
inline __m256 Load8(const F16* p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }
inline __m256 Load8(const BF16* p) {
  const __m256i v = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  return _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
}
inline float Scalar(float v) { return v; }
inline float Scalar(F16 v) { return _cvtsh_ss(v.bits); }
inline float Scalar(BF16 v) {
  const uint32_t u = static_cast<uint32_t>(v.bits) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

template <typename T, size_t MR, size_t NR>
void FTile(size_t nr, size_t k, const std::byte* w, size_t w_stride, const float* x, size_t x_stride, float* y,
           size_t y_stride) {
  const T* row[NR];
  for (size_t j = 0; j < NR; ++j) row[j] = reinterpret_cast<const T*>(w + std::min(j, nr - 1) * w_stride);
  __m256 acc[MR][NR];
  for (size_t i = 0; i < MR; ++i)
    for (size_t j = 0; j < NR; ++j) acc[i][j] = _mm256_setzero_ps();
  size_t c = 0;
  for (; c + 8 <= k; c += 8) {
    __m256 wv[NR];
    for (size_t j = 0; j < NR; ++j) wv[j] = Load8(row[j] + c);
    for (size_t i = 0; i < MR; ++i) {
      const __m256 xv = _mm256_loadu_ps(x + i * x_stride + c);
      for (size_t j = 0; j < NR; ++j) acc[i][j] = _mm256_fmadd_ps(wv[j], xv, acc[i][j]);
    }
  }
  for (size_t i = 0; i < MR; ++i) {
    for (size_t j = 0; j < nr; ++j) {
      float s = Hsum(acc[i][j]);
      for (size_t t = c; t < k; ++t) s = std::fma(Scalar(row[j][t]), x[i * x_stride + t], s);
      y[i * y_stride + j] = s;
    }
  }
}

template <typename T>
void FGemm(size_t m, size_t n, size_t k, const void* w, size_t w_stride, const float* x, size_t x_stride, float* y,
           size_t y_stride) {
  const auto* wb = static_cast<const std::byte*>(w);
  if (m == 1) {
    constexpr size_t kNr = 4;
    for (size_t r = 0; r < n; r += kNr) FTile<T, 1, kNr>(std::min(kNr, n - r), k, wb + r * w_stride, w_stride, x, x_stride, y + r, y_stride);
    return;
  }
  constexpr size_t kMr = 3, kNr = 4, kMBlock = 48;
  for (size_t i0 = 0; i0 < m; i0 += kMBlock) {
    const size_t i1 = std::min(m, i0 + kMBlock);
    for (size_t r = 0; r < n; r += kNr) {
      const size_t nr = std::min(kNr, n - r);
      size_t i = i0;
      for (; i + kMr <= i1; i += kMr) FTile<T, kMr, kNr>(nr, k, wb + r * w_stride, w_stride, x + i * x_stride, x_stride, y + i * y_stride + r, y_stride);
      for (; i < i1; ++i) FTile<T, 1, kNr>(nr, k, wb + r * w_stride, w_stride, x + i * x_stride, x_stride, y + i * y_stride + r, y_stride);
    }
  }
}

}  // namespace

const MatmulUkernels& MatmulUkernelsAvx2() {
  static const MatmulUkernels k{
      "avx2", QuantizeQ8, PackPlainGemv, QGemv<false>, QGemm<false>, PackPlainGemv, QGemv<true>, QGemm<true>, FGemm<float>, FGemm<F16>, FGemm<BF16>,
  };
  return k;
}

}  // namespace edgert::kernels::avx2
