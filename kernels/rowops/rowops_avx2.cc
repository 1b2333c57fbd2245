// kernels/rowops/rowops_avx2.cc: AVX2 + FMA row operations (see rowops.h),
// the AVX-512 file's operations on 8-lane vectors: full vectors in the main
// loops, masked loads and stores (simd::Tail) for the last n % 8 elements.
// May not allocate.
#include <immintrin.h>

#include <cmath>

#include "kernels/rowops/rowops_variants.h"
#include "kernels/simd/avx2.h"

namespace edgert::kernels::avx2 {
namespace {

using simd::Exp;
using simd::ForEachVector;
using simd::ReduceAdd;
using simd::ReduceMax;
using simd::TailMask;

void RmsNorm(size_t n, const float* x, const float* w, float eps, float* y) {
  __m256 ss = _mm256_setzero_ps();
  ForEachVector(n, [&](size_t i, auto m) {
    const __m256 v = m.Load(x + i);
    ss = _mm256_fmadd_ps(v, v, ss);
  });
  const float scale = 1.0f / std::sqrt(ReduceAdd(ss) / static_cast<float>(n) + eps);
  const __m256 vs = _mm256_set1_ps(scale);
  ForEachVector(n, [&](size_t i, auto m) {
    const __m256 v = _mm256_mul_ps(m.Load(x + i), vs);
    m.Store(y + i, _mm256_mul_ps(m.Load(w + i), v));
  });
}

void Rope(size_t n_heads, size_t head_dim, const float* cos, const float* sin, float* x) {
  const size_t half = head_dim / 2;
  for (size_t h = 0; h < n_heads; ++h, x += head_dim) {
    ForEachVector(half, [&](size_t i, auto m) {
      const __m256 a = m.Load(x + i), b = m.Load(x + half + i);
      const __m256 c = m.Load(cos + i), s = m.Load(sin + i);
      // Same rounding as the reference: each product rounded, then the sum.
      m.Store(x + i, _mm256_sub_ps(_mm256_mul_ps(a, c), _mm256_mul_ps(b, s)));
      m.Store(x + half + i, _mm256_add_ps(_mm256_mul_ps(b, c), _mm256_mul_ps(a, s)));
    });
  }
}

// max over x[0..n): four chains (vmaxps's latency), a masked tail read as -inf.
float RowMax(size_t n, const float* x) {
  const __m256 neg_inf = _mm256_set1_ps(-INFINITY);
  __m256 m0 = neg_inf, m1 = neg_inf, m2 = neg_inf, m3 = neg_inf;
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    m0 = _mm256_max_ps(m0, _mm256_loadu_ps(x + i));
    m1 = _mm256_max_ps(m1, _mm256_loadu_ps(x + i + 8));
    m2 = _mm256_max_ps(m2, _mm256_loadu_ps(x + i + 16));
    m3 = _mm256_max_ps(m3, _mm256_loadu_ps(x + i + 24));
  }
  for (; i + 8 <= n; i += 8) m0 = _mm256_max_ps(m0, _mm256_loadu_ps(x + i));
  if (i < n) m1 = _mm256_max_ps(m1, simd::Tail{TailMask(n - i)}.LoadOr(x + i, neg_inf));
  return ReduceMax(_mm256_max_ps(_mm256_max_ps(m0, m1), _mm256_max_ps(m2, m3)));
}

void Softmax(size_t n, float* x) {
  const __m256 max = _mm256_set1_ps(RowMax(n, x));
  __m256 sum = _mm256_setzero_ps();
  ForEachVector(n, [&](size_t i, auto m) {
    // A tail's lanes past n load 0 and would add exp(-max): Keep zeroes them.
    const __m256 e = m.Keep(Exp(_mm256_sub_ps(m.Load(x + i), max)));
    m.Store(x + i, e);
    sum = _mm256_add_ps(sum, e);
  });
  const __m256 inv = _mm256_set1_ps(1.0f / ReduceAdd(sum));
  ForEachVector(n, [&](size_t i, auto m) { m.Store(x + i, _mm256_mul_ps(m.Load(x + i), inv)); });
}

ExpSum ExpSumRow(size_t n, float* x) {
  const float mx = RowMax(n, x);
  const __m256 max = _mm256_set1_ps(mx);
  // f64 sums: each exp widened, in two sets of four lanes.
  __m256d s0 = _mm256_setzero_pd(), s1 = s0;
  ForEachVector(n, [&](size_t i, auto m) {
    const __m256 e = m.Keep(Exp(_mm256_sub_ps(m.Load(x + i), max)));
    m.Store(x + i, e);
    s0 = _mm256_add_pd(s0, _mm256_cvtps_pd(_mm256_castps256_ps128(e)));
    s1 = _mm256_add_pd(s1, _mm256_cvtps_pd(_mm256_extractf128_ps(e, 1)));
  });
  return {mx, ReduceAdd(_mm256_add_pd(s0, s1))};
}

void Scale(size_t n, float a, float* x) {
  const __m256 va = _mm256_set1_ps(a);
  ForEachVector(n, [&](size_t i, auto m) { m.Store(x + i, _mm256_mul_ps(m.Load(x + i), va)); });
}

inline __m256 Sigmoid(__m256 v) {
  const __m256 one = _mm256_set1_ps(1.0f);
  return _mm256_div_ps(one, _mm256_add_ps(one, Exp(_mm256_sub_ps(_mm256_setzero_ps(), v))));
}

inline __m256 SiluV(__m256 v) {
  return _mm256_div_ps(v, _mm256_add_ps(_mm256_set1_ps(1.0f), Exp(_mm256_sub_ps(_mm256_setzero_ps(), v))));
}

void Silu(size_t n, const float* x, float* y) {
  ForEachVector(n, [&](size_t i, auto m) { m.Store(y + i, SiluV(m.Load(x + i))); });
}

void SiluMul(size_t n, const float* gate, const float* up, float* y) {
  ForEachVector(n, [&](size_t i, auto m) {
    m.Store(y + i, _mm256_mul_ps(SiluV(m.Load(gate + i)), m.Load(up + i)));
  });
}

void SiluMulBackward(size_t n, const float* gate, const float* up, const float* dh, float* dg, float* du) {
  const __m256 one = _mm256_set1_ps(1.0f);
  ForEachVector(n, [&](size_t i, auto m) {
    const __m256 g = m.Load(gate + i), d = m.Load(dh + i);
    const __m256 sig = Sigmoid(g);
    m.Store(du + i, _mm256_mul_ps(d, _mm256_mul_ps(g, sig)));
    // The reference's order: ((dh·up)·s)·(1 + g·(1 − s)), each product rounded.
    const __m256 tail = _mm256_add_ps(one, _mm256_mul_ps(g, _mm256_sub_ps(one, sig)));
    m.Store(dg + i, _mm256_mul_ps(_mm256_mul_ps(_mm256_mul_ps(d, m.Load(up + i)), sig), tail));
  });
}

void RmsNormBackward(size_t n, const float* x, const float* w, float eps, const float* dy, const float* dres,
                     float* dx) {
  // Both sums in one pass, 8 lanes each (the reference sums in order: the
  // last bits of r and c differ).
  __m256 ss = _mm256_setzero_ps(), dot = _mm256_setzero_ps();
  ForEachVector(n, [&](size_t i, auto m) {
    const __m256 v = m.Load(x + i);
    ss = _mm256_fmadd_ps(v, v, ss);
    dot = _mm256_fmadd_ps(_mm256_mul_ps(m.Load(w + i), m.Load(dy + i)), v, dot);
  });
  const float r = 1.0f / std::sqrt(ReduceAdd(ss) / static_cast<float>(n) + eps);
  const __m256 vr = _mm256_set1_ps(r), vc = _mm256_set1_ps(r * r * r * ReduceAdd(dot) / static_cast<float>(n));
  ForEachVector(n, [&](size_t i, auto m) {
    // The reference's order: (r·w)·dy − x·c, each product rounded, then + dres.
    const __m256 g = _mm256_sub_ps(_mm256_mul_ps(_mm256_mul_ps(vr, m.Load(w + i)), m.Load(dy + i)),
                                   _mm256_mul_ps(m.Load(x + i), vc));
    m.Store(dx + i, dres != nullptr ? _mm256_add_ps(m.Load(dres + i), g) : g);
  });
}

}  // namespace

const RowOpsUkernels& RowOpsUkernelsAvx2() {
  static const RowOpsUkernels k{"avx2", RmsNorm, Rope,    Softmax,         ExpSumRow,
                                Scale,  Silu,    SiluMul, SiluMulBackward, RmsNormBackward};
  return k;
}

}  // namespace edgert::kernels::avx2
