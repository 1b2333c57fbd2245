// kernels/attention/attention_grad.cc: the training-attention table per ISA
// and its scalar row operations.
#include "kernels/attention/attention_grad.h"

#include "kernels/rowops/rowops.h"
#include "kernels/rowops/rowops_variants.h"

namespace edgert::kernels {

namespace scalar {

void ScaledSoftmax(size_t n, float scale, float* x) {
  for (size_t i = 0; i < n; ++i) x[i] *= scale;
  RowOpsUkernelsScalar().softmax(n, x);
}

void SoftmaxBackward(size_t n, const float* p, float scale, float* ds) {
  float dot = 0.0f;
  for (size_t i = 0; i < n; ++i) dot += p[i] * ds[i];
  for (size_t i = 0; i < n; ++i) ds[i] = p[i] * (ds[i] - dot) * scale;
}

}  // namespace scalar

const AttentionGradUkernels* AttentionGradUkernelsFor(Isa isa) {
  static const AttentionGradUkernels kScalar{"scalar", TransposedTileScalar, TransposedTileStoreScalar,
                                             scalar::ScaledSoftmax, scalar::SoftmaxBackward};
  if (!IsaSupported(isa)) return nullptr;
#if defined(EDGERT_HAVE_X86_KERNELS)
  static const AttentionGradUkernels kAvx512{"avx512vnni", TransposedTileAvx512, TransposedTileStoreAvx512,
                                             avx512vnni::ScaledSoftmax, avx512vnni::SoftmaxBackward};
  if (isa == Isa::kAvx512Vnni) return &kAvx512;
  static const AttentionGradUkernels kAvx2{"avx2", TransposedTileAvx2, TransposedTileStoreAvx2, avx2::ScaledSoftmax,
                                           avx2::SoftmaxBackward};
  if (isa == Isa::kAvx2 || isa == Isa::kAvxVnni) return &kAvx2;  // no int8 products here
#endif
#if defined(EDGERT_HAVE_NEON_KERNELS)
  static const AttentionGradUkernels kNeon{"neon", neon::TransposedTile, neon::TransposedTileStore,
                                           neon::ScaledSoftmax, neon::SoftmaxBackward};
  if (isa == Isa::kNeon || isa == Isa::kNeonDotprod || isa == Isa::kNeonI8mm) return &kNeon;
#endif
  return &kScalar;
}

const AttentionGradUkernels& GetAttentionGradUkernels() {
  static const AttentionGradUkernels* best = AttentionGradUkernelsFor(BestIsa());
  return *best;
}

}  // namespace edgert::kernels
