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
// scratch. Variants: portable C++, AVX2, AVX-512F and NEON, chosen once by BestIsa().
#pragma once

#include <pthreadpool.h>

#include <cstddef>
#include <cstdint>

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
// The int8 path (Q8_0 / Q4_0 weights): dx += dy·W with both operands rounded
// to 8 bits per block. Two formats, chosen by the ISA's variant:
//
// Wide blocks (AVX-512 VNNI, and the portable reference kScalar): both
// operands are our own requantization, so their blocks need not be GGUF's 32.
// dy is quantized once per call per kInt8Block columns (f32 scale, quants
// rounded half away from zero; Int8WideUkernels::quantize); a task owns a
// panel of at most kInt8Panel dx columns and, per chunk of kInt8ChunkRows rows
// of W, packs that chunk of Wᵀ straight into the microkernel's layout
// (Int8WideUnit: per dx column and kInt8Block rows of W, an f32 scale
// max|W|/127 and quants + 128 grouped by 4 rows for vpdpbusd), then the
// microkernel accumulates into dx in place: per block one int32 dot (exact),
// then acc = fma(float(dot), scale_w·scale_dy, acc), blocks in order from
// dx's value. The AVX-512 variant is bit-equal to the portable one.
//
// GGUF blocks (the other ISAs: AVX2, NEON): dy is quantized per 32 columns by
// the forward's QuantizeActivationsQ8Fn, panels of Wᵀ are requantized to Q8_0
// rows (PackTransposedQ8For(isa), bit-equal to PackTransposedQ8Scalar: per 32
// consecutive n exactly as QuantizeRowQ8_0Ref would from the dequantized values), and the forward's
// MatmulUkernels::q8_0_gemm runs on them into a [rows][panel] temporary that
// is added into dx.
//
// Error: both operands are rounded to 8 bits per block; kernels/README.md
// derives the bound. Every dx element is computed by one task in a fixed
// order: results do not depend on the thread count.
enum class TransposedPrecision {
  kF32,   // exact f32 products with the weights as stored (any weight type)
  kInt8,  // the int8 path for Q8_0 / Q4_0 weights from kInt8MinRows rows of dy; f32 otherwise
};

inline constexpr size_t kInt8Panel = 128;        // dx columns per task at most (4 tiles of 32)
inline constexpr size_t kInt8PanelsPerThread = 4;  // narrower panels, down to 32 columns, to balance threads
inline constexpr size_t kInt8ChunkRows = 1024;   // rows of W (n) per packed chunk of Wᵀ
inline constexpr size_t kInt8RowBlock = 256;     // rows of dy per microkernel call (GGUF blocks)
inline constexpr size_t kInt8MinRows = 16;       // fewer rows: packing costs more than int8 saves
inline constexpr size_t kInt8Block = 128;        // wide blocks: elements of n per scale, both operands
inline constexpr size_t kInt8Tile = 32;          // wide blocks: dx columns per packed tile

// Bytes of scratch the int8 path needs for m rows of dy with n columns and up
// to `threads` tasks at once (fewer fit: fewer threads work), either format.
// Never smaller for larger arguments.
size_t MatmulTransposedInt8ScratchBytes(size_t m, size_t n, size_t threads);

// dx += dy·W with the chosen precision. kInt8 needs `scratch` of
// MatmulTransposedInt8ScratchBytes(m, w.n, 1) bytes at least when it applies
// (W quantized, m >= kInt8MinRows); otherwise scratch is not used.
Status MatmulTransposedAccumulate(const MatmulWeights& w, const float* dy, size_t m, float* dx, pthreadpool_t pool,
                                  size_t dy_stride, TransposedPrecision precision, void* scratch, size_t scratch_bytes);

// The int8 path for any m (tests, benchmarks), in the format and with the
// microkernels of `isa` (wide blocks for kScalar and kAvx512Vnni; GGUF blocks
// with the table's quantizer and q8_0_gemm otherwise).
// It is QuantizeTransposedInt8Dy into the front of the scratch, then
// MatmulTransposedInt8Prequantized.
Status MatmulTransposedInt8With(Isa isa, const MatmulWeights& w, const float* dy, size_t m, float* dx,
                                void* scratch, size_t scratch_bytes, pthreadpool_t pool, size_t dy_stride = 0);

// dy quantized for the int8 path and kept by the caller, so that rows made at
// different times (the LM head's loss chunks) go through one product and Wᵀ
// is packed once for all of them. The format is `isa`'s (as above) and the
// layout this module's own: only the functions below write or read it.
struct TransposedInt8Dy {
  Isa isa = Isa::kScalar;
  void* data = nullptr;  // TransposedInt8DyBytes(isa, m, n) bytes, any alignment
  size_t bytes = 0;
  size_t m = 0, n = 0;   // rows and columns of dy
};
size_t TransposedInt8DyBytes(Isa isa, size_t m, size_t n);

// Rows [i0, i0 + rows) of q from dy[rows][q.n] (row stride dy_stride floats,
// 0: q.n). A row's quantization depends on that row only.
Status QuantizeTransposedInt8Dy(const float* dy, size_t rows, size_t dy_stride, size_t i0, const TransposedInt8Dy& q,
                                pthreadpool_t pool);

// dx[dy.m][w.k] += dy[:, n0 .. n0 + w.n) · W on the int8 path of dy.isa, every
// row of dy as quantized above. n0 is a multiple of kInt8ChunkRows, and so is
// w.n unless the columns run to the end of dy's (a vocabulary chunk of a
// whole-vocabulary dy). The bits of MatmulTransposedInt8With on the same rows
// and columns of dy; splitting W into such column chunks, called in order,
// gives the bits of one call. `scratch`: MatmulTransposedInt8PrequantizedScratchBytes(
// dy.m, w.n, 1) bytes at least (more slots: more threads work).
Status MatmulTransposedInt8Prequantized(const MatmulWeights& w, const TransposedInt8Dy& dy, size_t n0, float* dx,
                                        void* scratch, size_t scratch_bytes, pthreadpool_t pool);
size_t MatmulTransposedInt8PrequantizedScratchBytes(size_t m, size_t n, size_t threads);

// Wide blocks. One packed unit: kInt8Block rows of W (n = nb·B .. nb·B + B) by
// kInt8Tile dx columns. q[j][c] holds the quants of rows 4j .. 4j + 3 of
// column c, one byte each (quant + 128, the unsigned operand), d[c] the
// column's scale over those rows.
struct alignas(64) Int8WideUnit {
  uint32_t q[kInt8Block / 4][kInt8Tile];
  float d[kInt8Tile];
};
static_assert(sizeof(Int8WideUnit) % 64 == 0, "units stay cache-line aligned");

// One row of dy: x[n] -> qs[ceil(n/B)·B] (zero past n), d[b] = max|x| over the
// block / 127 (f32), qs = round-half-away(x / d), corr[b] = -128·Σ qs of block b.
using Int8WideQuantizeFn = void (*)(const float* x, size_t n, int8_t* qs, float* d, int32_t* corr);
// W rows [0, rows) (Q8_0 or Q4_0, rows w_stride bytes apart), dx columns
// [c0, c0 + cols) (multiples of 32) -> out[t·nb + b], tile t < cols/32, block
// b < nb = ceil(rows/B); rows past `rows` read as 0. Per column and block:
// d = max|W| / 127 over the dequantized values (f32), quants round-half-away(W / d).
using Int8WidePackFn = void (*)(DType type, const void* w, size_t w_stride, size_t rows, size_t c0, size_t cols,
                                Int8WideUnit* out);
// dx[i][32t + c] (row stride ldx) += over blocks b < nb of tile t's units
// (packed + t·nb): for each block, dot = xc[b] + Σ_j (W quant + 128)·xq[j]
// (int32, exact), acc = fma(float(dot), unit.d[c]·xd[b], acc), acc starting
// from dx. Row i's quants at xq + i·ldq (block b at b·B), xd, xc at + i·ldd.
using Int8WideGemmFn = void (*)(size_t m, size_t tiles, size_t nb, const Int8WideUnit* packed, const int8_t* xq,
                                size_t ldq, const float* xd, const int32_t* xc, size_t ldd, float* dx, size_t ldx);
struct Int8WideUkernels {
  const char* isa;
  Int8WideQuantizeFn quantize;
  Int8WidePackFn pack;
  Int8WideGemmFn gemm;
};
// kScalar: the portable reference; kAvx512Vnni where built; otherwise nullptr
// (that ISA runs the GGUF-block path).
const Int8WideUkernels* Int8WideUkernelsFor(Isa isa);
const Int8WideUkernels& Int8WideUkernelsScalar();
const Int8WideUkernels& Int8WideUkernelsAvx512();  // x86 builds only

// GGUF blocks: out row c < cols, block b < ceil(rows/32): the Q8_0 block of
// W[32b .. 32b + 32)[c0 + c] (rows past `rows` read as 0), W Q8_0 or Q4_0 with
// rows w_stride bytes apart; out rows are out_blocks blocks apart. c0 and cols
// are multiples of 32. Bit-equal to QuantizeRowQ8_0Ref of the dequantized column.
void PackTransposedQ8Scalar(DType type, const void* w, size_t w_stride, size_t rows, size_t c0, size_t cols,
                            BlockQ8_0* out, size_t out_blocks);
using PackTransposedQ8Fn = decltype(&PackTransposedQ8Scalar);
// The same bits in AVX2 (x86 builds only).
void PackTransposedQ8Avx2(DType type, const void* w, size_t w_stride, size_t rows, size_t c0, size_t cols,
                          BlockQ8_0* out, size_t out_blocks);
namespace neon {  // every aarch64 tier; bit-equal to the scalar packer
void PackTransposedQ8(DType type, const void* w, size_t w_stride, size_t rows, size_t c0, size_t cols, BlockQ8_0* out,
                      size_t out_blocks);
}  // namespace neon
// The GGUF-block packer `isa`'s int8 path runs; null when isa runs wide blocks
// (Int8WideUkernelsFor(isa) non-null) or is not supported here.
PackTransposedQ8Fn PackTransposedQ8For(Isa isa);

// Panel geometry and one panel's microkernel, shared by the variants.
inline constexpr size_t kTransposedPanel = 64;   // dx columns per task
inline constexpr size_t kTransposedTileRows = 128;  // W rows dequantized at a time
// dx[m][cols] (row stride ldx) += dy[m][rows] (row stride ldy) · tile[rows][64];
// tile columns >= cols are zero.
using TransposedTileFn = void (*)(const float* tile, size_t rows, size_t cols, const float* dy, size_t ldy, size_t m,
                                  float* dx, size_t ldx);
void TransposedTileScalar(const float* tile, size_t rows, size_t cols, const float* dy, size_t ldy, size_t m,
                          float* dx, size_t ldx);
void TransposedTileAvx2(const float* tile, size_t rows, size_t cols, const float* dy, size_t ldy, size_t m, float* dx,
                        size_t ldx);
void TransposedTileAvx512(const float* tile, size_t rows, size_t cols, const float* dy, size_t ldy, size_t m,
                          float* dx, size_t ldx);
// The same with = for +=: dx[m][cols] = dy · tile (training attention's
// products whose every output comes from one call need no zeroed dx first).
void TransposedTileStoreScalar(const float* tile, size_t rows, size_t cols, const float* dy, size_t ldy, size_t m,
                               float* dx, size_t ldx);
void TransposedTileStoreAvx2(const float* tile, size_t rows, size_t cols, const float* dy, size_t ldy, size_t m,
                             float* dx, size_t ldx);
void TransposedTileStoreAvx512(const float* tile, size_t rows, size_t cols, const float* dy, size_t ldy, size_t m,
                               float* dx, size_t ldx);
namespace neon {  // every aarch64 tier
void TransposedTile(const float* tile, size_t rows, size_t cols, const float* dy, size_t ldy, size_t m, float* dx,
                    size_t ldx);
void TransposedTileStore(const float* tile, size_t rows, size_t cols, const float* dy, size_t ldy, size_t m,
                         float* dx, size_t ldx);
}  // namespace neon
// The dx += dy·tile microkernel the f32 path (MatmulTransposedAccumulateWith,
// MatmulDequantizedAccumulateWith) runs on `isa`; null when not supported here.
TransposedTileFn TransposedTileFor(Isa isa);
// out[0 .. cols) = elements c0 .. c0 + cols of one row of W (any matmul weight
// type; quantized: c0 and cols multiples of 32) as f32, exactly as the
// reference conversions (DequantizeRowQ8_0 ...) give them: how the f32 path
// fills its tiles. TransposedDequantizeFor(isa): the one `isa` runs.
using TransposedDequantizeFn = void (*)(DType type, const void* row, size_t c0, size_t cols, float* out);
void TransposedDequantizeScalar(DType type, const void* row, size_t c0, size_t cols, float* out);
namespace neon {
void TransposedDequantize(DType type, const void* row, size_t c0, size_t cols, float* out);
}  // namespace neon
TransposedDequantizeFn TransposedDequantizeFor(Isa isa);

}  // namespace edgert::kernels
