// kernels/rowops/rowops.h: elementwise and per-row operations of a Qwen2 layer.
//
// Each matches the Hugging Face computation in f32 (the PyTorch line is quoted
// beside each entry). All take caller-owned buffers, allocate nothing and run
// on the calling thread (they are cheap next to the matrix products; an
// operator may split rows over a pool). Variants are chosen once per ISA
// (kernels/isa.h); the scalar table is the reference.
#pragma once

#include <cstddef>

#include "kernels/isa.h"

namespace edgert::kernels {

// What exp_sum leaves beside its row.
struct ExpSum {
  float max;   // max(x) before the pass
  double sum;  // Σ exp(x[i] - max)
};

struct RowOpsUkernels {
  const char* isa;
  // Qwen2RMSNorm: y = w * (x * rsqrt(mean(x²) + eps)), sums in f32. y may equal x.
  void (*rmsnorm)(size_t n, const float* x, const float* w, float eps, float* y);
  // rotate_half RoPE, in place on x[n_heads][head_dim] for one position:
  //   (a, b) = (x[i], x[i + d/2]) -> (a·cos[i] - b·sin[i], b·cos[i] + a·sin[i])
  // with cos/sin[head_dim/2] from RopeTable (HF's cat(freqs, freqs) halves are equal).
  void (*rope)(size_t n_heads, size_t head_dim, const float* cos, const float* sin, float* x);
  // softmax(x) in place, max-subtracted (numerically stable).
  void (*softmax)(size_t n, float* x);
  // The cross-entropy's pass over a row of logits: x[i] = exp(x[i] - max(x))
  // in place. The sum is accumulated in f64 (log Σ over a 152k vocabulary
  // is the loss); the caller scales the row by 1/sum afterwards.
  ExpSum (*exp_sum)(size_t n, float* x);
  // x *= a.
  void (*scale)(size_t n, float a, float* x);
  // y = x * sigmoid(x) (SiLU). y may equal x.
  void (*silu)(size_t n, const float* x, float* y);
  // y = silu(gate) * up (the MLP's act_fn(gate_proj(x)) * up_proj(x)). y may equal gate or up.
  void (*silu_mul)(size_t n, const float* gate, const float* up, float* y);
  // Its gradient (training): with s = sigmoid(gate), du = dh·gate·s and
  // dg = dh·up·s·(1 + gate·(1 − s)), written.
  void (*silu_mul_backward)(size_t n, const float* gate, const float* up, const float* dh, float* dgate, float* dup);
  // rmsnorm's gradient (training): with r = 1/sqrt(mean(x²) + eps),
  //   dx = dres + r·(w∘dy) − x·(r³·mean((w∘dy)∘x)),
  // written; dres is the gradient arriving around the norm (the residual's),
  // null for none, and may equal dx.
  void (*rmsnorm_backward)(size_t n, const float* x, const float* w, float eps, const float* dy, const float* dres,
                           float* dx);
};

const RowOpsUkernels* RowOpsUkernelsFor(Isa isa);  // null when unsupported here
const RowOpsUkernels& GetRowOpsUkernels();          // best for this CPU, decided once

// cos/sin[p][head_dim/2] for positions pos0 .. pos0+n_pos-1, as HF's
// Qwen2RotaryEmbedding computes them in f32: inv_freq[i] = 1 / theta^(2i/d),
// angle = float(pos) · inv_freq[i]; cos and sin of that f32 angle rounded once.
void RopeTable(size_t head_dim, float theta, size_t pos0, size_t n_pos, float* cos, float* sin);

}  // namespace edgert::kernels
