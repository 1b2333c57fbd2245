// kernels/matmul/matmul_transposed_int8_avx2.cc: the GGUF-block Wᵀ packer of
// the int8 dx += dy·W path in AVX2 (PackTransposedQ8Avx2; the contract and
// the reference are PackTransposedQ8Scalar's in matmul_transposed_int8.cc).
//
// Per 32 x 32 block of W (32 rows, one source block of 32 columns): each
// row's 32 quants become one register of int8 (Q4_0's nibbles unpacked and
// biased by -8), the block is transposed as bytes (two 16 x 16 transposes
// per 128-bit lane, four rounds of unpacks each), and each column of W is
// then a register of 32 int8 beside the 32 row scales: it is dequantized
// (scale·quant, the scalar's one rounding), its max |x| taken, and it is
// requantized as QuantizeRowQ8_0Ref does (d = max/127, id = 1/d, quants
// rounded half away from zero, d stored as f16). Bit-equal to the scalar
// packer for finite weights (tested).
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "base/quant_blocks.h"
#include "kernels/convert/fp16.h"
#include "kernels/matmul/matmul_transposed.h"

namespace edgert::kernels {
namespace {

// 32 quants of one source block as int8 in element order.
inline __m256i LoadQuants(DType type, const uint8_t* block) {
  if (type == DType::kQ8_0) {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + offsetof(BlockQ8_0, qs)));
  }
  // Q4_0: byte j holds element j (low nibble) and j + 16 (high nibble), biased by 8.
  const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block + offsetof(BlockQ4_0, qs)));
  const __m128i low = _mm_set1_epi8(0x0F);
  const __m256i nibbles = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(packed, 4), low), _mm_and_si128(packed, low));
  return _mm256_sub_epi8(nibbles, _mm256_set1_epi8(8));
}

// r[0..16) rows of 16 bytes per 128-bit lane -> columns: out[c] holds, per
// lane, byte c of every row. Rows go in bit-reversed order so that four
// rounds of interleaving (bytes, words, dwords, qwords) of rows i and i + 8
// leave the columns in natural order.
inline void Transpose16x16PerLane(const __m256i r[16], __m256i out[16]) {
  static constexpr int kBitReversed[16] = {0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15};
  __m256i a[16], b[16];
  for (int i = 0; i < 16; ++i) a[i] = r[kBitReversed[i]];
  for (int i = 0; i < 8; ++i) {
    b[2 * i] = _mm256_unpacklo_epi8(a[i], a[i + 8]);
    b[2 * i + 1] = _mm256_unpackhi_epi8(a[i], a[i + 8]);
  }
  for (int i = 0; i < 8; ++i) {
    a[2 * i] = _mm256_unpacklo_epi16(b[i], b[i + 8]);
    a[2 * i + 1] = _mm256_unpackhi_epi16(b[i], b[i + 8]);
  }
  for (int i = 0; i < 8; ++i) {
    b[2 * i] = _mm256_unpacklo_epi32(a[i], a[i + 8]);
    b[2 * i + 1] = _mm256_unpackhi_epi32(a[i], a[i + 8]);
  }
  for (int i = 0; i < 8; ++i) {
    out[2 * i] = _mm256_unpacklo_epi64(b[i], b[i + 8]);
    out[2 * i + 1] = _mm256_unpackhi_epi64(b[i], b[i + 8]);
  }
}

// Eight quants (bytes) as floats times their rows' scales.
inline __m256 Dequantize8(__m128i q8, __m256 d) { return _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q8)), d); }

// One column: quants q (rows 0..31) with row scales d[0..4) -> a Q8_0 block,
// as QuantizeRowQ8_0Ref does from the dequantized values.
inline void QuantizeColumn(__m256i q, const __m256 d[4], BlockQ8_0* out) {
  const __m128i lo = _mm256_castsi256_si128(q), hi = _mm256_extracti128_si256(q, 1);
  __m256 x[4] = {Dequantize8(lo, d[0]), Dequantize8(_mm_srli_si128(lo, 8), d[1]), Dequantize8(hi, d[2]),
                 Dequantize8(_mm_srli_si128(hi, 8), d[3])};
  const __m256 sign = _mm256_set1_ps(-0.0f);
  __m256 m = _mm256_max_ps(_mm256_max_ps(_mm256_andnot_ps(sign, x[0]), _mm256_andnot_ps(sign, x[1])),
                           _mm256_max_ps(_mm256_andnot_ps(sign, x[2]), _mm256_andnot_ps(sign, x[3])));
  __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
  m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
  m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
  const float amax = _mm_cvtss_f32(m4);
  const float dq = amax / 127.0f;
  const float id = dq != 0.0f ? 1.0f / dq : 0.0f;
  out->d = F32ToF16(dq);
  // Half away from zero: trunc(v + copysign(0.5⁻, v)), 0.5⁻ the float below
  // 0.5, equals roundf for |v| < 256 (the wide packer's rule; here |v| ≤ 127).
  const __m256 vid = _mm256_set1_ps(id), half = _mm256_set1_ps(0.49999997f);
  __m256i i32[4];
  for (int k = 0; k < 4; ++k) {
    const __m256 v = _mm256_mul_ps(x[k], vid);
    const __m256 r = _mm256_add_ps(v, _mm256_or_ps(half, _mm256_and_ps(sign, v)));
    i32[k] = _mm256_cvttps_epi32(r);
  }
  // int32 -> int8 (values in [-127, 127]: no saturation happens), lanes back in order.
  const __m256i w16 = _mm256_packs_epi32(i32[0], i32[1]), w16b = _mm256_packs_epi32(i32[2], i32[3]);
  const __m256i b8 = _mm256_packs_epi16(w16, w16b);
  const __m256i ordered = _mm256_permutevar8x32_epi32(b8, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out->qs), ordered);
}

}  // namespace

void PackTransposedQ8Avx2(DType type, const void* w, size_t w_stride, size_t rows, size_t c0, size_t cols,
                          BlockQ8_0* out, size_t out_blocks) {
  const auto* base = static_cast<const uint8_t*>(w);
  const size_t block_bytes = type == DType::kQ8_0 ? sizeof(BlockQ8_0) : sizeof(BlockQ4_0);
  const size_t src_block0 = c0 / kQuantBlock;
  for (size_t cb = 0; cb < cols / kQuantBlock; ++cb) {
    for (size_t ob = 0; ob * kQuantBlock < rows; ++ob) {
      __m256i q[32];
      alignas(32) uint16_t dh[32];
      for (size_t j = 0; j < kQuantBlock; ++j) {
        if (ob * kQuantBlock + j < rows) {
          const uint8_t* block = base + (ob * kQuantBlock + j) * w_stride + (src_block0 + cb) * block_bytes;
          uint16_t d;
          std::memcpy(&d, block, sizeof(d));
          dh[j] = d;
          q[j] = LoadQuants(type, block);
        } else {
          dh[j] = 0;  // rows past the end read as 0
          q[j] = _mm256_setzero_si256();
        }
      }
      __m256 d[4];
      for (int k = 0; k < 4; ++k) d[k] = _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(dh + 8 * k)));
      __m256i top[16], bottom[16];  // per lane: columns c / c + 16 of rows 0..15 and of rows 16..31
      Transpose16x16PerLane(q, top);
      Transpose16x16PerLane(q + 16, bottom);
      BlockQ8_0* col = out + cb * kQuantBlock * out_blocks + ob;
      for (size_t c = 0; c < 16; ++c) {
        QuantizeColumn(_mm256_permute2x128_si256(top[c], bottom[c], 0x20), d, col + c * out_blocks);
        QuantizeColumn(_mm256_permute2x128_si256(top[c], bottom[c], 0x31), d, col + (c + 16) * out_blocks);
      }
    }
  }
}

}  // namespace edgert::kernels
