// kernels/attention/attention_neon.cc: aarch64 NEON attention for one query
// row (both ARM variants). Scores: one four-lane dot product per key, the
// head_dim tail in scalar; softmax with the shared vector exp; the output
// accumulated in `out` (a head's row stays in L1).
#include <arm_neon.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "kernels/attention/attention_variants.h"
#include "kernels/convert/fp16.h"
#include "kernels/simd/neon.h"

namespace edgert::kernels::neon {
namespace {

using simd::Exp;
using simd::Load4;

inline float Load1(const float* p) { return *p; }
inline float Load1(const uint16_t* p) { return F16ToF32(*p); }

template <typename T>
void Attend(size_t n, size_t head_dim, const float* q, const void* kp, const void* vp, size_t kv_stride, float scale,
            float* scores, float* out) {
  const T* k = static_cast<const T*>(kp);
  const T* v = static_cast<const T*>(vp);
  const size_t d4 = head_dim & ~size_t{3};
  float max = -INFINITY;
  for (size_t j = 0; j < n; ++j) {
    const T* kj = k + j * kv_stride;
    float32x4_t acc = vdupq_n_f32(0.0f);
    for (size_t d = 0; d < d4; d += 4) acc = vfmaq_f32(acc, vld1q_f32(q + d), Load4(kj + d));
    float s = vaddvq_f32(acc);
    for (size_t d = d4; d < head_dim; ++d) s = std::fma(q[d], Load1(kj + d), s);
    scores[j] = s * scale;
    max = std::max(max, scores[j]);
  }
  const float32x4_t vmax = vdupq_n_f32(max);
  float32x4_t vsum = vdupq_n_f32(0.0f);
  size_t j = 0;
  for (; j + 4 <= n; j += 4) {
    const float32x4_t e = Exp(vsubq_f32(vld1q_f32(scores + j), vmax));
    vst1q_f32(scores + j, e);
    vsum = vaddq_f32(vsum, e);
  }
  float sum = vaddvq_f32(vsum);
  for (; j < n; ++j) {
    scores[j] = vgetq_lane_f32(Exp(vdupq_n_f32(scores[j] - max)), 0);
    sum += scores[j];
  }
  const float inv = 1.0f / sum;
  std::fill(out, out + head_dim, 0.0f);
  for (j = 0; j < n; ++j) {
    const float p = scores[j] * inv;
    const T* vj = v + j * kv_stride;
    for (size_t d = 0; d < d4; d += 4) vst1q_f32(out + d, vfmaq_n_f32(vld1q_f32(out + d), Load4(vj + d), p));
    for (size_t d = d4; d < head_dim; ++d) out[d] = std::fma(p, Load1(vj + d), out[d]);
  }
}

}  // namespace

const AttentionUkernels& AttentionUkernelsNeon() {
  static const AttentionUkernels k{"neon", Attend<float>, Attend<uint16_t>};
  return k;
}

}  // namespace edgert::kernels::neon
