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

}  // namespace

const RowOpsUkernels& RowOpsUkernelsAvx512() {
  static const RowOpsUkernels k{"avx512vnni", RmsNorm, Rope, Softmax, Silu, SiluMul};
  return k;
}

}  // namespace edgert::kernels::avx512vnni
