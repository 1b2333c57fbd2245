// kernels/matmul/ukernels.h: the matrix-product microkernels and their table.
//
// Contract shared by every variant (scalar reference, AVX2, AVX-512 VNNI):
//   y[i][r] = Σ_k x[i][k] · W[r][k]     (y = x·Wᵀ, W row-major [n][k] as HF stores it)
// W is read in place (zero copy): `w` points at row 0 of the slice, rows are
// `w_stride` bytes apart. Quantized rows are GGUF blocks (base/quant_blocks.h).
// Microkernels compute a slice of output features for all m activation rows;
// they do not allocate, log, dispatch or spawn threads (kernels/matmul/matmul.h
// is the operator that splits work over a pthreadpool). Preconditions are asserts.
//
// Quantized weights (Q8_0, Q4_0) multiply activations that were quantized once
// per call to int8 blocks of 32 with an f32 scale (the llama.cpp scheme, but the
// activation scale stays f32). The int8 dot products are exact in int32. The
// SIMD variants feed the weights as the *unsigned* operand of the dot-product
// instructions (Q8_0 biased by +128, Q4_0 raw nibbles 0..15), so each block
// needs the constant term corr[b] = c · Σ_j xq[b][j] (c = -128 for Q8_0, -8 for
// Q4_0), computed once by the activation quantizer:
//   dot_b = Σ_j w_j·x_j = Σ_j u_j·x_j + corr[b]       (exact in int32)
//   y     = Σ_b fma order:  acc = fma(float(dot_b), dw_b·dx_b, acc)  for b = 0, 1, ...
// The GEMM variants reproduce that order exactly (bit-equal to the reference);
// the GEMV variants spread each block over SIMD lanes and differ only by float
// summation order.
#pragma once

#include <cstddef>
#include <cstdint>

namespace edgert::kernels {

// corr multipliers (see above).
inline constexpr int32_t kQ8_0ActivationCorr = -128;
inline constexpr int32_t kQ4_0ActivationCorr = -8;

// x[k] (k a multiple of 32) -> qs[k], d[k/32], corr[k/32]. Per block:
// d = max|x|/127, qs = round-half-away(x/d) (the quants equal
// QuantizeRowQ8_0Ref's bit for bit; d is kept in f32 rather than f16),
// corr = corr_mul · Σ qs.
using QuantizeActivationsQ8Fn = void (*)(const float* x, size_t k, int32_t corr_mul, int8_t* qs, float* d,
                                         int32_t* corr);

// Quantized weights. `kb` = k/32 blocks per row. Activations for row i:
// xq + i*kb*32, xd + i*kb, xc + i*kb. Output y[i*y_stride + r] for r < n.
// gemm: any m ≥ 1 (prefill).
// gemv: m == 1 (decode). Its activations are first laid out by the variant's
// own gemv_pack (once per operator call, then read by every row task), into
// `packed`: 64-byte aligned, at most kGemvPackBytesPerBlock·kb bytes.
inline constexpr size_t kGemvPackBytesPerBlock = 128;
using QGemvPackFn = void (*)(size_t kb, const int8_t* xq, const float* xd, const int32_t* xc, void* packed);
using QGemvFn = void (*)(size_t n, size_t kb, const void* w, size_t w_stride, const void* packed, float* y);
using QGemmFn = void (*)(size_t m, size_t n, size_t kb, const void* w, size_t w_stride, const int8_t* xq,
                         const float* xd, const int32_t* xc, float* y, size_t y_stride);

// Float weights (f32, f16, bf16 rows of k elements), x[i*x_stride + k] f32.
using FGemmFn = void (*)(size_t m, size_t n, size_t k, const void* w, size_t w_stride, const float* x,
                         size_t x_stride, float* y, size_t y_stride);

struct MatmulUkernels {
  const char* isa;  // IsaName() of the variant: "scalar", "avx2", "avxvnni", ...
  QuantizeActivationsQ8Fn quantize_q8;
  QGemvPackFn q8_0_gemv_pack;
  QGemvFn q8_0_gemv;
  QGemmFn q8_0_gemm;
  QGemvPackFn q4_0_gemv_pack;
  QGemvFn q4_0_gemv;
  QGemmFn q4_0_gemm;
  FGemmFn f32_gemm;
  FGemmFn f16_gemm;
  FGemmFn bf16_gemm;
};

}  // namespace edgert::kernels
