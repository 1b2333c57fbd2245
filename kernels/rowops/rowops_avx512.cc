// kernels/rowops/rowops_avx512.cc: AVX-512 F row operations (see rowops.h).
// Masked tails, so any n works. May not allocate.
#include <immintrin.h>

#include <cmath>

#include "kernels/rowops/rowops_variants.h"
#include "kernels/simd/avx512.h"

namespace edgert::kernels::avx512vnni {
namespace {

using simd::Exp;
using simd::ReduceAdd;
using simd::ReduceMax;
using simd::TailMask;

void RmsNorm(size_t n, const float* x, const float* w, float eps, float* y) {
  __m512 ss = _mm512_setzero_ps();
  for (size_t i = 0; i < n; i += 16) {
    const __m512 v = _mm512_maskz_loadu_ps(TailMask(n - i), x + i);
    ss = _mm512_fmadd_ps(v, v, ss);
  }
  const float scale = 1.0f / std::sqrt(ReduceAdd(ss) / static_cast<float>(n) + eps);
  const __m512 vs = _mm512_set1_ps(scale);
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 m = TailMask(n - i);
    const __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), vs);
    _mm512_mask_storeu_ps(y + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, w + i), v));
  }
}

void Rope(size_t n_heads, size_t head_dim, const float* cos, const float* sin, float* x) {
  const size_t half = head_dim / 2;
  for (size_t h = 0; h < n_heads; ++h, x += head_dim) {
    for (size_t i = 0; i < half; i += 16) {
      const __mmask16 m = TailMask(half - i);
      const __m512 a = _mm512_maskz_loadu_ps(m, x + i), b = _mm512_maskz_loadu_ps(m, x + half + i);
      const __m512 c = _mm512_maskz_loadu_ps(m, cos + i), s = _mm512_maskz_loadu_ps(m, sin + i);
      // Same rounding as the reference: each product rounded, then the sum.
      _mm512_mask_storeu_ps(x + i, m, _mm512_sub_ps(_mm512_mul_ps(a, c), _mm512_mul_ps(b, s)));
      _mm512_mask_storeu_ps(x + half + i, m, _mm512_add_ps(_mm512_mul_ps(b, c), _mm512_mul_ps(a, s)));
    }
  }
}

void Softmax(size_t n, float* x) {
  __m512 vmax = _mm512_set1_ps(-INFINITY);
  for (size_t i = 0; i < n; i += 16) vmax = _mm512_max_ps(vmax, _mm512_mask_loadu_ps(vmax, TailMask(n - i), x + i));
  const __m512 max = _mm512_set1_ps(ReduceMax(vmax));
  __m512 sum = _mm512_setzero_ps();
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 m = TailMask(n - i);
    const __m512 e = _mm512_maskz_mov_ps(m, Exp(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), max)));
    _mm512_mask_storeu_ps(x + i, m, e);
    sum = _mm512_add_ps(sum, e);
  }
  const __m512 inv = _mm512_set1_ps(1.0f / ReduceAdd(sum));
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 m = TailMask(n - i);
    _mm512_mask_storeu_ps(x + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), inv));
  }
}

ExpSum ExpSumRow(size_t n, float* x) {
  // Four max chains: a row of the vocabulary is 9.5k vectors, and one chain
  // would wait on vmaxps's latency each step.
  __m512 m0 = _mm512_set1_ps(-INFINITY), m1 = m0, m2 = m0, m3 = m0;
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    m0 = _mm512_max_ps(m0, _mm512_loadu_ps(x + i));
    m1 = _mm512_max_ps(m1, _mm512_loadu_ps(x + i + 16));
    m2 = _mm512_max_ps(m2, _mm512_loadu_ps(x + i + 32));
    m3 = _mm512_max_ps(m3, _mm512_loadu_ps(x + i + 48));
  }
  for (; i < n; i += 16) m0 = _mm512_max_ps(m0, _mm512_mask_loadu_ps(m0, TailMask(n - i), x + i));
  const float mx = ReduceMax(_mm512_max_ps(_mm512_max_ps(m0, m1), _mm512_max_ps(m2, m3)));
  const __m512 max = _mm512_set1_ps(mx);
  // f64 sums: each exp widened, in two sets of eight lanes.
  __m512d s0 = _mm512_setzero_pd(), s1 = s0;
  for (i = 0; i < n; i += 16) {
    const __mmask16 m = TailMask(n - i);
    const __m512 e = _mm512_maskz_mov_ps(m, Exp(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), max)));
    _mm512_mask_storeu_ps(x + i, m, e);
    s0 = _mm512_add_pd(s0, _mm512_cvtps_pd(_mm512_castps512_ps256(e)));
    s1 = _mm512_add_pd(s1, _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_maskz_extractf64x4_pd(0xFF, _mm512_castps_pd(e), 1))));
  }
  const __m512d s = _mm512_add_pd(s0, s1);
  // Zero-masked extracts: GCC 12's plain forms pass an undefined vector (-Wuninitialized).
  const __m256d q = _mm256_add_pd(_mm512_maskz_extractf64x4_pd(0xFF, s, 0), _mm512_maskz_extractf64x4_pd(0xFF, s, 1));
  const __m128d d = _mm_add_pd(_mm256_castpd256_pd128(q), _mm256_extractf128_pd(q, 1));
  return {mx, _mm_cvtsd_f64(_mm_add_sd(d, _mm_unpackhi_pd(d, d)))};
}

void Scale(size_t n, float a, float* x) {
  const __m512 va = _mm512_set1_ps(a);
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 m = TailMask(n - i);
    _mm512_mask_storeu_ps(x + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), va));
  }
}

inline __m512 SiluV(__m512 v) {
  return _mm512_div_ps(v, _mm512_add_ps(_mm512_set1_ps(1.0f), Exp(_mm512_sub_ps(_mm512_setzero_ps(), v))));
}

void Silu(size_t n, const float* x, float* y) {
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 m = TailMask(n - i);
    _mm512_mask_storeu_ps(y + i, m, SiluV(_mm512_maskz_loadu_ps(m, x + i)));
  }
}

void SiluMul(size_t n, const float* gate, const float* up, float* y) {
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 m = TailMask(n - i);
    const __m512 g = SiluV(_mm512_maskz_loadu_ps(m, gate + i));
    _mm512_mask_storeu_ps(y + i, m, _mm512_mul_ps(g, _mm512_maskz_loadu_ps(m, up + i)));
  }
}

void SiluMulBackward(size_t n, const float* gate, const float* up, const float* dh, float* dg, float* du) {
  const __m512 one = _mm512_set1_ps(1.0f);
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 m = TailMask(n - i);
    const __m512 g = _mm512_maskz_loadu_ps(m, gate + i), d = _mm512_maskz_loadu_ps(m, dh + i);
    const __m512 sig = _mm512_div_ps(one, _mm512_add_ps(one, Exp(_mm512_sub_ps(_mm512_setzero_ps(), g))));
    _mm512_mask_storeu_ps(du + i, m, _mm512_mul_ps(d, _mm512_mul_ps(g, sig)));
    // The reference's order: ((dh·up)·s)·(1 + g·(1 − s)), each product rounded.
    const __m512 tail = _mm512_add_ps(one, _mm512_mul_ps(g, _mm512_sub_ps(one, sig)));
    _mm512_mask_storeu_ps(dg + i, m, _mm512_mul_ps(_mm512_mul_ps(_mm512_mul_ps(d, _mm512_maskz_loadu_ps(m, up + i)), sig), tail));
  }
}

void RmsNormBackward(size_t n, const float* x, const float* w, float eps, const float* dy, const float* dres,
                     float* dx) {
  // Both sums in one pass, 16 lanes each (the reference sums in order: the
  // last bits of r and c differ).
  __m512 ss = _mm512_setzero_ps(), dot = _mm512_setzero_ps();
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 m = TailMask(n - i);
    const __m512 v = _mm512_maskz_loadu_ps(m, x + i);
    ss = _mm512_fmadd_ps(v, v, ss);
    dot = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(m, w + i), _mm512_maskz_loadu_ps(m, dy + i)), v, dot);
  }
  const float r = 1.0f / std::sqrt(ReduceAdd(ss) / static_cast<float>(n) + eps);
  const __m512 vr = _mm512_set1_ps(r), vc = _mm512_set1_ps(r * r * r * ReduceAdd(dot) / static_cast<float>(n));
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 m = TailMask(n - i);
    // The reference's order: (r·w)·dy − x·c, each product rounded, then + dres.
    const __m512 g = _mm512_sub_ps(
        _mm512_mul_ps(_mm512_mul_ps(vr, _mm512_maskz_loadu_ps(m, w + i)), _mm512_maskz_loadu_ps(m, dy + i)),
        _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), vc));
    _mm512_mask_storeu_ps(dx + i, m, dres != nullptr ? _mm512_add_ps(_mm512_maskz_loadu_ps(m, dres + i), g) : g);
  }
}

}  // namespace

const RowOpsUkernels& RowOpsUkernelsAvx512() {
  static const RowOpsUkernels k{"avx512vnni", RmsNorm, Rope,    Softmax,         ExpSumRow,
                                Scale,        Silu,    SiluMul, SiluMulBackward, RmsNormBackward};
  return k;
}

}  // namespace edgert::kernels::avx512vnni
