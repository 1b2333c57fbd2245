// kernels/rowops/rowops_neon.cc: aarch64 NEON row operations (see rowops.h),
// for both ARM variants (they need no dot products). Four lanes at a time,
// scalar tails. May not allocate.
#include <arm_neon.h>

#include <cmath>

#include "kernels/rowops/rowops_variants.h"
#include "kernels/simd/neon.h"

namespace edgert::kernels::neon {
namespace {

using simd::Exp;

void RmsNorm(size_t n, const float* x, const float* w, float eps, float* y) {
  float32x4_t ss = vdupq_n_f32(0.0f);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const float32x4_t v = vld1q_f32(x + i);
    ss = vfmaq_f32(ss, v, v);
  }
  float s = vaddvq_f32(ss);
  for (; i < n; ++i) s = std::fma(x[i], x[i], s);
  const float scale = 1.0f / std::sqrt(s / static_cast<float>(n) + eps);
  for (i = 0; i + 4 <= n; i += 4) vst1q_f32(y + i, vmulq_f32(vld1q_f32(w + i), vmulq_n_f32(vld1q_f32(x + i), scale)));
  for (; i < n; ++i) y[i] = w[i] * (x[i] * scale);
}

void Rope(size_t n_heads, size_t head_dim, const float* cos, const float* sin, float* x) {
  const size_t half = head_dim / 2;
  for (size_t h = 0; h < n_heads; ++h, x += head_dim) {
    size_t i = 0;
    for (; i + 4 <= half; i += 4) {
      const float32x4_t a = vld1q_f32(x + i), b = vld1q_f32(x + half + i);
      const float32x4_t c = vld1q_f32(cos + i), s = vld1q_f32(sin + i);
      // Same rounding as the reference: each product rounded, then the sum (no FMA).
      vst1q_f32(x + i, vsubq_f32(vmulq_f32(a, c), vmulq_f32(b, s)));
      vst1q_f32(x + half + i, vaddq_f32(vmulq_f32(b, c), vmulq_f32(a, s)));
    }
    for (; i < half; ++i) {
      const float a = x[i], b = x[i + half];
      x[i] = a * cos[i] - b * sin[i];
      x[i + half] = b * cos[i] + a * sin[i];
    }
  }
}

// exp of the tail elements through the vector path too, so every element gets the same exp.
inline float ExpOne(float v) { return vgetq_lane_f32(Exp(vdupq_n_f32(v)), 0); }

void Softmax(size_t n, float* x) {
  float32x4_t vmax = vdupq_n_f32(-INFINITY);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) vmax = vmaxq_f32(vmax, vld1q_f32(x + i));
  float max = vmaxvq_f32(vmax);
  for (; i < n; ++i) max = std::fmax(max, x[i]);
  const float32x4_t vm = vdupq_n_f32(max);
  float32x4_t sum = vdupq_n_f32(0.0f);
  for (i = 0; i + 4 <= n; i += 4) {
    const float32x4_t e = Exp(vsubq_f32(vld1q_f32(x + i), vm));
    vst1q_f32(x + i, e);
    sum = vaddq_f32(sum, e);
  }
  float s = vaddvq_f32(sum);
  for (; i < n; ++i) {
    x[i] = ExpOne(x[i] - max);
    s += x[i];
  }
  const float inv = 1.0f / s;
  for (i = 0; i + 4 <= n; i += 4) vst1q_f32(x + i, vmulq_n_f32(vld1q_f32(x + i), inv));
  for (; i < n; ++i) x[i] *= inv;
}

ExpSum ExpSumRow(size_t n, float* x) {
  float32x4_t vmax = vdupq_n_f32(-INFINITY);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) vmax = vmaxq_f32(vmax, vld1q_f32(x + i));
  float max = vmaxvq_f32(vmax);
  for (; i < n; ++i) max = std::fmax(max, x[i]);
  const float32x4_t vm = vdupq_n_f32(max);
  float64x2_t s0 = vdupq_n_f64(0.0), s1 = s0;  // f64 sums, as the reference
  for (i = 0; i + 4 <= n; i += 4) {
    const float32x4_t e = Exp(vsubq_f32(vld1q_f32(x + i), vm));
    vst1q_f32(x + i, e);
    s0 = vaddq_f64(s0, vcvt_f64_f32(vget_low_f32(e)));
    s1 = vaddq_f64(s1, vcvt_high_f64_f32(e));
  }
  double sum = vaddvq_f64(vaddq_f64(s0, s1));
  for (; i < n; ++i) {
    x[i] = ExpOne(x[i] - max);
    sum += x[i];
  }
  return {max, sum};
}

void Scale(size_t n, float a, float* x) {
  size_t i = 0;
  for (; i + 4 <= n; i += 4) vst1q_f32(x + i, vmulq_n_f32(vld1q_f32(x + i), a));
  for (; i < n; ++i) x[i] *= a;
}

inline float32x4_t SiluV(float32x4_t v) { return vdivq_f32(v, vaddq_f32(vdupq_n_f32(1.0f), Exp(vnegq_f32(v)))); }
inline float SiluOne(float v) { return vgetq_lane_f32(SiluV(vdupq_n_f32(v)), 0); }

void Silu(size_t n, const float* x, float* y) {
  size_t i = 0;
  for (; i + 4 <= n; i += 4) vst1q_f32(y + i, SiluV(vld1q_f32(x + i)));
  for (; i < n; ++i) y[i] = SiluOne(x[i]);
}

void SiluMul(size_t n, const float* gate, const float* up, float* y) {
  size_t i = 0;
  for (; i + 4 <= n; i += 4) vst1q_f32(y + i, vmulq_f32(SiluV(vld1q_f32(gate + i)), vld1q_f32(up + i)));
  for (; i < n; ++i) y[i] = SiluOne(gate[i]) * up[i];
}

void SiluMulBackward(size_t n, const float* gate, const float* up, const float* dh, float* dg, float* du) {
  const float32x4_t one = vdupq_n_f32(1.0f);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const float32x4_t g = vld1q_f32(gate + i), d = vld1q_f32(dh + i);
    const float32x4_t sig = vdivq_f32(one, vaddq_f32(one, Exp(vnegq_f32(g))));
    vst1q_f32(du + i, vmulq_f32(d, vmulq_f32(g, sig)));
    // The reference's order: ((dh·up)·s)·(1 + g·(1 − s)), each product rounded.
    const float32x4_t tail = vaddq_f32(one, vmulq_f32(g, vsubq_f32(one, sig)));
    vst1q_f32(dg + i, vmulq_f32(vmulq_f32(vmulq_f32(d, vld1q_f32(up + i)), sig), tail));
  }
  for (; i < n; ++i) {
    const float sig = 1.0f / (1.0f + ExpOne(-gate[i]));
    du[i] = dh[i] * (gate[i] * sig);
    dg[i] = dh[i] * up[i] * sig * (1.0f + gate[i] * (1.0f - sig));
  }
}

void RmsNormBackward(size_t n, const float* x, const float* w, float eps, const float* dy, const float* dres,
                     float* dx) {
  float32x4_t ss4 = vdupq_n_f32(0.0f), dot4 = vdupq_n_f32(0.0f);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const float32x4_t v = vld1q_f32(x + i);
    ss4 = vfmaq_f32(ss4, v, v);
    dot4 = vfmaq_f32(dot4, vmulq_f32(vld1q_f32(w + i), vld1q_f32(dy + i)), v);
  }
  float ss = vaddvq_f32(ss4), dot = vaddvq_f32(dot4);
  for (; i < n; ++i) {
    ss = std::fma(x[i], x[i], ss);
    dot = std::fma(w[i] * dy[i], x[i], dot);
  }
  const float r = 1.0f / std::sqrt(ss / static_cast<float>(n) + eps);
  const float c = r * r * r * dot / static_cast<float>(n);
  for (i = 0; i + 4 <= n; i += 4) {
    const float32x4_t g = vsubq_f32(vmulq_f32(vmulq_n_f32(vld1q_f32(w + i), r), vld1q_f32(dy + i)),
                                    vmulq_n_f32(vld1q_f32(x + i), c));
    vst1q_f32(dx + i, dres != nullptr ? vaddq_f32(vld1q_f32(dres + i), g) : g);
  }
  for (; i < n; ++i) dx[i] = (dres != nullptr ? dres[i] : 0.0f) + (r * w[i] * dy[i] - x[i] * c);
}

}  // namespace

const RowOpsUkernels& RowOpsUkernelsNeon() {
  static const RowOpsUkernels k{"neon", RmsNorm, Rope,    Softmax,         ExpSumRow,
                                Scale,  Silu,    SiluMul, SiluMulBackward, RmsNormBackward};
  return k;
}

}  // namespace edgert::kernels::neon
