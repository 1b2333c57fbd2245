// kernels/matmul/matmul_transposed_avx2.cc: the dx += dy·tile microkernel in
// AVX2 + FMA, and its dx = dy·tile twin. Sixteen ymm registers do not hold
// the AVX-512 kernel's 6 rows x 64 columns, so the 64 tile columns go in
// strips of 16: 6 rows of dy x 16 columns = 12 accumulators, two tile loads
// and six broadcasts per tile row (the classic 6x16 AVX2 block). The tile
// (32 KB, L1) is read once per strip, dy's rows once per strip. Each output
// is one chain of FMAs over the tile rows in order, from dx (or 0).
#include <immintrin.h>

#include <algorithm>

#include "kernels/matmul/matmul_transposed.h"
#include "kernels/simd/avx2.h"

namespace edgert::kernels {
namespace {

constexpr size_t kStrip = 16;  // tile columns per register block

// Columns [0, 16) of the strip at dx: full, or the first `cols` (< 16) masked.
struct StripLanes {
  __m256i mask[2];
  bool full;
};

inline __m256 LoadDx(const float* p, const StripLanes& l, size_t j) {
  return l.full ? _mm256_loadu_ps(p + 8 * j) : _mm256_maskload_ps(p + 8 * j, l.mask[j]);
}
inline void StoreDx(float* p, const StripLanes& l, size_t j, __m256 v) {
  if (l.full) {
    _mm256_storeu_ps(p + 8 * j, v);
  } else {
    _mm256_maskstore_ps(p + 8 * j, l.mask[j], v);
  }
}

template <bool kAccumulate, size_t MR>
void Block(const float* tile, size_t rows, const StripLanes& lanes, const float* dy, size_t ldy, float* dx,
           size_t ldx) {
  __m256 acc[MR][2];
  for (size_t i = 0; i < MR; ++i) {
    for (size_t j = 0; j < 2; ++j) acc[i][j] = kAccumulate ? LoadDx(dx + i * ldx, lanes, j) : _mm256_setzero_ps();
  }
  for (size_t r = 0; r < rows; ++r) {
    const float* wr = tile + r * kTransposedPanel;
    const __m256 w0 = _mm256_load_ps(wr), w1 = _mm256_load_ps(wr + 8);
    for (size_t i = 0; i < MR; ++i) {
      const __m256 d = _mm256_broadcast_ss(dy + i * ldy + r);
      acc[i][0] = _mm256_fmadd_ps(d, w0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(d, w1, acc[i][1]);
    }
  }
  for (size_t i = 0; i < MR; ++i) {
    for (size_t j = 0; j < 2; ++j) StoreDx(dx + i * ldx, lanes, j, acc[i][j]);
  }
}

template <bool kAccumulate>
void Tile(const float* tile, size_t rows, size_t cols, const float* dy, size_t ldy, size_t m, float* dx, size_t ldx) {
  for (size_t c0 = 0; c0 < cols; c0 += kStrip) {
    const size_t n = std::min(kStrip, cols - c0);
    const StripLanes lanes{{simd::TailMask(n), simd::TailMask(n > 8 ? n - 8 : 0)}, n == kStrip};
    const float* t = tile + c0;
    float* out = dx + c0;
    size_t i = 0;
    for (; i + 6 <= m; i += 6) Block<kAccumulate, 6>(t, rows, lanes, dy + i * ldy, ldy, out + i * ldx, ldx);
    switch (m - i) {
      case 5: Block<kAccumulate, 5>(t, rows, lanes, dy + i * ldy, ldy, out + i * ldx, ldx); break;
      case 4: Block<kAccumulate, 4>(t, rows, lanes, dy + i * ldy, ldy, out + i * ldx, ldx); break;
      case 3: Block<kAccumulate, 3>(t, rows, lanes, dy + i * ldy, ldy, out + i * ldx, ldx); break;
      case 2: Block<kAccumulate, 2>(t, rows, lanes, dy + i * ldy, ldy, out + i * ldx, ldx); break;
      case 1: Block<kAccumulate, 1>(t, rows, lanes, dy + i * ldy, ldy, out + i * ldx, ldx); break;
      default: break;
    }
  }
}

}  // namespace

void TransposedTileAvx2(const float* tile, size_t rows, size_t cols, const float* dy, size_t ldy, size_t m, float* dx,
                        size_t ldx) {
  Tile<true>(tile, rows, cols, dy, ldy, m, dx, ldx);
}

void TransposedTileStoreAvx2(const float* tile, size_t rows, size_t cols, const float* dy, size_t ldy, size_t m,
                             float* dx, size_t ldx) {
  Tile<false>(tile, rows, cols, dy, ldy, m, dx, ldx);
}

}  // namespace edgert::kernels
