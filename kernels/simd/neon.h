// kernels/simd/neon.h: aarch64 NEON helpers (vector exp, half/bfloat16 loads)
// shared by the NEON row ops, attention and matrix products. Everything here
// is baseline ARMv8.0 Advanced SIMD, so any aarch64 file may include it.
//
// Internal linkage on purpose: files compiled with different -march flags
// (matmul_neon.cc, matmul_neondot.cc) each keep their own copy, so the linker
// can never hand the plain-NEON path a copy compiled for dotprod.
//
// Exp: the same range reduction and Cephes polynomial as simd/avx512.h
// (x = n·ln2 + r, |r| ≤ ln2/2); 2^n is applied as two exponent-field factors
// 2^(n/2)·2^(n - n/2), both normal for the clamped n ∈ [-150, 128], so
// results that underflow into subnormals (or to 0) and overflow to inf come
// out as std::exp's do.
#pragma once

#include <arm_neon.h>

#include <cstddef>
#include <cstdint>

namespace edgert::kernels::simd {
namespace {

inline float32x4_t Pow2(int32x4_t n) {  // 2^n for n ∈ [-126, 127]
  return vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(n, vdupq_n_s32(127)), 23));
}

inline float32x4_t Exp(float32x4_t x) {
  x = vminq_f32(vmaxq_f32(x, vdupq_n_f32(-104.0f)), vdupq_n_f32(89.0f));
  const float32x4_t n = vrndnq_f32(vmulq_n_f32(x, 1.44269504088896341f));
  float32x4_t r = vfmsq_n_f32(x, n, 0.693359375f);
  r = vfmsq_n_f32(r, n, -2.12194440e-4f);
  float32x4_t p = vdupq_n_f32(1.9875691500e-4f);
  p = vfmaq_f32(vdupq_n_f32(1.3981999507e-3f), p, r);
  p = vfmaq_f32(vdupq_n_f32(8.3334519073e-3f), p, r);
  p = vfmaq_f32(vdupq_n_f32(4.1665795894e-2f), p, r);
  p = vfmaq_f32(vdupq_n_f32(1.6666665459e-1f), p, r);
  p = vfmaq_f32(vdupq_n_f32(5.0000001201e-1f), p, r);
  const float32x4_t y = vfmaq_f32(vaddq_f32(r, vdupq_n_f32(1.0f)), vmulq_f32(p, r), r);
  const int32x4_t ni = vcvtq_s32_f32(n);
  const int32x4_t n1 = vshrq_n_s32(ni, 1);
  return vmulq_f32(vmulq_f32(y, Pow2(n1)), Pow2(vsubq_s32(ni, n1)));
}

// Four elements widened to f32.
inline float32x4_t Load4(const float* p) { return vld1q_f32(p); }
inline float32x4_t Load4(const uint16_t* p) {  // IEEE half (FCVTL: exact)
  return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(p)));
}
struct BF16 { uint16_t bits; };
inline float32x4_t Load4(const BF16* p) {
  return vreinterpretq_f32_u32(vshll_n_u16(vld1_u16(reinterpret_cast<const uint16_t*>(p)), 16));
}

}  // namespace
}  // namespace edgert::kernels::simd
