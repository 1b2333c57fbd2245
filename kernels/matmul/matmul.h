// kernels/matmul/matmul.h: y = x·Wᵀ (+ bias) with weights read in place.
//
// The operator a model layer calls: it validates shapes, quantizes the
// activations once per call (Q8_0 / Q4_0 weights), picks the GEMV microkernel
// for one activation row (decode) or the GEMM one for several (prefill), and
// splits the output features over a pthreadpool in fixed chunks. Each output
// element is computed by one microkernel call whose arithmetic does not depend
// on the chunking, so results are bit-identical for any number of threads.
// No allocation: the caller provides `scratch` (MatmulScratchBytes) and owns
// every buffer for the duration of the call.
#pragma once

#include <pthreadpool.h>

#include <cstddef>
#include <span>

#include "base/dtype.h"
#include "base/status.h"
#include "kernels/isa.h"
#include "kernels/matmul/ukernels.h"

namespace edgert::kernels {

// W[n][k] of `type`, row-major (HF layout: one row per output feature).
struct MatmulWeights {
  DType type = DType::kF32;
  const void* data = nullptr;  // row 0; read only, must outlive the call
  size_t n = 0;                // output features (rows)
  size_t k = 0;                // input features (a multiple of 32 for Q8_0 / Q4_0)
  size_t row_stride = 0;       // bytes from one row to the next; 0 = rows packed back to back
};

// Bytes of scratch Matmul / MatmulShared need for m activation rows (0 for
// float weights). Never smaller for a larger m.
size_t MatmulScratchBytes(DType type, size_t m, size_t k);

// y[m][n] = x[m][k] · Wᵀ + bias[n] (bias may be null). x, y row-major and
// contiguous; y must not alias x. pool may be null (one thread).
Status Matmul(const MatmulWeights& w, const float* x, size_t m, const float* bias, float* y, void* scratch,
              size_t scratch_bytes, pthreadpool_t pool);

// One of several products of the same activations.
struct MatmulOutput {
  MatmulWeights w;
  const float* bias = nullptr;  // [w.n] or null
  float* y = nullptr;           // [m][w.n], contiguous, aliasing neither x nor another y
};
inline constexpr size_t kMaxSharedOutputs = 4;

// y_j = x·W_jᵀ + bias_j for up to kMaxSharedOutputs matrices of one type and
// one k (q, k and v; gate and up): the activations are quantized once and the
// rows of all the matrices are split over the pool in one dispatch (a decode
// step makes ~7 products per layer; each dispatch is a wake-up and a barrier).
// Results are bit-identical to one Matmul per matrix.
Status MatmulShared(std::span<const MatmulOutput> outs, const float* x, size_t m, void* scratch, size_t scratch_bytes,
                    pthreadpool_t pool);

// The same with an explicit microkernel table (tests, benchmarks).
Status MatmulWith(const MatmulUkernels& uk, const MatmulWeights& w, const float* x, size_t m, const float* bias,
                  float* y, void* scratch, size_t scratch_bytes, pthreadpool_t pool);
Status MatmulSharedWith(const MatmulUkernels& uk, std::span<const MatmulOutput> outs, const float* x, size_t m,
                        void* scratch, size_t scratch_bytes, pthreadpool_t pool);

// Microkernel tables: the variant for `isa` (null when this binary or this CPU
// lacks it), and the best one for this CPU (BestIsa()), decided once.
const MatmulUkernels* MatmulUkernelsFor(Isa isa);
const MatmulUkernels& GetMatmulUkernels();

}  // namespace edgert::kernels
