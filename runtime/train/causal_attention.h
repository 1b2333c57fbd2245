// runtime/train/causal_attention.h: causal self-attention for training, forward
// (keeping the probabilities) and backward, in 64-position blocks.
//
// Only the blocks on or below the diagonal are computed (causal: about half of
// the [m x m] products). Every product is the dx += dy·tile microkernel of
// kernels/attention/attention_grad.h over a 64-wide tile of K, V (packed once per
// KV head) or of the probabilities; the softmax and its backward run per row.
// One task per KV head and the query heads sharing it, so dK and dV have one
// writer each and every result is the same for any thread count.
#pragma once

#include <cstdint>

#include "kernels/attention/attention_grad.h"

typedef struct pthreadpool* pthreadpool_t;

namespace edgert::grad {

// q[m][n_heads*head_dim], k/v[m][n_kv_heads*head_dim]; n_heads a multiple of n_kv_heads.
struct AttentionShape {
  int64_t n_heads, n_kv_heads, head_dim;
};

// Floats of scratch for up to m positions.
int64_t CausalAttentionScratchFloats(const AttentionShape& s, int64_t m);

// probs[h][i][j] = softmax over j ≤ i of q_i·k_j/sqrt(head_dim); out = probs·v.
// Only j ≤ i (rounded up to the end of i's 64-block, where it is 0) is written:
// the rest of probs is left as it was and never read. probs may be null when
// only out is wanted (the probabilities then stay in scratch, one head at a time),
// out null when only probs are (a kept layer's rebuild: it has out already).
void CausalAttentionForward(const kernels::AttentionGradUkernels& uk, const AttentionShape& s, const float* q,
                            const float* k, const float* v, int64_t m, float* probs, float* out, float* scratch,
                            pthreadpool_t pool);

// dq, dk, dv written (not accumulated) from the forward's probs and dout;
// probs null: each head's are recomputed in the task, bit for bit as forward
// makes them, in scratch (in L2), not read from memory.
void CausalAttentionBackward(const kernels::AttentionGradUkernels& uk, const AttentionShape& s, const float* q,
                             const float* k, const float* v, const float* probs, const float* dout, int64_t m,
                             float* dq, float* dk, float* dv, float* scratch, pthreadpool_t pool);

}  // namespace edgert::grad
