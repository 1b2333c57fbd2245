// runtime/train/backward_ops.cc: the gradients of the forward pass's operations
// (f32); products through frozen weights go to kernels/matmul.
#include "runtime/train/backward_ops.h"

#include <pthreadpool.h>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <vector>

#include "kernels/matmul/matmul.h"
#include "kernels/lowrank/lowrank.h"
#include "kernels/matmul/matmul_transposed.h"
#include "runtime/model/ops.h"
#include "runtime/train/causal_attention.h"

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

void LinearInput(const WeightView& w, const float* dy, int64_t m, float* dx, pthreadpool_t pool,
                 std::span<float> scratch) {
  const kernels::MatmulWeights mw{w.dtype, w.data, static_cast<size_t>(w.rows), static_cast<size_t>(w.cols), 0};
  const auto precision = scratch.empty() ? kernels::TransposedPrecision::kF32 : kernels::TransposedPrecision::kInt8;
  const Status st = kernels::MatmulTransposedAccumulate(mw, dy, static_cast<size_t>(m), dx, pool, 0, precision,
                                                        scratch.data(), scratch.size_bytes());
  assert(st.ok() && "shapes were verified when the model was opened");
  (void)st;
}

int64_t LinearInputScratchFloats(int64_t m, int64_t n, int64_t threads) {
  const size_t bytes = kernels::MatmulTransposedInt8ScratchBytes(static_cast<size_t>(m), static_cast<size_t>(n),
                                                                 static_cast<size_t>(threads));
  return static_cast<int64_t>((bytes + sizeof(float) - 1) / sizeof(float));
}

namespace {

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
  const auto& lr = kernels::GetLowRankUkernels();
  const auto um = static_cast<size_t>(m), ur = static_cast<size_t>(rank), uin = static_cast<size_t>(p.in);
  float* at = scratch;  // [in][rank]: Aᵀ, so x·Aᵀ runs across the rank
  Transpose(p.a.data(), rank, p.in, p.in, at);
  lr.project(x, uin, um, uin, at, ur, ax);
  if (y == nullptr) return;
  // y += scale·ax·Bᵀ, with Bᵀ [rank][out] so y's rows stream.
  float* bt = at + p.in * rank;
  Transpose(p.b.data(), p.out, rank, rank, bt);
  lr.expand(ax, um, ur, bt, static_cast<size_t>(p.out), scale, y, static_cast<size_t>(p.out));
}

void LoraBackward(const LoraPair& p, int32_t rank, float scale, const float* x, const float* ax, const float* dy,
                  int64_t m, LoraPair& g, float* dx, float* scratch) {
  const auto& lr = kernels::GetLowRankUkernels();
  const auto um = static_cast<size_t>(m), ur = static_cast<size_t>(rank);
  const auto uin = static_cast<size_t>(p.in), uout = static_cast<size_t>(p.out);
  float* dax = scratch;             // [m][rank]: scale · dy·B
  float* gat = dax + m * rank;      // [in][rank]: dAᵀ
  // dax = dy·B and dB [out][rank] += scale · dyᵀ·ax (B's own layout), one read of dy.
  lr.project_outer(dy, uout, um, uout, p.b.data(), ax, ur, scale, dax, g.b.data());
  for (int64_t i = 0; i < m * rank; ++i) dax[i] *= scale;
  // dA += daxᵀ·x, built as its transpose xᵀ·dax.
  std::fill_n(gat, p.in * rank, 0.0f);
  lr.outer(x, uin, um, uin, dax, ur, 1.0f, gat);
  for (int32_t r = 0; r < rank; ++r) {
    float* ga = g.a.data() + static_cast<int64_t>(r) * p.in;
    for (int64_t k = 0; k < p.in; ++k) ga[k] += gat[k * rank + r];
  }
  // dx += dax·A
  if (dx != nullptr) lr.expand(dax, um, ur, p.a.data(), uin, 1.0f, dx, uin);
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

int64_t AttentionScratchFloats(const AttentionShape& s, int64_t m) { return CausalAttentionScratchFloats(s, m); }

void AttentionForward(const AttentionShape& s, const float* q, const float* k, const float* v, int64_t m,
                      float* probs, float* out, float* scratch, pthreadpool_t pool) {
  CausalAttentionForward(kernels::GetAttentionGradUkernels(), s, q, k, v, m, probs, out, scratch, pool);
}

void AttentionBackward(const AttentionShape& s, const float* q, const float* k, const float* v, const float* probs,
                       const float* dout, int64_t m, float* dq, float* dk, float* dv, float* scratch,
                       pthreadpool_t pool) {
  CausalAttentionBackward(kernels::GetAttentionGradUkernels(), s, q, k, v, probs, dout, m, dq, dk, dv, scratch, pool);
}

}  // namespace edgert::grad
