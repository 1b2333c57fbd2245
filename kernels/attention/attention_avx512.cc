// kernels/attention/attention_avx512.cc: AVX-512 attention for one query row.
// Scores: one dot product per key (head_dim in 16-lane steps, masked tail);
// softmax with the shared vector exp; output accumulated in registers for
// head_dim ≤ 256 (Qwen2: 64 or 128), else straight through `out`.
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "kernels/attention/attention_variants.h"
#include "kernels/simd/avx512.h"

namespace edgert::kernels::avx512vnni {
namespace {

using simd::Exp;
using simd::ReduceAdd;
using simd::ReduceMax;
using simd::TailMask;

inline __m512 Load16(const float* p, __mmask16 m) { return _mm512_maskz_loadu_ps(m, p); }
inline __m512 Load16(const uint16_t* p, __mmask16 m) { return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, p)); }

constexpr size_t kMaxRegs = 16;  // head_dim ≤ 256 kept in registers

template <typename T>
void Attend(size_t n, size_t head_dim, const float* q, const void* kp, const void* vp, size_t kv_stride, float scale,
            float* scores, float* out) {
  const T* k = static_cast<const T*>(kp);
  const T* v = static_cast<const T*>(vp);
  const size_t regs = (head_dim + 15) / 16;
  __m512 qv[kMaxRegs];
  const size_t qregs = std::min(regs, kMaxRegs);
  for (size_t r = 0; r < qregs; ++r) qv[r] = Load16(q + 16 * r, TailMask(head_dim - 16 * r));
  float max = -INFINITY;
  for (size_t j = 0; j < n; ++j) {
    const T* kj = k + j * kv_stride;
    __m512 acc = _mm512_setzero_ps();
    for (size_t r = 0; r < regs; ++r) {
      const __mmask16 m = TailMask(head_dim - 16 * r);
      const __m512 qr = r < kMaxRegs ? qv[r] : Load16(q + 16 * r, m);
      acc = _mm512_fmadd_ps(qr, Load16(kj + 16 * r, m), acc);
    }
    scores[j] = ReduceAdd(acc) * scale;
    max = std::max(max, scores[j]);
  }
  const __m512 vmax = _mm512_set1_ps(max);
  __m512 sum = _mm512_setzero_ps();
  for (size_t j = 0; j < n; j += 16) {
    const __mmask16 m = TailMask(n - j);
    const __m512 e = _mm512_maskz_mov_ps(m, Exp(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, scores + j), vmax)));
    _mm512_mask_storeu_ps(scores + j, m, e);
    sum = _mm512_add_ps(sum, e);
  }
  const float inv = 1.0f / ReduceAdd(sum);
  if (regs <= kMaxRegs) {
    __m512 o[kMaxRegs];
    for (size_t r = 0; r < regs; ++r) o[r] = _mm512_setzero_ps();
    for (size_t j = 0; j < n; ++j) {
      const __m512 p = _mm512_set1_ps(scores[j] * inv);
      const T* vj = v + j * kv_stride;
      for (size_t r = 0; r < regs; ++r) o[r] = _mm512_fmadd_ps(p, Load16(vj + 16 * r, TailMask(head_dim - 16 * r)), o[r]);
    }
    for (size_t r = 0; r < regs; ++r) _mm512_mask_storeu_ps(out + 16 * r, TailMask(head_dim - 16 * r), o[r]);
    return;
  }
  for (size_t d = 0; d < head_dim; ++d) out[d] = 0.0f;
  for (size_t j = 0; j < n; ++j) {
    const __m512 p = _mm512_set1_ps(scores[j] * inv);
    const T* vj = v + j * kv_stride;
    for (size_t r = 0; r < regs; ++r) {
      const __mmask16 m = TailMask(head_dim - 16 * r);
      _mm512_mask_storeu_ps(out + 16 * r, m, _mm512_fmadd_ps(p, Load16(vj + 16 * r, m), Load16(out + 16 * r, m)));
    }
  }
}

}  // namespace

const AttentionUkernels& AttentionUkernelsAvx512() {
  static const AttentionUkernels k{"avx512vnni", Attend<float>, Attend<uint16_t>};
  return k;
}

}  // namespace edgert::kernels::avx512vnni
