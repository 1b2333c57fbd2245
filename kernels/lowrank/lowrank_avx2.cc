// kernels/lowrank/lowrank_avx2.cc: the low-rank products in AVX2 + FMA, with
// the AVX-512 file's structure: one 8-lane vector across r per row (masked
// when r is not a multiple of 8), one broadcast-FMA per element of the wide
// operand. Sixteen ymm registers set the blocks: 12 rows of x per pass for
// project, 12 columns of x for outer, 6 rows for project_outer (v sums and
// scale·u in registers), 4 rows x 16 columns of y for expand (scale·u
// broadcast from a small array instead of held in registers).
// Sums run in the same order as lowrank_avx512.cc's.
#include <immintrin.h>

#include <algorithm>

#include "kernels/lowrank/lowrank.h"
#include "kernels/simd/avx2.h"

namespace edgert::kernels::avx2 {
namespace {

// The r-lanes [c0, c0 + 8) of a row: all 8, or the first r - c0 masked.
struct RankLanes {
  __m256i mask;
  bool full;
  __m256 Load(const float* p) const { return full ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, mask); }
  void Store(float* p, __m256 v) const {
    if (full) {
      _mm256_storeu_ps(p, v);
    } else {
      _mm256_maskstore_ps(p, mask, v);
    }
  }
};
inline RankLanes Lanes(size_t left) { return {simd::TailMask(left), left >= 8}; }

// u[MR rows][8 lanes of r] = Σ_k x[i][k] · w[k][lanes].
template <size_t MR>
void ProjectRows(const float* x, size_t ldx, size_t n, const float* w, size_t r, RankLanes lanes, float* u) {
  __m256 acc[MR];
  for (size_t i = 0; i < MR; ++i) acc[i] = _mm256_setzero_ps();
  for (size_t k = 0; k < n; ++k) {
    const __m256 wv = lanes.Load(w + k * r);
    for (size_t i = 0; i < MR; ++i) acc[i] = _mm256_fmadd_ps(_mm256_broadcast_ss(x + i * ldx + k), wv, acc[i]);
  }
  for (size_t i = 0; i < MR; ++i) lanes.Store(u + i * r, acc[i]);
}

// g[NC columns][8 lanes of r] += scale · Σ_i x[i][col] · u[i][lanes].
template <size_t NC>
void OuterCols(const float* x, size_t ldx, size_t m, const float* u, size_t r, RankLanes lanes, float scale,
               float* g) {
  __m256 acc[NC];
  for (size_t j = 0; j < NC; ++j) acc[j] = _mm256_setzero_ps();
  for (size_t i = 0; i < m; ++i) {
    const __m256 uv = lanes.Load(u + i * r);
    const float* xr = x + i * ldx;
    for (size_t j = 0; j < NC; ++j) acc[j] = _mm256_fmadd_ps(_mm256_broadcast_ss(xr + j), uv, acc[j]);
  }
  const __m256 s = _mm256_set1_ps(scale);
  for (size_t j = 0; j < NC; ++j) {
    float* out = g + j * r;
    lanes.Store(out, _mm256_fmadd_ps(acc[j], s, lanes.Load(out)));
  }
}

// y[MR rows][16 columns from k] += Σ_{c < rc} su[i][c] · w[c][k..], in order of c.
template <size_t MR, bool kFull>
void ExpandBlock(const float (*su)[8], size_t rc, const float* w, size_t n, size_t k, __m256i mask0, __m256i mask1,
                 float* y, size_t ldy) {
  auto load = [&](const float* p, size_t j) {
    if constexpr (kFull) return _mm256_loadu_ps(p + 8 * j);
    return _mm256_maskload_ps(p + 8 * j, j == 0 ? mask0 : mask1);
  };
  __m256 acc[MR][2];
  for (size_t i = 0; i < MR; ++i) {
    for (size_t j = 0; j < 2; ++j) acc[i][j] = load(y + i * ldy + k, j);
  }
  for (size_t c = 0; c < rc; ++c) {
    const __m256 w0 = load(w + c * n + k, 0), w1 = load(w + c * n + k, 1);
    for (size_t i = 0; i < MR; ++i) {
      const __m256 s = _mm256_broadcast_ss(&su[i][c]);
      acc[i][0] = _mm256_fmadd_ps(s, w0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(s, w1, acc[i][1]);
    }
  }
  for (size_t i = 0; i < MR; ++i) {
    for (size_t j = 0; j < 2; ++j) {
      if constexpr (kFull) {
        _mm256_storeu_ps(y + i * ldy + k + 8 * j, acc[i][j]);
      } else {
        _mm256_maskstore_ps(y + i * ldy + k + 8 * j, j == 0 ? mask0 : mask1, acc[i][j]);
      }
    }
  }
}

// y[MR rows][n] += Σ_{c < rc} scale·u[i][c] · w[c][n], rc ≤ 8.
template <size_t MR>
void ExpandRows(const float* u, size_t r, size_t rc, const float* w, size_t n, float scale, float* y, size_t ldy) {
  float su[MR][8];
  for (size_t i = 0; i < MR; ++i) {
    for (size_t c = 0; c < rc; ++c) su[i][c] = scale * u[i * r + c];
  }
  size_t k = 0;
  const __m256i all = _mm256_set1_epi32(-1);
  for (; k + 16 <= n; k += 16) ExpandBlock<MR, true>(su, rc, w, n, k, all, all, y, ldy);
  if (k < n) {
    const size_t left = n - k;
    ExpandBlock<MR, false>(su, rc, w, n, k, simd::TailMask(left), simd::TailMask(left > 8 ? left - 8 : 0), y, ldy);
  }
}

// v[MR rows][lanes] = Σ_k x[i][k]·w[k][lanes]; g[k][lanes] += Σ_i x[i][k]·su[i][lanes]
// for every k, with su = scale·u: each element of x feeds both, read once.
// Without kV only g (each element the same chain of FMAs down the rows).
template <size_t MR, bool kV>
void ProjectOuterRows(const float* x, size_t ldx, size_t n, const float* w, const float* u, size_t r, RankLanes lanes,
                      float scale, float* v, float* g) {
  __m256 vacc[MR], su[MR];
  const __m256 s = _mm256_set1_ps(scale);
  for (size_t i = 0; i < MR; ++i) {
    vacc[i] = _mm256_setzero_ps();
    su[i] = _mm256_mul_ps(s, lanes.Load(u + i * r));
  }
  for (size_t k = 0; k < n; ++k) {
    __m256 wv = _mm256_setzero_ps();
    if constexpr (kV) wv = lanes.Load(w + k * r);
    __m256 gacc = lanes.Load(g + k * r);
    for (size_t i = 0; i < MR; ++i) {
      const __m256 xb = _mm256_broadcast_ss(x + i * ldx + k);
      if constexpr (kV) vacc[i] = _mm256_fmadd_ps(xb, wv, vacc[i]);
      gacc = _mm256_fmadd_ps(xb, su[i], gacc);
    }
    lanes.Store(g + k * r, gacc);
  }
  if constexpr (kV) {
    for (size_t i = 0; i < MR; ++i) lanes.Store(v + i * r, vacc[i]);
  }
}

template <bool kV>
void ProjectOuter(const float* x, size_t ldx, size_t m, size_t n, const float* w, const float* u, size_t r,
                  float scale, float* v, float* g) {
  // 6 rows: 6 + 6 registers of v sums and scale·u, w, g's sum and a broadcast.
  // g's sums are one chain down all m rows whatever the block: v null or not,
  // the same bits.
  constexpr size_t kRows = 6;
  for (size_t c0 = 0; c0 < r; c0 += 8) {
    const RankLanes lanes = Lanes(r - c0);
    const float* wc = kV ? w + c0 : nullptr;
    size_t i = 0;
    for (; i + kRows <= m; i += kRows) {
      ProjectOuterRows<kRows, kV>(x + i * ldx, ldx, n, wc, u + i * r + c0, r, lanes, scale,
                                  kV ? v + i * r + c0 : nullptr, g + c0);
    }
    for (; i < m; ++i) {
      ProjectOuterRows<1, kV>(x + i * ldx, ldx, n, wc, u + i * r + c0, r, lanes, scale, kV ? v + i * r + c0 : nullptr,
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
  constexpr size_t kRows = 4;  // 4 x 2 accumulators, two w vectors, a broadcast
  for (size_t c0 = 0; c0 < r; c0 += 8) {
    const size_t rc = std::min<size_t>(8, r - c0);
    const float* uc = u + c0;
    const float* wc = w + c0 * n;
    size_t i = 0;
    for (; i + kRows <= m; i += kRows) ExpandRows<kRows>(uc + i * r, r, rc, wc, n, scale, y + i * ldy, ldy);
    for (; i < m; ++i) ExpandRows<1>(uc + i * r, r, rc, wc, n, scale, y + i * ldy, ldy);
  }
}

void LowRankProject(const float* x, size_t ldx, size_t m, size_t n, const float* w, size_t r, float* u) {
  constexpr size_t kRows = 12;  // 12 accumulators: enough FMAs in flight for 2 a cycle at latency 4-5
  for (size_t c0 = 0; c0 < r; c0 += 8) {
    const RankLanes lanes = Lanes(r - c0);
    size_t i = 0;
    for (; i + kRows <= m; i += kRows) ProjectRows<kRows>(x + i * ldx, ldx, n, w + c0, r, lanes, u + i * r + c0);
    for (; i + 4 <= m; i += 4) ProjectRows<4>(x + i * ldx, ldx, n, w + c0, r, lanes, u + i * r + c0);
    for (; i < m; ++i) ProjectRows<1>(x + i * ldx, ldx, n, w + c0, r, lanes, u + i * r + c0);
  }
}

void LowRankOuter(const float* x, size_t ldx, size_t m, size_t n, const float* u, size_t r, float scale, float* g) {
  // Rows in blocks, so x is read as kRowBlock sequential streams (a strip of
  // columns down all m rows strides too far for the prefetcher); each
  // block's partial sum is added to g, in row-block order.
  constexpr size_t kCols = 12, kRowBlock = 16;
  for (size_t i0 = 0; i0 < m; i0 += kRowBlock) {
    const size_t mb = std::min(kRowBlock, m - i0);
    const float* xb = x + i0 * ldx;
    const float* ub = u + i0 * r;
    for (size_t c0 = 0; c0 < r; c0 += 8) {
      const RankLanes lanes = Lanes(r - c0);
      size_t k = 0;
      for (; k + kCols <= n; k += kCols) OuterCols<kCols>(xb + k, ldx, mb, ub + c0, r, lanes, scale, g + k * r + c0);
      for (; k + 4 <= n; k += 4) OuterCols<4>(xb + k, ldx, mb, ub + c0, r, lanes, scale, g + k * r + c0);
      for (; k < n; ++k) OuterCols<1>(xb + k, ldx, mb, ub + c0, r, lanes, scale, g + k * r + c0);
    }
  }
}

}  // namespace edgert::kernels::avx2
