// runtime/train/causal_attention.cc: blocked causal attention for training
// (see the header). Layouts inside a task, for one KV head:
//   kt    [blocks][d][64]   Kᵀ (forward) or Vᵀ (backward) in 64-key panels:
//                           the tile of S = Q·Kᵀ and dP = dO·Vᵀ
//   rows  [d/64][m'][64]    V (forward) or K (backward) in 64-column panels:
//                           the tile of O = P·V and dQ = dS·K
//   qt, dot [d][m]          Qᵀ, dOᵀ of one query head: the dy of dKᵀ and dVᵀ
//   dkt, dvt [d][m]         dKᵀ, dVᵀ summed over the group's query heads
//   ds    [m][m]            dP, then dS, of one query head
//   tile  [128][64]         a copy of a block column of P or dS
//   stage [m][d]            one head's slice of q or dout, gathered to transpose
// m' is m rounded up to 64. Every product adds blocks in a fixed order.
#include "runtime/train/causal_attention.h"

#include <pthreadpool.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace edgert::grad {
namespace {

constexpr int64_t kBlock = static_cast<int64_t>(kernels::kTransposedPanel);  // 64
constexpr int64_t kTileRows = static_cast<int64_t>(kernels::kTransposedTileRows);
constexpr int64_t kAlign = 16;  // floats: 64 bytes, the tile loads' alignment

int64_t RoundUp(int64_t n, int64_t to) { return (n + to - 1) / to * to; }
int64_t Blocks(int64_t n) { return (n + kBlock - 1) / kBlock; }
// One past the last column of row i that the blocked products touch.
int64_t BlockEnd(int64_t i, int64_t m) { return std::min(m, (i / kBlock + 1) * kBlock); }

struct Layout {
  float *kt, *rows, *qt, *dot, *dkt, *dvt, *ds, *tile, *stage, *p, *kt2;
};

int64_t TaskFloats(const AttentionShape& s, int64_t m) {
  const int64_t d = s.head_dim, mp = RoundUp(m, kBlock);
  return 2 * RoundUp(mp * d, kAlign) + Blocks(d) * mp * kBlock + 5 * RoundUp(d * m, kAlign) +
         2 * RoundUp(m * m, kAlign) + kTileRows * kBlock + kAlign;
}

Layout Carve(const AttentionShape& s, int64_t m, float* scratch, int64_t task) {
  const int64_t d = s.head_dim, mp = RoundUp(m, kBlock);
  float* base = scratch + task * TaskFloats(s, m);
  // Round up to 64 bytes; TaskFloats keeps kAlign floats of room for it.
  const auto mis = static_cast<int64_t>(reinterpret_cast<uintptr_t>(base) % 64);
  float* cur = base + (mis == 0 ? 0 : (64 - mis) / 4);
  auto take = [&](int64_t n) {
    float* p = cur;
    cur += RoundUp(n, kAlign);
    return p;
  };
  Layout l{};
  l.kt = take(mp * d);
  l.rows = take(Blocks(d) * mp * kBlock);
  l.qt = take(d * m);
  l.dot = take(d * m);
  l.dkt = take(d * m);
  l.dvt = take(d * m);
  l.ds = take(m * m);
  l.tile = take(kTileRows * kBlock);
  l.stage = take(m * d);
  l.p = take(m * m);
  l.kt2 = take(mp * d);
  return l;
}

// dst[p][i][c] = src[i][64p + c] for i < m, 0 past d.
void PackRows(const float* src, int64_t stride, int64_t m, int64_t d, float* dst) {
  const int64_t mp = RoundUp(m, kBlock);
  for (int64_t p = 0; p < Blocks(d); ++p) {
    const int64_t n = std::min(kBlock, d - p * kBlock);
    for (int64_t i = 0; i < m; ++i) {
      float* out = dst + (p * mp + i) * kBlock;
      std::copy_n(src + i * stride + p * kBlock, n, out);
      std::fill(out + n, out + kBlock, 0.0f);
    }
  }
}

// dst[c][i] = src[i][c] for i < rows, c < cols; src rows `ls` apart, dst rows
// `ld` apart. 16 source rows at a time, so each store fills a cache line
// rather than touching a new one per element.
void Transpose(const float* src, int64_t ls, int64_t rows, int64_t cols, float* dst, int64_t ld) {
  constexpr int64_t kStep = 16;
  for (int64_t i0 = 0; i0 < rows; i0 += kStep) {
    const int64_t i1 = std::min(rows, i0 + kStep);
    for (int64_t c = 0; c < cols; ++c) {
      for (int64_t i = i0; i < i1; ++i) dst[c * ld + i] = src[i * ls + c];
    }
  }
}

// dst[d][m] = the [m][d] slice of src (rows `stride` apart), transposed.
// Gathered into stage first: row copies stream from memory, the transpose's
// loads down 16 rows then hit L1 (straight from src they were 11% of the
// backward pass, waiting on lines 3.5 KB apart).
void TransposeSlice(const float* src, int64_t stride, int64_t m, int64_t d, float* stage, float* dst) {
  for (int64_t i = 0; i < m; ++i) std::copy_n(src + i * stride, d, stage + i * d);
  Transpose(stage, d, m, d, dst, m);
}

// dst[j][r][c] = src[64j + c][r] (rows `stride` apart), 0 past m.
void PackTransposed(const float* src, int64_t stride, int64_t m, int64_t d, float* dst) {
  for (int64_t j = 0; j < Blocks(m); ++j) {
    float* panel = dst + j * d * kBlock;
    const int64_t n = std::min(kBlock, m - j * kBlock);
    Transpose(src + j * kBlock * stride, stride, n, d, panel, kBlock);
    if (n < kBlock) {
      for (int64_t r = 0; r < d; ++r) std::fill(panel + r * kBlock + n, panel + (r + 1) * kBlock, 0.0f);
    }
  }
}

// a[m][m] (lower block triangle) on the right of a causal product: for each
// 64-key block j, y[i][0..d) += Σ_{keys in j} a[i][key] · rows[key][0..d)
// over rows i ≥ 64j; y rows `ldy` apart, written (not accumulated).
void RightProduct(const kernels::AttentionGradUkernels& uk, const float* a, int64_t m, const float* rows, int64_t d,
                  float* y, int64_t ldy) {
  const int64_t mp = RoundUp(m, kBlock);
  for (int64_t p = 0; p < Blocks(d); ++p) {
    const auto cols = static_cast<size_t>(std::min(kBlock, d - p * kBlock));
    for (int64_t j = 0; j < Blocks(m); ++j) {
      const int64_t k0 = j * kBlock;
      // Key block 0 covers every row: it stores, the later ones add.
      (j == 0 ? uk.tile_store : uk.tile)(rows + (p * mp + k0) * kBlock, static_cast<size_t>(std::min(kBlock, m - k0)), cols, a + k0 * m + k0,
              static_cast<size_t>(m), static_cast<size_t>(m - k0), y + k0 * ldy + p * kBlock,
              static_cast<size_t>(ldy));
    }
  }
}

// s[i][j] = x_i · key_j for j in i's block and before: kt holds the keys
// transposed in 64-key panels, x rows `ldx` apart. Each score is one call's.
void ScoreProduct(const kernels::AttentionGradUkernels& uk, const float* x, int64_t ldx, const float* kt, int64_t m,
                  int64_t d, float* s) {
  for (int64_t j = 0; j < Blocks(m); ++j) {
    const int64_t k0 = j * kBlock;
    uk.tile_store(kt + k0 * d, static_cast<size_t>(d), static_cast<size_t>(std::min(kBlock, m - k0)), x + k0 * ldx,
            static_cast<size_t>(ldx), static_cast<size_t>(m - k0), s + k0 * m + k0, static_cast<size_t>(m));
  }
}

// acc[d][m] += yt[d][m] · a[m][m] over a's lower block triangle: key block j
// takes queries from 64j on, copied 128 rows at a time into the aligned tile.
void LeftProduct(const kernels::AttentionGradUkernels& uk, const float* a, int64_t m, const float* yt, int64_t d,
                 float* tile, float* acc) {
  for (int64_t j = 0; j < Blocks(m); ++j) {
    const int64_t k0 = j * kBlock, cols = std::min(kBlock, m - k0);
    for (int64_t q0 = k0; q0 < m; q0 += kTileRows) {
      const int64_t n = std::min(kTileRows, m - q0);
      for (int64_t r = 0; r < n; ++r) {
        float* out = tile + r * kBlock;
        std::copy_n(a + (q0 + r) * m + k0, cols, out);
        std::fill(out + cols, out + kBlock, 0.0f);
      }
      uk.tile(tile, static_cast<size_t>(n), static_cast<size_t>(cols), yt + q0, static_cast<size_t>(m),
              static_cast<size_t>(d), acc + k0, static_cast<size_t>(m));
    }
  }
}

// p[i][j] = softmax over j ≤ i of scale · x_i · key_j (kt: the keys packed
// as ScoreProduct takes them), 0 to the end of i's 64-block.
void Probabilities(const kernels::AttentionGradUkernels& uk, const float* x, int64_t ldx, const float* kt, int64_t m,
                   int64_t d, float scale, float* p) {
  ScoreProduct(uk, x, ldx, kt, m, d, p);
  for (int64_t i = 0; i < m; ++i) {
    float* row = p + i * m;
    uk.scaled_softmax(static_cast<size_t>(i + 1), scale, row);
    std::fill(row + i + 1, row + BlockEnd(i, m), 0.0f);
  }
}

struct Task {
  const kernels::AttentionGradUkernels* uk;
  AttentionShape s;
  const float *q, *k, *v, *dout;
  int64_t m;
  float *probs, *out, *dq, *dk, *dv, *scratch;
};

void ForwardGroup(void* ctx, size_t group) {
  const auto& t = *static_cast<const Task*>(ctx);
  const auto& uk = *t.uk;
  const int64_t d = t.s.head_dim, m = t.m, g = static_cast<int64_t>(group);
  const int64_t per_group = t.s.n_heads / t.s.n_kv_heads, qs = t.s.n_heads * d, ks = t.s.n_kv_heads * d;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  const Layout l = Carve(t.s, m, t.scratch, g);
  PackTransposed(t.k + g * d, ks, m, d, l.kt);
  if (t.out != nullptr) PackRows(t.v + g * d, ks, m, d, l.rows);
  for (int64_t h = g * per_group; h < (g + 1) * per_group; ++h) {
    // Without probs (a forward pass whose backward recomputes it), one head's
    // probabilities live in ds, 1 MB at 512 positions: in L2, not memory.
    float* p = t.probs != nullptr ? t.probs + h * m * m : l.ds;
    Probabilities(uk, t.q + h * d, qs, l.kt, m, d, scale, p);
    if (t.out != nullptr) RightProduct(uk, p, m, l.rows, d, t.out + h * d, qs);
  }
}

// dVᵀ += dOᵀ·P, dP = dO·Vᵀ, dS = P∘(dP − rowsum(P∘dP))·scale, dQ = dS·K,
// dKᵀ += Qᵀ·dS, for each query head of the group.
void BackwardGroup(void* ctx, size_t group) {
  const auto& t = *static_cast<const Task*>(ctx);
  const auto& uk = *t.uk;
  const int64_t d = t.s.head_dim, m = t.m, g = static_cast<int64_t>(group);
  const int64_t per_group = t.s.n_heads / t.s.n_kv_heads, qs = t.s.n_heads * d, ks = t.s.n_kv_heads * d;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  const Layout l = Carve(t.s, m, t.scratch, g);
  PackTransposed(t.v + g * d, ks, m, d, l.kt);
  PackRows(t.k + g * d, ks, m, d, l.rows);
  // Without probs, each head's are recomputed here into L2-sized scratch (the
  // forward's operations on the same inputs: the same bits), instead of
  // being written to memory by a rebuild and read back.
  if (t.probs == nullptr) PackTransposed(t.k + g * d, ks, m, d, l.kt2);
  std::fill_n(l.dkt, d * m, 0.0f);
  std::fill_n(l.dvt, d * m, 0.0f);
  for (int64_t h = g * per_group; h < (g + 1) * per_group; ++h) {
    const float* p = t.probs != nullptr ? t.probs + h * m * m : l.p;
    if (t.probs == nullptr) Probabilities(uk, t.q + h * d, qs, l.kt2, m, d, scale, l.p);
    const float* dout = t.dout + h * d;
    TransposeSlice(dout, qs, m, d, l.stage, l.dot);
    LeftProduct(uk, p, m, l.dot, d, l.tile, l.dvt);
    ScoreProduct(uk, dout, qs, l.kt, m, d, l.ds);
    for (int64_t i = 0; i < m; ++i) {
      float* row = l.ds + i * m;
      uk.softmax_backward(static_cast<size_t>(i + 1), p + i * m, scale, row);
      std::fill(row + i + 1, row + BlockEnd(i, m), 0.0f);
    }
    RightProduct(uk, l.ds, m, l.rows, d, t.dq + h * d, qs);
    TransposeSlice(t.q + h * d, qs, m, d, l.stage, l.qt);
    LeftProduct(uk, l.ds, m, l.qt, d, l.tile, l.dkt);
  }
  Transpose(l.dkt, m, d, m, t.dk + g * d, ks);
  Transpose(l.dvt, m, d, m, t.dv + g * d, ks);
}

}  // namespace

int64_t CausalAttentionScratchFloats(const AttentionShape& s, int64_t m) { return s.n_kv_heads * TaskFloats(s, m); }

void CausalAttentionForward(const kernels::AttentionGradUkernels& uk, const AttentionShape& s, const float* q,
                            const float* k, const float* v, int64_t m, float* probs, float* out, float* scratch,
                            pthreadpool_t pool) {
  Task task{&uk, s, q, k, v, nullptr, m, probs, out, nullptr, nullptr, nullptr, scratch};
  pthreadpool_parallelize_1d(pool, ForwardGroup, &task, static_cast<size_t>(s.n_kv_heads),
                             PTHREADPOOL_FLAG_DISABLE_DENORMALS);
}

void CausalAttentionBackward(const kernels::AttentionGradUkernels& uk, const AttentionShape& s, const float* q,
                             const float* k, const float* v, const float* probs, const float* dout, int64_t m,
                             float* dq, float* dk, float* dv, float* scratch, pthreadpool_t pool) {
  Task task{&uk, s, q, k, v, dout, m, const_cast<float*>(probs), nullptr, dq, dk, dv, scratch};
  pthreadpool_parallelize_1d(pool, BackwardGroup, &task, static_cast<size_t>(s.n_kv_heads),
                             PTHREADPOOL_FLAG_DISABLE_DENORMALS);
}

}  // namespace edgert::grad
