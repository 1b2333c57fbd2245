// kernels/matmul/matmul_transposed_neon.cc: the dx += dy·tile microkernel in
// aarch64 NEON (every ARM tier: f32 FMAs only), and its dx = dy·tile twin.
//
// Register block: 4 rows of dy x 16 columns of the tile = 16 accumulators,
// 4 tile vectors and 4 dy vectors (4 tile rows' worth of dy per row, used
// by FMLA by lane): 24 of the 32 vector registers. A 64-column tile is four
// such strips; a strip past `cols` is skipped, a partial one is stored
// through a stack copy. Per output, the sum runs over the tile rows in order
// from zero and is then added to dx (as the scalar reference).
// TransposedDequantize: the rows of W that fill the tile, to f32, bit-equal
// to the reference conversions (d·q in one rounding; FCVTL; a shift for bf16).
#include <arm_neon.h>

#include <algorithm>
#include <cstring>

#include "base/quant_blocks.h"
#include "kernels/matmul/matmul_transposed.h"

namespace edgert::kernels::neon {
namespace {

constexpr size_t kStrip = 16;

// dx[MR][lanes] (+)= acc, lanes < 16 through a copy.
template <bool kAccumulate>
void StoreStrip(const float32x4_t acc[4], size_t lanes, float* dx) {
  if (lanes == kStrip) {
    for (size_t j = 0; j < 4; ++j) {
      vst1q_f32(dx + 4 * j, kAccumulate ? vaddq_f32(vld1q_f32(dx + 4 * j), acc[j]) : acc[j]);
    }
    return;
  }
  float t[kStrip];
  for (size_t j = 0; j < 4; ++j) vst1q_f32(t + 4 * j, acc[j]);
  for (size_t c = 0; c < lanes; ++c) dx[c] = kAccumulate ? dx[c] + t[c] : t[c];
}

template <bool kAccumulate, size_t MR>
void Block(const float* tile, size_t rows, size_t lanes, const float* dy, size_t ldy, float* dx, size_t ldx) {
  float32x4_t acc[MR][4];
  for (size_t i = 0; i < MR; ++i)
    for (size_t j = 0; j < 4; ++j) acc[i][j] = vdupq_n_f32(0.0f);
  size_t r = 0;
  for (; r + 4 <= rows; r += 4) {
    float32x4_t d[MR];
    for (size_t i = 0; i < MR; ++i) d[i] = vld1q_f32(dy + i * ldy + r);
#define EDGERT_TILE_ROW(L)                                                                         \
  {                                                                                                \
    const float* wr = tile + (r + L) * kTransposedPanel;                                           \
    const float32x4_t w0 = vld1q_f32(wr), w1 = vld1q_f32(wr + 4), w2 = vld1q_f32(wr + 8),          \
                      w3 = vld1q_f32(wr + 12);                                                     \
    for (size_t i = 0; i < MR; ++i) {                                                              \
      acc[i][0] = vfmaq_laneq_f32(acc[i][0], w0, d[i], L);                                         \
      acc[i][1] = vfmaq_laneq_f32(acc[i][1], w1, d[i], L);                                         \
      acc[i][2] = vfmaq_laneq_f32(acc[i][2], w2, d[i], L);                                         \
      acc[i][3] = vfmaq_laneq_f32(acc[i][3], w3, d[i], L);                                         \
    }                                                                                              \
  }
    EDGERT_TILE_ROW(0)
    EDGERT_TILE_ROW(1)
    EDGERT_TILE_ROW(2)
    EDGERT_TILE_ROW(3)
#undef EDGERT_TILE_ROW
  }
  for (; r < rows; ++r) {
    const float* wr = tile + r * kTransposedPanel;
    const float32x4_t w0 = vld1q_f32(wr), w1 = vld1q_f32(wr + 4), w2 = vld1q_f32(wr + 8), w3 = vld1q_f32(wr + 12);
    for (size_t i = 0; i < MR; ++i) {
      const float d = dy[i * ldy + r];
      acc[i][0] = vfmaq_n_f32(acc[i][0], w0, d);
      acc[i][1] = vfmaq_n_f32(acc[i][1], w1, d);
      acc[i][2] = vfmaq_n_f32(acc[i][2], w2, d);
      acc[i][3] = vfmaq_n_f32(acc[i][3], w3, d);
    }
  }
  for (size_t i = 0; i < MR; ++i) StoreStrip<kAccumulate>(acc[i], lanes, dx + i * ldx);
}

template <bool kAccumulate>
void Tile(const float* tile, size_t rows, size_t cols, const float* dy, size_t ldy, size_t m, float* dx, size_t ldx) {
  for (size_t c0 = 0; c0 < cols; c0 += kStrip) {
    const size_t lanes = std::min(kStrip, cols - c0);
    const float* t = tile + c0;
    float* out = dx + c0;
    size_t i = 0;
    for (; i + 4 <= m; i += 4) Block<kAccumulate, 4>(t, rows, lanes, dy + i * ldy, ldy, out + i * ldx, ldx);
    switch (m - i) {
      case 3: Block<kAccumulate, 3>(t, rows, lanes, dy + i * ldy, ldy, out + i * ldx, ldx); break;
      case 2: Block<kAccumulate, 2>(t, rows, lanes, dy + i * ldy, ldy, out + i * ldx, ldx); break;
      case 1: Block<kAccumulate, 1>(t, rows, lanes, dy + i * ldy, ldy, out + i * ldx, ldx); break;
      default: break;
    }
  }
}

// One 32-weight block to f32: d · q, one rounding, as DequantizeRowQ8_0 / Q4_0.
template <typename Block>
void DequantizeBlock(const Block& b, float* out) {
  int8x16_t q0, q1;
  if constexpr (sizeof(Block) == sizeof(BlockQ8_0)) {
    q0 = vld1q_s8(b.qs);
    q1 = vld1q_s8(b.qs + 16);
  } else {
    const uint8x16_t raw = vld1q_u8(b.qs);
    q0 = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(raw, vdupq_n_u8(0x0F))), vdupq_n_s8(8));
    q1 = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(raw, 4)), vdupq_n_s8(8));
  }
  __fp16 h;
  std::memcpy(&h, &b.d, 2);
  const float d = static_cast<float>(h);
  const int16x8_t w[4] = {vmovl_s8(vget_low_s8(q0)), vmovl_s8(vget_high_s8(q0)), vmovl_s8(vget_low_s8(q1)),
                          vmovl_s8(vget_high_s8(q1))};
  for (size_t j = 0; j < 4; ++j) {
    vst1q_f32(out + 8 * j, vmulq_n_f32(vcvtq_f32_s32(vmovl_s16(vget_low_s16(w[j]))), d));
    vst1q_f32(out + 8 * j + 4, vmulq_n_f32(vcvtq_f32_s32(vmovl_s16(vget_high_s16(w[j]))), d));
  }
}

}  // namespace

void TransposedDequantize(DType type, const void* row, size_t c0, size_t cols, float* out) {
  switch (type) {
    case DType::kF32: std::memcpy(out, static_cast<const float*>(row) + c0, cols * sizeof(float)); return;
    case DType::kF16:
    case DType::kBF16: {
      const uint16_t* x = static_cast<const uint16_t*>(row) + c0;
      size_t c = 0;
      for (; c + 4 <= cols; c += 4) {
        const uint16x4_t bits = vld1_u16(x + c);
        vst1q_f32(out + c, type == DType::kF16 ? vcvt_f32_f16(vreinterpret_f16_u16(bits))
                                               : vreinterpretq_f32_u32(vshll_n_u16(bits, 16)));
      }
      for (; c < cols; ++c) {
        const uint16_t b = x[c];
        if (type == DType::kF16) {
          __fp16 h;
          std::memcpy(&h, &b, 2);
          out[c] = static_cast<float>(h);
        } else {
          const uint32_t u = static_cast<uint32_t>(b) << 16;
          std::memcpy(out + c, &u, 4);
        }
      }
      return;
    }
    case DType::kQ8_0: {
      const auto* b = static_cast<const BlockQ8_0*>(row) + c0 / kQuantBlock;
      for (size_t j = 0; j < cols / kQuantBlock; ++j) DequantizeBlock(b[j], out + j * kQuantBlock);
      return;
    }
    case DType::kQ4_0: {
      const auto* b = static_cast<const BlockQ4_0*>(row) + c0 / kQuantBlock;
      for (size_t j = 0; j < cols / kQuantBlock; ++j) DequantizeBlock(b[j], out + j * kQuantBlock);
      return;
    }
  }
}

void TransposedTile(const float* tile, size_t rows, size_t cols, const float* dy, size_t ldy, size_t m, float* dx,
                    size_t ldx) {
  Tile<true>(tile, rows, cols, dy, ldy, m, dx, ldx);
}

void TransposedTileStore(const float* tile, size_t rows, size_t cols, const float* dy, size_t ldy, size_t m,
                         float* dx, size_t ldx) {
  Tile<false>(tile, rows, cols, dy, ldy, m, dx, ldx);
}

}  // namespace edgert::kernels::neon
