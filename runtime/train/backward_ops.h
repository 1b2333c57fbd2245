// runtime/train/backward_ops.h: the gradients of the forward pass's
// operations, for LoRA training. Frozen weights get no gradient: only inputs
// and LoRA matrices do. Reference implementations in f32; every function
// accumulates (+=) into its gradient outputs unless it says otherwise.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "runtime/model/weights.h"
#include "runtime/train/causal_attention.h"
#include "runtime/train/lora.h"

typedef struct pthreadpool* pthreadpool_t;

namespace edgert::grad {

// y[m][w.rows] = x[m][w.cols] · wᵀ (+ bias): quantized weights through
// ops::Linear (int8 VNNI on Q8_0-quantized activations, as inference does),
// float weights through kernels' MatmulDequantizedAccumulate (f32 products;
// measured ~5x Matmul's f32 GEMM at 512 rows here).
void Project(const WeightView& w, const float* bias, const float* x, int64_t m, float* y, void* scratch,
             pthreadpool_t pool);

// dx[m][w.cols] += dy[m][w.rows] · w. Given `scratch` (LinearInputScratchBytes),
// Q8_0 / Q4_0 weights go through int8 products (dy quantized per block of
// columns, Wᵀ requantized per block of rows, 128 on AVX-512, 32 elsewhere:
// kernels' TransposedPrecision::kInt8, ~4x the f32 products' rate, error
// bounded in kernels/README.md); without it, and for
// float weights, f32 products with the weights as stored.
void LinearInput(const WeightView& w, const float* dy, int64_t m, float* dx, pthreadpool_t pool,
                 std::span<float> scratch = {});

// Floats of scratch for LinearInput's int8 path: m rows of dy at most n wide,
// up to `threads` threads working at once.
int64_t LinearInputScratchFloats(int64_t m, int64_t n, int64_t threads);

// One LoRA branch of a group that shares its input x (q/k/v, gate/up) and,
// backward, the gradient of that input.
struct LoraBranch {
  const LoraPair* p;
  float* ax;        // [m][rank]: written by forward (saved), read by backward
  float* y;         // forward: y[m][out] += scale · ax·Bᵀ; null: only ax (the backward pass needs no more)
  const float* dy;  // backward: d(loss)/d(y)
  LoraPair* grad;   // backward: dA, dB (+=)
};
inline constexpr size_t kMaxLoraGroup = 3;

// Floats of `scratch` LoraForward / LoraBackward need for m rows, rank r and
// the widest in/out features of any target (a group of up to kMaxLoraGroup).
int64_t LoraScratchFloats(int64_t m, int32_t rank, int64_t widest);

// Every product runs on kernels/lowrank: x·Aᵀ, dy·B, dB, dA with vectors
// across the rank, y += ax·Bᵀ and dx += dax·A streaming y / dx by rows. The
// products are split over the pool in fixed blocks of rows (x·Aᵀ, y, dy·B,
// dx) or of features (dA, dB), so each output element is one kernel call's
// and results do not depend on the thread count; a group's branches share a
// dispatch (forward: one; backward: two, dy·B and dB, then dA and dx).
//
// Work the caller runs on rows [r0, r0 + n) once the branches have finished
// them, in the same task (while those rows are in cache).
struct RowsDone {
  void (*fn)(void* ctx, int64_t r0, int64_t n) = nullptr;
  void* ctx = nullptr;
};

// Forward: ax = x·Aᵀ, y += scale · ax·Bᵀ for each branch, then `then`.
void LoraForward(std::span<const LoraBranch> branches, int32_t rank, float scale, const float* x, int64_t m,
                 float* scratch, pthreadpool_t pool, RowsDone then = {});
// Backward given the saved ax: dA, dB (+=) of each branch, dx (+=, the
// branches in order; skipped when null).
void LoraBackward(std::span<const LoraBranch> branches, int32_t rank, float scale, const float* x, int64_t m,
                  float* dx, float* scratch, pthreadpool_t pool);

// One branch on the calling thread.
void LoraForward(const LoraPair& p, int32_t rank, float scale, const float* x, int64_t m, float* ax, float* y,
                 float* scratch);
void LoraBackward(const LoraPair& p, int32_t rank, float scale, const float* x, const float* ax, const float* dy,
                  int64_t m, LoraPair& grad, float* dx, float* scratch);

// y = x * r * w with r = 1/sqrt(mean(x²) + eps):  dx = dres + r·(w∘dy) − x·r³·mean((w∘dy)∘x)
// (written; dres, the gradient reaching x around the norm, may be null or dx).
// Vector rows on the calling thread (kernels/rowops rmsnorm_backward).
void RmsNorm(const float* x, const float* w, float eps, const float* dy, const float* dres, int64_t m, int64_t n,
             float* dx);

// The inverse rotation, in place: d(before) from d(after).
void Rope(float* dx, int64_t n_heads, int64_t head_dim, const float* cos, const float* sin);

// h = silu(g)·u:  dg = dh·u·silu'(g), du = dh·silu(g)  (written, not accumulated)
void SiluMul(const float* g, const float* u, const float* dh, int64_t n, float* dg, float* du);

// Full causal self-attention over m positions, keeping the probabilities for
// the backward pass. q[m][heads*d], k/v[m][kv_heads*d], probs[heads][m][m]
// (only its causal part is written and read; null: not kept, for a forward
// pass whose backward recomputes the layer), out null when only probs are wanted
// (a kept layer's rebuild). Blocked, causal-only products on
// the best kernels (runtime/train/causal_attention.h); one task per KV head and
// the query heads sharing it, so results do not depend on the thread count.
//
// Floats of `scratch` the two functions below need for m positions.
int64_t AttentionScratchFloats(const AttentionShape& s, int64_t m);
void AttentionForward(const AttentionShape& s, const float* q, const float* k, const float* v, int64_t m,
                      float* probs, float* out, float* scratch, pthreadpool_t pool);
// dq, dk, dv written (not accumulated).
void AttentionBackward(const AttentionShape& s, const float* q, const float* k, const float* v, const float* probs,
                       const float* dout, int64_t m, float* dq, float* dk, float* dv, float* scratch,
                       pthreadpool_t pool);

}  // namespace edgert::grad
