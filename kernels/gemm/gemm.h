// kernels/gemm/gemm.h: matrix products with weights read in place.
//
// y[i][r] = Σ_k W[r][k] · x[i][k]: W is row-major [rows][k] as Hugging Face
// stores it (one row per output feature), x holds m activation rows. For
// Q8_0 / Q4_0 weights the activations are first quantized per block of 32 to
// int8 with an f32 scale, and the products run on integers (exact in int32),
// scaled per block: the llama.cpp scheme.
//
// Microkernels compute a slice of rows for all m activation rows; operators
// (runtime/model/ops) split rows over threads. No allocation, no threads here.
// Variants are named by ISA and chosen once from cpuinfo (GetGemmKernels).
#pragma once

#include <cstddef>
#include <cstdint>

namespace edgert::kernels {

// x[n] (n a multiple of 32) -> scales[n/32], qs[n]: per block d = max|x|/127,
// q = round(x/d). The f32 scale (not f16) keeps activations more exact.
using QuantizeActivationsFn = void (*)(const float* x, size_t n, float* scales, int8_t* qs);

// Quantized weights: `w` points at row 0 of the slice, `row_bytes` apart;
// `blocks` = k/32. Activations: xs[m][blocks], xq[m][k]. Output y[i*ldy + r].
using QGemmFn = void (*)(const void* w, size_t row_bytes, size_t rows, const float* xs, const int8_t* xq,
                         size_t blocks, size_t m, float* y, size_t ldy);

// f32 weights: w[rows][k], x[m][k], y[i*ldy + r].
using F32GemmFn = void (*)(const float* w, size_t k, size_t rows, const float* x, size_t m, float* y, size_t ldy);

struct GemmKernels {
  const char* name;  // "scalar", "avx2", "avx512vnni"
  QuantizeActivationsFn quantize_activations;
  QGemmFn q8_0;
  QGemmFn q4_0;
  F32GemmFn f32;
};

const GemmKernels& ScalarGemmKernels();
const GemmKernels* Avx2GemmKernels();        // null when not built or not supported by this CPU
const GemmKernels* Avx512VnniGemmKernels();  // null when not built or not supported by this CPU
// The fastest variant this CPU runs; decided once. EDGERT_KERNELS=scalar|avx2
// in the environment forces one (for tests and comparisons).
const GemmKernels& GetGemmKernels();

}  // namespace edgert::kernels
