// kernels/matmul/matmul_avx2.cc: AVX2 + FMA + F16C matrix products, for x86
// CPUs without AVX-512 VNNI.
//
// Quantized: eight weight rows (an octet) at a time, two rows per vpmaddubsw
// (see the octet layout below). Q8_0 uses the sign trick (|w| unsigned times x
// carrying w's sign: w + 128 as the unsigned operand would saturate the 16-bit
// pair sums); Q4_0 feeds its raw nibbles (0..15, no saturation possible) and
// adds the block's correction term. Without VNNI, vpmaddubsw, vpmaddwd, vpsignb
// and the float step share two ports, so the design counts those: per octet,
// activation row and block Q8_0 spends 27 of them (8 sign, 8 maddubs, 8 madd,
// convert, multiply, FMA), Q4_0 12. The GEMM (m ≥ 4) lays each octet out per
// 32-block chunk in an L1 buffer (pairs joined, nibbles split, |w| and the
// scales ready), so the 4-row activation tile reads its weights as memory
// operands; the GEMV (decode) builds each block in registers.
// May not allocate, log or dispatch.
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "base/quant_blocks.h"
#include "kernels/matmul/matmul_variants.h"
#include "kernels/simd/avx2.h"

namespace edgert::kernels::avx2 {
namespace {

constexpr size_t kQ8 = sizeof(BlockQ8_0);
constexpr size_t kQ4 = sizeof(BlockQ4_0);

using simd::ReduceAdd;
using simd::ReduceMax;

// Same quants as QuantizeRowQ8_0Ref (halves away from zero, emulated exactly).
void QuantizeQ8(const float* x, size_t k, int32_t corr_mul, int8_t* qs, float* d, int32_t* corr) {
  const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
  const __m256 half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f);
  for (size_t b = 0; b < k / kQuantBlock; ++b, x += kQuantBlock, qs += kQuantBlock) {
    __m256 v[4];
    __m256 amax = _mm256_setzero_ps();
    for (int j = 0; j < 4; ++j) {
      v[j] = _mm256_loadu_ps(x + 8 * j);
      amax = _mm256_max_ps(amax, _mm256_and_ps(v[j], abs_mask));
    }
    const float db = ReduceMax(amax) / 127.0f;
    const float id = db != 0.0f ? 1.0f / db : 0.0f;
    const __m256 vid = _mm256_set1_ps(id);
    __m256i q[4];
    for (int j = 0; j < 4; ++j) {
      const __m256 t = _mm256_mul_ps(v[j], vid);
      const __m256 tr = _mm256_round_ps(t, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
      const __m256 frac = _mm256_and_ps(_mm256_sub_ps(t, tr), abs_mask);
      const __m256 step = _mm256_and_ps(_mm256_cmp_ps(frac, half, _CMP_GE_OQ),
                                        _mm256_or_ps(one, _mm256_andnot_ps(abs_mask, t)));
      q[j] = _mm256_cvttps_epi32(_mm256_add_ps(tr, step));
    }
    const __m256i sum = _mm256_add_epi32(_mm256_add_epi32(q[0], q[1]), _mm256_add_epi32(q[2], q[3]));
    // packs interleave 128-bit lanes; a dword permute restores k order.
    const __m256i i8 = _mm256_packs_epi16(_mm256_packs_epi32(q[0], q[1]), _mm256_packs_epi32(q[2], q[3]));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(qs),
                        _mm256_permutevar8x32_epi32(i8, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)));
    d[b] = db;
    corr[b] = corr_mul * ReduceAdd(sum);
  }
}

// The quantized products work on octets: eight weight rows taken as four
// pairs, (0, 1), (2, 3), (4, 5), (6, 7). A 256-bit weight operand holds one
// half of a block (16 quants) of the pair's first row in its low 128 bits and
// the same half of the second row in its high 128 bits, against the
// activations' half broadcast to both: one vpmaddubsw serves two rows, and the
// rows stay apart by 128-bit half. Two hadds merge the four pairs' dots into
// one vector with a lane per row, [r0 r2 r4 r6 | r1 r3 r5 r7], so the float
// step (convert, dw·dx, FMA) runs once per eight rows instead of once per row.
// Float order: per row, one lane runs the reference's FMA chain over the
// blocks in order (dot exact in int32, dw·dx one f32 product), continued
// through y from one 32-block chunk to the next, so the GEMM and the GEMV are
// bit-equal to the scalar reference (tested).
inline __m256i LoadPair(const std::byte* a, const std::byte* b) {
  return _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a))),
                                 _mm_loadu_si128(reinterpret_cast<const __m128i*>(b)), 1);
}

// An octet's rows, and their byte offsets from row[0] in the dots' lane order
// (rows 0 2 4 6 1 3 5 7), for gathering the scales.
struct OctetRows {
  const std::byte* row[8];
  __m256i scale_offsets;
};

inline OctetRows MakeOctetRows(const void* w, size_t w_stride, size_t nr) {
  OctetRows r;
  for (size_t j = 0; j < 8; ++j) r.row[j] = static_cast<const std::byte*>(w) + std::min(j, nr - 1) * w_stride;
  const auto off = [&](size_t j) { return static_cast<int>(std::min(j, nr - 1) * w_stride); };
  r.scale_offsets = _mm256_setr_epi32(off(0), off(2), off(4), off(6), off(1), off(3), off(5), off(7));
  return r;
}

// The eight rows' f16 scales of the block at byte offset `off`, in the dots'
// lane order [d0 d2 d4 d6 | d1 d3 d5 d7]: one gather of the dwords that start
// them (offsets from rows.scale_offsets), their low words packed, converted.
// The GEMV (warm, one core) ran 6-10% (Q8_0) and 2-6% (Q4_0) faster than
// with eight scalar loads, shifts and ors. Offsets are int32: 7 row strides
// stay far below 2 GB for any k a model has.
inline __m256 OctetScales(const std::byte* row0, __m256i idx, size_t off) {
  const __m256i g = _mm256_i32gather_epi32(reinterpret_cast<const int*>(row0 + off), idx, 1);
  // low word of each dword -> bytes 0..7 of each lane, then the two lanes' halves together
  const __m256i packed = _mm256_shuffle_epi8(g, _mm256_setr_epi8(0, 1, 4, 5, 8, 9, 12, 13, -1, -1, -1, -1, -1, -1, -1, -1,
                                                                  0, 1, 4, 5, 8, 9, 12, 13, -1, -1, -1, -1, -1, -1, -1, -1));
  return _mm256_cvtph_ps(_mm256_castsi256_si128(_mm256_permute4x64_epi64(packed, 0x08)));
}

inline __m256i BroadcastHalf(const int8_t* x) {
  return _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x)));
}

// Q4_0: raw nibbles 0..15 are the unsigned operand (no sign op); low nibbles
// hold quants 0..15 of the block, high nibbles 16..31. Per pair p: u[2p] the
// low nibbles, u[2p + 1] the high ones.
struct alignas(32) Q4Octet {
  __m256i u[8];
  __m256 d;
};

inline Q4Octet LoadQ4Octet(const OctetRows& rows, size_t b) {
  const std::byte* const* row = rows.row;
  const size_t off = b * kQ4;
  const __m256i mask = _mm256_set1_epi8(0x0F);
  Q4Octet q;
  for (int p = 0; p < 4; ++p) {
    const __m256i w = LoadPair(row[2 * p] + off + 2, row[2 * p + 1] + off + 2);
    q.u[2 * p] = _mm256_and_si256(w, mask);
    q.u[2 * p + 1] = _mm256_and_si256(_mm256_srli_epi16(w, 4), mask);
  }
  q.d = OctetScales(row[0], rows.scale_offsets, off);
  return q;
}

// Rows 4h..4h+3's int16 partial dots, per 128-bit lane [r0 ×4, r2 ×4] and
// [r1 ×4, r3 ×4] of the four (a word: 4 products of at most 15·127, after
// the hadd 8: |word| ≤ 15240).
inline __m256i DotQ4Quad16(const Q4Octet& w, int h, __m256i xlo, __m256i xhi) {
  const __m256i* u = w.u + 4 * h;
  const __m256i s0 = _mm256_add_epi16(_mm256_maddubs_epi16(u[0], xlo), _mm256_maddubs_epi16(u[1], xhi));
  const __m256i s1 = _mm256_add_epi16(_mm256_maddubs_epi16(u[2], xlo), _mm256_maddubs_epi16(u[3], xhi));
  return _mm256_hadd_epi16(s0, s1);
}

// The block's exact dots, [r0 r2 r4 r6 | r1 r3 r5 r7], with the correction:
// one more int16 hadd (|word| ≤ 30480, still no overflow) before widening.
inline __m256i DotQ4Octet(const Q4Octet& w, const int8_t* x, const int32_t* corr) {
  const __m256i xlo = BroadcastHalf(x), xhi = BroadcastHalf(x + 16);
  const __m256i h = _mm256_hadd_epi16(DotQ4Quad16(w, 0, xlo, xhi), DotQ4Quad16(w, 1, xlo, xhi));
  return _mm256_add_epi32(_mm256_madd_epi16(h, _mm256_set1_epi16(1)), _mm256_set1_epi32(*corr));
}

// Q8_0: the sign trick, |w| as the unsigned operand (once per octet and
// block, shared by every activation row; -128 becomes 128, still exact) times
// x with w's sign. w + 128 would saturate vpmaddubsw's 16-bit pair sums. Per
// pair p: w[2p], w[2p + 1] the signed halves, a[...] their absolute values.
struct alignas(32) Q8Octet {
  __m256i w[8], a[8];
  __m256 d;
};

inline Q8Octet LoadQ8Octet(const OctetRows& rows, size_t b) {
  const std::byte* const* row = rows.row;
  const size_t off = b * kQ8;
  Q8Octet q;
  for (int p = 0; p < 4; ++p) {
    q.w[2 * p] = LoadPair(row[2 * p] + off + 2, row[2 * p + 1] + off + 2);
    q.w[2 * p + 1] = LoadPair(row[2 * p] + off + 18, row[2 * p + 1] + off + 18);
  }
  for (int j = 0; j < 8; ++j) q.a[j] = _mm256_abs_epi8(q.w[j]);
  q.d = OctetScales(row[0], rows.scale_offsets, off);
  return q;
}

// Pair p's dots, [r 4 lanes | r' 4 lanes]: |pair sum| ≤ 2·128·127 = 32512
// fits int16, so each half is widened to int32 before the halves are added.
inline __m256i DotQ8Pair(const Q8Octet& w, int p, __m256i xlo, __m256i xhi) {
  const __m256i ones = _mm256_set1_epi16(1);
  const __m256i lo = _mm256_madd_epi16(_mm256_maddubs_epi16(w.a[2 * p], _mm256_sign_epi8(xlo, w.w[2 * p])), ones);
  const __m256i hi = _mm256_madd_epi16(_mm256_maddubs_epi16(w.a[2 * p + 1], _mm256_sign_epi8(xhi, w.w[2 * p + 1])), ones);
  return _mm256_add_epi32(lo, hi);
}

inline __m256i DotQ8Octet(const Q8Octet& w, const int8_t* x, const int32_t*) {
  const __m256i xlo = BroadcastHalf(x), xhi = BroadcastHalf(x + 16);
  const __m256i q0 = _mm256_hadd_epi32(DotQ8Pair(w, 0, xlo, xhi), DotQ8Pair(w, 1, xlo, xhi));
  const __m256i q1 = _mm256_hadd_epi32(DotQ8Pair(w, 2, xlo, xhi), DotQ8Pair(w, 3, xlo, xhi));
  return _mm256_hadd_epi32(q0, q1);
}

template <bool kQ4Weights>
struct OctetOps {
  using Octet = Q4Octet;
  static Octet Load(const OctetRows& rows, size_t b) { return LoadQ4Octet(rows, b); }
  static __m256i Dot(const Octet& w, const int8_t* x, const int32_t* corr) { return DotQ4Octet(w, x, corr); }
};
template <>
struct OctetOps<false> {
  using Octet = Q8Octet;
  static Octet Load(const OctetRows& rows, size_t b) { return LoadQ8Octet(rows, b); }
  static __m256i Dot(const Octet& w, const int8_t* x, const int32_t* corr) { return DotQ8Octet(w, x, corr); }
};

// acc = [r0 r2 r4 r6 | r1 r3 r5 r7] <-> y[0..nr). A later chunk of blocks
// starts from the earlier chunks' sums, so each row's FMA chain runs through y
// unbroken.
inline __m256 LoadOctet(size_t nr, const float* y) {
  alignas(32) float t[8] = {};
  const __m256 v = nr == 8 ? _mm256_loadu_ps(y) : (std::copy_n(y, nr, t), _mm256_load_ps(t));
  return _mm256_permutevar8x32_ps(v, _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7));
}

inline void StoreOctet(__m256 acc, size_t nr, float* y) {
  const __m256 v = _mm256_permutevar8x32_ps(acc, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
  if (nr == 8) {
    _mm256_storeu_ps(y, v);
  } else {
    alignas(32) float t[8];
    _mm256_store_ps(t, v);
    std::copy_n(t, nr, y);
  }
}

// MR activation rows (row i: xq + i·kb·32, xd + i·kb, xc + i·kb, already
// offset to the first block) x one octet of weight rows over nb blocks, the
// octet either built per block from the rows or laid out in L1 beforehand.
// nr ≤ 8 real rows; the others repeat the last one and are not stored.
template <bool kQ4Weights, size_t MR, typename OctetSource>
void OctetTile(OctetSource octet, size_t nb, size_t kb, const int8_t* xq, const float* xd, const int32_t* xc,
               size_t nr, bool accumulate, float* y, size_t y_stride) {
  using Ops = OctetOps<kQ4Weights>;
  __m256 acc[MR];
  for (size_t i = 0; i < MR; ++i) acc[i] = accumulate ? LoadOctet(nr, y + i * y_stride) : _mm256_setzero_ps();
  for (size_t b = 0; b < nb; ++b) {
    const typename Ops::Octet& w = octet(b);
    for (size_t i = 0; i < MR; ++i) {
      const __m256i dot = Ops::Dot(w, xq + (i * kb + b) * kQuantBlock, xc + i * kb + b);
      const __m256 s = _mm256_mul_ps(w.d, _mm256_broadcast_ss(xd + i * kb + b));
      acc[i] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), s, acc[i]);
    }
  }
  for (size_t i = 0; i < MR; ++i) StoreOctet(acc[i], nr, y + i * y_stride);
}

constexpr size_t kOctetRows = 8;
constexpr size_t kTileActRows = 4;
// Blocks of one octet laid out per chunk: 32 x 544 bytes (Q8_0) stay in L1
// beside the activations; each chunk continues from the sums in y.
constexpr size_t kChunkBlocks = 32;

// Activation rows from `i0` to i1 in tiles of kTileActRows, then the tail.
template <bool kQ4Weights, typename OctetSource>
void OctetTiles(OctetSource octet, size_t nb, size_t kb, size_t i0, size_t i1, const int8_t* xq, const float* xd,
                const int32_t* xc, size_t nr, bool accumulate, float* y, size_t y_stride) {
  size_t i = i0;
  for (; i + kTileActRows <= i1; i += kTileActRows) {
    OctetTile<kQ4Weights, kTileActRows>(octet, nb, kb, xq + i * kb * kQuantBlock, xd + i * kb, xc + i * kb, nr,
                                        accumulate, y + i * y_stride, y_stride);
  }
  const int8_t* xq_i = xq + i * kb * kQuantBlock;
  float* y_i = y + i * y_stride;
  switch (i1 - i) {
    case 3: OctetTile<kQ4Weights, 3>(octet, nb, kb, xq_i, xd + i * kb, xc + i * kb, nr, accumulate, y_i, y_stride); break;
    case 2: OctetTile<kQ4Weights, 2>(octet, nb, kb, xq_i, xd + i * kb, xc + i * kb, nr, accumulate, y_i, y_stride); break;
    case 1: OctetTile<kQ4Weights, 1>(octet, nb, kb, xq_i, xd + i * kb, xc + i * kb, nr, accumulate, y_i, y_stride); break;
    default: break;
  }
}

// Activation rows per pass over the task's weights: about 256 KB of quants,
// so they stay in L2 while every octet passes (at k = 4864 all 512 rows, 2.5
// MB, came from L3 at each pass: Q4_0 896x4864 ~1.4x slower).
constexpr size_t kActivationBytesPerPass = 256 * 1024;

template <bool kQ4Weights>
void QGemm(size_t m, size_t n, size_t kb, const void* w, size_t w_stride, const int8_t* xq, const float* xd,
           const int32_t* xc, float* y, size_t y_stride) {
  using Ops = OctetOps<kQ4Weights>;
  using Octet = typename Ops::Octet;
  const size_t m_pass = std::max(kTileActRows, kActivationBytesPerPass / (kb * kQuantBlock) / kTileActRows * kTileActRows);
  Octet chunk[kChunkBlocks];
  const auto from_chunk = [&chunk](size_t b) -> const Octet& { return chunk[b]; };
  for (size_t i0 = 0; i0 < m; i0 += m_pass) {
    const size_t i1 = std::min(m, i0 + m_pass);
    for (size_t r0 = 0; r0 < n; r0 += kOctetRows) {
      const size_t nr = std::min(kOctetRows, n - r0);
      const OctetRows row = MakeOctetRows(static_cast<const std::byte*>(w) + r0 * w_stride, w_stride, nr);
      if (i1 - i0 < kTileActRows) {
        // Decode and tiny batches: too few activation rows to pay for laying
        // the octet out; build each block in registers. Each row prefetches
        // the same place of the next octet's row (a line per two blocks): cold
        // GEMV 1 thread, CPU time, 1.1-1.5x faster (4864x896 and 896x4864,
        // three alternations); two octets ahead measured the same.
        const size_t ahead = kOctetRows * w_stride, block_bytes = kQ4Weights ? kQ4 : kQ8;
        const auto from_rows = [&row, ahead, block_bytes](size_t b) {
          if (b % 2 == 0) {
            for (size_t j = 0; j < kOctetRows; ++j) {
              _mm_prefetch(reinterpret_cast<const char*>(row.row[j] + ahead + b * block_bytes), _MM_HINT_T0);
            }
          }
          return Ops::Load(row, b);
        };
        OctetTiles<kQ4Weights>(from_rows, kb, kb, i0, i1, xq, xd, xc, nr, false, y + r0, y_stride);
        continue;
      }
      for (size_t b0 = 0; b0 < kb; b0 += kChunkBlocks) {
        const size_t nb = std::min(kChunkBlocks, kb - b0);
        for (size_t b = 0; b < nb; ++b) chunk[b] = Ops::Load(row, b0 + b);
        OctetTiles<kQ4Weights>(from_chunk, nb, kb, i0, i1, xq + b0 * kQuantBlock, xd + b0, xc + b0, nr, b0 > 0,
                               y + r0, y_stride);
      }
    }
  }
}

template <bool kQ4Weights>
void QGemv(size_t n, size_t kb, const void* w, size_t w_stride, const void* packed, float* y) {
  const PlainGemvActivations x = ViewPlainGemv(kb, packed);
  QGemm<kQ4Weights>(1, n, kb, w, w_stride, x.xq, x.xd, x.xc, y, n);
}

// Float weights: dot-product tiles; the k tail (k % 8) runs scalar.
struct F16 { uint16_t bits; };
struct BF16 { uint16_t bits; };
inline __m256 Load8(const float* p) { return _mm256_loadu_ps(p); }
inline __m256 Load8(const F16* p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }
inline __m256 Load8(const BF16* p) {
  const __m256i v = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  return _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
}
inline float Scalar(float v) { return v; }
inline float Scalar(F16 v) { return _cvtsh_ss(v.bits); }
inline float Scalar(BF16 v) {
  const uint32_t u = static_cast<uint32_t>(v.bits) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

template <typename T, size_t MR, size_t NR>
void FTile(size_t nr, size_t k, const std::byte* w, size_t w_stride, const float* x, size_t x_stride, float* y,
           size_t y_stride) {
  const T* row[NR];
  for (size_t j = 0; j < NR; ++j) row[j] = reinterpret_cast<const T*>(w + std::min(j, nr - 1) * w_stride);
  __m256 acc[MR][NR];
  for (size_t i = 0; i < MR; ++i)
    for (size_t j = 0; j < NR; ++j) acc[i][j] = _mm256_setzero_ps();
  size_t c = 0;
  for (; c + 8 <= k; c += 8) {
    __m256 wv[NR];
    for (size_t j = 0; j < NR; ++j) wv[j] = Load8(row[j] + c);
    for (size_t i = 0; i < MR; ++i) {
      const __m256 xv = _mm256_loadu_ps(x + i * x_stride + c);
      for (size_t j = 0; j < NR; ++j) acc[i][j] = _mm256_fmadd_ps(wv[j], xv, acc[i][j]);
    }
  }
  for (size_t i = 0; i < MR; ++i) {
    for (size_t j = 0; j < nr; ++j) {
      float s = ReduceAdd(acc[i][j]);
      for (size_t t = c; t < k; ++t) s = std::fma(Scalar(row[j][t]), x[i * x_stride + t], s);
      y[i * y_stride + j] = s;
    }
  }
}

template <typename T>
void FGemm(size_t m, size_t n, size_t k, const void* w, size_t w_stride, const float* x, size_t x_stride, float* y,
           size_t y_stride) {
  const auto* wb = static_cast<const std::byte*>(w);
  if (m == 1) {
    constexpr size_t kNr = 4;
    for (size_t r = 0; r < n; r += kNr) FTile<T, 1, kNr>(std::min(kNr, n - r), k, wb + r * w_stride, w_stride, x, x_stride, y + r, y_stride);
    return;
  }
  constexpr size_t kMr = 3, kNr = 4, kMBlock = 48;
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

const MatmulUkernels& MatmulUkernelsAvx2() {
  static const MatmulUkernels k{
      "avx2", QuantizeQ8, PackPlainGemv, QGemv<false>, QGemm<false>, PackPlainGemv, QGemv<true>, QGemm<true>, FGemm<float>, FGemm<F16>, FGemm<BF16>,
  };
  return k;
}

}  // namespace edgert::kernels::avx2
