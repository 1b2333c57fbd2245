// kernels/lowrank/lowrank_neon.cc: the low-rank products in aarch64 NEON
// (ARMv8.0, so every ARM tier uses them: there is no int8 work here).
//
// Across r, as the AVX-512 variant: r is cut into chunks of up to 8 lanes
// (two 4-lane vectors; the last vector of the last chunk may be partial, read
// and written through a small stack copy). The wide operand is broadcast per
// element (FMLA by lane), so nothing is transposed and no horizontal sums are
// needed. Register budget: 32 vectors; each block below says what it holds.
// Sums run in a fixed order: project and project_outer's v are one FMA chain
// per output over k from 0 (bit-equal, as lowrank.h promises), project_outer's
// g one chain per element over the rows in order, whatever the row blocking.
#include <arm_neon.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/lowrank/lowrank.h"

namespace edgert::kernels::neon {
namespace {

// A chunk of r: NV vectors, the last one `last` lanes wide (1..4).
template <size_t NV>
struct Chunk {
  size_t last;
  float32x4_t Load(const float* p, size_t v) const {
    if (v + 1 < NV || last == 4) return vld1q_f32(p + 4 * v);
    float t[4] = {};
    std::memcpy(t, p + 4 * v, last * sizeof(float));
    return vld1q_f32(t);
  }
  void Store(float* p, size_t v, float32x4_t x) const {
    if (v + 1 < NV || last == 4) return vst1q_f32(p + 4 * v, x);
    float t[4];
    vst1q_f32(t, x);
    std::memcpy(p + 4 * v, t, last * sizeof(float));
  }
};

// u[MR rows][chunk] = Σ_k x[i][k] · w[k][chunk]: 4 k per step, x as one vector
// per row and FMLA by lane. MR = 6, NV = 2: 12 sums + 6 x + 2 w.
template <size_t MR, size_t NV>
void ProjectRows(const float* x, size_t ldx, size_t n, const float* w, size_t r, Chunk<NV> ch, float* u) {
  float32x4_t acc[MR][NV];
  for (size_t i = 0; i < MR; ++i)
    for (size_t v = 0; v < NV; ++v) acc[i][v] = vdupq_n_f32(0.0f);
  size_t k = 0;
  for (; k + 4 <= n; k += 4) {
    float32x4_t xv[MR];
    for (size_t i = 0; i < MR; ++i) xv[i] = vld1q_f32(x + i * ldx + k);
#define EDGERT_PROJECT_LANE(L)                                                                   \
  {                                                                                              \
    float32x4_t wv[NV];                                                                          \
    for (size_t v = 0; v < NV; ++v) wv[v] = ch.Load(w + (k + L) * r, v);                        \
    for (size_t i = 0; i < MR; ++i)                                                              \
      for (size_t v = 0; v < NV; ++v) acc[i][v] = vfmaq_laneq_f32(acc[i][v], wv[v], xv[i], L); \
  }
    EDGERT_PROJECT_LANE(0)
    EDGERT_PROJECT_LANE(1)
    EDGERT_PROJECT_LANE(2)
    EDGERT_PROJECT_LANE(3)
#undef EDGERT_PROJECT_LANE
  }
  for (; k < n; ++k) {
    float32x4_t wv[NV];
    for (size_t v = 0; v < NV; ++v) wv[v] = ch.Load(w + k * r, v);
    for (size_t i = 0; i < MR; ++i)
      for (size_t v = 0; v < NV; ++v) acc[i][v] = vfmaq_n_f32(acc[i][v], wv[v], x[i * ldx + k]);
  }
  for (size_t i = 0; i < MR; ++i)
    for (size_t v = 0; v < NV; ++v) ch.Store(u + i * r, v, acc[i][v]);
}

template <size_t NV>
void ProjectChunk(const float* x, size_t ldx, size_t m, size_t n, const float* w, size_t r, Chunk<NV> ch, float* u) {
  size_t i = 0;
  for (; i + 6 <= m; i += 6) ProjectRows<6, NV>(x + i * ldx, ldx, n, w, r, ch, u + i * r);
  for (; i + 2 <= m; i += 2) ProjectRows<2, NV>(x + i * ldx, ldx, n, w, r, ch, u + i * r);
  for (; i < m; ++i) ProjectRows<1, NV>(x + i * ldx, ldx, n, w, r, ch, u + i * r);
}

// g[NC columns of x][chunk] += scale · Σ_i x[i][col] · u[i][chunk]; NC a
// multiple of 4 (x read as vectors) or 1. NC = 8, NV = 2: 16 sums + 2 u + 2 x.
template <size_t NC, size_t NV>
void OuterCols(const float* x, size_t ldx, size_t m, const float* u, size_t r, Chunk<NV> ch, float scale, float* g) {
  float32x4_t acc[NC][NV];
  for (size_t j = 0; j < NC; ++j)
    for (size_t v = 0; v < NV; ++v) acc[j][v] = vdupq_n_f32(0.0f);
  for (size_t i = 0; i < m; ++i) {
    float32x4_t uv[NV];
    for (size_t v = 0; v < NV; ++v) uv[v] = ch.Load(u + i * r, v);
    const float* xr = x + i * ldx;
    if constexpr (NC % 4 == 0) {
      for (size_t j4 = 0; j4 < NC; j4 += 4) {
        const float32x4_t xv = vld1q_f32(xr + j4);
        for (size_t v = 0; v < NV; ++v) {
          acc[j4 + 0][v] = vfmaq_laneq_f32(acc[j4 + 0][v], uv[v], xv, 0);
          acc[j4 + 1][v] = vfmaq_laneq_f32(acc[j4 + 1][v], uv[v], xv, 1);
          acc[j4 + 2][v] = vfmaq_laneq_f32(acc[j4 + 2][v], uv[v], xv, 2);
          acc[j4 + 3][v] = vfmaq_laneq_f32(acc[j4 + 3][v], uv[v], xv, 3);
        }
      }
    } else {
      for (size_t j = 0; j < NC; ++j)
        for (size_t v = 0; v < NV; ++v) acc[j][v] = vfmaq_n_f32(acc[j][v], uv[v], xr[j]);
    }
  }
  const float32x4_t s = vdupq_n_f32(scale);
  for (size_t j = 0; j < NC; ++j) {
    float* out = g + j * r;
    for (size_t v = 0; v < NV; ++v) ch.Store(out, v, vfmaq_f32(ch.Load(out, v), acc[j][v], s));
  }
}

template <size_t NV>
void OuterChunk(const float* x, size_t ldx, size_t m, size_t n, const float* u, size_t r, Chunk<NV> ch, float scale,
                float* g) {
  size_t k = 0;
  for (; k + 8 <= n; k += 8) OuterCols<8, NV>(x + k, ldx, m, u, r, ch, scale, g + k * r);
  for (; k + 4 <= n; k += 4) OuterCols<4, NV>(x + k, ldx, m, u, r, ch, scale, g + k * r);
  for (; k < n; ++k) OuterCols<1, NV>(x + k, ldx, m, u, r, ch, scale, g + k * r);
}

// v[MR rows][chunk] = Σ_k x[i][k]·w[k][chunk]; g[k][chunk] += Σ_i x[i][k]·su[i][chunk]
// for every k, su = scale·u: each element of x feeds both, read once.
// MR = 4, NV = 2: 8 v sums + 8 su + 2 w + 2 g + 1 x.
template <size_t MR, size_t NV, bool kV>
void ProjectOuterRows(const float* x, size_t ldx, size_t n, const float* w, const float* u, size_t r, Chunk<NV> ch,
                      float scale, float* v, float* g) {
  float32x4_t vacc[MR][NV], su[MR][NV];
  for (size_t i = 0; i < MR; ++i) {
    for (size_t c = 0; c < NV; ++c) {
      vacc[i][c] = vdupq_n_f32(0.0f);
      su[i][c] = vmulq_n_f32(ch.Load(u + i * r, c), scale);
    }
  }
  for (size_t k = 0; k < n; ++k) {
    float32x4_t wv[NV], gacc[NV];
    for (size_t c = 0; c < NV; ++c) {
      if constexpr (kV) wv[c] = ch.Load(w + k * r, c);
      gacc[c] = ch.Load(g + k * r, c);
    }
    for (size_t i = 0; i < MR; ++i) {
      const float xv = x[i * ldx + k];
      for (size_t c = 0; c < NV; ++c) {
        if constexpr (kV) vacc[i][c] = vfmaq_n_f32(vacc[i][c], wv[c], xv);
        gacc[c] = vfmaq_n_f32(gacc[c], su[i][c], xv);
      }
    }
    for (size_t c = 0; c < NV; ++c) ch.Store(g + k * r, c, gacc[c]);
  }
  if constexpr (kV) {
    for (size_t i = 0; i < MR; ++i)
      for (size_t c = 0; c < NV; ++c) ch.Store(v + i * r, c, vacc[i][c]);
  }
}

template <size_t NV, bool kV>
void ProjectOuterChunk(const float* x, size_t ldx, size_t m, size_t n, const float* w, const float* u, size_t r,
                       Chunk<NV> ch, float scale, float* v, float* g) {
  size_t i = 0;
  for (; i + 4 <= m; i += 4) {
    ProjectOuterRows<4, NV, kV>(x + i * ldx, ldx, n, w, u + i * r, r, ch, scale, kV ? v + i * r : nullptr, g);
  }
  for (; i < m; ++i) {
    ProjectOuterRows<1, NV, kV>(x + i * ldx, ldx, n, w, u + i * r, r, ch, scale, kV ? v + i * r : nullptr, g);
  }
}

// y[MR rows][n] += Σ_{c < rc} su[i][c] · w[c][n], su = scale·u in registers
// (two vectors per row), 8 columns of y per step. MR = 4: 8 su + 8 sums + 2 w.
template <size_t MR>
void ExpandRows(const float* u, size_t r, size_t rc, const float* w, size_t n, float scale, float* y, size_t ldy) {
  float sus[MR][8] = {};
  for (size_t i = 0; i < MR; ++i)
    for (size_t c = 0; c < rc; ++c) sus[i][c] = scale * u[i * r + c];
  float32x4_t su[MR][2];
  for (size_t i = 0; i < MR; ++i) {
    su[i][0] = vld1q_f32(sus[i]);
    su[i][1] = vld1q_f32(sus[i] + 4);
  }
  size_t k = 0;
  for (; k + 8 <= n; k += 8) {
    float32x4_t acc[MR][2];
    for (size_t i = 0; i < MR; ++i) {
      acc[i][0] = vld1q_f32(y + i * ldy + k);
      acc[i][1] = vld1q_f32(y + i * ldy + k + 4);
    }
    // Row c of w times lane c % 4 of su[i][c / 4] (a lane index must be a constant).
    for (size_t h = 0; h < 2 && 4 * h < rc; ++h) {
#define EDGERT_EXPAND_LANE(L)                                                      \
  if (4 * h + L < rc) {                                                            \
    const float* wr = w + (4 * h + L) * n + k;                                     \
    const float32x4_t w0 = vld1q_f32(wr), w1 = vld1q_f32(wr + 4);                  \
    for (size_t i = 0; i < MR; ++i) {                                              \
      acc[i][0] = vfmaq_laneq_f32(acc[i][0], w0, su[i][h], L);                     \
      acc[i][1] = vfmaq_laneq_f32(acc[i][1], w1, su[i][h], L);                     \
    }                                                                              \
  }
      EDGERT_EXPAND_LANE(0)
      EDGERT_EXPAND_LANE(1)
      EDGERT_EXPAND_LANE(2)
      EDGERT_EXPAND_LANE(3)
#undef EDGERT_EXPAND_LANE
    }
    for (size_t i = 0; i < MR; ++i) {
      vst1q_f32(y + i * ldy + k, acc[i][0]);
      vst1q_f32(y + i * ldy + k + 4, acc[i][1]);
    }
  }
  for (; k < n; ++k) {
    for (size_t i = 0; i < MR; ++i) {
      float acc = y[i * ldy + k];
      for (size_t c = 0; c < rc; ++c) acc = std::fma(sus[i][c], w[c * n + k], acc);
      y[i * ldy + k] = acc;
    }
  }
}

// Calls f(c0, Chunk<2>) or f(c0, Chunk<1>) for every chunk of r.
template <typename F2, typename F1>
void ForChunks(size_t r, F2&& f2, F1&& f1) {
  size_t c0 = 0;
  for (; c0 + 4 < r; c0 += 8) f2(c0, Chunk<2>{std::min<size_t>(4, r - c0 - 4)});
  if (c0 < r) f1(c0, Chunk<1>{r - c0});
}

}  // namespace

void LowRankProject(const float* x, size_t ldx, size_t m, size_t n, const float* w, size_t r, float* u) {
  ForChunks(
      r, [&](size_t c0, Chunk<2> ch) { ProjectChunk(x, ldx, m, n, w + c0, r, ch, u + c0); },
      [&](size_t c0, Chunk<1> ch) { ProjectChunk(x, ldx, m, n, w + c0, r, ch, u + c0); });
}

void LowRankOuter(const float* x, size_t ldx, size_t m, size_t n, const float* u, size_t r, float scale, float* g) {
  // Rows in blocks of 16, so x is read as 16 sequential streams rather than a
  // strip down all m rows (the AVX-512 variant measured the strip 3x slower).
  constexpr size_t kRowBlock = 16;
  for (size_t i0 = 0; i0 < m; i0 += kRowBlock) {
    const size_t mb = std::min(kRowBlock, m - i0);
    const float* xb = x + i0 * ldx;
    const float* ub = u + i0 * r;
    ForChunks(
        r, [&](size_t c0, Chunk<2> ch) { OuterChunk(xb, ldx, mb, n, ub + c0, r, ch, scale, g + c0); },
        [&](size_t c0, Chunk<1> ch) { OuterChunk(xb, ldx, mb, n, ub + c0, r, ch, scale, g + c0); });
  }
}

void LowRankProjectOuter(const float* x, size_t ldx, size_t m, size_t n, const float* w, const float* u, size_t r,
                         float scale, float* v, float* g) {
  if (v != nullptr) {
    ForChunks(
        r, [&](size_t c0, Chunk<2> ch) { ProjectOuterChunk<2, true>(x, ldx, m, n, w + c0, u + c0, r, ch, scale, v + c0, g + c0); },
        [&](size_t c0, Chunk<1> ch) { ProjectOuterChunk<1, true>(x, ldx, m, n, w + c0, u + c0, r, ch, scale, v + c0, g + c0); });
  } else {
    ForChunks(
        r, [&](size_t c0, Chunk<2> ch) { ProjectOuterChunk<2, false>(x, ldx, m, n, w, u + c0, r, ch, scale, v, g + c0); },
        [&](size_t c0, Chunk<1> ch) { ProjectOuterChunk<1, false>(x, ldx, m, n, w, u + c0, r, ch, scale, v, g + c0); });
  }
}

void LowRankExpand(const float* u, size_t m, size_t r, const float* w, size_t n, float scale, float* y, size_t ldy) {
  for (size_t c0 = 0; c0 < r; c0 += 8) {
    const size_t rc = std::min<size_t>(8, r - c0);
    const float* uc = u + c0;
    const float* wc = w + c0 * n;
    size_t i = 0;
    for (; i + 4 <= m; i += 4) ExpandRows<4>(uc + i * r, r, rc, wc, n, scale, y + i * ldy, ldy);
    for (; i < m; ++i) ExpandRows<1>(uc + i * r, r, rc, wc, n, scale, y + i * ldy, ldy);
  }
}

}  // namespace edgert::kernels::neon
