// kernels/matmul/matmul_transposed_int8_avx512.cc: the int8 transposed
// product's wide-block format in AVX-512 (F/BW) + VNNI: dy's quantizer, the Wᵀ
// packer and the microkernel, bit-equal to the portable reference
// (matmul_transposed_int8_wide_scalar.cc).
//
// Packer: a strip of kInt8Block rows x 32 columns of W (one source block per
// row) becomes one unit, up to four units side by side per pass over the
// rows. Both passes run across columns (16 lanes = 16 dx columns: column
// maxima, scales and quants need no horizontal reductions), and the unit's
// layout (4 rows' bytes per dword lane) is built from four rows' int32 quants
// by shifts and bit selects: no transpose.
// Microkernel: 4 rows of dy x 32 dx columns, per block kInt8Block/4 steps of
// two unit loads, four broadcasts of 4 dy quants and 8 vpdpbusd, then per 16
// outputs one int-to-float conversion, one multiply (the two scales) and one
// FMA: with 128-wide blocks that is 32 vpdpbusd per multiply + FMA on the
// shared pipes (the GGUF-block GEMM spends 8).
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "base/quant_blocks.h"
#include "kernels/matmul/matmul_transposed.h"

namespace edgert::kernels {
namespace {

constexpr size_t kB = kInt8Block;

inline __mmask16 Mask16(size_t n) { return n >= 16 ? __mmask16(0xFFFF) : static_cast<__mmask16>((1u << n) - 1); }

// roundf (halves away from zero) as trunc(x + copysign(0.5⁻, x)), 0.5⁻ the
// float just below one half: the sum rounds to nearest even, which lands
// exactly on the next integer for x = k + 1/2 and below it otherwise. Equal to
// roundf for every float of magnitude below 256 (|x| <= 127 and a little here).
inline __m512i RoundHalfAway(__m512 x) {
  const __m512i below_half = _mm512_set1_epi32(0x3EFFFFFF);
  const __m512i sign_bit = _mm512_set1_epi32(static_cast<int32_t>(0x80000000u));
  // (x & sign) | 0.5⁻: imm 0xEA = (A & B) | C.
  const __m512 half = _mm512_castsi512_ps(_mm512_ternarylogic_epi32(_mm512_castps_si512(x), sign_bit, below_half, 0xEA));
  return _mm512_cvttps_epi32(_mm512_add_ps(x, half));
}

void QuantizeWide(const float* x, size_t n, int8_t* qs, float* d, int32_t* corr) {
  const __m512 abs_mask = _mm512_castsi512_ps(_mm512_set1_epi32(0x7FFFFFFF));
  constexpr size_t kV = kB / 16;
  for (size_t b = 0; b * kB < n; ++b) {
    const size_t j0 = b * kB;
    __m512 v[kV];
    __m512 m0 = _mm512_setzero_ps(), m1 = _mm512_setzero_ps();
    for (size_t u = 0; u < kV; ++u) {
      const size_t at = j0 + 16 * u;
      v[u] = at >= n ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(Mask16(n - at), x + at);
      if (u % 2 == 0) {
        m0 = _mm512_max_ps(m0, _mm512_and_ps(v[u], abs_mask));
      } else {
        m1 = _mm512_max_ps(m1, _mm512_and_ps(v[u], abs_mask));
      }
    }
    const float amax = _mm512_reduce_max_ps(_mm512_max_ps(m0, m1));
    const float db = amax / 127.0f;
    const __m512 vid = _mm512_set1_ps(db != 0.0f ? 1.0f / db : 0.0f);
    __m512i sum = _mm512_setzero_si512();
    for (size_t u = 0; u < kV; ++u) {
      const __m512i q = RoundHalfAway(_mm512_mul_ps(v[u], vid));
      sum = _mm512_add_epi32(sum, q);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(qs + j0 + 16 * u), _mm512_cvtsepi32_epi8(q));
    }
    d[b] = db;
    corr[b] = -128 * _mm512_reduce_add_epi32(sum);
  }
}

// The dequantized values of one source block (32 columns) of a W row: lo =
// columns 0-15, hi = 16-31 (exact products, as DequantizeRowQ8_0 / Q4_0).
inline void Values(DType type, const uint8_t* blk, __m512& lo, __m512& hi) {
  if (type == DType::kQ8_0) {
    const auto& b = *reinterpret_cast<const BlockQ8_0*>(blk);
    const __m512 d = _mm512_set1_ps(_cvtsh_ss(b.d));
    lo = _mm512_mul_ps(d, _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b.qs)))));
    hi = _mm512_mul_ps(d, _mm512_cvtepi32_ps(
                              _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b.qs + 16)))));
  } else {
    const auto& b = *reinterpret_cast<const BlockQ4_0*>(blk);
    const __m512 d = _mm512_set1_ps(_cvtsh_ss(b.d));
    const __m512i x = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b.qs)));
    const __m512i low = _mm512_set1_epi32(0x0F), eight = _mm512_set1_epi32(8);
    lo = _mm512_mul_ps(d, _mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_and_si512(x, low), eight)));
    hi = _mm512_mul_ps(d, _mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_srli_epi32(x, 4), eight)));
  }
}

// Lane c of the result: byte e = the low byte of q[e]'s lane c, + 128 (mod 256,
// = the quant + 128 for quants in [-128, 127]). imm 0xCA = A ? B : C.
// The zero-masked shift: the plain one's undefined pass-through operand trips
// GCC 12's -Wuninitialized once inlined into the packer.
template <unsigned N>
inline __m512i Shl(__m512i x) { return _mm512_maskz_slli_epi32(__mmask16(0xFFFF), x, N); }

inline __m512i Interleave(const __m512i q[4]) {
  __m512i w = _mm512_ternarylogic_epi32(_mm512_set1_epi32(0xFF), q[0], Shl<8>(q[1]), 0xCA);
  w = _mm512_ternarylogic_epi32(_mm512_set1_epi32(0xFFFF), w, Shl<16>(q[2]), 0xCA);
  w = _mm512_ternarylogic_epi32(_mm512_set1_epi32(0xFFFFFF), w, Shl<24>(q[3]), 0xCA);
  return _mm512_xor_si512(w, _mm512_set1_epi32(static_cast<int32_t>(0x80808080u)));
}

// One block of kB rows (nr of them real) x T tiles. Rows are walked in
// address order, all T source blocks of a row at once (the panel's bytes of a
// row are contiguous), and the same rows of the next block are prefetched one
// row at a time as this block's first pass reaches them: W is a strided walk
// (a panel is a few blocks of each row) that the hardware prefetchers follow
// poorly, and a burst of prefetches at the start of a block stalled on full
// miss buffers.
template <size_t T>
void PackBlock(DType type, const uint8_t* rows, size_t w_stride, size_t nr, size_t block_bytes, size_t prefetch_rows,
               size_t panel_bytes, Int8WideUnit* const* out) {
  const __m512 abs_mask = _mm512_castsi512_ps(_mm512_set1_epi32(0x7FFFFFFF));
  __m512 m[T][2];
  for (size_t t = 0; t < T; ++t) m[t][0] = m[t][1] = _mm512_setzero_ps();
  for (size_t r = 0; r < nr; ++r) {
    const uint8_t* row = rows + r * w_stride;
    if (r < prefetch_rows) {
      const uint8_t* next = row + kB * w_stride;
      for (size_t off = 0; off < panel_bytes; off += 64) _mm_prefetch(reinterpret_cast<const char*>(next + off), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(next + panel_bytes - 1), _MM_HINT_T0);
    }
    for (size_t t = 0; t < T; ++t) {
      __m512 lo, hi;
      Values(type, row + t * block_bytes, lo, hi);
      m[t][0] = _mm512_max_ps(m[t][0], _mm512_and_ps(lo, abs_mask));
      m[t][1] = _mm512_max_ps(m[t][1], _mm512_and_ps(hi, abs_mask));
    }
  }
  __m512 inv[T][2];
  for (size_t t = 0; t < T; ++t) {
    for (size_t h = 0; h < 2; ++h) {
      const __m512 dd = _mm512_div_ps(m[t][h], _mm512_set1_ps(127.0f));
      const __mmask16 nonzero = _mm512_cmp_ps_mask(dd, _mm512_setzero_ps(), _CMP_NEQ_OQ);
      inv[t][h] = _mm512_maskz_div_ps(nonzero, _mm512_set1_ps(1.0f), dd);
      _mm512_store_ps(out[t]->d + 16 * h, dd);
    }
  }
  for (size_t j = 0; j < kB / 4; ++j) {
    for (size_t t = 0; t < T; ++t) {
      __m512i q[2][4];
      for (size_t e = 0; e < 4; ++e) {
        const size_t r = 4 * j + e;
        if (r < nr) {
          __m512 lo, hi;
          Values(type, rows + r * w_stride + t * block_bytes, lo, hi);
          q[0][e] = RoundHalfAway(_mm512_mul_ps(lo, inv[t][0]));
          q[1][e] = RoundHalfAway(_mm512_mul_ps(hi, inv[t][1]));
        } else {
          q[0][e] = q[1][e] = _mm512_setzero_si512();
        }
      }
      _mm512_store_si512(out[t]->q[j], Interleave(q[0]));
      _mm512_store_si512(out[t]->q[j] + 16, Interleave(q[1]));
    }
  }
}

void PackWide(DType type, const void* w, size_t w_stride, size_t rows, size_t c0, size_t cols, Int8WideUnit* out) {
  const auto* base = static_cast<const uint8_t*>(w);
  const size_t block_bytes = type == DType::kQ8_0 ? sizeof(BlockQ8_0) : sizeof(BlockQ4_0);
  const size_t nb = (rows + kB - 1) / kB, tiles = cols / kInt8Tile;
  const size_t panel_at = c0 / kQuantBlock * block_bytes;
  for (size_t t0 = 0; t0 < tiles; t0 += 4) {
    const size_t nt = std::min<size_t>(4, tiles - t0), panel_bytes = nt * block_bytes;
    for (size_t b = 0; b < nb; ++b) {
      const size_t r0 = b * kB, nr = std::min(kB, rows - r0);
      const size_t prefetch_rows = r0 + kB < rows ? std::min(kB, rows - r0 - kB) : 0;
      const uint8_t* p = base + r0 * w_stride + panel_at + t0 * block_bytes;
      Int8WideUnit* dst[4];
      for (size_t t = 0; t < nt; ++t) dst[t] = out + (t0 + t) * nb + b;
      switch (nt) {
        case 4: PackBlock<4>(type, p, w_stride, nr, block_bytes, prefetch_rows, panel_bytes, dst); break;
        case 3: PackBlock<3>(type, p, w_stride, nr, block_bytes, prefetch_rows, panel_bytes, dst); break;
        case 2: PackBlock<2>(type, p, w_stride, nr, block_bytes, prefetch_rows, panel_bytes, dst); break;
        default: PackBlock<1>(type, p, w_stride, nr, block_bytes, prefetch_rows, panel_bytes, dst); break;
      }
    }
  }
}

inline __m512i Broadcast4(const int8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm512_set1_epi32(v);
}

// MR rows of dy x one tile (32 dx columns) over nb blocks, accumulating into dx.
template <size_t MR>
void Tile(const Int8WideUnit* units, size_t nb, const int8_t* xq, size_t ldq, const float* xd, const int32_t* xc,
          size_t ldd, float* dx, size_t ldx) {
  __m512 acc[MR][2];
  for (size_t i = 0; i < MR; ++i) {
    acc[i][0] = _mm512_loadu_ps(dx + i * ldx);
    acc[i][1] = _mm512_loadu_ps(dx + i * ldx + 16);
  }
  for (size_t b = 0; b < nb; ++b) {
    const Int8WideUnit& u = units[b];
    const int8_t* x = xq + b * kB;
    __m512i dot[MR][2];
    for (size_t i = 0; i < MR; ++i) dot[i][0] = dot[i][1] = _mm512_set1_epi32(xc[i * ldd + b]);
#pragma GCC unroll 32
    for (size_t j = 0; j < kB / 4; ++j) {
      const __m512i w0 = _mm512_load_si512(u.q[j]);
      const __m512i w1 = _mm512_load_si512(u.q[j] + 16);
      for (size_t i = 0; i < MR; ++i) {
        const __m512i xv = Broadcast4(x + i * ldq + 4 * j);
        dot[i][0] = _mm512_dpbusd_epi32(dot[i][0], w0, xv);
        dot[i][1] = _mm512_dpbusd_epi32(dot[i][1], w1, xv);
      }
    }
    const __m512 d0 = _mm512_load_ps(u.d), d1 = _mm512_load_ps(u.d + 16);
    for (size_t i = 0; i < MR; ++i) {
      const __m512 s = _mm512_set1_ps(xd[i * ldd + b]);
      acc[i][0] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot[i][0]), _mm512_mul_ps(d0, s), acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot[i][1]), _mm512_mul_ps(d1, s), acc[i][1]);
    }
  }
  for (size_t i = 0; i < MR; ++i) {
    _mm512_storeu_ps(dx + i * ldx, acc[i][0]);
    _mm512_storeu_ps(dx + i * ldx + 16, acc[i][1]);
  }
}

template <size_t MR>
void Rows(size_t tiles, size_t nb, const Int8WideUnit* packed, const int8_t* xq, size_t ldq, const float* xd,
          const int32_t* xc, size_t ldd, float* dx, size_t ldx) {
  for (size_t t = 0; t < tiles; ++t) Tile<MR>(packed + t * nb, nb, xq, ldq, xd, xc, ldd, dx + t * kInt8Tile, ldx);
}

constexpr size_t kMr = 4;

// Each group of kMr rows of dy (a few KB, in L1) meets every tile of the
// panel (from L2) before the next group.
void GemmWide(size_t m, size_t tiles, size_t nb, const Int8WideUnit* packed, const int8_t* xq, size_t ldq,
              const float* xd, const int32_t* xc, size_t ldd, float* dx, size_t ldx) {
  size_t i = 0;
  for (; i + kMr <= m; i += kMr) {
    Rows<kMr>(tiles, nb, packed, xq + i * ldq, ldq, xd + i * ldd, xc + i * ldd, ldd, dx + i * ldx, ldx);
  }
  const int8_t* q = xq + i * ldq;
  const float* d = xd + i * ldd;
  const int32_t* c = xc + i * ldd;
  float* y = dx + i * ldx;
  switch (m - i) {
    case 3: Rows<3>(tiles, nb, packed, q, ldq, d, c, ldd, y, ldx); break;
    case 2: Rows<2>(tiles, nb, packed, q, ldq, d, c, ldd, y, ldx); break;
    case 1: Rows<1>(tiles, nb, packed, q, ldq, d, c, ldd, y, ldx); break;
    default: break;
  }
}

}  // namespace

const Int8WideUkernels& Int8WideUkernelsAvx512() {
  static const Int8WideUkernels k{"avx512vnni", QuantizeWide, PackWide, GemmWide};
  return k;
}

}  // namespace edgert::kernels
