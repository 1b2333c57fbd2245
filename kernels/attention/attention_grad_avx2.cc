// kernels/attention/attention_grad_avx2.cc: the training-attention row
// operations in AVX2 + FMA, 8 lanes with a masked tail (simd::Tail).
#include <immintrin.h>

#include <cmath>

#include "kernels/attention/attention_grad.h"
#include "kernels/simd/avx2.h"

namespace edgert::kernels::avx2 {

using simd::ForEachVector;

void ScaledSoftmax(size_t n, float scale, float* x) {
  // max(scale·x) = scale·max(x) for scale > 0: the scaling happens inside the
  // exponent's argument, one rounding fewer than scaling the row first.
  const __m256 neg_inf = _mm256_set1_ps(-INFINITY);
  __m256 vmax = neg_inf;
  ForEachVector(n, [&](size_t i, auto m) { vmax = _mm256_max_ps(vmax, m.LoadOr(x + i, neg_inf)); });
  const __m256 vs = _mm256_set1_ps(scale);
  const __m256 shift = _mm256_set1_ps(scale * simd::ReduceMax(vmax));
  __m256 sum = _mm256_setzero_ps();
  ForEachVector(n, [&](size_t i, auto m) {
    const __m256 e = m.Keep(simd::Exp(_mm256_fmsub_ps(m.Load(x + i), vs, shift)));
    m.Store(x + i, e);
    sum = _mm256_add_ps(sum, e);
  });
  const __m256 inv = _mm256_set1_ps(1.0f / simd::ReduceAdd(sum));
  ForEachVector(n, [&](size_t i, auto m) { m.Store(x + i, _mm256_mul_ps(m.Load(x + i), inv)); });
}

void SoftmaxBackward(size_t n, const float* p, float scale, float* ds) {
  __m256 acc = _mm256_setzero_ps();
  ForEachVector(n, [&](size_t i, auto m) { acc = _mm256_fmadd_ps(m.Load(p + i), m.Load(ds + i), acc); });
  const __m256 dot = _mm256_set1_ps(simd::ReduceAdd(acc)), vs = _mm256_set1_ps(scale);
  ForEachVector(n, [&](size_t i, auto m) {
    const __m256 d = _mm256_sub_ps(m.Load(ds + i), dot);
    m.Store(ds + i, _mm256_mul_ps(_mm256_mul_ps(m.Load(p + i), d), vs));
  });
}

}  // namespace edgert::kernels::avx2
