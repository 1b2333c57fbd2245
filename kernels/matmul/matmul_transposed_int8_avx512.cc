// kernels/matmul/matmul_transposed_int8_avx512.cc: the Wᵀ packer of the int8
// transposed product in AVX-512 (F/BW). A strip of 32 rows x 32 columns of W
// (one source block per row) becomes 32 output blocks, one per column:
// the quantization runs across columns (16 lanes = 16 output blocks: column
// maxima, scales and quants without horizontal reductions), and only the
// resulting int8 tile is transposed, by byte/word/dword unpacks and one qword
// permute per two columns. Bit-equal to PackTransposedQ8Scalar.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "base/quant_blocks.h"
#include "kernels/matmul/matmul_transposed.h"

namespace edgert::kernels {
namespace {

constexpr size_t kB = kQuantBlock;

// q[j][c] = the quants of W row j in the source block (Q4_0: nibble - 8), d[j]
// its scale; rows >= nr are zero.
void LoadStrip(DType type, const uint8_t* w, size_t w_stride, size_t nr, size_t block, int8_t (*q)[kB], float* d) {
  for (size_t j = 0; j < nr; ++j) {
    const uint8_t* row = w + j * w_stride;
    if (type == DType::kQ8_0) {
      const BlockQ8_0& b = reinterpret_cast<const BlockQ8_0*>(row)[block];
      d[j] = _cvtsh_ss(b.d);
      _mm256_store_si256(reinterpret_cast<__m256i*>(q[j]), _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs)));
    } else {
      const BlockQ4_0& b = reinterpret_cast<const BlockQ4_0*>(row)[block];
      d[j] = _cvtsh_ss(b.d);
      const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b.qs));
      const __m128i lo4 = _mm_set1_epi8(0x0F), eight = _mm_set1_epi8(8);
      _mm_store_si128(reinterpret_cast<__m128i*>(q[j]), _mm_sub_epi8(_mm_and_si128(x, lo4), eight));
      _mm_store_si128(reinterpret_cast<__m128i*>(q[j] + 16),
                      _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(x, 4), lo4), eight));
    }
  }
  for (size_t j = nr; j < kB; ++j) {
    d[j] = 0.0f;
    _mm256_store_si256(reinterpret_cast<__m256i*>(q[j]), _mm256_setzero_si256());
  }
}

// Quantizes 16 columns (h = 0, 1: columns 16h ..) of the strip as QuantizeRowQ8_0Ref
// does per column, into t[g][l] = row 8l + g's 16 quants (the transpose's input
// order), and the 16 columns' f16 scales.
void QuantizeHalf(const int8_t (*q)[kB], const float* d, size_t h, int8_t (*t)[4][16], uint16_t* scales) {
  const __m512 abs_mask = _mm512_castsi512_ps(_mm512_set1_epi32(0x7FFFFFFF));
  auto value = [&](size_t j) {  // the dequantized weights: exact products (f16 scale x 8-bit quant)
    const __m512i qi = _mm512_cvtepi8_epi32(_mm_load_si128(reinterpret_cast<const __m128i*>(q[j] + 16 * h)));
    return _mm512_mul_ps(_mm512_cvtepi32_ps(qi), _mm512_set1_ps(d[j]));
  };
  __m512 v[kB];  // kept for the second pass (L1 at worst): one load instead of widen, convert, scale
  __m512 m4[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
  for (size_t j = 0; j < kB; j += 4) {  // four chains: max's latency, not its throughput
    for (size_t u = 0; u < 4; ++u) {
      v[j + u] = value(j + u);
      m4[u] = _mm512_max_ps(m4[u], _mm512_and_ps(v[j + u], abs_mask));
    }
  }
  const __m512 amax = _mm512_max_ps(_mm512_max_ps(m4[0], m4[1]), _mm512_max_ps(m4[2], m4[3]));
  const __m512 dd = _mm512_div_ps(amax, _mm512_set1_ps(127.0f));
  const __mmask16 nonzero = _mm512_cmp_ps_mask(dd, _mm512_setzero_ps(), _CMP_NEQ_OQ);
  const __m512 id = _mm512_maskz_div_ps(nonzero, _mm512_set1_ps(1.0f), dd);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(scales), _mm512_cvtps_ph(dd, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  // roundf (halves away from zero) as trunc(x + copysign(0.5⁻, x)), 0.5⁻ the
  // float just below one half: the sum rounds to nearest even, which lands
  // exactly on the next integer for x = k + 1/2 and below it otherwise.
  // Checked against roundf for every float of magnitude below 256 (|x| <= 127 here).
  const __m512i below_half = _mm512_set1_epi32(0x3EFFFFFF);
  const __m512i sign_bit = _mm512_set1_epi32(static_cast<int32_t>(0x80000000u));
  for (size_t j = 0; j < kB; ++j) {
    const __m512 x = _mm512_mul_ps(v[j], id);
    // (x & sign) | 0.5⁻: imm 0xEA = (A & B) | C with A = x, B = sign, C = 0.5⁻.
    const __m512 half = _mm512_castsi512_ps(_mm512_ternarylogic_epi32(_mm512_castps_si512(x), sign_bit, below_half, 0xEA));
    const __m512i qi = _mm512_cvttps_epi32(_mm512_add_ps(x, half));
    __m128i b = _mm512_cvtsepi32_epi8(qi);
    __asm__("" : "+v"(b));  // keeps vpmovsdb in its register form: the store form is slower on Zen 4
    _mm_store_si128(reinterpret_cast<__m128i*>(t[j % 8][j / 8]), b);
  }
}

// t (as QuantizeHalf leaves it: 8 registers, register g's lane l = row 8l + g,
// 16 columns) -> out[c].qs = column c's 32 quants, for the 16 columns.
void TransposeHalf(const int8_t (*t)[4][16], BlockQ8_0* const* out) {
  __m512i z[8], a[8], b[8], c[8];
  for (size_t g = 0; g < 8; ++g) z[g] = _mm512_load_si512(t[g]);
  for (size_t p = 0; p < 4; ++p) {  // words: rows (g, g+1) of column 0..7 (lo) or 8..15 (hi), per lane
    a[p] = _mm512_unpacklo_epi8(z[2 * p], z[2 * p + 1]);
    a[p + 4] = _mm512_unpackhi_epi8(z[2 * p], z[2 * p + 1]);
  }
  for (size_t s = 0; s < 2; ++s) {  // dwords: rows 0-3 / 4-7 of 4 columns
    const __m512i* x = a + 4 * s;
    b[4 * s + 0] = _mm512_unpacklo_epi16(x[0], x[1]);
    b[4 * s + 1] = _mm512_unpackhi_epi16(x[0], x[1]);
    b[4 * s + 2] = _mm512_unpacklo_epi16(x[2], x[3]);
    b[4 * s + 3] = _mm512_unpackhi_epi16(x[2], x[3]);
  }
  for (size_t s = 0; s < 4; ++s) {  // qwords: rows 0-7 of 2 columns per lane (lane l: rows 8l .. 8l+7)
    const __m512i* x = b + 4 * (s / 2) + (s % 2);
    c[2 * s] = _mm512_unpacklo_epi32(x[0], x[2]);
    c[2 * s + 1] = _mm512_unpackhi_epi32(x[0], x[2]);
  }
  const __m512i gather = _mm512_set_epi64(7, 5, 3, 1, 6, 4, 2, 0);
  for (size_t r = 0; r < 8; ++r) {  // c[r] holds columns 2r, 2r + 1
    const __m512i v = _mm512_permutexvar_epi64(gather, c[r]);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out[2 * r]->qs), _mm512_castsi512_si256(v));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out[2 * r + 1]->qs), _mm512_extracti64x4_epi64(v, 1));
  }
}

}  // namespace

void PackTransposedQ8Avx512(DType type, const void* w, size_t w_stride, size_t rows, size_t c0, size_t cols,
                            BlockQ8_0* out, size_t out_blocks) {
  const auto* base = static_cast<const uint8_t*>(w);
  alignas(64) int8_t q[kB][kB];
  alignas(64) float d[kB];
  alignas(64) int8_t t[8][4][16];
  alignas(32) uint16_t scales[16];
  const size_t block_bytes = type == DType::kQ8_0 ? sizeof(BlockQ8_0) : sizeof(BlockQ4_0);
  const size_t panel_bytes = cols / kB * block_bytes;
  for (size_t ob = 0; ob * kB < rows; ++ob) {
    // The rows are a strided walk through W (a panel is a few blocks of each
    // row): fetch the next strip's while this one is packed.
    for (size_t j = (ob + 1) * kB; j < std::min(rows, (ob + 2) * kB); ++j) {
      const uint8_t* p = base + j * w_stride + c0 / kB * block_bytes;
      for (size_t off = 0; off < panel_bytes + 63; off += 64) {
        _mm_prefetch(reinterpret_cast<const char*>(p + std::min(off, panel_bytes - 1)), _MM_HINT_T0);
      }
    }
    for (size_t cb = 0; cb < cols / kB; ++cb) {
      LoadStrip(type, base + ob * kB * w_stride, w_stride, std::min(kB, rows - ob * kB), c0 / kB + cb, q, d);
      for (size_t h = 0; h < 2; ++h) {
        BlockQ8_0* dst[16];
        for (size_t c = 0; c < 16; ++c) dst[c] = out + (cb * kB + 16 * h + c) * out_blocks + ob;
        QuantizeHalf(q, d, h, t, scales);
        for (size_t c = 0; c < 16; ++c) dst[c]->d = scales[c];
        TransposeHalf(t, dst);
      }
    }
  }
}

}  // namespace edgert::kernels
