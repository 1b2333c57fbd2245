// kernels/matmul/matmul_avx512vnni.cc: AVX-512 (F/VL/BW/DQ) + VNNI matrix products.
//
// GEMV (m == 1, decode, memory-bound): weights streamed once, in place, one
//   row at a time in address order with a software prefetch 16 KB ahead (on
//   Zen 5 interleaving 2 or 4 rows computes faster from cache but streams cold
//   memory slower). Q8_0: two blocks per 512-bit register (w ^ 0x80 as the
//   unsigned operand of vpdpbusd); Q4_0: four blocks per register, low and
//   high nibbles as two vpdpbusd. Activations are laid out once per call to
//   match (PackGemv), so the per-row work is two loads, two word permutes and
//   the dot products (see the GEMV section).
// GEMM (m > 1, prefill, compute-bound): a 32-row weight tile is repacked on
//   the stack, one chunk of 16 blocks at a time, into the layout vpdpbusd wants
//   for broadcast activations ([block][k/4][32 rows][4 bytes], unsigned), then
//   reused by every activation row. Each output lane owns one (i, r) pair and
//   accumulates whole blocks in block order: bit-equal to the scalar reference.
//   What bounds it: per 16 outputs and block, 8 vpdpbusd share the multiply
//   pipes with one vmulps (dw·dx) and one vfmadd, which bit-equality needs
//   (on Zen 4, dropping the vmulps made the tile 10-13% faster; the int to
//   float conversion is not on those pipes), so the ceiling is ~80% of the
//   vpdpbusd peak; the tile reaches ~75% when it has the core (kernels/README.md).
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

// One block's 32 quants from its two halves and the reciprocal scale; returns
// the 16 lane sums of the quants.
inline __m512i QuantizeBlock(__m512 v0, __m512 v1, __m512 vid, int8_t* qs) {
  const __m512 abs_mask = _mm512_castsi512_ps(_mm512_set1_epi32(0x7FFFFFFF));
  const __m512 half = _mm512_set1_ps(0.5f);
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
  return _mm512_add_epi32(q[0], q[1]);
}

// Lane j of the result = op over the 16 lanes of v[j] (v is clobbered): a
// shuffle tree, 30 shuffles for 16 reductions instead of ~8 per reduction.
template <typename Op>
inline __m512i Reduce16(__m512i v[16], Op op) {
  for (int p = 0; p < 8; ++p) {  // lanes 0-7: v[2p]'s halves combined, 8-15: v[2p+1]'s
    v[p] = op(_mm512_shuffle_i32x4(v[2 * p], v[2 * p + 1], _MM_SHUFFLE(1, 0, 1, 0)),
              _mm512_shuffle_i32x4(v[2 * p], v[2 * p + 1], _MM_SHUFFLE(3, 2, 3, 2)));
  }
  for (int p = 0; p < 4; ++p) {  // 128-bit lane l: 4 partials of v[4p + l]
    v[p] = op(_mm512_shuffle_i32x4(v[2 * p], v[2 * p + 1], _MM_SHUFFLE(2, 0, 2, 0)),
              _mm512_shuffle_i32x4(v[2 * p], v[2 * p + 1], _MM_SHUFFLE(3, 1, 3, 1)));
  }
  const auto shuf = [](__m512i a, __m512i b, int sel) {
    const __m512 fa = _mm512_castsi512_ps(a), fb = _mm512_castsi512_ps(b);
    return _mm512_castps_si512(sel ? _mm512_shuffle_ps(fa, fb, _MM_SHUFFLE(3, 2, 3, 2))
                                   : _mm512_shuffle_ps(fa, fb, _MM_SHUFFLE(1, 0, 1, 0)));
  };
  for (int p = 0; p < 2; ++p) v[p] = op(shuf(v[2 * p], v[2 * p + 1], 0), shuf(v[2 * p], v[2 * p + 1], 1));
  const __m512 fa = _mm512_castsi512_ps(v[0]), fb = _mm512_castsi512_ps(v[1]);
  const __m512i r = op(_mm512_castps_si512(_mm512_shuffle_ps(fa, fb, _MM_SHUFFLE(2, 0, 2, 0))),
                       _mm512_castps_si512(_mm512_shuffle_ps(fa, fb, _MM_SHUFFLE(3, 1, 3, 1))));
  // Lane 4l + e now holds v[4e + l]: back to lane j = v[j].
  return _mm512_permutexvar_epi32(_mm512_set_epi32(15, 11, 7, 3, 14, 10, 6, 2, 13, 9, 5, 1, 12, 8, 4, 0), r);
}

void QuantizeQ8(const float* x, size_t k, int32_t corr_mul, int8_t* qs, float* d, int32_t* corr) {
  const __m512 abs_mask = _mm512_castsi512_ps(_mm512_set1_epi32(0x7FFFFFFF));
  const size_t nb = k / kQuantBlock;
  size_t b = 0;
  // 16 blocks at a time: the maxima, scales and sums of quants of all 16 in
  // vectors (one division each for d and 1/d, as the per-block form below).
  for (; b + 16 <= nb; b += 16) {
    const float* xb = x + b * kQuantBlock;
    __m512i amax[16];
    for (size_t j = 0; j < 16; ++j) {
      amax[j] = _mm512_castps_si512(_mm512_max_ps(_mm512_and_ps(_mm512_loadu_ps(xb + 32 * j), abs_mask),
                                                  _mm512_and_ps(_mm512_loadu_ps(xb + 32 * j + 16), abs_mask)));
    }
    const __m512 am = _mm512_castsi512_ps(Reduce16(amax, [](__m512i p, __m512i q) {
      return _mm512_castps_si512(_mm512_max_ps(_mm512_castsi512_ps(p), _mm512_castsi512_ps(q)));
    }));
    const __m512 db = _mm512_div_ps(am, _mm512_set1_ps(127.0f));
    const __mmask16 nonzero = _mm512_cmp_ps_mask(db, _mm512_setzero_ps(), _CMP_NEQ_UQ);
    const __m512 id = _mm512_maskz_div_ps(nonzero, _mm512_set1_ps(1.0f), db);
    _mm512_storeu_ps(d + b, db);
    __m512i sums[16];
    for (size_t j = 0; j < 16; ++j) {
      const __m512 vid = _mm512_permutexvar_ps(_mm512_set1_epi32(static_cast<int>(j)), id);
      sums[j] = QuantizeBlock(_mm512_loadu_ps(xb + 32 * j), _mm512_loadu_ps(xb + 32 * j + 16), vid,
                              qs + (b + j) * kQuantBlock);
    }
    const __m512i total = Reduce16(sums, [](__m512i p, __m512i q) { return _mm512_add_epi32(p, q); });
    _mm512_storeu_si512(corr + b, _mm512_mullo_epi32(total, _mm512_set1_epi32(corr_mul)));
  }
  for (; b < nb; ++b) {
    const __m512 v0 = _mm512_loadu_ps(x + b * kQuantBlock), v1 = _mm512_loadu_ps(x + b * kQuantBlock + 16);
    const float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_and_ps(v0, abs_mask), _mm512_and_ps(v1, abs_mask)));
    const float db = amax / 127.0f;
    const float id = db != 0.0f ? 1.0f / db : 0.0f;
    const __m512i sum = QuantizeBlock(v0, v1, _mm512_set1_ps(id), qs + b * kQuantBlock);
    d[b] = db;
    corr[b] = corr_mul * _mm512_reduce_add_epi32(sum);
  }
}

// ---------------------------------------------------------------------------
// GEMV. One register holds P blocks of one row (P = 2 for Q8_0, 4 for Q4_0),
// 16/P dword lanes per block. The activations are laid out once per call
// (gemv_pack) in that lane order: quants (Q4_0: the first and second halves
// of four blocks regrouped to meet the low and high nibbles), each block's
// scale spread over its lanes, and its correction term in its first lane (the
// starting value of the int32 dot, so it costs nothing per row). Rows then
// stream through with no activation shuffles and no gathers (LoadFullGroup);
// a row's partial last group uses masked loads and word permutes that drop
// the f16 scales out of the quants (blocks are 34 / 18 bytes, so quants start
// at even offsets).

// How far ahead of the current block the GEMV prefetches (bytes of the weight
// stream; rows are contiguous, so this is the rows to come).
constexpr size_t kPrefetchBytes = 16384;

template <size_t P>
struct GemvLayout {
  static constexpr size_t kLanes = 16 / P;  // dword lanes per block
  int8_t* q;                                // [groups][P·32], Q4_0 halves regrouped
  float* d;                                 // [groups][16]: block scale on each of its lanes
  int32_t* corr;                            // [groups][16]: correction term on a block's first lane
  GemvLayout(size_t kb, void* packed) {
    const size_t padded = (kb + P - 1) / P * P;  // 64-byte multiples for P = 2 and 4
    auto* p = static_cast<std::byte*>(packed);
    q = reinterpret_cast<int8_t*>(p);
    d = reinterpret_cast<float*>(p + padded * kQuantBlock);
    corr = reinterpret_cast<int32_t*>(p + padded * (kQuantBlock + kLanes * sizeof(float)));
  }
};

// Padded with zero blocks to a multiple of P (zero scale and zero quants:
// padded lanes add nothing). 64 + 2·4·(16/P) ≤ 128 bytes per block, at most
// P - 1 blocks of padding (the bound in ukernels.h).
template <size_t P>
void PackGemv(size_t kb, const int8_t* xq, const float* xd, const int32_t* xc, void* packed) {
  constexpr size_t L = GemvLayout<P>::kLanes;
  const GemvLayout<P> a(kb, packed);
  const size_t padded = (kb + P - 1) / P * P;
  for (size_t b = 0; b < padded; ++b) {
    const bool real = b < kb;
    for (size_t l = 0; l < L; ++l) {
      a.d[b * L + l] = real ? xd[b] : 0.0f;
      a.corr[b * L + l] = real && l == 0 ? xc[b] : 0;
    }
    int8_t* lo = P == 4 ? a.q + b / 4 * 128 + b % 4 * 16 : a.q + b * kQuantBlock;  // Q4_0: [4 × lo][4 × hi]
    int8_t* hi = P == 4 ? lo + 64 : lo + 16;
    if (real) {
      std::memcpy(lo, xq + b * kQuantBlock, 16);
      std::memcpy(hi, xq + b * kQuantBlock + 16, 16);
    } else {
      std::memset(lo, 0, 16);
      std::memset(hi, 0, 16);
    }
  }
}

// Word indices for the two permutes, over A = the group's first 64 bytes and
// B = its last 64 (B starts kShift words after A).
template <size_t kBlockBytes, size_t P>
struct GemvIndices {
  __m512i quants, scales;
  GemvIndices() {
    constexpr int kWords = static_cast<int>(kBlockBytes / 2);           // words per block; word 0 is the scale
    constexpr int kQuantWords = 32 / static_cast<int>(P);               // a block's quant words in the register
    constexpr int kShift = static_cast<int>(P * kBlockBytes - 64) / 2;  // B's word i is the group's word i + kShift
    alignas(64) int16_t q[32], s[32] = {};
    for (int i = 0; i < 32; ++i) {
      const int src = kWords * (i / kQuantWords) + 1 + i % kQuantWords;
      q[i] = static_cast<int16_t>(src < 32 ? src : 32 + src - kShift);  // from A when it is there, else from B
    }
    for (int i = 0; i < 16; ++i) s[i] = static_cast<int16_t>(kWords * (i / (16 / static_cast<int>(P))));
    quants = _mm512_load_si512(q);
    scales = _mm512_load_si512(s);
  }
};

// A whole group: quants straight into place by 32-byte (Q8_0) or 16-byte
// (Q4_0) loads, scales by broadcasts (Q8_0) or one permute of the group's
// first 64 bytes (Q4_0: words 0, 9, 18, 27). Measured on Zen 5, cold weights,
// one thread: two 64-byte loads per group and a vpermt2w, the same work in
// fewer instructions, streamed 16-18 GB/s against 23-30 here (loads that
// split cache lines on every group hurt once the data comes from DRAM).
template <size_t kBlockBytes, size_t P>
inline void LoadFullGroup(const std::byte* blk, const GemvIndices<kBlockBytes, P>& ix, __m512i& v, __m512& dw) {
  if constexpr (P == 2) {
    v = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 2))),
                           _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + kBlockBytes + 2)), 1);
    uint16_t s0, s1;
    std::memcpy(&s0, blk, 2);
    std::memcpy(&s1, blk + kBlockBytes, 2);
    dw = _mm512_cvtph_ps(_mm256_set_m128i(_mm_set1_epi16(static_cast<short>(s1)), _mm_set1_epi16(static_cast<short>(s0))));
  } else {
    v = _mm512_castsi128_si512(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 2)));
    v = _mm512_inserti32x4(v, _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + kBlockBytes + 2)), 1);
    v = _mm512_inserti32x4(v, _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 2 * kBlockBytes + 2)), 2);
    v = _mm512_inserti32x4(v, _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 3 * kBlockBytes + 2)), 3);
    dw = _mm512_cvtph_ps(_mm512_castsi512_si256(_mm512_permutexvar_epi16(ix.scales, _mm512_loadu_si512(blk))));
  }
}

// A row's last group of fewer than P blocks (`bytes` of them): masked loads
// read nothing beyond the row. A = the group's first 64 bytes, B = its last.
template <size_t kBlockBytes, size_t P>
inline void LoadPartialGroup(const std::byte* blk, size_t bytes, __m512i& a, __m512i& b) {
  constexpr size_t kShiftBytes = P * kBlockBytes - 64;
  a = _mm512_maskz_loadu_epi8(Mask64(bytes), blk);
  b = bytes > kShiftBytes ? _mm512_maskz_loadu_epi8(Mask64(bytes - kShiftBytes), blk + kShiftBytes)
                          : _mm512_setzero_si512();
}

// One group's activations, loaded once per pass and used by every row of it.
template <size_t P>
struct GemvGroupActivations {
  __m512i corr, q0, q1;  // q1: the high halves (Q4_0 only)
  __m512 d;
  GemvGroupActivations(const GemvLayout<P>& x, size_t g)
      : corr(_mm512_load_si512(x.corr + g * 16)),
        q0(_mm512_load_si512(x.q + g * P * kQuantBlock)),
        q1(P == 4 ? _mm512_load_si512(x.q + g * 128 + 64) : _mm512_setzero_si512()),
        d(_mm512_load_ps(x.d + g * 16)) {}
};

// acc += the group's block dots · dw · dx, lane by lane.
template <size_t P>
inline __m512 GemvGroupFma(__m512i v, __m512 dw, const GemvGroupActivations<P>& a, __m512 acc) {
  __m512i dot;
  if constexpr (P == 4) {  // Q4_0: the raw nibbles are the unsigned operand
    const __m512i low = _mm512_set1_epi8(0x0F);
    dot = _mm512_dpbusd_epi32(a.corr, _mm512_and_si512(v, low), a.q0);
    dot = _mm512_dpbusd_epi32(dot, _mm512_and_si512(_mm512_srli_epi16(v, 4), low), a.q1);
  } else {  // Q8_0: w + 128 is the unsigned operand
    dot = _mm512_dpbusd_epi32(a.corr, _mm512_xor_si512(v, _mm512_set1_epi8(static_cast<char>(0x80))), a.q0);
  }
  return _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), _mm512_mul_ps(dw, a.d), acc);
}

// R rows (w_stride apart) in one pass over the groups: the activation
// registers of a group are loaded once for all R rows, which takes four
// loads per group off every row but the first. `prefetch`: how far ahead
// (bytes) each row prefetches its own stream.
template <size_t kBlockBytes, size_t P, size_t R>
inline void GemvRows(const std::byte* row0, size_t w_stride, size_t kb, size_t prefetch, const GemvLayout<P>& x,
                     const GemvIndices<kBlockBytes, P>& ix, float* y) {
  constexpr size_t kGroup = P * kBlockBytes;
  __m512 acc[R];
  for (size_t r = 0; r < R; ++r) acc[r] = _mm512_setzero_ps();
  const size_t full = kb / P;
  for (size_t g = 0; g < full; ++g) {
    const GemvGroupActivations<P> a(x, g);
    for (size_t r = 0; r < R; ++r) {
      const std::byte* blk = row0 + r * w_stride + g * kGroup;
      // Both lines this group's future counterpart spans.
      _mm_prefetch(reinterpret_cast<const char*>(blk + prefetch), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(blk + prefetch + kGroup - 1), _MM_HINT_T0);
      __m512i v;
      __m512 dw;
      LoadFullGroup<kBlockBytes, P>(blk, ix, v, dw);
      acc[r] = GemvGroupFma<P>(v, dw, a, acc[r]);
    }
  }
  if (full * P < kb) {  // the rows' last, partial group
    const GemvGroupActivations<P> a(x, full);
    for (size_t r = 0; r < R; ++r) {
      __m512i lo, hi;
      LoadPartialGroup<kBlockBytes, P>(row0 + r * w_stride + full * kGroup, (kb - full * P) * kBlockBytes, lo, hi);
      const __m512i v = _mm512_permutex2var_epi16(lo, ix.quants, hi);
      const __m512 dw = _mm512_cvtph_ps(_mm512_castsi512_si256(_mm512_permutexvar_epi16(ix.scales, lo)));
      acc[r] = GemvGroupFma<P>(v, dw, a, acc[r]);
    }
  }
  for (size_t r = 0; r < R; ++r) y[r] = simd::ReduceAdd(acc[r]);
}

// Rows per pass. Measured on a Xeon (AVX-512 VNNI, KVM guest, 1 thread,
// interleaved A/B trials): Q4_0 from cache 1.16-1.18x one row at a time; cold
// 1536x8960 (5 KB rows) 1.37x, where eight rows are eight streams on
// different pages; 8960x1536 cold unchanged (memory-bound either way).
constexpr size_t kGemvRows = 8;

template <size_t kBlockBytes, size_t P>
void QGemv(size_t n, size_t kb, const void* w, size_t w_stride, const void* packed, float* y) {
  static const GemvIndices<kBlockBytes, P> ix;
  const GemvLayout<P> x(kb, const_cast<void*>(packed));
  const auto* rows = static_cast<const std::byte*>(w);
  // Prefetch the same place in a later pass, at least kPrefetchBytes ahead:
  // each row then prefetches its own stream, however long the rows are.
  const size_t pass = kGemvRows * w_stride;
  const size_t prefetch = (kPrefetchBytes + pass - 1) / pass * pass;
  size_t r = 0;
  for (; r + kGemvRows <= n; r += kGemvRows) {
    GemvRows<kBlockBytes, P, kGemvRows>(rows + r * w_stride, w_stride, kb, prefetch, x, ix, y + r);
  }
  for (; r < n; ++r) GemvRows<kBlockBytes, P, 1>(rows + r * w_stride, w_stride, kb, prefetch, x, ix, y + r);
}

// ---------------------------------------------------------------------------
// GEMM: a tile of kTileRows weight rows × kChunkBlocks blocks, repacked for
// broadcast activations.
constexpr size_t kTileRows = 32;
constexpr size_t kChunkBlocks = 16;
constexpr size_t kGemmMr = 4;

struct PackedTile {
  alignas(64) uint32_t q[kChunkBlocks][8][kTileRows];  // 4 unsigned bytes: k = 4*quad .. 4*quad+3
  alignas(64) float d[kChunkBlocks][kTileRows];
};

// The tile's 32 row pointers: rows past nr repeat the last (their lanes are
// never stored).
struct TileRows {
  const std::byte* p[kTileRows];
  TileRows(const std::byte* w, size_t w_stride, size_t nr) {
    for (size_t r = 0; r < kTileRows; ++r) p[r] = w + std::min(r, nr - 1) * w_stride;
  }
};

// The f16 scales of block b of the 32 rows (at byte `at` of each row's block)
// -> d[32] f32.
inline void PackScales(const TileRows& rows, size_t at, float* d) {
  alignas(64) uint16_t h[kTileRows];
  for (size_t r = 0; r < kTileRows; ++r) std::memcpy(&h[r], rows.p[r] + at, 2);
  _mm512_store_ps(d, _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(h))));
  _mm512_store_ps(d + 16, _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(h + 16))));
}

// z[j] = [8 dwords of row j | 8 dwords of row j+8] -> z[q] = [dword q of rows
// 0..7 | of rows 8..15]: two 8×8 transposes, one per 256-bit half.
inline void Transpose8x8Halves(__m512i z[8]) {
  __m512i t[8], u[8];
  for (int j = 0; j < 8; j += 2) {
    t[j] = _mm512_unpacklo_epi32(z[j], z[j + 1]);
    t[j + 1] = _mm512_unpackhi_epi32(z[j], z[j + 1]);
  }
  for (int j = 0; j < 8; j += 4) {
    u[j] = _mm512_unpacklo_epi64(t[j], t[j + 2]);      // dwords 0 / 4 of rows j..j+3 (per 128-bit lane)
    u[j + 1] = _mm512_unpackhi_epi64(t[j], t[j + 2]);  // 1 / 5
    u[j + 2] = _mm512_unpacklo_epi64(t[j + 1], t[j + 3]);  // 2 / 6
    u[j + 3] = _mm512_unpackhi_epi64(t[j + 1], t[j + 3]);  // 3 / 7
  }
  const __m512i lo = _mm512_set_epi64(13, 12, 5, 4, 9, 8, 1, 0), hi = _mm512_set_epi64(15, 14, 7, 6, 11, 10, 3, 2);
  for (int q = 0; q < 4; ++q) {
    z[q] = _mm512_permutex2var_epi64(u[q], lo, u[q + 4]);
    z[q + 4] = _mm512_permutex2var_epi64(u[q], hi, u[q + 4]);
  }
}

void PackQ8(const std::byte* w, size_t w_stride, size_t nr, size_t b0, size_t nbk, PackedTile& t) {
  const TileRows rows(w, w_stride, nr);
  const __m512i bias = _mm512_set1_epi8(static_cast<char>(0x80));  // +128: unsigned operand
  for (size_t bb = 0; bb < nbk; ++bb) {
    const size_t at = (b0 + bb) * kQ8;
    PackScales(rows, at, t.d[bb]);
    for (size_t h = 0; h < kTileRows; h += 16) {
      __m512i z[8];
      for (size_t j = 0; j < 8; ++j) {
        const auto* a = reinterpret_cast<const __m256i*>(rows.p[h + j] + at + 2);
        const auto* b = reinterpret_cast<const __m256i*>(rows.p[h + j + 8] + at + 2);
        z[j] = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256(a)), _mm256_loadu_si256(b), 1);
      }
      Transpose8x8Halves(z);
      for (size_t q = 0; q < 8; ++q) _mm512_store_si512(t.q[bb][q] + h, _mm512_xor_si512(z[q], bias));
    }
  }
}

// Low nibbles are k = 0..15 of a block, high nibbles k = 16..31.
void PackQ4(const std::byte* w, size_t w_stride, size_t nr, size_t b0, size_t nbk, PackedTile& t) {
  const TileRows rows(w, w_stride, nr);
  const __m512i low = _mm512_set1_epi8(0x0F);
  for (size_t bb = 0; bb < nbk; ++bb) {
    const size_t at = (b0 + bb) * kQ4;
    PackScales(rows, at, t.d[bb]);
    for (size_t h = 0; h < kTileRows; h += 16) {
      // z[j], 128-bit lane L: the 4 dwords of row h + 4L + j; after the 4×4
      // transposes, o[q] lane L: dword q of rows h + 4L .. h + 4L + 3.
      __m512i z[4];
      for (size_t j = 0; j < 4; ++j) {
        z[j] = _mm512_castsi128_si512(_mm_loadu_si128(reinterpret_cast<const __m128i*>(rows.p[h + j] + at + 2)));
        for (size_t l = 1; l < 4; ++l) {
          const auto* src = reinterpret_cast<const __m128i*>(rows.p[h + 4 * l + j] + at + 2);
          switch (l) {
            case 1: z[j] = _mm512_inserti32x4(z[j], _mm_loadu_si128(src), 1); break;
            case 2: z[j] = _mm512_inserti32x4(z[j], _mm_loadu_si128(src), 2); break;
            default: z[j] = _mm512_inserti32x4(z[j], _mm_loadu_si128(src), 3); break;
          }
        }
      }
      const __m512i t0 = _mm512_unpacklo_epi32(z[0], z[1]), t1 = _mm512_unpackhi_epi32(z[0], z[1]);
      const __m512i t2 = _mm512_unpacklo_epi32(z[2], z[3]), t3 = _mm512_unpackhi_epi32(z[2], z[3]);
      const __m512i o[4] = {_mm512_unpacklo_epi64(t0, t2), _mm512_unpackhi_epi64(t0, t2),
                            _mm512_unpacklo_epi64(t1, t3), _mm512_unpackhi_epi64(t1, t3)};
      for (size_t q = 0; q < 4; ++q) {
        _mm512_store_si512(t.q[bb][q] + h, _mm512_and_si512(o[q], low));
        _mm512_store_si512(t.q[bb][q + 4] + h, _mm512_and_si512(_mm512_srli_epi16(o[q], 4), low));
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
// activations (MR rows × one chunk, 2 KB) is used by all of them while it is
// in L1: activations are streamed once per group instead of once per tile
// (for k = 4864 they do not fit in L2, and the strided re-reads halved
// throughput). Measured on Zen 4 (one thread, best of many calls by thread
// CPU time): 16-block chunks beat 8 (fewer passes of the accumulators through
// y) by 4-6%; 4 or 8 tiles per group are equal, 4 keeps the stack at 72 KB.
// Running all row groups over one tile before the next (the tile in L1, the
// activations from L2) was 15-20% slower; six activation rows per pass
// instead of four, no faster.
constexpr size_t kGroupTiles = 4;

template <size_t MR>
void GemmGroup(const PackedTile* tiles, size_t n_tiles, size_t n, size_t nbk, size_t kb, const int8_t* xq,
               const float* xd, const int32_t* xc, float* y, size_t y_stride, bool first) {
  for (size_t t = 0; t < n_tiles; ++t) {
    const size_t nr = std::min(kTileRows, n - t * kTileRows);
    GemmTile<MR>(tiles[t], nbk, kb, xq, xd, xc, y + t * kTileRows, y_stride, Mask16(nr), Mask16(nr > 16 ? nr - 16 : 0),
                 first);
  }
}

// The last m % kGemmMr rows: GemmGroup<rows>, rows < kGemmMr.
template <size_t MR>
void GemmGroupTail(size_t rows, const PackedTile* tiles, size_t n_tiles, size_t n, size_t nbk, size_t kb,
                   const int8_t* xq, const float* xd, const int32_t* xc, float* y, size_t y_stride, bool first) {
  if constexpr (MR > 0) {
    if (rows == MR) return GemmGroup<MR>(tiles, n_tiles, n, nbk, kb, xq, xd, xc, y, y_stride, first);
    GemmGroupTail<MR - 1>(rows, tiles, n_tiles, n, nbk, kb, xq, xd, xc, y, y_stride, first);
  }
}

// Pulls the weights the next chunk will pack into L2, a few rows per step,
// while the current chunk computes: packing then reads cache instead of
// waiting on memory row after row (the pack's scattered row reads are not a
// stream the hardware prefetchers follow well).
class ChunkPrefetch {
 public:
  // rows [0, n_rows) at `w`, bytes [begin, end) of each, spread over `steps` calls of Step().
  void Start(const std::byte* w, size_t n_rows, size_t w_stride, size_t begin, size_t end, size_t steps) {
    w_ = w, n_rows_ = n_rows, w_stride_ = w_stride, begin_ = begin, end_ = end, next_ = 0;
    per_step_ = (n_rows + steps - 1) / steps;
  }
  void Step() { Rows(std::min(n_rows_, next_ + per_step_)); }
  void Finish() { Rows(n_rows_); }

 private:
  void Rows(size_t until) {
    for (; next_ < until; ++next_) {
      const auto row = reinterpret_cast<uintptr_t>(w_ + next_ * w_stride_);
      for (uintptr_t a = (row + begin_) & ~uintptr_t{63}; a < row + end_; a += 64) {
        _mm_prefetch(reinterpret_cast<const char*>(a), _MM_HINT_T1);
      }
    }
  }
  const std::byte* w_ = nullptr;
  size_t n_rows_ = 0, w_stride_ = 0, begin_ = 0, end_ = 0, next_ = 0, per_step_ = 0;
};

template <size_t kBlockBytes, PackFn Pack>
void QGemm(size_t m, size_t n, size_t kb, const void* w, size_t w_stride, const int8_t* xq, const float* xd,
           const int32_t* xc, float* y, size_t y_stride) {
  PackedTile tiles[kGroupTiles];  // 72 KB of stack
  const size_t k = kb * kQuantBlock;
  constexpr size_t kGroupRows = kGroupTiles * kTileRows;
  const auto* wb = static_cast<const std::byte*>(w);
  ChunkPrefetch prefetch;
  for (size_t g0 = 0; g0 < n; g0 += kGroupRows) {
    const size_t gn = std::min(kGroupRows, n - g0);
    const size_t n_tiles = (gn + kTileRows - 1) / kTileRows;
    const std::byte* rows = wb + g0 * w_stride;
    for (size_t b0 = 0; b0 < kb; b0 += kChunkBlocks) {
      const size_t nbk = std::min(kChunkBlocks, kb - b0);
      for (size_t t = 0; t < n_tiles; ++t) {
        Pack(rows + t * kTileRows * w_stride, w_stride, std::min(kTileRows, gn - t * kTileRows), b0, nbk, tiles[t]);
      }
      // The next chunk: the same rows further along k, or the next group's first.
      const size_t steps = (m + kGemmMr - 1) / kGemmMr;
      if (b0 + kChunkBlocks < kb) {
        prefetch.Start(rows, gn, w_stride, (b0 + kChunkBlocks) * kBlockBytes,
                       std::min(kb, b0 + 2 * kChunkBlocks) * kBlockBytes, steps);
      } else if (g0 + kGroupRows < n) {
        prefetch.Start(rows + kGroupRows * w_stride, std::min(kGroupRows, n - g0 - kGroupRows), w_stride, 0,
                       std::min(kb, kChunkBlocks) * kBlockBytes, steps);
      } else {
        prefetch.Start(rows, 0, w_stride, 0, 0, 1);
      }
      const bool first = b0 == 0;
      size_t i = 0;
      for (; i + kGemmMr <= m; i += kGemmMr) {
        prefetch.Step();
        GemmGroup<kGemmMr>(tiles, n_tiles, gn, nbk, kb, xq + i * k + b0 * kQuantBlock, xd + i * kb + b0,
                           xc + i * kb + b0, y + i * y_stride + g0, y_stride, first);
      }
      prefetch.Finish();
      const int8_t* xqi = xq + i * k + b0 * kQuantBlock;
      const float* xdi = xd + i * kb + b0;
      const int32_t* xci = xc + i * kb + b0;
      float* yi = y + i * y_stride + g0;
      GemmGroupTail<kGemmMr - 1>(m - i, tiles, n_tiles, gn, nbk, kb, xqi, xdi, xci, yi, y_stride, first);
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
      "avx512vnni", QuantizeQ8, PackGemv<2>, QGemv<kQ8, 2>, QGemm<kQ8, PackQ8>, PackGemv<4>, QGemv<kQ4, 4>, QGemm<kQ4, PackQ4>, FGemm<float>, FGemm<F16>, FGemm<BF16>,
  };
  return k;
}

}  // namespace edgert::kernels::avx512vnni
