// kernels/simd/avx2.h: AVX2 + FMA helpers (vector exp, reductions, tail
// masks) shared by the AVX2 row ops, attention, low-rank and dx += dy·tile
// files. Include only from files compiled with the AVX2 flags (-mavx2
// -mfma -mf16c). Internal linkage (an unnamed namespace), so files built
// with other flags never share a copy.
//
// Exp is simd/avx512.h's: the same range reduction x = n·ln2 + r (ln2 split
// in two), the same degree-6 polynomial (Cephes' expf coefficients, ~1-2
// ulp), the same clamp of x to [-104, 89]. AVX2 has no scalef, so 2^n is
// built in the exponent field, in two halves 2^(n>>1) · 2^(n - (n>>1)):
// each half stays a normal number for n in [-150, 129], and the two
// multiplies round to the denormal, zero or inf that std::exp gives there.
//
// Tails: AVX2 has no mask registers; TailMask(left) is an integer vector for
// _mm256_maskload_ps / _mm256_maskstore_ps (lanes < left set), which neither
// read nor write (nor fault on) the lanes outside it.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

namespace edgert::kernels::simd {
namespace {

inline __m256 Exp(__m256 x) {
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-104.0f)), _mm256_set1_ps(89.0f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  const __m256 y = _mm256_fmadd_ps(_mm256_mul_ps(p, r), r, _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  // 2^n as two normal powers of two: n1 = n >> 1 (arithmetic), n2 = n - n1.
  const __m256i ni = _mm256_cvtps_epi32(n);
  const __m256i n1 = _mm256_srai_epi32(ni, 1), n2 = _mm256_sub_epi32(ni, n1);
  const __m256i bias = _mm256_set1_epi32(127);
  const __m256 p1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
  const __m256 p2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
  return _mm256_mul_ps(_mm256_mul_ps(y, p1), p2);
}

inline float ReduceAdd(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline float ReduceMax(__m256 v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline int32_t ReduceAdd(__m256i v) {  // eight int32 lanes
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
  return _mm_cvtsi128_si32(s);
}

inline double ReduceAdd(__m256d v) {
  __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
  return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
}

// Lanes [0, min(left, 8)) set: a window into eight -1s followed by eight 0s.
inline __m256i TailMask(size_t left) {
  alignas(64) static constexpr int32_t kWindow[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kWindow + 8 - (left < 8 ? left : 8)));
}

// The lanes of one step of a row loop: Full (8, plain loads and stores) or
// Tail (the first `left`, masked; Keep zeroes the others, e.g. before a sum;
// LoadOr reads them as `fill`, e.g. -inf before a max).
struct Full {
  __m256 Load(const float* p) const { return _mm256_loadu_ps(p); }
  __m256 LoadOr(const float* p, __m256) const { return _mm256_loadu_ps(p); }
  void Store(float* p, __m256 v) const { _mm256_storeu_ps(p, v); }
  __m256 Keep(__m256 v) const { return v; }
};
struct Tail {
  __m256i mask;
  __m256 Load(const float* p) const { return _mm256_maskload_ps(p, mask); }
  __m256 LoadOr(const float* p, __m256 fill) const {
    return _mm256_blendv_ps(fill, _mm256_maskload_ps(p, mask), _mm256_castsi256_ps(mask));
  }
  void Store(float* p, __m256 v) const { _mm256_maskstore_ps(p, mask, v); }
  __m256 Keep(__m256 v) const { return _mm256_and_ps(v, _mm256_castsi256_ps(mask)); }
};

// f(i, lanes) for i = 0, 8, ... < n: Full steps, then one Tail step for
// n % 8 (f is a generic lambda, compiled once for each).
template <typename F>
inline void ForEachVector(size_t n, F&& f) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) f(i, Full{});
  if (i < n) f(i, Tail{TailMask(n - i)});
}

}  // namespace
}  // namespace edgert::kernels::simd
