// kernels/attention/attention_grad.h: the pieces causal attention needs for
// training, where the probabilities are kept for the backward pass and every
// product is a block of a [positions x positions] matrix
// (runtime/train/causal_attention.cc puts them together).
//
// The products run on the dx += dy·tile microkernel of
// kernels/matmul/matmul_transposed.h (64-column tiles, 6 x 64 register
// blocks); the row operations are the scaled softmax and its backward, one row
// at a time. Both are per-ISA like the other kernel families: scalar is the
// reference, AVX2 and AVX-512 the x86 variants, NEON every aarch64 tier's.
#pragma once

#include <cstddef>

#include "kernels/isa.h"
#include "kernels/matmul/matmul_transposed.h"

namespace edgert::kernels {

struct AttentionGradUkernels {
  const char* isa;
  // dx[m][cols] += dy[m][rows] · tile[rows][64] (tile 64-byte aligned).
  TransposedTileFn tile;
  // The same with = for +=: a product whose every output comes from one call
  // (scores, and the first key block of P·V) needs no zeroed dx first.
  TransposedTileFn tile_store;
  // x[0..n) = softmax(scale · x), max-subtracted; scale > 0.
  void (*scaled_softmax)(size_t n, float scale, float* x);
  // ds[0..n) = scale · p ∘ (ds − Σ p∘ds): the softmax backward, ds holding
  // d(probabilities) on entry and d(scores before scaling) on exit.
  void (*softmax_backward)(size_t n, const float* p, float scale, float* ds);
};

const AttentionGradUkernels* AttentionGradUkernelsFor(Isa isa);  // null when unsupported here
const AttentionGradUkernels& GetAttentionGradUkernels();          // best for this CPU, decided once

namespace scalar {
void ScaledSoftmax(size_t n, float scale, float* x);
void SoftmaxBackward(size_t n, const float* p, float scale, float* ds);
}  // namespace scalar
namespace avx2 {
void ScaledSoftmax(size_t n, float scale, float* x);
void SoftmaxBackward(size_t n, const float* p, float scale, float* ds);
}  // namespace avx2
namespace avx512vnni {
void ScaledSoftmax(size_t n, float scale, float* x);
void SoftmaxBackward(size_t n, const float* p, float scale, float* ds);
}  // namespace avx512vnni
namespace neon {  // every aarch64 tier
void ScaledSoftmax(size_t n, float scale, float* x);
void SoftmaxBackward(size_t n, const float* p, float scale, float* ds);
}  // namespace neon

}  // namespace edgert::kernels
