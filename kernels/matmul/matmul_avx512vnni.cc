// kernels/matmul/matmul_avx512vnni.cc: AVX-512 (F/VL/BW/DQ) + VNNI matrix products.
//
// GEMV (m == 1, decode, memory-bound): weights streamed once, in place, in
//   address order with a software prefetch 16 KB ahead (kGemvRows = 1: on Zen 5
//   interleaving 2 or 4 rows computes faster from cache but streams cold
//   memory slower, 16 vs 23 GB/s per core for Q8_0). Q8_0: two blocks per 512-bit
//   register (w ^ 0x80 as the unsigned operand of vpdpbusd); Q4_0: four blocks
//   per register, low and high nibbles as two vpdpbusd against activations
//   regrouped to match. Block scales are gathered 16 at a time and spread over
//   the lanes of their block with one permute.
// GEMM (m > 1, prefill, compute-bound): a 32-row weight tile is repacked on
//   the stack, one chunk of 8 blocks at a time, into the layout vpdpbusd wants
//   for broadcast activations ([block][k/4][32 rows][4 bytes], unsigned), then
//   reused by every activation row. Each output lane owns one (i, r) pair and
//   accumulates whole blocks in block order: bit-equal to the scalar reference.
// May not allocate, log or dispatch.
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "base/quant_blocks.h"
#include "kernels/convert/fp16.h"
#include "kernels/matmul/matmul_variants.h"
#include "kernels/simd/avx512.h"

namespace edgert::kernels::avx512vnni {
namespace {

constexpr size_t kQ8 = sizeof(BlockQ8_0);  // 34 bytes
constexpr size_t kQ4 = sizeof(BlockQ4_0);  // 18 bytes

inline __mmask16 Mask16(size_t n) { return n >= 16 ? __mmask16(0xFFFF) : static_cast<__mmask16>((1u << n) - 1); }
inline __mmask64 Mask64(size_t n) { return n >= 64 ? ~__mmask64(0) : (__mmask64(1) << n) - 1; }

// ---------------------------------------------------------------------------
// Activation quantization: same quants as QuantizeRowQ8_0Ref (roundf = halves
// away from zero, emulated exactly: truncate, then step away from zero when the
// exact remainder is at least one half), scale kept in f32.
void QuantizeQ8(const float* x, size_t k, int32_t corr_mul, int8_t* qs, float* d, int32_t* corr) {
  const __m512 abs_mask = _mm512_castsi512_ps(_mm512_set1_epi32(0x7FFFFFFF));
  const __m512 half = _mm512_set1_ps(0.5f);
  for (size_t b = 0; b < k / kQuantBlock; ++b, x += kQuantBlock, qs += kQuantBlock) {
    const __m512 v0 = _mm512_loadu_ps(x), v1 = _mm512_loadu_ps(x + 16);
    const float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_and_ps(v0, abs_mask), _mm512_and_ps(v1, abs_mask)));
    const float db = amax / 127.0f;
    const float id = db != 0.0f ? 1.0f / db : 0.0f;
    const __m512 vid = _mm512_set1_ps(id);
    __m512i q[2];
    const __m512 v[2] = {v0, v1};
    for (int h = 0; h < 2; ++h) {
      const __m512 t = _mm512_mul_ps(v[h], vid);
      const __m512 tr = _mm512_roundscale_ps(t, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
      const __m512 frac = _mm512_and_ps(_mm512_sub_ps(t, tr), abs_mask);  // exact
      const __mmask16 away = _mm512_cmp_ps_mask(frac, half, _CMP_GE_OQ);
      // tr ± 1 toward the sign of t: copy t's sign onto 1.0.
      const __m512 one = _mm512_or_ps(_mm512_set1_ps(1.0f), _mm512_andnot_ps(abs_mask, t));
      q[h] = _mm512_cvttps_epi32(_mm512_mask_add_ps(tr, away, tr, one));
    }
    _mm_storeu_si128(reinterpret_cast<__m128i*>(qs), _mm512_cvtsepi32_epi8(q[0]));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(qs + 16), _mm512_cvtsepi32_epi8(q[1]));
    d[b] = db;
    corr[b] = corr_mul * _mm512_reduce_add_epi32(_mm512_add_epi32(q[0], q[1]));
  }
}

// ---------------------------------------------------------------------------
// GEMV helpers.

// Scales of blocks b0..b0+15 of one row (masked lanes read nothing, give 0).
template <size_t kBlockBytes>
inline __m512 LoadScales16(const std::byte* row, size_t b0, __mmask16 mask) {
  const __m512i idx = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                         _mm512_set1_epi32(static_cast<int>(kBlockBytes)));
  const __m512i g = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), mask, idx, row + b0 * kBlockBytes, 1);
  return _mm512_cvtph_ps(_mm512_cvtepi32_epi16(g));  // the low half of each dword is the f16 scale
}

// Lane-spreading indices, stepped per register (no per-step materialization):
// Q8_0 pair p -> lanes 0-7 = block 2p, 8-15 = 2p+1; Q4_0 quad q -> lanes
// 4j..4j+3 = block 4q+j.
inline __m512i FirstPairIndex() { return _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1); }
inline __m512i FirstQuadIndex() { return _mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3); }

constexpr size_t kGemvRows = 1;  // rows interleaved per pass (see the file comment)
// How far past the next row group the GEMV prefetches (bytes of the weight stream).
constexpr size_t kPrefetchBytes = 16384;

void Q8_0Gemv(size_t n, size_t kb, const void* w, size_t w_stride, const int8_t* xq, const float* xd,
              const int32_t* xc, float* y) {
  const __m512i bias = _mm512_set1_epi8(static_cast<char>(0x80));
  const size_t ahead = kPrefetchBytes;
  for (size_t r0 = 0; r0 < n; r0 += kGemvRows) {
    const size_t nr = std::min(kGemvRows, n - r0);
    const std::byte* row[kGemvRows];
    for (size_t j = 0; j < kGemvRows; ++j) row[j] = static_cast<const std::byte*>(w) + (r0 + std::min(j, nr - 1)) * w_stride;
    __m512 acc[kGemvRows];
    for (auto& a : acc) a = _mm512_setzero_ps();
    for (size_t b0 = 0; b0 < kb; b0 += 16) {
      const size_t nb = std::min<size_t>(16, kb - b0);
      const __mmask16 m16 = Mask16(nb);
      const __m512 dx = _mm512_maskz_loadu_ps(m16, xd + b0);
      const __m512 corr = _mm512_cvtepi32_ps(_mm512_maskz_loadu_epi32(m16, xc + b0));
      __m512 s[kGemvRows];
      for (size_t j = 0; j < kGemvRows; ++j) {
        s[j] = _mm512_mul_ps(LoadScales16<kQ8>(row[j], b0, m16), dx);
        acc[j] = _mm512_fmadd_ps(s[j], corr, acc[j]);
      }
      __m512i sidx = FirstPairIndex();
      for (size_t p = 0; 2 * p < nb; ++p, sidx = _mm512_add_epi32(sidx, _mm512_set1_epi32(2))) {
        const size_t b = b0 + 2 * p;
        const bool pair = 2 * p + 1 < nb;
        const int8_t* xp = xq + b * kQuantBlock;
        const __m512i xv = pair ? _mm512_loadu_si512(xp) : _mm512_zextsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(xp)));
        for (size_t j = 0; j < kGemvRows; ++j) {
          const std::byte* blk = row[j] + b * kQ8 + 2;
          // Rows are contiguous, so the next row group is the stream's future:
          // fetch it now (a cold 4-row stride pattern defeats the hardware
          // prefetcher: ~12 GB/s per core without this).
          _mm_prefetch(reinterpret_cast<const char*>(blk + ahead), _MM_HINT_T0);
          __m512i wv = _mm512_zextsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk)));
          if (pair) wv = _mm512_inserti64x4(wv, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + kQ8)), 1);
          const __m512i dot = _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_xor_si512(wv, bias), xv);
          acc[j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), _mm512_permutexvar_ps(sidx, s[j]), acc[j]);
        }
      }
    }
    for (size_t j = 0; j < nr; ++j) y[r0 + j] = simd::ReduceAdd(acc[j]);
  }
}

// Four Q4_0 blocks' quants (16 bytes each) in one register; blocks past
// `nb` read nothing and are zero.
inline __m512i LoadQ4Quads(const std::byte* blk, size_t nb) {
  if (nb >= 4) {
    __m512i v = _mm512_castsi128_si512(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk)));
    v = _mm512_inserti32x4(v, _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + kQ4)), 1);
    v = _mm512_inserti32x4(v, _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 2 * kQ4)), 2);
    return _mm512_inserti32x4(v, _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 3 * kQ4)), 3);
  }
  alignas(64) uint8_t tmp[64] = {};
  for (size_t j = 0; j < nb; ++j) std::memcpy(tmp + 16 * j, blk + j * kQ4, 16);
  return _mm512_load_si512(tmp);
}

void Q4_0Gemv(size_t n, size_t kb, const void* w, size_t w_stride, const int8_t* xq, const float* xd,
              const int32_t* xc, float* y) {
  const __m512i low = _mm512_set1_epi8(0x0F);
  // Activations of four blocks regrouped: first halves (low nibbles), then second halves.
  const __m512i lo_idx = _mm512_setr_epi64(0, 1, 4, 5, 8, 9, 12, 13);
  const __m512i hi_idx = _mm512_setr_epi64(2, 3, 6, 7, 10, 11, 14, 15);
  const size_t ahead = kPrefetchBytes;  // see Q8_0Gemv
  for (size_t r0 = 0; r0 < n; r0 += kGemvRows) {
    const size_t nr = std::min(kGemvRows, n - r0);
    const std::byte* row[kGemvRows];
    for (size_t j = 0; j < kGemvRows; ++j) row[j] = static_cast<const std::byte*>(w) + (r0 + std::min(j, nr - 1)) * w_stride;
    __m512 acc[kGemvRows];
    for (auto& a : acc) a = _mm512_setzero_ps();
    for (size_t b0 = 0; b0 < kb; b0 += 16) {
      const size_t nb = std::min<size_t>(16, kb - b0);
      const __mmask16 m16 = Mask16(nb);
      const __m512 dx = _mm512_maskz_loadu_ps(m16, xd + b0);
      const __m512 corr = _mm512_cvtepi32_ps(_mm512_maskz_loadu_epi32(m16, xc + b0));
      __m512 s[kGemvRows];
      for (size_t j = 0; j < kGemvRows; ++j) {
        s[j] = _mm512_mul_ps(LoadScales16<kQ4>(row[j], b0, m16), dx);
        acc[j] = _mm512_fmadd_ps(s[j], corr, acc[j]);
      }
      __m512i sidx = FirstQuadIndex();
      for (size_t q = 0; 4 * q < nb; ++q, sidx = _mm512_add_epi32(sidx, _mm512_set1_epi32(4))) {
        const size_t b = b0 + 4 * q, nq = std::min<size_t>(4, nb - 4 * q);
        const int8_t* xp = xq + b * kQuantBlock;
        const size_t xbytes = nq * kQuantBlock;
        const __m512i x01 = _mm512_maskz_loadu_epi8(Mask64(xbytes), xp);
        const __m512i x23 = xbytes > 64 ? _mm512_maskz_loadu_epi8(Mask64(xbytes - 64), xp + 64) : _mm512_setzero_si512();
        const __m512i xlo = _mm512_permutex2var_epi64(x01, lo_idx, x23);
        const __m512i xhi = _mm512_permutex2var_epi64(x01, hi_idx, x23);
        for (size_t j = 0; j < kGemvRows; ++j) {
          _mm_prefetch(reinterpret_cast<const char*>(row[j] + b * kQ4 + ahead), _MM_HINT_T0);
          const __m512i v = LoadQ4Quads(row[j] + b * kQ4 + 2, nq);
          const __m512i lo = _mm512_and_si512(v, low);
          const __m512i hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), low);
          __m512i dot = _mm512_dpbusd_epi32(_mm512_setzero_si512(), lo, xlo);
          dot = _mm512_dpbusd_epi32(dot, hi, xhi);
          acc[j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), _mm512_permutexvar_ps(sidx, s[j]), acc[j]);
        }
      }
    }
    for (size_t j = 0; j < nr; ++j) y[r0 + j] = simd::ReduceAdd(acc[j]);
  }
}

// ---------------------------------------------------------------------------
// GEMM: a tile of kTileRows weight rows × kChunkBlocks blocks, repacked for
// broadcast activations.
constexpr size_t kTileRows = 32;
constexpr size_t kChunkBlocks = 8;
constexpr size_t kGemmMr = 4;

struct PackedTile {
  alignas(64) uint32_t q[kChunkBlocks][8][kTileRows];  // 4 unsigned bytes: k = 4*quad .. 4*quad+3
  alignas(64) float d[kChunkBlocks][kTileRows];
};

void PackQ8(const std::byte* w, size_t w_stride, size_t nr, size_t b0, size_t nbk, PackedTile& t) {
  for (size_t r = 0; r < kTileRows; ++r) {
    const std::byte* row = w + std::min(r, nr - 1) * w_stride;  // rows past nr repeat the last: lanes never stored
    for (size_t bb = 0; bb < nbk; ++bb) {
      const auto* blk = reinterpret_cast<const BlockQ8_0*>(row + (b0 + bb) * kQ8);
      t.d[bb][r] = F16ToF32(blk->d);
      for (size_t q = 0; q < 8; ++q) {
        uint32_t u;
        std::memcpy(&u, blk->qs + 4 * q, 4);
        t.q[bb][q][r] = u ^ 0x80808080u;  // +128: unsigned operand
      }
    }
  }
}

void PackQ4(const std::byte* w, size_t w_stride, size_t nr, size_t b0, size_t nbk, PackedTile& t) {
  for (size_t r = 0; r < kTileRows; ++r) {
    const std::byte* row = w + std::min(r, nr - 1) * w_stride;
    for (size_t bb = 0; bb < nbk; ++bb) {
      const auto* blk = reinterpret_cast<const BlockQ4_0*>(row + (b0 + bb) * kQ4);
      t.d[bb][r] = F16ToF32(blk->d);
      for (size_t q = 0; q < 4; ++q) {
        uint32_t u;
        std::memcpy(&u, blk->qs + 4 * q, 4);
        t.q[bb][q][r] = u & 0x0F0F0F0Fu;             // k = 4q .. 4q+3
        t.q[bb][q + 4][r] = (u >> 4) & 0x0F0F0F0Fu;  // k = 16+4q ..
      }
    }
  }
}

inline __m512i Broadcast4(const int8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm512_set1_epi32(v);
}

// MR activation rows × 32 weight rows over one packed chunk. acc lives in y
// between chunks (first chunk starts from zero).
template <size_t MR>
void GemmTile(const PackedTile& t, size_t nbk, size_t kb, const int8_t* xq, const float* xd, const int32_t* xc,
              float* y, size_t y_stride, __mmask16 m0, __mmask16 m1, bool first) {
  __m512 acc[MR][2];
  for (size_t i = 0; i < MR; ++i) {
    acc[i][0] = first ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(m0, y + i * y_stride);
    acc[i][1] = first ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(m1, y + i * y_stride + 16);
  }
  const size_t k = kb * kQuantBlock;
  for (size_t bb = 0; bb < nbk; ++bb) {
    __m512i dot[MR][2];
    for (size_t i = 0; i < MR; ++i) dot[i][0] = dot[i][1] = _mm512_set1_epi32(xc[i * kb + bb]);
    for (size_t q = 0; q < 8; ++q) {
      const __m512i w0 = _mm512_load_si512(t.q[bb][q]);
      const __m512i w1 = _mm512_load_si512(t.q[bb][q] + 16);
      for (size_t i = 0; i < MR; ++i) {
        const __m512i xv = Broadcast4(xq + i * k + bb * kQuantBlock + 4 * q);
        dot[i][0] = _mm512_dpbusd_epi32(dot[i][0], w0, xv);
        dot[i][1] = _mm512_dpbusd_epi32(dot[i][1], w1, xv);
      }
    }
    const __m512 d0 = _mm512_load_ps(t.d[bb]), d1 = _mm512_load_ps(t.d[bb] + 16);
    for (size_t i = 0; i < MR; ++i) {
      const __m512 dx = _mm512_set1_ps(xd[i * kb + bb]);
      acc[i][0] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot[i][0]), _mm512_mul_ps(d0, dx), acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot[i][1]), _mm512_mul_ps(d1, dx), acc[i][1]);
    }
  }
  for (size_t i = 0; i < MR; ++i) {
    _mm512_mask_storeu_ps(y + i * y_stride, m0, acc[i][0]);
    _mm512_mask_storeu_ps(y + i * y_stride + 16, m1, acc[i][1]);
  }
}

using PackFn = void (*)(const std::byte*, size_t, size_t, size_t, size_t, PackedTile&);

// Up to kGroupTiles weight tiles are packed per chunk, and each slice of
// activations (MR rows × one chunk, 1 KB) is used by all of them while it is
// in L1: activations are streamed once per group instead of once per tile
// (for k = 4864 they do not fit in L2, and the strided re-reads halved
// throughput).
constexpr size_t kGroupTiles = 8;

template <size_t MR>
void GemmGroup(const PackedTile* tiles, size_t n_tiles, size_t n, size_t nbk, size_t kb, const int8_t* xq,
               const float* xd, const int32_t* xc, float* y, size_t y_stride, bool first) {
  for (size_t t = 0; t < n_tiles; ++t) {
    const size_t nr = std::min(kTileRows, n - t * kTileRows);
    GemmTile<MR>(tiles[t], nbk, kb, xq, xd, xc, y + t * kTileRows, y_stride, Mask16(nr), Mask16(nr > 16 ? nr - 16 : 0),
                 first);
  }
}

template <PackFn Pack>
void QGemm(size_t m, size_t n, size_t kb, const void* w, size_t w_stride, const int8_t* xq, const float* xd,
           const int32_t* xc, float* y, size_t y_stride) {
  PackedTile tiles[kGroupTiles];  // 72 KB of stack
  const size_t k = kb * kQuantBlock;
  for (size_t g0 = 0; g0 < n; g0 += kGroupTiles * kTileRows) {
    const size_t gn = std::min(kGroupTiles * kTileRows, n - g0);
    const size_t n_tiles = (gn + kTileRows - 1) / kTileRows;
    const std::byte* rows = static_cast<const std::byte*>(w) + g0 * w_stride;
    for (size_t b0 = 0; b0 < kb; b0 += kChunkBlocks) {
      const size_t nbk = std::min(kChunkBlocks, kb - b0);
      for (size_t t = 0; t < n_tiles; ++t) {
        Pack(rows + t * kTileRows * w_stride, w_stride, std::min(kTileRows, gn - t * kTileRows), b0, nbk, tiles[t]);
      }
      const bool first = b0 == 0;
      size_t i = 0;
      for (; i + kGemmMr <= m; i += kGemmMr) {
        GemmGroup<kGemmMr>(tiles, n_tiles, gn, nbk, kb, xq + i * k + b0 * kQuantBlock, xd + i * kb + b0,
                           xc + i * kb + b0, y + i * y_stride + g0, y_stride, first);
      }
      const int8_t* xqi = xq + i * k + b0 * kQuantBlock;
      const float* xdi = xd + i * kb + b0;
      const int32_t* xci = xc + i * kb + b0;
      float* yi = y + i * y_stride + g0;
      switch (m - i) {
        case 3: GemmGroup<3>(tiles, n_tiles, gn, nbk, kb, xqi, xdi, xci, yi, y_stride, first); break;
        case 2: GemmGroup<2>(tiles, n_tiles, gn, nbk, kb, xqi, xdi, xci, yi, y_stride, first); break;
        case 1: GemmGroup<1>(tiles, n_tiles, gn, nbk, kb, xqi, xdi, xci, yi, y_stride, first); break;
        default: break;
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Float weights: dot-product tiles (each output is a lane-parallel dot over k,
// reduced at the end), no packing. Decode (m = 1) streams one row at a time
// (FDotRow: 2x the f16/bf16 GB/s of 8 interleaved rows on Zen 5).
template <typename T>
inline __m512 Load16(const T* p, __mmask16 mask);
template <>
inline __m512 Load16<float>(const float* p, __mmask16 mask) { return _mm512_maskz_loadu_ps(mask, p); }
struct F16 { uint16_t bits; };
struct BF16 { uint16_t bits; };
template <>
inline __m512 Load16<F16>(const F16* p, __mmask16 mask) {
  return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(mask, p));
}
template <>
inline __m512 Load16<BF16>(const BF16* p, __mmask16 mask) {
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(mask, p)), 16));
}

template <typename T, size_t MR, size_t NR>
void FTile(size_t nr, size_t k, const std::byte* w, size_t w_stride, const float* x, size_t x_stride, float* y,
           size_t y_stride) {
  const T* row[NR];
  for (size_t j = 0; j < NR; ++j) row[j] = reinterpret_cast<const T*>(w + std::min(j, nr - 1) * w_stride);
  __m512 acc[MR][NR];
  for (size_t i = 0; i < MR; ++i)
    for (size_t j = 0; j < NR; ++j) acc[i][j] = _mm512_setzero_ps();
  for (size_t c = 0; c < k; c += 16) {
    const __mmask16 mask = Mask16(k - c);
    __m512 wv[NR];
    for (size_t j = 0; j < NR; ++j) wv[j] = Load16<T>(row[j] + c, mask);
    for (size_t i = 0; i < MR; ++i) {
      const __m512 xv = _mm512_maskz_loadu_ps(mask, x + i * x_stride + c);
      for (size_t j = 0; j < NR; ++j) acc[i][j] = _mm512_fmadd_ps(wv[j], xv, acc[i][j]);
    }
  }
  for (size_t i = 0; i < MR; ++i)
    for (size_t j = 0; j < nr; ++j) y[i * y_stride + j] = simd::ReduceAdd(acc[i][j]);
}

// Decode: one row at a time in address order (one sequential stream
// prefetches best, as for the quantized GEMV), four accumulators so the FMAs
// do not wait on each other.
template <typename T>
float FDotRow(const T* w, const float* x, size_t k) {
  __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
  size_t c = 0;
  for (; c + 64 <= k; c += 64) {
    _mm_prefetch(reinterpret_cast<const char*>(w + c) + kPrefetchBytes, _MM_HINT_T0);
    if (sizeof(T) == 4) _mm_prefetch(reinterpret_cast<const char*>(w + c + 32) + kPrefetchBytes, _MM_HINT_T0);
    for (size_t u = 0; u < 4; ++u) {
      acc[u] = _mm512_fmadd_ps(Load16<T>(w + c + 16 * u, 0xFFFF), _mm512_loadu_ps(x + c + 16 * u), acc[u]);
    }
  }
  for (size_t u = 0; c < k; c += 16, ++u) {
    const __mmask16 mask = Mask16(k - c);
    acc[u] = _mm512_fmadd_ps(Load16<T>(w + c, mask), _mm512_maskz_loadu_ps(mask, x + c), acc[u]);
  }
  return simd::ReduceAdd(_mm512_add_ps(_mm512_add_ps(acc[0], acc[1]), _mm512_add_ps(acc[2], acc[3])));
}

template <typename T>
void FGemm(size_t m, size_t n, size_t k, const void* w, size_t w_stride, const float* x, size_t x_stride, float* y,
           size_t y_stride) {
  const auto* wb = static_cast<const std::byte*>(w);
  if (m == 1) {
    for (size_t r = 0; r < n; ++r) y[r] = FDotRow<T>(reinterpret_cast<const T*>(wb + r * w_stride), x, k);
    return;
  }
  // Blocks of activation rows that stay in L2 while every weight row passes.
  constexpr size_t kMr = 4, kNr = 4, kMBlock = 64;
  for (size_t i0 = 0; i0 < m; i0 += kMBlock) {
    const size_t i1 = std::min(m, i0 + kMBlock);
    for (size_t r = 0; r < n; r += kNr) {
      const size_t nr = std::min(kNr, n - r);
      size_t i = i0;
      for (; i + kMr <= i1; i += kMr) FTile<T, kMr, kNr>(nr, k, wb + r * w_stride, w_stride, x + i * x_stride, x_stride, y + i * y_stride + r, y_stride);
      for (; i < i1; ++i) FTile<T, 1, kNr>(nr, k, wb + r * w_stride, w_stride, x + i * x_stride, x_stride, y + i * y_stride + r, y_stride);
    }
  }
}

}  // namespace

const MatmulUkernels& MatmulUkernelsAvx512Vnni() {
  static const MatmulUkernels k{
      "avx512vnni", QuantizeQ8, Q8_0Gemv, QGemm<PackQ8>, Q4_0Gemv, QGemm<PackQ4>, FGemm<float>, FGemm<F16>, FGemm<BF16>,
  };
  return k;
}

}  // namespace edgert::kernels::avx512vnni
