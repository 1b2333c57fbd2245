// kernels/attention/attention_grad_neon.cc: the training-attention row
// operations in aarch64 NEON (every ARM tier), four lanes with scalar tails
// that go through the same vector exp, so every element gets the same exp.
#include <arm_neon.h>

#include <cmath>

#include "kernels/attention/attention_grad.h"
#include "kernels/simd/neon.h"

namespace edgert::kernels::neon {

void ScaledSoftmax(size_t n, float scale, float* x) {
  // max(scale·x) = scale·max(x) for scale > 0: the scaling happens inside the
  // exponent's argument (one FMA), one rounding fewer than scaling the row first.
  float32x4_t vmax = vdupq_n_f32(-INFINITY);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) vmax = vmaxq_f32(vmax, vld1q_f32(x + i));
  float max = vmaxvq_f32(vmax);
  for (; i < n; ++i) max = std::fmax(max, x[i]);
  const float shift = scale * max;
  const float32x4_t neg_shift = vdupq_n_f32(-shift), vs = vdupq_n_f32(scale);
  float32x4_t sum = vdupq_n_f32(0.0f);
  for (i = 0; i + 4 <= n; i += 4) {
    const float32x4_t e = simd::Exp(vfmaq_f32(neg_shift, vld1q_f32(x + i), vs));
    vst1q_f32(x + i, e);
    sum = vaddq_f32(sum, e);
  }
  float s = vaddvq_f32(sum);
  for (; i < n; ++i) {
    x[i] = vgetq_lane_f32(simd::Exp(vdupq_n_f32(std::fma(x[i], scale, -shift))), 0);
    s += x[i];
  }
  const float inv = 1.0f / s;
  for (i = 0; i + 4 <= n; i += 4) vst1q_f32(x + i, vmulq_n_f32(vld1q_f32(x + i), inv));
  for (; i < n; ++i) x[i] *= inv;
}

void SoftmaxBackward(size_t n, const float* p, float scale, float* ds) {
  float32x4_t acc = vdupq_n_f32(0.0f);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) acc = vfmaq_f32(acc, vld1q_f32(p + i), vld1q_f32(ds + i));
  float dot = vaddvq_f32(acc);
  for (; i < n; ++i) dot = std::fma(p[i], ds[i], dot);
  const float32x4_t vdot = vdupq_n_f32(dot);
  for (i = 0; i + 4 <= n; i += 4) {
    const float32x4_t d = vsubq_f32(vld1q_f32(ds + i), vdot);
    vst1q_f32(ds + i, vmulq_n_f32(vmulq_f32(vld1q_f32(p + i), d), scale));
  }
  for (; i < n; ++i) ds[i] = p[i] * (ds[i] - dot) * scale;
}

}  // namespace edgert::kernels::neon
