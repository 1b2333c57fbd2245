// runtime/train/backward_ops.cc: the gradients of the forward pass's operations
// (f32); products through frozen weights go to kernels/matmul.
#include "runtime/train/backward_ops.h"

#include <pthreadpool.h>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <vector>

#include "kernels/matmul/matmul.h"
#include "kernels/matmul/matmul_transposed.h"
#include "kernels/rowops/rowops.h"
#include "runtime/model/ops.h"

namespace edgert::grad {

void Project(const WeightView& w, const float* bias, const float* x, int64_t m, float* y, void* scratch,
             pthreadpool_t pool) {
  if (w.dtype == DType::kQ8_0 || w.dtype == DType::kQ4_0) {
    ops::Linear(w, bias, x, m, y, scratch, pool);
    return;
  }
  const kernels::MatmulWeights mw{w.dtype, w.data, static_cast<size_t>(w.rows), static_cast<size_t>(w.cols), 0};
  for (int64_t i = 0; i < m; ++i) {
    if (bias != nullptr) {
      std::copy_n(bias, w.rows, y + i * w.rows);
    } else {
      std::fill_n(y + i * w.rows, w.rows, 0.0f);
    }
  }
  const Status st = kernels::MatmulDequantizedAccumulate(mw, x, static_cast<size_t>(m), y, pool);
  assert(st.ok() && "shapes were verified when the model was opened");
  (void)st;
}

void LinearInput(const WeightView& w, const float* dy, int64_t m, float* dx, pthreadpool_t pool) {
  const kernels::MatmulWeights mw{w.dtype, w.data, static_cast<size_t>(w.rows), static_cast<size_t>(w.cols), 0};
  const Status st = kernels::MatmulTransposedAccumulate(mw, dy, static_cast<size_t>(m), dx, pool);
  assert(st.ok() && "shapes were verified when the model was opened");
  (void)st;
}

namespace {

using kernels::MatmulWeights;

// A [rows][cols] f32 matrix whose rows are `stride` floats apart, as weights.
MatmulWeights F32Matrix(const float* data, int64_t rows, int64_t cols, int64_t stride) {
  return {DType::kF32, data, static_cast<size_t>(rows), static_cast<size_t>(cols), static_cast<size_t>(stride) * 4};
}

void Check(const Status& st) {
  assert(st.ok() && "shapes are fixed by the model and the adapter");
  (void)st;
}

// dst[cols][rows] = srcᵀ, src rows `stride` apart.
void Transpose(const float* src, int64_t rows, int64_t cols, int64_t stride, float* dst) {
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t c = 0; c < cols; ++c) dst[c * rows + i] = src[i * stride + c];
  }
}

}  // namespace

int64_t LoraScratchFloats(int64_t m, int32_t rank, int64_t widest) { return 3 * m * rank + 2 * rank * widest; }

void LoraForward(const LoraPair& p, int32_t rank, float scale, const float* x, int64_t m, float* ax, float* y,
                 float* scratch) {
  Check(kernels::Matmul(F32Matrix(p.a.data(), rank, p.in, p.in), x, static_cast<size_t>(m), nullptr, ax, nullptr, 0,
                        nullptr));
  if (y == nullptr) return;
  // y += (scale·ax)·Bᵀ, the dx += dy·W form with W = Bᵀ [rank][out].
  float* bt = scratch;
  float* axs = bt + rank * p.out;
  Transpose(p.b.data(), p.out, rank, rank, bt);
  for (int64_t i = 0; i < m * rank; ++i) axs[i] = scale * ax[i];
  Check(kernels::MatmulTransposedAccumulate(F32Matrix(bt, rank, p.out, p.out), axs, static_cast<size_t>(m), y, nullptr));
}

void LoraBackward(const LoraPair& p, int32_t rank, float scale, const float* x, const float* ax, const float* dy,
                  int64_t m, LoraPair& g, float* dx, float* scratch) {
  const auto um = static_cast<size_t>(m), ur = static_cast<size_t>(rank);
  float* dax = scratch;           // [m][rank]: scale · dy·B
  float* t = dax + m * rank;      // [rank][m]: axᵀ, then daxᵀ
  float* dbt = t + m * rank;      // [rank][out]: (dyᵀ·ax)ᵀ
  float* bt = dbt + rank * p.out; // [rank][out]: Bᵀ
  // dax = dy·B = dy·(Bᵀ)ᵀ, the x·Wᵀ form with W = Bᵀ, rows split.
  Transpose(p.b.data(), p.out, rank, rank, bt);
  Check(kernels::Matmul(F32Matrix(bt, rank, p.out, p.out), dy, um, nullptr, dax, nullptr, 0, nullptr));
  for (int64_t i = 0; i < m * rank; ++i) dax[i] *= scale;
  // dB += scale · dyᵀ·ax, computed as its transpose axᵀ·dy.
  Transpose(ax, m, rank, rank, t);
  std::fill_n(dbt, rank * p.out, 0.0f);
  Check(kernels::MatmulTransposedAccumulate(F32Matrix(dy, m, p.out, p.out), t, ur, dbt, nullptr));
  for (int64_t o = 0; o < p.out; ++o) {
    for (int32_t r = 0; r < rank; ++r) g.b[static_cast<size_t>(o * rank + r)] += scale * dbt[r * p.out + o];
  }
  // dA += daxᵀ·x;  dx += dax·A
  Transpose(dax, m, rank, rank, t);
  Check(kernels::MatmulTransposedAccumulate(F32Matrix(x, m, p.in, p.in), t, ur, g.a.data(), nullptr));
  if (dx != nullptr) Check(kernels::MatmulTransposedAccumulate(F32Matrix(p.a.data(), rank, p.in, p.in), dax, um, dx, nullptr));
}

void RmsNorm(const float* x, const float* w, float eps, const float* dy, int64_t m, int64_t n, float* dx) {
  for (int64_t i = 0; i < m; ++i, x += n, dy += n, dx += n) {
    float ss = 0.0f;
    for (int64_t k = 0; k < n; ++k) ss += x[k] * x[k];
    const float r = 1.0f / std::sqrt(ss / static_cast<float>(n) + eps);
    float dot = 0.0f;  // Σ (w·dy)·x
    for (int64_t k = 0; k < n; ++k) dot += w[k] * dy[k] * x[k];
    const float c = r * r * r * dot / static_cast<float>(n);
    for (int64_t k = 0; k < n; ++k) dx[k] += r * w[k] * dy[k] - x[k] * c;
  }
}

void Rope(float* dx, int64_t n_heads, int64_t head_dim, const float* cos, const float* sin) {
  const int64_t half = head_dim / 2;
  for (int64_t h = 0; h < n_heads; ++h, dx += head_dim) {
    for (int64_t i = 0; i < half; ++i) {
      const float d1 = dx[i], d2 = dx[i + half];
      dx[i] = d1 * cos[i] + d2 * sin[i];
      dx[i + half] = d2 * cos[i] - d1 * sin[i];
    }
  }
}

void SiluMul(const float* g, const float* u, const float* dh, int64_t n, float* dg, float* du) {
  for (int64_t i = 0; i < n; ++i) {
    const float sig = 1.0f / (1.0f + std::exp(-g[i]));
    const float silu = g[i] * sig;
    du[i] = dh[i] * silu;
    dg[i] = dh[i] * u[i] * sig * (1.0f + g[i] * (1.0f - sig));
  }
}

namespace {

// dst[m][d] = the d-wide column slice of src whose rows are `stride` apart, and back.
void Gather(const float* src, int64_t stride, int64_t m, int64_t d, float* dst) {
  for (int64_t i = 0; i < m; ++i) std::copy_n(src + i * stride, d, dst + i * d);
}
void Scatter(const float* src, int64_t m, int64_t d, float* dst, int64_t stride) {
  for (int64_t i = 0; i < m; ++i) std::copy_n(src + i * d, d, dst + i * stride);
}
struct AttnTask {
  AttentionShape s;
  const float *q, *k, *v;
  int64_t m;
  float* probs;
  const float* dout;
  float *out, *dq, *dk, *dv, *scratch;
  int64_t scratch_per_task() const { return m * m + 6 * m * s.head_dim; }
};

// One KV head and the query heads that share it: P = softmax(scale·Q·Kᵀ + causal), O = P·V.
void AttentionForwardGroup(void* ctx, size_t group) {
  const auto& t = *static_cast<const AttnTask*>(ctx);
  const int64_t d = t.s.head_dim, m = t.m, kvh = static_cast<int64_t>(group);
  const int64_t per_group = t.s.n_heads / t.s.n_kv_heads, qs = t.s.n_heads * d, ks = t.s.n_kv_heads * d;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  float* qh = t.scratch + static_cast<int64_t>(group) * t.scratch_per_task();
  float* oh = qh + m * d;
  const auto softmax = kernels::GetRowOpsUkernels().softmax;
  for (int64_t h = kvh * per_group; h < (kvh + 1) * per_group; ++h) {
    float* p = t.probs + h * m * m;
    Gather(t.q + h * d, qs, m, d, qh);
    std::fill_n(p, m * m, 0.0f);
    Check(kernels::MatmulDequantizedAccumulate(F32Matrix(t.k + kvh * d, m, d, ks), qh, static_cast<size_t>(m), p,
                                               nullptr));
    for (int64_t i = 0; i < m; ++i) {
      float* row = p + i * m;
      for (int64_t j = 0; j <= i; ++j) row[j] *= scale;
      softmax(static_cast<size_t>(i + 1), row);
      std::fill(row + i + 1, row + m, 0.0f);
    }
    std::fill_n(oh, m * d, 0.0f);
    Check(kernels::MatmulTransposedAccumulate(F32Matrix(t.v + kvh * d, m, d, ks), p, static_cast<size_t>(m), oh,
                                              nullptr));
    Scatter(oh, m, d, t.out + h * d, qs);
  }
}

// The same group backward: dV = Pᵀ·dO, dP = dO·Vᵀ, dS = P∘(dP − rowsum(P∘dP))·scale,
// dQ = dS·K, dK = dSᵀ·Q. dK and dV are built transposed ([d][m]) so every
// product is one of the two kernel forms with m or d rows.
void AttentionBackwardGroup(void* ctx, size_t group) {
  const auto& t = *static_cast<const AttnTask*>(ctx);
  const int64_t d = t.s.head_dim, m = t.m, kvh = static_cast<int64_t>(group);
  const int64_t per_group = t.s.n_heads / t.s.n_kv_heads, qs = t.s.n_heads * d, ks = t.s.n_kv_heads * d;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  float* ds = t.scratch + static_cast<int64_t>(group) * t.scratch_per_task();  // [m][m]
  float* rows = ds + m * m;        // [m][d]: dO, then dQ, of one head
  float* cols = rows + m * d;      // [d][m]: dOᵀ, then Qᵀ
  float* dkt = cols + m * d;       // [d][m]
  float* dvt = dkt + m * d;        // [d][m]
  std::fill_n(dkt, 2 * m * d, 0.0f);
  const auto um = static_cast<size_t>(m), ud = static_cast<size_t>(d);
  for (int64_t h = kvh * per_group; h < (kvh + 1) * per_group; ++h) {
    const float* p = t.probs + h * m * m;
    Gather(t.dout + h * d, qs, m, d, rows);
    Transpose(rows, m, d, d, cols);
    Check(kernels::MatmulTransposedAccumulate(F32Matrix(p, m, m, m), cols, ud, dvt, nullptr));  // dVᵀ += dOᵀ·P
    std::fill_n(ds, m * m, 0.0f);
    Check(kernels::MatmulDequantizedAccumulate(F32Matrix(t.v + kvh * d, m, d, ks), rows, um, ds, nullptr));  // dP
    for (int64_t i = 0; i < m; ++i) {
      const float* pi = p + i * m;
      float* di = ds + i * m;
      float pdp = 0.0f;
      for (int64_t j = 0; j <= i; ++j) pdp += pi[j] * di[j];
      for (int64_t j = 0; j <= i; ++j) di[j] = pi[j] * (di[j] - pdp) * scale;
      std::fill(di + i + 1, di + m, 0.0f);
    }
    std::fill_n(rows, m * d, 0.0f);
    Check(kernels::MatmulTransposedAccumulate(F32Matrix(t.k + kvh * d, m, d, ks), ds, um, rows, nullptr));  // dQ
    Scatter(rows, m, d, t.dq + h * d, qs);
    Transpose(t.q + h * d, m, d, qs, cols);
    Check(kernels::MatmulTransposedAccumulate(F32Matrix(ds, m, m, m), cols, ud, dkt, nullptr));  // dKᵀ += Qᵀ·dS
  }
  for (int64_t c = 0; c < d; ++c) {
    for (int64_t j = 0; j < m; ++j) {
      t.dk[j * ks + kvh * d + c] = dkt[c * m + j];
      t.dv[j * ks + kvh * d + c] = dvt[c * m + j];
    }
  }
}

}  // namespace

int64_t AttentionScratchFloats(const AttentionShape& s, int64_t m) {
  return s.n_kv_heads * (m * m + 6 * m * s.head_dim);
}

void AttentionForward(const AttentionShape& s, const float* q, const float* k, const float* v, int64_t m,
                      float* probs, float* out, float* scratch, pthreadpool_t pool) {
  AttnTask task{s, q, k, v, m, probs, nullptr, out, nullptr, nullptr, nullptr, scratch};
  pthreadpool_parallelize_1d(pool, AttentionForwardGroup, &task, static_cast<size_t>(s.n_kv_heads),
                             PTHREADPOOL_FLAG_DISABLE_DENORMALS);
}

void AttentionBackward(const AttentionShape& s, const float* q, const float* k, const float* v, const float* probs,
                       const float* dout, int64_t m, float* dq, float* dk, float* dv, float* scratch,
                       pthreadpool_t pool) {
  AttnTask task{s, q, k, v, m, const_cast<float*>(probs), dout, nullptr, dq, dk, dv, scratch};
  pthreadpool_parallelize_1d(pool, AttentionBackwardGroup, &task, static_cast<size_t>(s.n_kv_heads),
                             PTHREADPOOL_FLAG_DISABLE_DENORMALS);
}

}  // namespace edgert::grad
