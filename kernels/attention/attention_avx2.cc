// kernels/attention/attention_avx2.cc: AVX2 + FMA attention for one query row
// (F16C for an f16 cache). Scores: one dot product per key, head_dim in
// 8-lane steps over two accumulators (one chain would wait on the FMA's
// latency), q held in registers for head_dim ≤ 64; softmax with the shared
// vector exp, the probabilities normalized in place; the output accumulated
// in registers 64 columns at a time (eight ymm), each chunk one pass over
// the values.
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "kernels/attention/attention_variants.h"
#include "kernels/simd/avx2.h"

namespace edgert::kernels::avx2 {
namespace {

using simd::Exp;
using simd::ForEachVector;
using simd::ReduceAdd;

// Eight elements at p, of which `left` (≥ 1) exist; the rest read as 0.
inline __m256 Load8(const float* p, size_t left) {
  return left >= 8 ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, simd::TailMask(left));
}
inline __m256 Load8(const uint16_t* p, size_t left) {
  if (left >= 8) return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  uint16_t part[8] = {};  // no 16-bit masked load in AVX2
  std::memcpy(part, p, left * sizeof(uint16_t));
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(part)));
}

constexpr size_t kQRegs = 8;    // q in registers for head_dim ≤ 64
constexpr size_t kOutRegs = 8;  // output columns per pass over the values: 64

template <typename T>
void Attend(size_t n, size_t head_dim, const float* q, const void* kp, const void* vp, size_t kv_stride, float scale,
            float* scores, float* out) {
  const T* k = static_cast<const T*>(kp);
  const T* v = static_cast<const T*>(vp);
  const size_t regs = (head_dim + 7) / 8;
  __m256 qv[kQRegs];
  for (size_t r = 0; r < std::min(regs, kQRegs); ++r) qv[r] = Load8(q + 8 * r, head_dim - 8 * r);
  float max = -INFINITY;
  for (size_t j = 0; j < n; ++j) {
    const T* kj = k + j * kv_stride;
    __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
    for (size_t r = 0; r < regs; ++r) {
      const __m256 qr = r < kQRegs ? qv[r] : Load8(q + 8 * r, head_dim - 8 * r);
      acc[r & 1] = _mm256_fmadd_ps(qr, Load8(kj + 8 * r, head_dim - 8 * r), acc[r & 1]);
    }
    scores[j] = ReduceAdd(_mm256_add_ps(acc[0], acc[1])) * scale;
    max = std::max(max, scores[j]);
  }
  const __m256 vmax = _mm256_set1_ps(max);
  __m256 sum = _mm256_setzero_ps();
  ForEachVector(n, [&](size_t j, auto m) {
    const __m256 e = m.Keep(Exp(_mm256_sub_ps(m.Load(scores + j), vmax)));
    m.Store(scores + j, e);
    sum = _mm256_add_ps(sum, e);
  });
  const __m256 inv = _mm256_set1_ps(1.0f / ReduceAdd(sum));
  ForEachVector(n, [&](size_t j, auto m) { m.Store(scores + j, _mm256_mul_ps(m.Load(scores + j), inv)); });
  for (size_t c0 = 0; c0 < head_dim; c0 += 8 * kOutRegs) {
    const size_t cols = std::min(head_dim - c0, 8 * kOutRegs), cregs = (cols + 7) / 8;
    __m256 o[kOutRegs];
    for (size_t r = 0; r < cregs; ++r) o[r] = _mm256_setzero_ps();
    for (size_t j = 0; j < n; ++j) {
      const __m256 p = _mm256_set1_ps(scores[j]);
      const T* vj = v + j * kv_stride + c0;
      for (size_t r = 0; r < cregs; ++r) o[r] = _mm256_fmadd_ps(p, Load8(vj + 8 * r, cols - 8 * r), o[r]);
    }
    for (size_t r = 0; r < cregs; ++r) {
      if (cols - 8 * r >= 8) {
        _mm256_storeu_ps(out + c0 + 8 * r, o[r]);
      } else {
        _mm256_maskstore_ps(out + c0 + 8 * r, simd::TailMask(cols - 8 * r), o[r]);
      }
    }
  }
}

}  // namespace

const AttentionUkernels& AttentionUkernelsAvx2() {
  static const AttentionUkernels k{"avx2", Attend<float>, Attend<uint16_t>};
  return k;
}

}  // namespace edgert::kernels::avx2
