// kernels/matmul/matmul_neoni8mm.cc: aarch64 quantized GEMMs (prefill, m > 1)
// with the ARMv8.6 int8 matrix-multiply extension (SMMLA: Neoverse N2/V1/V2,
// Cortex-A710/X2 and later, Apple M2+). Compiled with +i8mm; chosen only when
// the CPU reports it (ports::Cpu()). Everything else is the SDOT table
// (matmul_neon_impl.h): a GEMV has one activation row, and SMMLA needs two.
//
// SMMLA adds the product of a 2x8 int8 matrix and the transpose of another to
// a 2x2 int32 matrix: two activation rows × two weight rows × 8 k per
// instruction, the work of four SDOTs. A tile of kTileRows weight rows is
// unpacked (Q4_0: nibbles - 8; Q8_0 as stored) one chunk of kChunkBlocks blocks
// at a time into a stack buffer, its rows interleaved in pairs 8 bytes at a
// time (SMMLA's operand layout), with each pair's scales in the order of
// SMMLA's result lanes. Every pair of activation rows then runs over the
// chunk, interleaving its own 8-byte halves as it loads them; the chunk's
// kGroupTiles tiles share that activation slice while it is in L1. Weights
// are read in place; only the 10 KB chunk buffer is written.
//
// Each block's 2x2 int32 dot converts exactly to f32 and is fused with its
// scales dw·dx into the four f32 sums, block after block, as the reference
// does: every output is bit-equal to the scalar reference (tested).
// May not allocate, log or dispatch.
#include <arm_neon.h>

#include <algorithm>

#include "kernels/matmul/matmul_neon_impl.h"

namespace edgert::kernels::neoni8mm {
namespace {

using neon_impl::Scale;

constexpr size_t kTileRows = 8;  // weight rows per tile: four SMMLA row pairs
constexpr size_t kPairs = kTileRows / 2;
constexpr size_t kChunkBlocks = 8;
constexpr size_t kGroupTiles = 4;

struct PackedTile {
  int8x16_t q[kChunkBlocks][kPairs][4];  // [block][row pair][k/8]: row 2p's 8 bytes, then row 2p+1's
  float32x4_t d[kChunkBlocks][kPairs];   // dw of rows (2p, 2p+1, 2p, 2p+1): SMMLA's result lanes
};

// The 8-byte halves of two rows' 16-byte vectors, paired: SMMLA operands for
// k = 0..7 (lo) and 8..15 (hi) of the vectors.
inline void Interleave(int8x16_t a, int8x16_t b, int8x16_t& lo, int8x16_t& hi) {
  lo = vreinterpretq_s8_s64(vzip1q_s64(vreinterpretq_s64_s8(a), vreinterpretq_s64_s8(b)));
  hi = vreinterpretq_s8_s64(vzip2q_s64(vreinterpretq_s64_s8(a), vreinterpretq_s64_s8(b)));
}

template <typename Block, typename Weights>
void PackTile(const std::byte* w, size_t w_stride, size_t nr, size_t b0, size_t nbk, PackedTile& t) {
  for (size_t p = 0; p < kPairs; ++p) {
    // Rows past nr repeat the last: their lanes are computed, never stored.
    const auto* ra = reinterpret_cast<const Block*>(w + std::min(2 * p, nr - 1) * w_stride) + b0;
    const auto* rb = reinterpret_cast<const Block*>(w + std::min(2 * p + 1, nr - 1) * w_stride) + b0;
    for (size_t bb = 0; bb < nbk; ++bb) {
      int8x16_t a0, a1, c0, c1;
      Weights::Load(ra[bb], a0, a1);
      Weights::Load(rb[bb], c0, c1);
      Interleave(a0, c0, t.q[bb][p][0], t.q[bb][p][1]);
      Interleave(a1, c1, t.q[bb][p][2], t.q[bb][p][3]);
      const float da = Scale(ra[bb].d), db = Scale(rb[bb].d);
      const float d4[4] = {da, db, da, db};
      t.d[bb][p] = vld1q_f32(d4);
    }
  }
}

// Activation rows xi, xi1 over one packed chunk: acc[p] holds outputs
// (i, 2p), (i, 2p+1), (i1, 2p), (i1, 2p+1) of the tile.
inline void PairChunk(const PackedTile& t, size_t nbk, const int8_t* xi, const int8_t* xi1, const float* dxi,
                      const float* dxi1, float32x4_t acc[kPairs]) {
  for (size_t bb = 0; bb < nbk; ++bb) {
    int8x16_t a[4];
    Interleave(vld1q_s8(xi + bb * kQuantBlock), vld1q_s8(xi1 + bb * kQuantBlock), a[0], a[1]);
    Interleave(vld1q_s8(xi + bb * kQuantBlock + 16), vld1q_s8(xi1 + bb * kQuantBlock + 16), a[2], a[3]);
    const float32x4_t dx = vcombine_f32(vdup_n_f32(dxi[bb]), vdup_n_f32(dxi1[bb]));
    for (size_t p = 0; p < kPairs; ++p) {
      int32x4_t dot = vmmlaq_s32(vdupq_n_s32(0), a[0], t.q[bb][p][0]);
      dot = vmmlaq_s32(dot, a[1], t.q[bb][p][1]);
      dot = vmmlaq_s32(dot, a[2], t.q[bb][p][2]);
      dot = vmmlaq_s32(dot, a[3], t.q[bb][p][3]);
      acc[p] = vfmaq_f32(acc[p], vcvtq_f32_s32(dot), vmulq_f32(t.d[bb][p], dx));  // dw·dx, as the reference
    }
  }
}

// The partial sums of outputs (yi[c], yi[c+1], yi1[c], yi1[c+1]) between
// chunks; columns at or past nr do not exist (their lanes are don't-cares).
inline float32x4_t LoadSums(const float* yi, const float* yi1, size_t c, size_t nr) {
  if (c + 2 <= nr) return vcombine_f32(vld1_f32(yi + c), vld1_f32(yi1 + c));
  const float v[4] = {c < nr ? yi[c] : 0.0f, 0.0f, c < nr ? yi1[c] : 0.0f, 0.0f};
  return vld1q_f32(v);
}

inline void StoreSums(float32x4_t v, float* yi, float* yi1, bool second_row, size_t c, size_t nr) {
  if (c + 2 <= nr) {
    vst1_f32(yi + c, vget_low_f32(v));
    if (second_row) vst1_f32(yi1 + c, vget_high_f32(v));
  } else if (c < nr) {
    yi[c] = vgetq_lane_f32(v, 0);
    if (second_row) yi1[c] = vgetq_lane_f32(v, 2);
  }
}

template <typename Block, typename Weights>
void QGemm(size_t m, size_t n, size_t kb, const void* w, size_t w_stride, const int8_t* xq, const float* xd,
           const int32_t*, float* y, size_t y_stride) {
  PackedTile tiles[kGroupTiles];  // 10 KB of stack
  const size_t k = kb * kQuantBlock;
  for (size_t g0 = 0; g0 < n; g0 += kGroupTiles * kTileRows) {
    const size_t gn = std::min(kGroupTiles * kTileRows, n - g0);
    const size_t n_tiles = (gn + kTileRows - 1) / kTileRows;
    const std::byte* rows = static_cast<const std::byte*>(w) + g0 * w_stride;
    for (size_t b0 = 0; b0 < kb; b0 += kChunkBlocks) {
      const size_t nbk = std::min(kChunkBlocks, kb - b0);
      for (size_t t = 0; t < n_tiles; ++t) {
        PackTile<Block, Weights>(rows + t * kTileRows * w_stride, w_stride, std::min(kTileRows, gn - t * kTileRows),
                                 b0, nbk, tiles[t]);
      }
      for (size_t i = 0; i < m; i += 2) {
        const size_t i1 = std::min(i + 1, m - 1);  // m odd: the last row pairs with itself, stored once
        const int8_t* xi = xq + i * k + b0 * kQuantBlock;
        const int8_t* xi1 = xq + i1 * k + b0 * kQuantBlock;
        for (size_t t = 0; t < n_tiles; ++t) {
          const size_t nr = std::min(kTileRows, gn - t * kTileRows);
          float* yi = y + i * y_stride + g0 + t * kTileRows;
          float* yi1 = y + i1 * y_stride + g0 + t * kTileRows;
          float32x4_t acc[kPairs];
          for (size_t p = 0; p < kPairs; ++p) acc[p] = b0 == 0 ? vdupq_n_f32(0.0f) : LoadSums(yi, yi1, 2 * p, nr);
          PairChunk(tiles[t], nbk, xi, xi1, xd + i * kb + b0, xd + i1 * kb + b0, acc);
          for (size_t p = 0; p < kPairs; ++p) StoreSums(acc[p], yi, yi1, i1 != i, 2 * p, nr);
        }
      }
    }
  }
}

}  // namespace

const MatmulUkernels& MatmulUkernelsNeonI8mm() {
  static const MatmulUkernels k = [] {
    MatmulUkernels t = neon_impl::MakeTable<neon_impl::Sdot>("neoni8mm");
    t.q8_0_gemm = QGemm<BlockQ8_0, neon_impl::Q8Weights>;
    t.q4_0_gemm = QGemm<BlockQ4_0, neon_impl::Q4Weights>;
    return t;
  }();
  return k;
}

}  // namespace edgert::kernels::neoni8mm
