// runtime/model/ops.h: the operations the forward pass is written in.
//
// Operators in the XNNPACK sense: they take whole tensors, split work over the
// thread pool and call the microkernels of kernels/ (dispatched once by ISA).
// No allocation: scratch comes from the caller (the arena).
#pragma once

#include <cstdint>
#include <span>

#include "runtime/model/weights.h"

typedef struct pthreadpool* pthreadpool_t;

namespace edgert::ops {

// y[m][w.rows] = x[m][w.cols] · wᵀ (+ bias[w.rows] when bias != nullptr).
// `scratch` holds at least LinearScratchBytes(w, m) bytes (quantized activations).
void Linear(const WeightView& w, const float* bias, const float* x, int64_t m, float* y, void* scratch,
            pthreadpool_t pool);
uint64_t LinearScratchBytes(const WeightView& w, int64_t m);
// Enough for any weight type with rows of at most `cols` inputs (quantized
// activations, or XNNPACK's packed chunk of float rows: kernels/xnnpack).
uint64_t LinearScratchBytesAnyType(int64_t cols, int64_t m);

// Several projections of the same x (q, k and v; gate and up): y_j[m][w_j.rows]
// = x · w_jᵀ (+ bias_j). One activation quantization and one dispatch over the
// pool for all of them when they share a dtype (else one Linear each); the
// results equal separate Linear calls bit for bit. At most 4.
struct LinearOut {
  const WeightView* w;
  const float* bias;  // or nullptr
  float* y;
};
void Linears(std::span<const LinearOut> outs, const float* x, int64_t m, void* scratch, pthreadpool_t pool);

// out[w.cols] = row `row` of w, as f32 (embedding lookup).
void GatherRow(const WeightView& w, int64_t row, float* out);

// y = x * rsqrt(mean(x²) + eps) * weight, in f32, for m rows of n.
void RmsNorm(const float* x, const float* weight, float eps, int64_t m, int64_t n, float* y);

// Rotates each head of x[n_heads][head_dim] in place, "rotate_half" layout:
// pairs (i, i + head_dim/2) with cos/sin[head_dim/2] of this position.
void Rope(float* x, int64_t n_heads, int64_t head_dim, const float* cos, const float* sin);

// out[i] = silu(gate[i]) * up[i]
void SiluMul(const float* gate, const float* up, int64_t n, float* out);

// Causal attention of m query rows at positions pos0..pos0+m-1 over the
// cache's first pos0+m positions. q[m][n_heads*head_dim], k/v cache
// [positions][n_kv_heads*head_dim] f32, out[m][n_heads*head_dim]. `scratch`
// holds AttentionScratchBytes(s, positions) for a cache of `positions`.
struct AttentionShape {
  int64_t n_heads, n_kv_heads, head_dim;
};
uint64_t AttentionScratchBytes(const AttentionShape& s, int64_t positions);
void Attention(const AttentionShape& s, const float* q, int64_t m, int64_t pos0, const float* k_cache,
               const float* v_cache, float* out, float* scratch, int64_t positions, pthreadpool_t pool);

}  // namespace edgert::ops
