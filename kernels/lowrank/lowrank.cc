// kernels/lowrank/lowrank.cc: the low-rank product table per ISA and its
// scalar reference (the same summation order as the vector variant: over n
// for project, over m for outer, one accumulator per output element).
#include "kernels/lowrank/lowrank.h"

namespace edgert::kernels {

namespace scalar {

void LowRankProject(const float* x, size_t ldx, size_t m, size_t n, const float* w, size_t r, float* u) {
  for (size_t i = 0; i < m; ++i) {
    float* out = u + i * r;
    for (size_t c = 0; c < r; ++c) out[c] = 0.0f;
    for (size_t k = 0; k < n; ++k) {
      const float xv = x[i * ldx + k];
      for (size_t c = 0; c < r; ++c) out[c] += xv * w[k * r + c];
    }
  }
}

void LowRankOuter(const float* x, size_t ldx, size_t m, size_t n, const float* u, size_t r, float scale, float* g) {
  for (size_t k = 0; k < n; ++k) {
    float* out = g + k * r;
    for (size_t c = 0; c < r; ++c) {
      float acc = 0.0f;
      for (size_t i = 0; i < m; ++i) acc += x[i * ldx + k] * u[i * r + c];
      out[c] += scale * acc;
    }
  }
}

void LowRankExpand(const float* u, size_t m, size_t r, const float* w, size_t n, float scale, float* y, size_t ldy) {
  for (size_t i = 0; i < m; ++i) {
    for (size_t k = 0; k < n; ++k) {
      float acc = 0.0f;
      for (size_t c = 0; c < r; ++c) acc += scale * u[i * r + c] * w[c * n + k];
      y[i * ldy + k] += acc;
    }
  }
}

void LowRankProjectOuter(const float* x, size_t ldx, size_t m, size_t n, const float* w, const float* u, size_t r,
                         float scale, float* v, float* g) {
  if (v != nullptr) LowRankProject(x, ldx, m, n, w, r, v);
  LowRankOuter(x, ldx, m, n, u, r, scale, g);
}

}  // namespace scalar

const LowRankUkernels* LowRankUkernelsFor(Isa isa) {
  static const LowRankUkernels kScalar{"scalar", scalar::LowRankProject, scalar::LowRankOuter,
                                         scalar::LowRankProjectOuter, scalar::LowRankExpand};
  if (!IsaSupported(isa)) return nullptr;
#if defined(EDGERT_HAVE_X86_KERNELS)
  static const LowRankUkernels kAvx512{"avx512vnni", avx512vnni::LowRankProject, avx512vnni::LowRankOuter,
                                         avx512vnni::LowRankProjectOuter, avx512vnni::LowRankExpand};
  if (isa == Isa::kAvx512Vnni) return &kAvx512;
  static const LowRankUkernels kAvx2{"avx2", avx2::LowRankProject, avx2::LowRankOuter, avx2::LowRankProjectOuter,
                                     avx2::LowRankExpand};
  if (isa == Isa::kAvx2 || isa == Isa::kAvxVnni) return &kAvx2;  // float products
#endif
#if defined(EDGERT_HAVE_NEON_KERNELS)
  static const LowRankUkernels kNeon{"neon", neon::LowRankProject, neon::LowRankOuter, neon::LowRankProjectOuter,
                                     neon::LowRankExpand};
  if (isa == Isa::kNeon || isa == Isa::kNeonDotprod || isa == Isa::kNeonI8mm) return &kNeon;
#endif
  return &kScalar;
}

const LowRankUkernels& GetLowRankUkernels() {
  static const LowRankUkernels* best = LowRankUkernelsFor(BestIsa());
  return *best;
}

}  // namespace edgert::kernels
