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

#include "base/quant_blocks.h"
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

// ---------------------------------------------------------------------------
// The int8 path (Q8_0 / Q4_0 weights): dx += dy·W as the forward problem.
//
// dy is quantized once per call to int8 activations (Q8_0 blocks of 32 along
// n, f32 scale: the forward's QuantizeActivationsQ8Fn). A task owns a panel
// of at most kInt8Panel dx columns (input features c of W); for each chunk of
// kInt8ChunkRows rows of W it builds that chunk of Wᵀ, rows c, as Q8_0 rows
// (requantized per 32 consecutive n exactly as QuantizeRowQ8_0Ref would from
// the dequantized values: f16 scale max|x|/127, quants rounded half away from
// zero) in its own slot of the caller's scratch, then runs the forward
// microkernel (MatmulUkernels::q8_0_gemm) on it into a [rows][panel] f32
// temporary that is added into dx. Error: both operands are rounded to 8 bits
// per block; kernels/README.md derives the bound. Every dx element is computed
// by one task in a fixed order: results do not depend on the thread count.
enum class TransposedPrecision {
  kF32,   // exact f32 products with the weights as stored (any weight type)
  kInt8,  // the int8 path for Q8_0 / Q4_0 weights from kInt8MinRows rows of dy; f32 otherwise
};

inline constexpr size_t kInt8Panel = 128;        // dx columns per task at most (the GEMM's 4-tile group)
inline constexpr size_t kInt8PanelsPerThread = 4;  // narrower panels, down to 32 columns, to balance threads
inline constexpr size_t kInt8ChunkRows = 1024;   // rows of W (n) per packed chunk of Wᵀ
inline constexpr size_t kInt8RowBlock = 256;     // rows of dy per microkernel call
inline constexpr size_t kInt8MinRows = 16;       // fewer rows: packing costs more than int8 saves

// Bytes of scratch the int8 path needs for m rows of dy with n columns and up
// to `threads` tasks at once (fewer fit: fewer threads work). Never smaller for
// larger arguments.
size_t MatmulTransposedInt8ScratchBytes(size_t m, size_t n, size_t threads);

// dx += dy·W with the chosen precision. kInt8 needs `scratch` of
// MatmulTransposedInt8ScratchBytes(m, w.n, 1) bytes at least when it applies
// (W quantized, m >= kInt8MinRows); otherwise scratch is not used.
Status MatmulTransposedAccumulate(const MatmulWeights& w, const float* dy, size_t m, float* dx, pthreadpool_t pool,
                                  size_t dy_stride, TransposedPrecision precision, void* scratch, size_t scratch_bytes);

// The int8 path for any m (tests, benchmarks), with the microkernels of `isa`
// (its table's quantizer and q8_0_gemm, and its Wᵀ packer: AVX-512 or scalar).
Status MatmulTransposedInt8With(Isa isa, const MatmulWeights& w, const float* dy, size_t m, float* dx,
                                void* scratch, size_t scratch_bytes, pthreadpool_t pool, size_t dy_stride = 0);

// out row c < cols, block b < ceil(rows/32): the Q8_0 block of
// W[32b .. 32b + 32)[c0 + c] (rows past `rows` read as 0), W Q8_0 or Q4_0 with
// rows w_stride bytes apart; out rows are out_blocks blocks apart. c0 and cols
// are multiples of 32. Bit-equal to QuantizeRowQ8_0Ref of the dequantized column.
using TransposedPackFn = void (*)(DType type, const void* w, size_t w_stride, size_t rows, size_t c0, size_t cols,
                                  BlockQ8_0* out, size_t out_blocks);
void PackTransposedQ8Scalar(DType type, const void* w, size_t w_stride, size_t rows, size_t c0, size_t cols,
                            BlockQ8_0* out, size_t out_blocks);
void PackTransposedQ8Avx512(DType type, const void* w, size_t w_stride, size_t rows, size_t c0, size_t cols,
                            BlockQ8_0* out, size_t out_blocks);
// The packer the int8 path uses for `isa` (the scalar one where this binary has no
// variant of its own); tests compare them through this.
TransposedPackFn PackTransposedQ8For(Isa isa);

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
// The same with = for +=: dx[m][cols] = dy · tile (training attention's
// products whose every output comes from one call need no zeroed dx first).
void TransposedTileStoreScalar(const float* tile, size_t rows, size_t cols, const float* dy, size_t ldy, size_t m,
                               float* dx, size_t ldx);
void TransposedTileStoreAvx512(const float* tile, size_t rows, size_t cols, const float* dy, size_t ldy, size_t m,
                               float* dx, size_t ldx);

}  // namespace edgert::kernels
