// kernels/lowrank/lowrank.h: the skinny products of a LoRA branch (rank r of
// 4-64 against features of hundreds to thousands), where the small dimension
// is too narrow for the 64-column tiles of kernels/matmul.
//
// Both run across r: a row of the [n][r] operand is one vector (8 lanes; more
// vectors for r > 8, masked for r not a multiple of 8), and every element of
// the wide operand is one broadcast-FMA into it. Nothing is transposed and
// no horizontal sums are needed; on Zen 4, 256-bit FMAs issue two a cycle, so
// 8-lane vectors reach the same peak as 16-lane ones. No threads: a caller
// splits a product by rows or columns (each output is one call's either way).
// Sums run in a fixed order (independent of anything but the shapes).
#pragma once

#include <cstddef>

#include "kernels/isa.h"

namespace edgert::kernels {

struct LowRankUkernels {
  const char* isa;
  // u[m][r] = x[m][n] · w[n][r] (x rows ldx apart): x·Aᵀ with w = Aᵀ, dy·B with w = B.
  void (*project)(const float* x, size_t ldx, size_t m, size_t n, const float* w, size_t r, float* u);
  // g[n][r] += scale · x[m][n]ᵀ · u[m][r] (x rows ldx apart): dB = dyᵀ·ax, dAᵀ = xᵀ·dax.
  void (*outer)(const float* x, size_t ldx, size_t m, size_t n, const float* u, size_t r, float scale, float* g);
  // Both of the above over one read of x: v[m][r] = x·w and g[n][r] += scale·xᵀ·u
  // (the backward's dax = dy·B and dB = dyᵀ·ax share dy, [512][4864] for gate/up).
  // With v null, only g (w unused): the same sums as with v, so g can be split by
  // columns of x over threads while v is computed by `project`, bit for bit.
  void (*project_outer)(const float* x, size_t ldx, size_t m, size_t n, const float* w, const float* u, size_t r,
                        float scale, float* v, float* g);
  // y[m][n] (rows ldy apart) += scale · u[m][r] · w[r][n]: y += s·ax·Bᵀ with w = Bᵀ, dx += dax·A with w = A.
  // Rows of y in pairs, the pair's scale·u in registers, y streamed once per 8 of r.
  void (*expand)(const float* u, size_t m, size_t r, const float* w, size_t n, float scale, float* y, size_t ldy);
};

const LowRankUkernels* LowRankUkernelsFor(Isa isa);  // null when unsupported here
const LowRankUkernels& GetLowRankUkernels();          // best for this CPU, decided once

namespace scalar {
void LowRankProject(const float* x, size_t ldx, size_t m, size_t n, const float* w, size_t r, float* u);
void LowRankOuter(const float* x, size_t ldx, size_t m, size_t n, const float* u, size_t r, float scale, float* g);
void LowRankExpand(const float* u, size_t m, size_t r, const float* w, size_t n, float scale, float* y, size_t ldy);
void LowRankProjectOuter(const float* x, size_t ldx, size_t m, size_t n, const float* w, const float* u, size_t r,
                         float scale, float* v, float* g);
}  // namespace scalar
namespace avx2 {
void LowRankProject(const float* x, size_t ldx, size_t m, size_t n, const float* w, size_t r, float* u);
void LowRankOuter(const float* x, size_t ldx, size_t m, size_t n, const float* u, size_t r, float scale, float* g);
void LowRankExpand(const float* u, size_t m, size_t r, const float* w, size_t n, float scale, float* y, size_t ldy);
void LowRankProjectOuter(const float* x, size_t ldx, size_t m, size_t n, const float* w, const float* u, size_t r,
                         float scale, float* v, float* g);
}  // namespace avx2
namespace avx512vnni {
void LowRankProject(const float* x, size_t ldx, size_t m, size_t n, const float* w, size_t r, float* u);
void LowRankOuter(const float* x, size_t ldx, size_t m, size_t n, const float* u, size_t r, float scale, float* g);
void LowRankExpand(const float* u, size_t m, size_t r, const float* w, size_t n, float scale, float* y, size_t ldy);
void LowRankProjectOuter(const float* x, size_t ldx, size_t m, size_t n, const float* w, const float* u, size_t r,
                         float scale, float* v, float* g);
}  // namespace avx512vnni
namespace neon {  // every aarch64 tier (no int8 work here)
void LowRankProject(const float* x, size_t ldx, size_t m, size_t n, const float* w, size_t r, float* u);
void LowRankOuter(const float* x, size_t ldx, size_t m, size_t n, const float* u, size_t r, float scale, float* g);
void LowRankExpand(const float* u, size_t m, size_t r, const float* w, size_t n, float scale, float* y, size_t ldy);
void LowRankProjectOuter(const float* x, size_t ldx, size_t m, size_t n, const float* w, const float* u, size_t r,
                         float scale, float* v, float* g);
}  // namespace neon

}  // namespace edgert::kernels
