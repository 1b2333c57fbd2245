// kernels/matmul/matmul_neon_impl.h: the aarch64 matrix products, written once
// and instantiated by matmul_neon.cc (plain ARMv8.0 NEON) and
// matmul_neondot.cc (ARMv8.2 SDOT), which differ only in how one 32-weight
// block's int8 dot product is formed (the `Dot` policy); matmul_neoni8mm.cc
// takes the SDOT table and replaces its quantized GEMMs.
//
// Quantized: the weights stay signed (Q8_0 as stored, Q4_0 nibbles - 8) and so
// do the activations; a block's dot is exact in int32 either way, so the
// correction term of ukernels.h is not needed. Four weight rows at a time,
// each block's dot (four int32 lanes) converted and fused into four f32 lane
// sums per row with the block's scale, added across lanes at the end: only the
// f32 summation order differs from the reference. GEMV (m = 1) uses the plain
// activation layout. Float weights: 4x4 (1x4 for m = 1) dot-product tiles of
// four-lane FMAs, the k tail in scalar.
//
// Internal linkage (the anonymous namespace): each including file keeps its
// own copy, compiled with its own -march flags.
#pragma once

#include <arm_neon.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "base/quant_blocks.h"
#include "kernels/convert/fp16.h"
#include "kernels/matmul/matmul_variants.h"
#include "kernels/simd/neon.h"

namespace edgert::kernels::neon_impl {
namespace {

// Same quants as QuantizeRowQ8_0Ref: FCVTAS rounds halves away from zero, as roundf.
void QuantizeQ8(const float* x, size_t k, int32_t corr_mul, int8_t* qs, float* d, int32_t* corr) {
  for (size_t b = 0; b < k / kQuantBlock; ++b, x += kQuantBlock, qs += kQuantBlock) {
    float32x4_t v[8];
    float32x4_t amax = vdupq_n_f32(0.0f);
    for (int j = 0; j < 8; ++j) {
      v[j] = vld1q_f32(x + 4 * j);
      amax = vmaxq_f32(amax, vabsq_f32(v[j]));
    }
    const float db = vmaxvq_f32(amax) / 127.0f;
    const float id = db != 0.0f ? 1.0f / db : 0.0f;
    int32x4_t sum = vdupq_n_s32(0);
    int16x8_t q16[4];
    for (int j = 0; j < 4; ++j) {
      const int32x4_t a = vcvtaq_s32_f32(vmulq_n_f32(v[2 * j], id));
      const int32x4_t c = vcvtaq_s32_f32(vmulq_n_f32(v[2 * j + 1], id));
      sum = vaddq_s32(sum, vaddq_s32(a, c));
      q16[j] = vcombine_s16(vmovn_s32(a), vmovn_s32(c));  // |q| ≤ 127: narrowing is exact
    }
    vst1q_s8(qs, vcombine_s8(vmovn_s16(q16[0]), vmovn_s16(q16[1])));
    vst1q_s8(qs + 16, vcombine_s8(vmovn_s16(q16[2]), vmovn_s16(q16[3])));
    d[b] = db;
    corr[b] = corr_mul * vaddvq_s32(sum);
  }
}

// A block's 32 signed weights as two 16-lane vectors, in k order.
struct Q8Weights {
  static void Load(const BlockQ8_0& blk, int8x16_t& w0, int8x16_t& w1) {
    w0 = vld1q_s8(blk.qs);
    w1 = vld1q_s8(blk.qs + 16);
  }
};
struct Q4Weights {
  static void Load(const BlockQ4_0& blk, int8x16_t& w0, int8x16_t& w1) {
    const uint8x16_t raw = vld1q_u8(blk.qs);
    const int8x16_t eight = vdupq_n_s8(8);
    w0 = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(raw, vdupq_n_u8(0x0F))), eight);
    w1 = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(raw, 4)), eight);
  }
};

#if defined(__ARM_FEATURE_DOTPROD)
// A block's dot by SDOT (files compiled with +dotprod).
struct Sdot {
  static int32x4_t Block(int8x16_t w0, int8x16_t x0, int8x16_t w1, int8x16_t x1) {
    return vdotq_s32(vdotq_s32(vdupq_n_s32(0), w0, x0), w1, x1);
  }
};
#endif

inline float Scale(uint16_t bits) {
  __fp16 h;
  std::memcpy(&h, &bits, 2);
  return static_cast<float>(h);  // FCVT: exact, as F16ToF32
}

constexpr size_t kRows = 4;

template <typename Block, typename Weights, typename Dot>
void QGemm(size_t m, size_t n, size_t kb, const void* w, size_t w_stride, const int8_t* xq, const float* xd,
           const int32_t*, float* y, size_t y_stride) {
  for (size_t r0 = 0; r0 < n; r0 += kRows) {
    const size_t nr = std::min(kRows, n - r0);
    const Block* row[kRows];
    for (size_t j = 0; j < kRows; ++j) {
      row[j] = reinterpret_cast<const Block*>(static_cast<const std::byte*>(w) + (r0 + std::min(j, nr - 1)) * w_stride);
    }
    for (size_t i = 0; i < m; ++i) {
      const int8_t* qx = xq + i * kb * kQuantBlock;
      float32x4_t acc[kRows];
      for (auto& a : acc) a = vdupq_n_f32(0.0f);
      for (size_t b = 0; b < kb; ++b) {
        const int8x16_t x0 = vld1q_s8(qx + b * kQuantBlock), x1 = vld1q_s8(qx + b * kQuantBlock + 16);
        const float dx = xd[i * kb + b];
        for (size_t j = 0; j < kRows; ++j) {
          int8x16_t w0, w1;
          Weights::Load(row[j][b], w0, w1);
          const int32x4_t dot = Dot::Block(w0, x0, w1, x1);
          acc[j] = vfmaq_n_f32(acc[j], vcvtq_f32_s32(dot), Scale(row[j][b].d) * dx);
        }
      }
      for (size_t j = 0; j < nr; ++j) y[i * y_stride + r0 + j] = vaddvq_f32(acc[j]);
    }
  }
}

template <typename Block, typename Weights, typename Dot>
void QGemv(size_t n, size_t kb, const void* w, size_t w_stride, const void* packed, float* y) {
  const PlainGemvActivations x = ViewPlainGemv(kb, packed);
  QGemm<Block, Weights, Dot>(1, n, kb, w, w_stride, x.xq, x.xd, x.xc, y, n);
}

using simd::BF16;
using simd::Load4;
inline float Scalar(float v) { return v; }
inline float Scalar(uint16_t v) { return F16ToF32(v); }
inline float Scalar(BF16 v) { return BF16ToF32(v.bits); }

template <typename T, size_t MR, size_t NR>
void FTile(size_t nr, size_t k, const std::byte* w, size_t w_stride, const float* x, size_t x_stride, float* y,
           size_t y_stride) {
  const T* row[NR];
  for (size_t j = 0; j < NR; ++j) row[j] = reinterpret_cast<const T*>(w + std::min(j, nr - 1) * w_stride);
  float32x4_t acc[MR][NR];
  for (size_t i = 0; i < MR; ++i)
    for (size_t j = 0; j < NR; ++j) acc[i][j] = vdupq_n_f32(0.0f);
  size_t c = 0;
  for (; c + 4 <= k; c += 4) {
    float32x4_t wv[NR];
    for (size_t j = 0; j < NR; ++j) wv[j] = Load4(row[j] + c);
    for (size_t i = 0; i < MR; ++i) {
      const float32x4_t xv = vld1q_f32(x + i * x_stride + c);
      for (size_t j = 0; j < NR; ++j) acc[i][j] = vfmaq_f32(acc[i][j], wv[j], xv);
    }
  }
  for (size_t i = 0; i < MR; ++i) {
    for (size_t j = 0; j < nr; ++j) {
      float s = vaddvq_f32(acc[i][j]);
      for (size_t t = c; t < k; ++t) s = std::fma(Scalar(row[j][t]), x[i * x_stride + t], s);
      y[i * y_stride + j] = s;
    }
  }
}

template <typename T>
void FGemm(size_t m, size_t n, size_t k, const void* w, size_t w_stride, const float* x, size_t x_stride, float* y,
           size_t y_stride) {
  const auto* wb = static_cast<const std::byte*>(w);
  constexpr size_t kMr = 4, kNr = 4, kMBlock = 64;
  for (size_t i0 = 0; i0 < m; i0 += kMBlock) {
    const size_t i1 = std::min(m, i0 + kMBlock);
    for (size_t r = 0; r < n; r += kNr) {
      const size_t nr = std::min(kNr, n - r);
      size_t i = i0;
      for (; i + kMr <= i1; i += kMr) {
        FTile<T, kMr, kNr>(nr, k, wb + r * w_stride, w_stride, x + i * x_stride, x_stride, y + i * y_stride + r, y_stride);
      }
      for (; i < i1; ++i) {
        FTile<T, 1, kNr>(nr, k, wb + r * w_stride, w_stride, x + i * x_stride, x_stride, y + i * y_stride + r, y_stride);
      }
    }
  }
}

template <typename Dot>
MatmulUkernels MakeTable(const char* isa) {
  return MatmulUkernels{
      isa,
      QuantizeQ8,
      PackPlainGemv,
      QGemv<BlockQ8_0, Q8Weights, Dot>,
      QGemm<BlockQ8_0, Q8Weights, Dot>,
      PackPlainGemv,
      QGemv<BlockQ4_0, Q4Weights, Dot>,
      QGemm<BlockQ4_0, Q4Weights, Dot>,
      FGemm<float>,
      FGemm<uint16_t>,
      FGemm<BF16>,
  };
}

}  // namespace
}  // namespace edgert::kernels::neon_impl
