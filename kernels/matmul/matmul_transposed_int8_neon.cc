// kernels/matmul/matmul_transposed_int8_neon.cc: the GGUF-block Wᵀ packer of
// the int8 dx += dy·W path in aarch64 NEON (every ARM tier; the product
// itself is the tier's q8_0_gemm). Bit-equal to PackTransposedQ8Scalar, i.e.
// QuantizeRowQ8_0Ref of each dequantized column: the same dequantization
// products (d·q, one rounding), the same division for the scale and its
// reciprocal, FCVTAS (round half away, as roundf) for the quants, and FCVTN
// (round to nearest even, as F32ToF16) for the f16 scale.
//
// Per 32 x 32 block of W: dequantize the rows (columns in lanes), keeping
// each column's max|W| in the same lanes, so four columns' scales come out
// of one division; transpose in 4 x 4 register blocks so that a column's 32
// values are contiguous; quantize each column with its lane of 1/d.
#include <arm_neon.h>

#include <algorithm>
#include <cstring>

#include "base/quant_blocks.h"
#include "kernels/matmul/matmul_transposed.h"

namespace edgert::kernels::neon {
namespace {

constexpr size_t kB = kQuantBlock;  // 32

// One row's block of 32 weights -> 8 vectors of f32, as DequantizeRowQ8_0 / Q4_0.
inline void DequantizeBlock(DType type, const uint8_t* block, float32x4_t out[8]) {
  int8x16_t q0, q1;
  uint16_t dbits;
  if (type == DType::kQ8_0) {
    const auto* b = reinterpret_cast<const BlockQ8_0*>(block);
    dbits = b->d;
    q0 = vld1q_s8(b->qs);
    q1 = vld1q_s8(b->qs + 16);
  } else {
    const auto* b = reinterpret_cast<const BlockQ4_0*>(block);
    dbits = b->d;
    const uint8x16_t raw = vld1q_u8(b->qs);
    q0 = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(raw, vdupq_n_u8(0x0F))), vdupq_n_s8(8));
    q1 = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(raw, 4)), vdupq_n_s8(8));
  }
  __fp16 h;
  std::memcpy(&h, &dbits, 2);
  const float d = static_cast<float>(h);  // FCVT: exact, as F16ToF32
  const int16x8_t w[4] = {vmovl_s8(vget_low_s8(q0)), vmovl_s8(vget_high_s8(q0)), vmovl_s8(vget_low_s8(q1)),
                          vmovl_s8(vget_high_s8(q1))};
  for (size_t j = 0; j < 4; ++j) {
    out[2 * j] = vmulq_n_f32(vcvtq_f32_s32(vmovl_s16(vget_low_s16(w[j]))), d);
    out[2 * j + 1] = vmulq_n_f32(vcvtq_f32_s32(vmovl_s16(vget_high_s16(w[j]))), d);
  }
}

// dst[c][j] = src[j][c] for a 4 x 4 block (rows 32 floats apart).
inline void Transpose4x4(const float* src, float* dst) {
  const float32x4_t a = vld1q_f32(src), b = vld1q_f32(src + kB), c = vld1q_f32(src + 2 * kB),
                    d = vld1q_f32(src + 3 * kB);
  const float32x4_t ab0 = vtrn1q_f32(a, b), ab1 = vtrn2q_f32(a, b), cd0 = vtrn1q_f32(c, d), cd1 = vtrn2q_f32(c, d);
  const auto f64 = [](float32x4_t v) { return vreinterpretq_f64_f32(v); };
  vst1q_f32(dst, vreinterpretq_f32_f64(vtrn1q_f64(f64(ab0), f64(cd0))));
  vst1q_f32(dst + kB, vreinterpretq_f32_f64(vtrn1q_f64(f64(ab1), f64(cd1))));
  vst1q_f32(dst + 2 * kB, vreinterpretq_f32_f64(vtrn2q_f64(f64(ab0), f64(cd0))));
  vst1q_f32(dst + 3 * kB, vreinterpretq_f32_f64(vtrn2q_f64(f64(ab1), f64(cd1))));
}

// 32 values times id, rounded half away, narrowed to int8 (|q| ≤ 127: exact).
inline void QuantizeColumn(const float* x, float id, int8_t* qs) {
  int16x8_t q16[4];
  for (size_t j = 0; j < 4; ++j) {
    const int32x4_t a = vcvtaq_s32_f32(vmulq_n_f32(vld1q_f32(x + 8 * j), id));
    const int32x4_t b = vcvtaq_s32_f32(vmulq_n_f32(vld1q_f32(x + 8 * j + 4), id));
    q16[j] = vcombine_s16(vmovn_s32(a), vmovn_s32(b));
  }
  vst1q_s8(qs, vcombine_s8(vmovn_s16(q16[0]), vmovn_s16(q16[1])));
  vst1q_s8(qs + 16, vcombine_s8(vmovn_s16(q16[2]), vmovn_s16(q16[3])));
}

}  // namespace

void PackTransposedQ8(DType type, const void* w, size_t w_stride, size_t rows, size_t c0, size_t cols,
                      BlockQ8_0* out, size_t out_blocks) {
  const auto* base = static_cast<const uint8_t*>(w);
  const size_t block_bytes = type == DType::kQ8_0 ? sizeof(BlockQ8_0) : sizeof(BlockQ4_0);
  const size_t src_block0 = c0 / kB;
  for (size_t cb = 0; cb < cols / kB; ++cb) {
    for (size_t ob = 0; ob * kB < rows; ++ob) {
      alignas(16) float tile[kB][kB];    // [row j][column c]
      alignas(16) float tileT[kB][kB];   // [column c][row j]
      float32x4_t amax[8];
      for (auto& a : amax) a = vdupq_n_f32(0.0f);
      const size_t nrows = std::min(kB, rows - ob * kB);
      for (size_t j = 0; j < nrows; ++j) {
        float32x4_t v[8];
        DequantizeBlock(type, base + (ob * kB + j) * w_stride + (src_block0 + cb) * block_bytes, v);
        for (size_t q = 0; q < 8; ++q) {
          vst1q_f32(tile[j] + 4 * q, v[q]);
          amax[q] = vmaxq_f32(amax[q], vabsq_f32(v[q]));
        }
      }
      for (size_t j = nrows; j < kB; ++j) std::fill_n(tile[j], kB, 0.0f);
      for (size_t jb = 0; jb < kB; jb += 4) {
        for (size_t c4 = 0; c4 < kB; c4 += 4) Transpose4x4(&tile[jb][c4], &tileT[c4][jb]);
      }
      for (size_t q = 0; q < 8; ++q) {
        const float32x4_t d = vdivq_f32(amax[q], vdupq_n_f32(127.0f));
        const uint32x4_t nonzero = vmvnq_u32(vceqzq_f32(d));
        const float32x4_t id = vbslq_f32(nonzero, vdivq_f32(vdupq_n_f32(1.0f), d), vdupq_n_f32(0.0f));
        uint16_t dbits[4];
        vst1_u16(dbits, vreinterpret_u16_f16(vcvt_f16_f32(d)));
        float ids[4];
        vst1q_f32(ids, id);
        for (size_t l = 0; l < 4; ++l) {
          const size_t c = 4 * q + l;
          BlockQ8_0& o = out[(cb * kB + c) * out_blocks + ob];
          o.d = dbits[l];
          QuantizeColumn(tileT[c], ids[l], o.qs);
        }
      }
    }
  }
}

}  // namespace edgert::kernels::neon
