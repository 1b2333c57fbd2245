// runtime/train/backward_ops.cc: the gradients of the forward pass's operations
// (f32); products through frozen weights go to kernels/matmul.
#include "runtime/train/backward_ops.h"

#include <pthreadpool.h>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <vector>

#include "kernels/lowrank/lowrank.h"
#include "kernels/matmul/matmul.h"
#include "kernels/matmul/matmul_transposed.h"
#include "kernels/rowops/rowops.h"
#include "kernels/xnnpack/xnn_fc.h"
#include "runtime/model/ops.h"
#include "runtime/train/causal_attention.h"

namespace edgert::grad {

void Project(const WeightView& w, const float* bias, const float* x, int64_t m, float* y, void* scratch,
             pthreadpool_t pool) {
  // Quantized weights, and float weights where XNNPACK takes the product
  // (kernels/xnnpack/xnn_fc.h): the forward operator. Otherwise the f32
  // tiles of the backward products, faster than our forward float GEMM.
  if (w.dtype == DType::kQ8_0 || w.dtype == DType::kQ4_0 ||
      (m >= static_cast<int64_t>(kernels::kXnnFcMinRows) && kernels::XnnFcEnabled())) {
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

int64_t LoraScratchFloats(int64_t m, int32_t rank, int64_t widest) {
  return static_cast<int64_t>(kMaxLoraGroup) * (m * rank + 2 * rank * widest);
}

namespace {

// Blocks of at least `least` (a multiple of `align`), at most 16 of them: each
// branch's share of a dispatch in tasks big enough to outweigh taking one.
int64_t BlockOf(int64_t n, int64_t least, int64_t align) {
  const int64_t per = (n + 15) / 16;
  return std::max(least, (per + align - 1) / align * align);
}
int64_t Count(int64_t n, int64_t block) { return (n + block - 1) / block; }

// Where a branch's transposed factors / backward partials live in scratch:
// slots of m·rank + 2·rank·widest floats (widest of the group's in and outs).
struct BranchScratch {
  float* first;   // forward: Aᵀ [in][rank]; backward: dax [m][rank]
  float* second;  // forward: Bᵀ [rank][out]; backward: dAᵀ [in][rank]
};
int64_t GroupWidest(std::span<const LoraBranch> branches) {
  int64_t w = branches[0].p->in;
  for (const LoraBranch& b : branches) w = std::max(w, b.p->out);
  return w;
}
BranchScratch Slot(float* scratch, size_t b, int64_t m, int32_t rank, int64_t widest) {
  float* base = scratch + static_cast<int64_t>(b) * (m * rank + 2 * rank * widest);
  return {base, base + std::max(m, widest) * rank};
}

struct ForwardCtx {
  std::span<const LoraBranch> branches;
  const kernels::LowRankUkernels* lr;
  const float* x;
  int64_t m, in, widest, rows;
  int32_t rank;
  float scale;
  float* scratch;
  RowsDone then;
};

// Rows [r0, r0 + rows) of every branch: ax = x·Aᵀ, then y += scale·ax·Bᵀ,
// then the caller's work on those rows.
void ForwardRows(void* c, size_t task) {
  const auto& t = *static_cast<const ForwardCtx*>(c);
  const int64_t r0 = static_cast<int64_t>(task) * t.rows, n = std::min(t.rows, t.m - r0);
  const auto un = static_cast<size_t>(n), ur = static_cast<size_t>(t.rank), uin = static_cast<size_t>(t.in);
  for (size_t b = 0; b < t.branches.size(); ++b) {
    const LoraBranch& br = t.branches[b];
    const BranchScratch sl = Slot(t.scratch, b, t.m, t.rank, t.widest);
    float* ax = br.ax + r0 * t.rank;
    t.lr->project(t.x + r0 * t.in, uin, un, uin, sl.first, ur, ax);
    if (br.y != nullptr) {
      const auto uout = static_cast<size_t>(br.p->out);
      t.lr->expand(ax, un, ur, sl.second, uout, t.scale, br.y + r0 * br.p->out, uout);
    }
  }
  if (t.then.fn != nullptr) t.then.fn(t.then.ctx, r0, n);
}

struct BackwardCtx {
  std::span<const LoraBranch> branches;
  const kernels::LowRankUkernels* lr;
  const float* x;
  float* dx;
  int64_t m, in, widest, rows, in_cols;
  int32_t rank;
  float scale;
  float* scratch;
  int64_t out_cols[kMaxLoraGroup];
};

// Task order per branch: its row blocks of dax = scale · dy·B, then its column
// blocks of dB += scale · dyᵀ·ax (project_outer without v: the same sums as
// one call over all of dy).
void BackwardDyTask(void* c, size_t task) {
  const auto& t = *static_cast<const BackwardCtx*>(c);
  auto i = static_cast<int64_t>(task);
  const auto ur = static_cast<size_t>(t.rank), um = static_cast<size_t>(t.m);
  for (size_t b = 0; b < t.branches.size(); ++b) {
    const LoraBranch& br = t.branches[b];
    const int64_t out = br.p->out, row_tasks = Count(t.m, t.rows), col_tasks = Count(out, t.out_cols[b]);
    const auto uout = static_cast<size_t>(out);
    if (i < row_tasks) {
      const int64_t r0 = i * t.rows, n = std::min(t.rows, t.m - r0);
      float* dax = Slot(t.scratch, b, t.m, t.rank, t.widest).first + r0 * t.rank;
      t.lr->project(br.dy + r0 * out, uout, static_cast<size_t>(n), uout, br.p->b.data(), ur, dax);
      for (int64_t k = 0; k < n * t.rank; ++k) dax[k] *= t.scale;
      return;
    }
    i -= row_tasks;
    if (i < col_tasks) {
      const int64_t k0 = i * t.out_cols[b], nk = std::min(t.out_cols[b], out - k0);
      t.lr->project_outer(br.dy + k0, uout, um, static_cast<size_t>(nk), nullptr, br.ax, ur, t.scale, nullptr,
                          br.grad->b.data() + k0 * t.rank);
      return;
    }
    i -= col_tasks;
  }
}

// Task order: per branch, its column blocks of dA (dAᵀ = xᵀ·dax, built in
// scratch, then added to dA's rows); then row blocks of dx += dax·A over
// every branch in order.
void BackwardDaxTask(void* c, size_t task) {
  const auto& t = *static_cast<const BackwardCtx*>(c);
  auto i = static_cast<int64_t>(task);
  const auto ur = static_cast<size_t>(t.rank), um = static_cast<size_t>(t.m), uin = static_cast<size_t>(t.in);
  const int64_t col_tasks = Count(t.in, t.in_cols);
  for (size_t b = 0; b < t.branches.size(); ++b, i -= col_tasks) {
    if (i >= col_tasks) continue;
    const LoraBranch& br = t.branches[b];
    const BranchScratch sl = Slot(t.scratch, b, t.m, t.rank, t.widest);
    const int64_t k0 = i * t.in_cols, nk = std::min(t.in_cols, t.in - k0);
    float* gat = sl.second + k0 * t.rank;
    std::fill_n(gat, nk * t.rank, 0.0f);
    t.lr->outer(t.x + k0, uin, um, static_cast<size_t>(nk), sl.first, ur, 1.0f, gat);
    for (int32_t r = 0; r < t.rank; ++r) {
      float* ga = br.grad->a.data() + static_cast<int64_t>(r) * t.in + k0;
      for (int64_t k = 0; k < nk; ++k) ga[k] += gat[k * t.rank + r];
    }
    return;
  }
  const int64_t r0 = i * t.rows, n = std::min(t.rows, t.m - r0);
  for (size_t b = 0; b < t.branches.size(); ++b) {
    const float* dax = Slot(t.scratch, b, t.m, t.rank, t.widest).first + r0 * t.rank;
    t.lr->expand(dax, static_cast<size_t>(n), ur, t.branches[b].p->a.data(), uin, 1.0f, t.dx + r0 * t.in, uin);
  }
}

}  // namespace

void LoraForward(std::span<const LoraBranch> branches, int32_t rank, float scale, const float* x, int64_t m,
                 float* scratch, pthreadpool_t pool, RowsDone then) {
  assert(branches.size() <= kMaxLoraGroup);
  if (branches.empty() || m == 0) return;
  const int64_t in = branches[0].p->in, widest = GroupWidest(branches);
  for (size_t b = 0; b < branches.size(); ++b) {
    const LoraPair& p = *branches[b].p;
    const BranchScratch sl = Slot(scratch, b, m, rank, widest);
    Transpose(p.a.data(), rank, in, in, sl.first);  // Aᵀ [in][rank], so x·Aᵀ runs across the rank
    if (branches[b].y != nullptr) Transpose(p.b.data(), p.out, rank, rank, sl.second);  // Bᵀ [rank][out]: y's rows stream
  }
  ForwardCtx ctx{branches, &kernels::GetLowRankUkernels(), x, m, in, widest, BlockOf(m, 16, 8), rank, scale, scratch,
                 then};
  pthreadpool_parallelize_1d(pool, ForwardRows, &ctx, static_cast<size_t>(Count(m, ctx.rows)),
                             PTHREADPOOL_FLAG_DISABLE_DENORMALS);
}

void LoraBackward(std::span<const LoraBranch> branches, int32_t rank, float scale, const float* x, int64_t m,
                  float* dx, float* scratch, pthreadpool_t pool) {
  assert(branches.size() <= kMaxLoraGroup);
  if (branches.empty() || m == 0) return;
  const int64_t in = branches[0].p->in;
  BackwardCtx ctx{branches, &kernels::GetLowRankUkernels(), x, dx, m, in, GroupWidest(branches), BlockOf(m, 16, 8), BlockOf(in, 64, 16),
                  rank, scale, scratch, {}};
  int64_t tasks = 0;
  for (size_t b = 0; b < branches.size(); ++b) {
    ctx.out_cols[b] = BlockOf(branches[b].p->out, 64, 16);
    tasks += Count(m, ctx.rows) + Count(branches[b].p->out, ctx.out_cols[b]);
  }
  pthreadpool_parallelize_1d(pool, BackwardDyTask, &ctx, static_cast<size_t>(tasks), PTHREADPOOL_FLAG_DISABLE_DENORMALS);
  tasks = static_cast<int64_t>(branches.size()) * Count(in, ctx.in_cols) + (dx != nullptr ? Count(m, ctx.rows) : 0);
  pthreadpool_parallelize_1d(pool, BackwardDaxTask, &ctx, static_cast<size_t>(tasks),
                             PTHREADPOOL_FLAG_DISABLE_DENORMALS);
}

void LoraForward(const LoraPair& p, int32_t rank, float scale, const float* x, int64_t m, float* ax, float* y,
                 float* scratch) {
  const LoraBranch b{&p, ax, y, nullptr, nullptr};
  LoraForward(std::span(&b, 1), rank, scale, x, m, scratch, nullptr);
}

void LoraBackward(const LoraPair& p, int32_t rank, float scale, const float* x, const float* ax, const float* dy,
                  int64_t m, LoraPair& g, float* dx, float* scratch) {
  const LoraBranch b{&p, const_cast<float*>(ax), nullptr, dy, &g};
  LoraBackward(std::span(&b, 1), rank, scale, x, m, dx, scratch, nullptr);
}

void RmsNorm(const float* x, const float* w, float eps, const float* dy, const float* dres, int64_t m, int64_t n,
             float* dx) {
  const auto& uk = kernels::GetRowOpsUkernels();
  for (int64_t i = 0; i < m; ++i) {
    const int64_t o = i * n;
    uk.rmsnorm_backward(static_cast<size_t>(n), x + o, w, eps, dy + o, dres != nullptr ? dres + o : nullptr, dx + o);
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
