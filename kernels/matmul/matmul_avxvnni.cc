// kernels/matmul/matmul_avxvnni.cc: the quantized GEMM (m ≥ 4: prefill, the
// training step's forward, its dx through the frozen weights and the LM head)
// for x86 CPUs with AVX-VNNI but without AVX-512 (Alder Lake and later, Zen 5
// laptops). Everything else in the table is the AVX2 variant's: the GEMV
// (decode) is bound by memory there, the float products have no int8 step.
//
// Why a tier of its own: without VNNI an int8 dot of 32 pairs costs vpsignb,
// vpmaddubsw, vpmaddwd and an add on the two vector ports (measured peak on a
// 2-core host: ~210 GOPS for that chain, ~510 for vpdpbusd on ymm), which
// caps the AVX2 training step below what the step's 1 TOP of products needs.
//
// Layout: eight weight rows (an octet) per pass, laid out per 32-block chunk
// in an L1 buffer as AVX-512 VNNI does per 16 rows: for block b, vector t
// (t = 0..7) holds in lane j the four quants 4t..4t+3 of row j, as unsigned
// bytes (Q8_0 biased by +128, Q4_0 raw nibbles), so eight vpdpbusd against
// the activations' dwords broadcast leave each row's exact block dot in its
// own lane: no horizontal adds, no permutes. The correction term of
// ukernels.h (c·Σx) starts the sum. Per row, the float step runs the
// reference's FMA chain over the blocks in order, so the result is bit-equal
// to the scalar reference (tested).
// May not allocate, log or dispatch.
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "base/quant_blocks.h"
#include "kernels/matmul/matmul_variants.h"

namespace edgert::kernels::avxvnni {
namespace {

constexpr size_t kOctetRows = 8;
constexpr size_t kChunkBlocks = 32;
// Activation rows per pass over the task's weights (as the AVX2 GEMM: about
// 256 KB of quants, so they stay in L2 while every octet passes).
constexpr size_t kActivationBytesPerPass = 256 * 1024;

// One block of an octet: u[t] lane j = quants 4t..4t+3 of row j (unsigned),
// d lane j = row j's scale.
struct alignas(32) VnniBlock {
  __m256i u[8];
  __m256 d;
};

// 8 rows x 8 dwords -> 8 dwords x 8 rows (r[j] dword t -> out[t] dword j).
inline void Transpose8x8Dwords(__m256i r[8]) {
  __m256i a[8], b[8];
  for (int i = 0; i < 4; ++i) {
    a[2 * i] = _mm256_unpacklo_epi32(r[2 * i], r[2 * i + 1]);      // r0t0 r1t0 r0t1 r1t1 | t4..t5
    a[2 * i + 1] = _mm256_unpackhi_epi32(r[2 * i], r[2 * i + 1]);  // t2, t3 | t6, t7
  }
  for (int i = 0; i < 2; ++i) {
    for (int h = 0; h < 2; ++h) {
      b[4 * i + 2 * h] = _mm256_unpacklo_epi64(a[4 * i + h], a[4 * i + 2 + h]);
      b[4 * i + 2 * h + 1] = _mm256_unpackhi_epi64(a[4 * i + h], a[4 * i + 2 + h]);
    }
  }
  // b[0..3]: rows 0-3, dwords t = 0, 1, 2, 3 in the low lane and t + 4 in the
  // high one; b[4..7] the same for rows 4-7.
  for (int t = 0; t < 4; ++t) {
    r[t] = _mm256_permute2x128_si256(b[t], b[4 + t], 0x20);
    r[t + 4] = _mm256_permute2x128_si256(b[t], b[4 + t], 0x31);
  }
}

// Row j's block as 32 unsigned bytes in element order.
inline __m256i UnsignedQuants(const std::byte* block, bool q4) {
  if (!q4) {
    const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + offsetof(BlockQ8_0, qs)));
    return _mm256_xor_si256(q, _mm256_set1_epi8(static_cast<char>(0x80)));  // q + 128
  }
  const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block + offsetof(BlockQ4_0, qs)));
  const __m128i low = _mm_set1_epi8(0x0F);
  return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(packed, 4), low), _mm_and_si128(packed, low));
}

inline float BlockScale(const std::byte* block) {
  uint16_t h;
  std::memcpy(&h, block, sizeof(h));  // d is the first field of both block types
  return _cvtsh_ss(h);
}

void LayOutBlock(const std::byte* const row[kOctetRows], size_t off, bool q4, VnniBlock* out) {
  __m256i r[kOctetRows];
  alignas(32) float d[kOctetRows];
  for (size_t j = 0; j < kOctetRows; ++j) {
    r[j] = UnsignedQuants(row[j] + off, q4);
    d[j] = BlockScale(row[j] + off);
  }
  Transpose8x8Dwords(r);
  for (int t = 0; t < 8; ++t) out->u[t] = r[t];
  out->d = _mm256_load_ps(d);
}

inline __m256 LoadRows(size_t nr, const float* y) {
  if (nr == kOctetRows) return _mm256_loadu_ps(y);
  alignas(32) float t[kOctetRows] = {};
  std::copy_n(y, nr, t);
  return _mm256_load_ps(t);
}

inline void StoreRows(__m256 v, size_t nr, float* y) {
  if (nr == kOctetRows) {
    _mm256_storeu_ps(y, v);
    return;
  }
  alignas(32) float t[kOctetRows];
  _mm256_store_ps(t, v);
  std::copy_n(t, nr, y);
}

inline __m256i Broadcast4(const int8_t* x) {
  int32_t v;
  std::memcpy(&v, x, sizeof(v));
  return _mm256_set1_epi32(v);
}

// MR activation rows (already offset to the chunk's first block) x one laid
// out octet over nb blocks. Two int32 sums per row (even and odd t) keep
// 2·MR dependency chains in flight for vpdpbusd's latency.
template <size_t MR>
void OctetTile(const VnniBlock* blocks, size_t nb, size_t kb, const int8_t* xq, const float* xd, const int32_t* xc,
               size_t nr, bool accumulate, float* y, size_t y_stride) {
  __m256 acc[MR];
  for (size_t i = 0; i < MR; ++i) acc[i] = accumulate ? LoadRows(nr, y + i * y_stride) : _mm256_setzero_ps();
  for (size_t b = 0; b < nb; ++b) {
    const VnniBlock& w = blocks[b];
    __m256i even[MR], odd[MR];
    for (size_t i = 0; i < MR; ++i) {
      even[i] = _mm256_set1_epi32(xc[i * kb + b]);
      odd[i] = _mm256_setzero_si256();
    }
    for (int t = 0; t < 8; t += 2) {
      for (size_t i = 0; i < MR; ++i) {
        const int8_t* x = xq + (i * kb + b) * kQuantBlock + 4 * t;
        even[i] = _mm256_dpbusd_avx_epi32(even[i], w.u[t], Broadcast4(x));
        odd[i] = _mm256_dpbusd_avx_epi32(odd[i], w.u[t + 1], Broadcast4(x + 4));
      }
    }
    for (size_t i = 0; i < MR; ++i) {
      const __m256 s = _mm256_mul_ps(w.d, _mm256_broadcast_ss(xd + i * kb + b));
      acc[i] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_add_epi32(even[i], odd[i])), s, acc[i]);
    }
  }
  for (size_t i = 0; i < MR; ++i) StoreRows(acc[i], nr, y + i * y_stride);
}

constexpr size_t kTileActRows = 4;

void OctetTiles(const VnniBlock* blocks, size_t nb, size_t kb, size_t i0, size_t i1, const int8_t* xq,
                const float* xd, const int32_t* xc, size_t nr, bool accumulate, float* y, size_t y_stride) {
  size_t i = i0;
  for (; i + kTileActRows <= i1; i += kTileActRows) {
    OctetTile<kTileActRows>(blocks, nb, kb, xq + i * kb * kQuantBlock, xd + i * kb, xc + i * kb, nr, accumulate,
                            y + i * y_stride, y_stride);
  }
  const int8_t* xq_i = xq + i * kb * kQuantBlock;
  float* y_i = y + i * y_stride;
  switch (i1 - i) {
    case 3: OctetTile<3>(blocks, nb, kb, xq_i, xd + i * kb, xc + i * kb, nr, accumulate, y_i, y_stride); break;
    case 2: OctetTile<2>(blocks, nb, kb, xq_i, xd + i * kb, xc + i * kb, nr, accumulate, y_i, y_stride); break;
    case 1: OctetTile<1>(blocks, nb, kb, xq_i, xd + i * kb, xc + i * kb, nr, accumulate, y_i, y_stride); break;
    default: break;
  }
}

template <bool kQ4Weights>
void QGemm(size_t m, size_t n, size_t kb, const void* w, size_t w_stride, const int8_t* xq, const float* xd,
           const int32_t* xc, float* y, size_t y_stride) {
  if (m < kTileActRows) {
    // Too few activation rows to pay for the layout: the AVX2 GEMM builds
    // each block in registers (the decode path; bound by memory).
    const MatmulUkernels& avx2 = avx2::MatmulUkernelsAvx2();
    (kQ4Weights ? avx2.q4_0_gemm : avx2.q8_0_gemm)(m, n, kb, w, w_stride, xq, xd, xc, y, y_stride);
    return;
  }
  const size_t block_bytes = kQ4Weights ? sizeof(BlockQ4_0) : sizeof(BlockQ8_0);
  const size_t m_pass = std::max(kTileActRows, kActivationBytesPerPass / (kb * kQuantBlock) / kTileActRows * kTileActRows);
  VnniBlock chunk[kChunkBlocks];
  for (size_t i0 = 0; i0 < m; i0 += m_pass) {
    const size_t i1 = std::min(m, i0 + m_pass);
    for (size_t r0 = 0; r0 < n; r0 += kOctetRows) {
      const size_t nr = std::min(kOctetRows, n - r0);
      const std::byte* row[kOctetRows];
      for (size_t j = 0; j < kOctetRows; ++j) {
        row[j] = static_cast<const std::byte*>(w) + (r0 + std::min(j, nr - 1)) * w_stride;  // tail rows repeat the last
      }
      for (size_t b0 = 0; b0 < kb; b0 += kChunkBlocks) {
        const size_t nb = std::min(kChunkBlocks, kb - b0);
        for (size_t b = 0; b < nb; ++b) LayOutBlock(row, (b0 + b) * block_bytes, kQ4Weights, &chunk[b]);
        OctetTiles(chunk, nb, kb, i0, i1, xq + b0 * kQuantBlock, xd + b0, xc + b0, nr, b0 > 0, y + r0, y_stride);
      }
    }
  }
}

}  // namespace

const MatmulUkernels& MatmulUkernelsAvxVnni() {
  static const MatmulUkernels k = [] {
    MatmulUkernels t = avx2::MatmulUkernelsAvx2();
    t.isa = "avxvnni";
    t.q8_0_gemm = QGemm<false>;
    t.q4_0_gemm = QGemm<true>;
    return t;
  }();
  return k;
}

}  // namespace edgert::kernels::avxvnni
