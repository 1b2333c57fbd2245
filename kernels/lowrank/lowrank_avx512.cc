// kernels/lowrank/lowrank_avx512.cc: the low-rank products with 8-lane
// (AVX-512VL masked) vectors across r: 12 rows of x per pass for project,
// 16 columns of x per pass for outer, one accumulator register each.
#include <immintrin.h>

#include <algorithm>

#include "kernels/lowrank/lowrank.h"

namespace edgert::kernels::avx512vnni {
namespace {

inline __mmask8 Lanes(size_t left) {
  return left >= 8 ? static_cast<__mmask8>(0xFF) : static_cast<__mmask8>((1u << left) - 1u);
}

// u[MR rows][8 lanes of r] = Σ_k x[i][k] · w[k][lanes].
template <size_t MR>
void ProjectRows(const float* x, size_t ldx, size_t n, const float* w, size_t r, __mmask8 mask, float* u) {
  __m256 acc[MR];
  for (size_t i = 0; i < MR; ++i) acc[i] = _mm256_setzero_ps();
  for (size_t k = 0; k < n; ++k) {
    const __m256 wv = _mm256_maskz_loadu_ps(mask, w + k * r);
    for (size_t i = 0; i < MR; ++i) acc[i] = _mm256_fmadd_ps(_mm256_set1_ps(x[i * ldx + k]), wv, acc[i]);
  }
  for (size_t i = 0; i < MR; ++i) _mm256_mask_storeu_ps(u + i * r, mask, acc[i]);
}

// g[NC columns][8 lanes of r] += scale · Σ_i x[i][col] · u[i][lanes].
template <size_t NC>
void OuterCols(const float* x, size_t ldx, size_t m, const float* u, size_t r, __mmask8 mask, float scale, float* g) {
  __m256 acc[NC];
  for (size_t j = 0; j < NC; ++j) acc[j] = _mm256_setzero_ps();
  for (size_t i = 0; i < m; ++i) {
    const __m256 uv = _mm256_maskz_loadu_ps(mask, u + i * r);
    const float* xr = x + i * ldx;
    for (size_t j = 0; j < NC; ++j) acc[j] = _mm256_fmadd_ps(_mm256_set1_ps(xr[j]), uv, acc[j]);
  }
  const __m256 s = _mm256_set1_ps(scale);
  for (size_t j = 0; j < NC; ++j) {
    float* out = g + j * r;
    _mm256_mask_storeu_ps(out, mask, _mm256_fmadd_ps(acc[j], s, _mm256_maskz_loadu_ps(mask, out)));
  }
}

// y[MR rows][n] += Σ_{c < R} su[i][c] · w[c][n], su = scale·u held in registers.
// R = 0: the count is r (a chunk of fewer than 8), u read per column block.
template <size_t MR, size_t R>
void ExpandRows(const float* u, size_t r, size_t rc, const float* w, size_t n, float scale, float* y, size_t ldy) {
  constexpr size_t kR = R == 0 ? 8 : R;
  __m512 su[MR][kR];
  for (size_t i = 0; i < MR; ++i) {
    for (size_t c = 0; c < kR; ++c) su[i][c] = _mm512_set1_ps(c < rc ? scale * u[i * r + c] : 0.0f);
  }
  for (size_t k = 0; k < n; k += 16) {
    const __mmask16 mask = n - k >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << (n - k)) - 1u);
    __m512 acc[MR];
    for (size_t i = 0; i < MR; ++i) acc[i] = _mm512_maskz_loadu_ps(mask, y + i * ldy + k);
    for (size_t c = 0; c < (R == 0 ? rc : kR); ++c) {
      const __m512 wv = _mm512_maskz_loadu_ps(mask, w + c * n + k);
      for (size_t i = 0; i < MR; ++i) acc[i] = _mm512_fmadd_ps(su[i][c], wv, acc[i]);
    }
    for (size_t i = 0; i < MR; ++i) _mm512_mask_storeu_ps(y + i * ldy + k, mask, acc[i]);
  }
}

// v[MR rows][lanes] = Σ_k x[i][k]·w[k][lanes]; g[k][lanes] += Σ_i x[i][k]·su[i][lanes]
// for every k, with su = scale·u: each element of x feeds both, read once.
// Without kV only g (each element the same chain of FMAs down the rows).
template <size_t MR, bool kV>
void ProjectOuterRows(const float* x, size_t ldx, size_t n, const float* w, const float* u, size_t r, __mmask8 mask,
                      float scale, float* v, float* g) {
  __m256 vacc[MR], su[MR];
  const __m256 s = _mm256_set1_ps(scale);
  for (size_t i = 0; i < MR; ++i) {
    vacc[i] = _mm256_setzero_ps();
    su[i] = _mm256_mul_ps(s, _mm256_maskz_loadu_ps(mask, u + i * r));
  }
  for (size_t k = 0; k < n; ++k) {
    __m256 wv = _mm256_setzero_ps();
    if constexpr (kV) wv = _mm256_maskz_loadu_ps(mask, w + k * r);
    __m256 gacc = _mm256_maskz_loadu_ps(mask, g + k * r);
    for (size_t i = 0; i < MR; ++i) {
      const __m256 xb = _mm256_set1_ps(x[i * ldx + k]);
      if constexpr (kV) vacc[i] = _mm256_fmadd_ps(xb, wv, vacc[i]);
      gacc = _mm256_fmadd_ps(xb, su[i], gacc);
    }
    _mm256_mask_storeu_ps(g + k * r, mask, gacc);
  }
  if constexpr (kV) {
    for (size_t i = 0; i < MR; ++i) _mm256_mask_storeu_ps(v + i * r, mask, vacc[i]);
  }
}

template <bool kV>
void ProjectOuter(const float* x, size_t ldx, size_t m, size_t n, const float* w, const float* u, size_t r,
                  float scale, float* v, float* g) {
  // 8 rows: 8 + 8 registers of v sums and scale·u, and g's chain of 8 FMAs per k.
  constexpr size_t kRows = 8;
  for (size_t c0 = 0; c0 < r; c0 += 8) {
    const __mmask8 mask = Lanes(r - c0);
    const float* wc = kV ? w + c0 : nullptr;
    size_t i = 0;
    for (; i + kRows <= m; i += kRows) {
      ProjectOuterRows<kRows, kV>(x + i * ldx, ldx, n, wc, u + i * r + c0, r, mask, scale, kV ? v + i * r + c0 : nullptr,
                                  g + c0);
    }
    for (; i < m; ++i) {
      ProjectOuterRows<1, kV>(x + i * ldx, ldx, n, wc, u + i * r + c0, r, mask, scale, kV ? v + i * r + c0 : nullptr,
                              g + c0);
    }
  }
}

}  // namespace

void LowRankProjectOuter(const float* x, size_t ldx, size_t m, size_t n, const float* w, const float* u, size_t r,
                         float scale, float* v, float* g) {
  if (v != nullptr) {
    ProjectOuter<true>(x, ldx, m, n, w, u, r, scale, v, g);
  } else {
    ProjectOuter<false>(x, ldx, m, n, w, u, r, scale, v, g);
  }
}

void LowRankExpand(const float* u, size_t m, size_t r, const float* w, size_t n, float scale, float* y, size_t ldy) {
  for (size_t c0 = 0; c0 < r; c0 += 8) {
    const size_t rc = std::min<size_t>(8, r - c0);
    const float* uc = u + c0;
    const float* wc = w + c0 * n;
    size_t i = 0;
    if (rc == 8) {
      for (; i + 2 <= m; i += 2) ExpandRows<2, 8>(uc + i * r, r, rc, wc, n, scale, y + i * ldy, ldy);
      for (; i < m; ++i) ExpandRows<1, 8>(uc + i * r, r, rc, wc, n, scale, y + i * ldy, ldy);
    } else {
      for (; i + 2 <= m; i += 2) ExpandRows<2, 0>(uc + i * r, r, rc, wc, n, scale, y + i * ldy, ldy);
      for (; i < m; ++i) ExpandRows<1, 0>(uc + i * r, r, rc, wc, n, scale, y + i * ldy, ldy);
    }
  }
}

void LowRankProject(const float* x, size_t ldx, size_t m, size_t n, const float* w, size_t r, float* u) {
  constexpr size_t kRows = 12;  // 12 accumulators: enough FMAs in flight for 2 a cycle at latency 4
  for (size_t c0 = 0; c0 < r; c0 += 8) {
    const __mmask8 mask = Lanes(r - c0);
    size_t i = 0;
    for (; i + kRows <= m; i += kRows) ProjectRows<kRows>(x + i * ldx, ldx, n, w + c0, r, mask, u + i * r + c0);
    for (; i + 4 <= m; i += 4) ProjectRows<4>(x + i * ldx, ldx, n, w + c0, r, mask, u + i * r + c0);
    for (; i < m; ++i) ProjectRows<1>(x + i * ldx, ldx, n, w + c0, r, mask, u + i * r + c0);
  }
}

void LowRankOuter(const float* x, size_t ldx, size_t m, size_t n, const float* u, size_t r, float scale, float* g) {
  // Rows in blocks, so x is read as kRowBlock sequential streams (a strip of
  // 16 columns down all m rows strode too far for the prefetcher: 3x slower);
  // each block's partial sum is added to g, in row-block order.
  constexpr size_t kCols = 16, kRowBlock = 16;
  for (size_t i0 = 0; i0 < m; i0 += kRowBlock) {
    const size_t mb = std::min(kRowBlock, m - i0);
    const float* xb = x + i0 * ldx;
    const float* ub = u + i0 * r;
    for (size_t c0 = 0; c0 < r; c0 += 8) {
      const __mmask8 mask = Lanes(r - c0);
      size_t k = 0;
      for (; k + kCols <= n; k += kCols) OuterCols<kCols>(xb + k, ldx, mb, ub + c0, r, mask, scale, g + k * r + c0);
      for (; k + 4 <= n; k += 4) OuterCols<4>(xb + k, ldx, mb, ub + c0, r, mask, scale, g + k * r + c0);
      for (; k < n; ++k) OuterCols<1>(xb + k, ldx, mb, ub + c0, r, mask, scale, g + k * r + c0);
    }
  }
}

}  // namespace edgert::kernels::avx512vnni
