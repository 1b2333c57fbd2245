// kernels/matmul/matmul_transposed.h: dx += dy·W, the product a backward pass
// needs through a frozen weight W[n][k] (Matmul computes x·Wᵀ).
//
// W is read in place in any matmul weight type. The columns of dx are split
// into panels of 64 (two quantization blocks); a task owns a panel, so no two
// threads write one element. Within a panel, W is dequantized 128 rows at a
// time into a small tile on the stack (each weight decoded once per call) and
// that tile is used for every row of dy, in register blocks of 6 rows x 64
// columns. Accumulation is f32 with the weights exactly as dequantized: the
// result differs from a plain loop only in summation order. No allocation, no
// scratch. Variants: portable C++ and AVX-512F, chosen once by BestIsa().
#pragma once

#include <pthreadpool.h>

#include <cstddef>

#include "base/status.h"
#include "kernels/matmul/matmul.h"

namespace edgert::kernels {

// dx[m][w.k] += dy[m][w.n] · W. dx row-major and contiguous; dy row-major with
// rows dy_stride floats apart (0: w.n, contiguous; larger: columns of a wider
// matrix, e.g. a vocabulary chunk of full-vocabulary rows). No aliasing.
// Quantized types need k a multiple of 32. pool may be null (one thread).
Status MatmulTransposedAccumulate(const MatmulWeights& w, const float* dy, size_t m, float* dx, pthreadpool_t pool,
                                  size_t dy_stride = 0);

// y[m][w.n] += x[m][w.k] · Wᵀ on the same microkernel: W is dequantized and
// transposed 64 rows x 128 columns at a time into the tile, a task owns 64
// output features. Unlike Matmul, the activations are not quantized (f32
// products throughout), and for f32 weights it is the faster of the two.
// x rows are x_stride floats apart (0: w.k).
Status MatmulDequantizedAccumulate(const MatmulWeights& w, const float* x, size_t m, float* y, pthreadpool_t pool,
                                   size_t x_stride = 0);

// The same with a chosen variant (tests and benchmarks); kScalar always exists.
Status MatmulDequantizedAccumulateWith(Isa isa, const MatmulWeights& w, const float* x, size_t m, float* y,
                                       pthreadpool_t pool, size_t x_stride = 0);
Status MatmulTransposedAccumulateWith(Isa isa, const MatmulWeights& w, const float* dy, size_t m, float* dx,
                                      pthreadpool_t pool, size_t dy_stride = 0);

// Panel geometry and one panel's microkernel, shared by the variants.
inline constexpr size_t kTransposedPanel = 64;   // dx columns per task
inline constexpr size_t kTransposedTileRows = 128;  // W rows dequantized at a time
// dx[m][cols] (row stride ldx) += dy[m][rows] (row stride ldy) · tile[rows][64];
// tile columns >= cols are zero.
using TransposedTileFn = void (*)(const float* tile, size_t rows, size_t cols, const float* dy, size_t ldy, size_t m,
                                  float* dx, size_t ldx);
void TransposedTileScalar(const float* tile, size_t rows, size_t cols, const float* dy, size_t ldy, size_t m,
                          float* dx, size_t ldx);
void TransposedTileAvx512(const float* tile, size_t rows, size_t cols, const float* dy, size_t ldy, size_t m,
                          float* dx, size_t ldx);

}  // namespace edgert::kernels
