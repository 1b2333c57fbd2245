// kernels/attention/attention_grad_avx512.cc: the training-attention row
// operations in AVX-512F, 16 lanes with a masked tail.
#include <immintrin.h>

#include <cmath>

#include "kernels/attention/attention_grad.h"
#include "kernels/simd/avx512.h"

namespace edgert::kernels::avx512vnni {

using simd::TailMask;

void ScaledSoftmax(size_t n, float scale, float* x) {
  // max(scale·x) = scale·max(x) for scale > 0: the scaling happens inside the
  // exponent's argument, one rounding fewer than scaling the row first.
  __m512 vmax = _mm512_set1_ps(-INFINITY);
  for (size_t i = 0; i < n; i += 16) vmax = _mm512_max_ps(vmax, _mm512_mask_loadu_ps(vmax, TailMask(n - i), x + i));
  const __m512 vs = _mm512_set1_ps(scale);
  const __m512 shift = _mm512_set1_ps(scale * simd::ReduceMax(vmax));
  __m512 sum = _mm512_setzero_ps();
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 m = TailMask(n - i);
    const __m512 e = _mm512_maskz_mov_ps(m, simd::Exp(_mm512_fmsub_ps(_mm512_maskz_loadu_ps(m, x + i), vs, shift)));
    _mm512_mask_storeu_ps(x + i, m, e);
    sum = _mm512_add_ps(sum, e);
  }
  const __m512 inv = _mm512_set1_ps(1.0f / simd::ReduceAdd(sum));
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 m = TailMask(n - i);
    _mm512_mask_storeu_ps(x + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), inv));
  }
}

void SoftmaxBackward(size_t n, const float* p, float scale, float* ds) {
  __m512 acc = _mm512_setzero_ps();
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 m = TailMask(n - i);
    acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, p + i), _mm512_maskz_loadu_ps(m, ds + i), acc);
  }
  const __m512 dot = _mm512_set1_ps(simd::ReduceAdd(acc)), vs = _mm512_set1_ps(scale);
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 m = TailMask(n - i);
    const __m512 pv = _mm512_maskz_loadu_ps(m, p + i);
    const __m512 d = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, ds + i), dot);
    _mm512_mask_storeu_ps(ds + i, m, _mm512_mul_ps(_mm512_mul_ps(pv, d), vs));
  }
}

}  // namespace edgert::kernels::avx512vnni
