// kernels/matmul/matmul_transposed_avx512.cc: the dx += dy·tile microkernel in
// AVX-512F: 6 rows of dy x 64 columns = 24 accumulators in registers, one
// broadcast-FMA per (row, 16 columns) per tile row; and its dx = dy·tile twin,
// whose accumulators start from zero instead of dx.
#include <immintrin.h>

#include <algorithm>

#include "kernels/matmul/matmul_transposed.h"

namespace edgert::kernels {
namespace {

template <bool kAccumulate, size_t MR>
void Block(const float* tile, size_t rows, const __mmask16 mask[4], const float* dy, size_t ldy, float* dx,
           size_t ldx) {
  __m512 acc[MR][4];
  for (size_t i = 0; i < MR; ++i) {
    for (size_t j = 0; j < 4; ++j) {
      acc[i][j] = kAccumulate ? _mm512_maskz_loadu_ps(mask[j], dx + i * ldx + 16 * j) : _mm512_setzero_ps();
    }
  }
  for (size_t r = 0; r < rows; ++r) {
    const float* wr = tile + r * kTransposedPanel;
    const __m512 w0 = _mm512_load_ps(wr), w1 = _mm512_load_ps(wr + 16), w2 = _mm512_load_ps(wr + 32),
                 w3 = _mm512_load_ps(wr + 48);
    for (size_t i = 0; i < MR; ++i) {
      const __m512 d = _mm512_set1_ps(dy[i * ldy + r]);
      acc[i][0] = _mm512_fmadd_ps(d, w0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(d, w1, acc[i][1]);
      acc[i][2] = _mm512_fmadd_ps(d, w2, acc[i][2]);
      acc[i][3] = _mm512_fmadd_ps(d, w3, acc[i][3]);
    }
  }
  for (size_t i = 0; i < MR; ++i) {
    for (size_t j = 0; j < 4; ++j) _mm512_mask_storeu_ps(dx + i * ldx + 16 * j, mask[j], acc[i][j]);
  }
}

template <bool kAccumulate>
void Tile(const float* tile, size_t rows, size_t cols, const float* dy, size_t ldy, size_t m, float* dx, size_t ldx) {
  __mmask16 mask[4];
  for (size_t j = 0; j < 4; ++j) {
    const size_t lanes = cols > 16 * j ? std::min<size_t>(16, cols - 16 * j) : 0;
    mask[j] = static_cast<__mmask16>((1u << lanes) - 1u);
  }
  size_t i = 0;
  for (; i + 6 <= m; i += 6) Block<kAccumulate, 6>(tile, rows, mask, dy + i * ldy, ldy, dx + i * ldx, ldx);
  switch (m - i) {
    case 5: Block<kAccumulate, 5>(tile, rows, mask, dy + i * ldy, ldy, dx + i * ldx, ldx); break;
    case 4: Block<kAccumulate, 4>(tile, rows, mask, dy + i * ldy, ldy, dx + i * ldx, ldx); break;
    case 3: Block<kAccumulate, 3>(tile, rows, mask, dy + i * ldy, ldy, dx + i * ldx, ldx); break;
    case 2: Block<kAccumulate, 2>(tile, rows, mask, dy + i * ldy, ldy, dx + i * ldx, ldx); break;
    case 1: Block<kAccumulate, 1>(tile, rows, mask, dy + i * ldy, ldy, dx + i * ldx, ldx); break;
    default: break;
  }
}

}  // namespace

void TransposedTileAvx512(const float* tile, size_t rows, size_t cols, const float* dy, size_t ldy, size_t m,
                          float* dx, size_t ldx) {
  Tile<true>(tile, rows, cols, dy, ldy, m, dx, ldx);
}

void TransposedTileStoreAvx512(const float* tile, size_t rows, size_t cols, const float* dy, size_t ldy, size_t m,
                               float* dx, size_t ldx) {
  Tile<false>(tile, rows, cols, dy, ldy, m, dx, ldx);
}

}  // namespace edgert::kernels
