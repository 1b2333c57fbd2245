// kernels/attention/attention.h: causal scaled-dot-product attention over a KV
// cache, with grouped-query heads (Qwen2: 14 query heads share 2 KV heads).
//
// Layouts (row-major, one row per position):
//   q, out   [m][n_heads * head_dim]        queries at positions pos0 .. pos0+m-1
//   k, v     [n_ctx][kv_stride] of f32 or f16, head g at g*head_dim; n_ctx ≥ pos0+m
// Query i attends to positions 0 .. pos0+i (causal), head h to KV head
// h / (n_heads / n_kv_heads), scores scaled by 1/sqrt(head_dim) (HF eager:
// softmax(q·kᵀ·scale) · v, f32). m = 1 is decode; m > 1 is prefill.
// The operator splits heads over a pthreadpool; each (query, head) is one
// microkernel call, so results do not depend on the thread count.
// No allocation: scores live in caller scratch (AttentionScratchBytes).
#pragma once

#include <pthreadpool.h>

#include <cstddef>

#include "base/dtype.h"
#include "base/status.h"
#include "kernels/isa.h"

namespace edgert::kernels {

struct AttentionParams {
  size_t n_heads = 0;
  size_t n_kv_heads = 0;
  size_t head_dim = 0;
  size_t kv_stride = 0;            // elements from one cache position to the next (≥ n_kv_heads*head_dim)
  DType kv_type = DType::kF32;     // kF32 or kF16
};

// One query row against n keys of one KV head: scores[n] is scratch; out[head_dim].
// k and v point at the head's slice of position 0; positions are kv_stride
// elements apart.
using AttendFn = void (*)(size_t n, size_t head_dim, const float* q, const void* k, const void* v, size_t kv_stride,
                          float scale, float* scores, float* out);

struct AttentionUkernels {
  const char* isa;
  AttendFn attend_f32;  // f32 cache
  AttendFn attend_f16;  // f16 cache (IEEE half bits)
};

const AttentionUkernels* AttentionUkernelsFor(Isa isa);  // null when unsupported here
const AttentionUkernels& GetAttentionUkernels();          // best for this CPU, decided once

size_t AttentionScratchBytes(const AttentionParams& p, size_t n_ctx);

// out = attention(q, k[0 .. pos0+m), v[0 .. pos0+m)). pool may be null.
Status Attention(const AttentionParams& p, const float* q, size_t m, size_t pos0, const void* k, const void* v,
                 float* out, void* scratch, size_t scratch_bytes, pthreadpool_t pool);
Status AttentionWith(const AttentionUkernels& uk, const AttentionParams& p, const float* q, size_t m, size_t pos0,
                     const void* k, const void* v, float* out, void* scratch, size_t scratch_bytes,
                     pthreadpool_t pool);

}  // namespace edgert::kernels
