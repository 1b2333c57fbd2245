// kernels/attention/attention_grad_avx512.cc: the training-attention row
// operations in AVX-512F, 16 lanes with a masked tail.
#include <immintrin.h>

#include <cmath>

#include "kernels/attention/attention_grad.h"
#include "kernels/simd/avx512.h"

namespace edgert::kernels::avx512vnni {

using simd::TailMask;

namespace {

// matmul_transposed_avx512's 6 x 64 register block, starting from zero.
template <size_t MR>
void StoreBlock(const float* tile, size_t rows, const __mmask16 mask[4], const float* dy, size_t ldy, float* dx,
                size_t ldx) {
  __m512 acc[MR][4];
  for (size_t i = 0; i < MR; ++i) {
    for (size_t j = 0; j < 4; ++j) acc[i][j] = _mm512_setzero_ps();
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

}  // namespace

void TileStore(const float* tile, size_t rows, size_t cols, const float* dy, size_t ldy, size_t m, float* dx,
               size_t ldx) {
  __mmask16 mask[4];
  for (size_t j = 0; j < 4; ++j) mask[j] = TailMask(cols > 16 * j ? cols - 16 * j : 0);
  size_t i = 0;
  for (; i + 6 <= m; i += 6) StoreBlock<6>(tile, rows, mask, dy + i * ldy, ldy, dx + i * ldx, ldx);
  switch (m - i) {
    case 5: StoreBlock<5>(tile, rows, mask, dy + i * ldy, ldy, dx + i * ldx, ldx); break;
    case 4: StoreBlock<4>(tile, rows, mask, dy + i * ldy, ldy, dx + i * ldx, ldx); break;
    case 3: StoreBlock<3>(tile, rows, mask, dy + i * ldy, ldy, dx + i * ldx, ldx); break;
    case 2: StoreBlock<2>(tile, rows, mask, dy + i * ldy, ldy, dx + i * ldx, ldx); break;
    case 1: StoreBlock<1>(tile, rows, mask, dy + i * ldy, ldy, dx + i * ldx, ldx); break;
    default: break;
  }
}

void ScaledSoftmax(size_t n, float scale, float* x) {
  // max(scale·x) = scale·max(x) for scale > 0: the scaling happens inside the
  // exponent's argument, one rounding fewer than scaling the row first.
  __m512 vmax = _mm512_set1_ps(-INFINITY);
  for (size_t i = 0; i < n; i += 16) vmax = _mm512_max_ps(vmax, _mm512_mask_loadu_ps(vmax, TailMask(n - i), x + i));
  const __m512 vs = _mm512_set1_ps(scale);
  const __m512 shift = _mm512_set1_ps(scale * simd::ReduceMax(vmax));
  __m512 sum = _mm512_setzero_ps();
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 m = TailMask(n - i);
    const __m512 e = _mm512_maskz_mov_ps(m, simd::Exp(_mm512_fmsub_ps(_mm512_maskz_loadu_ps(m, x + i), vs, shift)));
    _mm512_mask_storeu_ps(x + i, m, e);
    sum = _mm512_add_ps(sum, e);
  }
  const __m512 inv = _mm512_set1_ps(1.0f / simd::ReduceAdd(sum));
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 m = TailMask(n - i);
    _mm512_mask_storeu_ps(x + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), inv));
  }
}

void SoftmaxBackward(size_t n, const float* p, float scale, float* ds) {
  __m512 acc = _mm512_setzero_ps();
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 m = TailMask(n - i);
    acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, p + i), _mm512_maskz_loadu_ps(m, ds + i), acc);
  }
  const __m512 dot = _mm512_set1_ps(simd::ReduceAdd(acc)), vs = _mm512_set1_ps(scale);
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 m = TailMask(n - i);
    const __m512 pv = _mm512_maskz_loadu_ps(m, p + i);
    const __m512 d = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, ds + i), dot);
    _mm512_mask_storeu_ps(ds + i, m, _mm512_mul_ps(_mm512_mul_ps(pv, d), vs));
  }
}

}  // namespace edgert::kernels::avx512vnni
