// kernels/xnnpack/xnn_fc.h: float-weight products through XNNPACK's
// fully-connected operator, where the comparison in bench/xnnpack_bench.cc
// chose it (kernels/README.md, "XNNPACK as an engine").
//
// XNNPACK multiplies only weights it has packed into its own layout. The
// engine never keeps a packed copy of the model: per call it takes the
// weights kXnnFcChunkRows output rows at a time, packs that chunk (f16 / bf16
// rows converted to f32 first) into the caller's scratch, runs it on the
// caller's pthreadpool and drops it. XNNPACK's allocator is pointed at that
// scratch while the chunk's operator lives, so no call allocates; the bytes
// are in the memory plan (MatmulScratchBytes). Packing a chunk reads it once,
// next to 2·m reads of each weight by the product: at m ≥ kXnnFcMinRows it is a
// few percent of the call.
#pragma once

#include <pthreadpool.h>

#include <cstddef>

#include "base/status.h"
#include "kernels/matmul/matmul.h"

namespace edgert::kernels {

inline constexpr size_t kXnnFcMinRows = 16;     // fewer activation rows: our GEMM (no packing to amortize)
inline constexpr size_t kXnnFcChunkRows = 128;  // output rows packed at a time (2.5 MB of f32 at k = 4864)

// True when f32 / f16 / bf16 products of m ≥ kXnnFcMinRows rows go to
// XNNPACK in this process: XNNPACK initialized on this CPU, and EDGERT_KERNELS
// does not cap the ISA (XNNPACK picks its own kernels from the CPU and cannot
// be capped, so a capped run keeps ours and measures what that ISA would get).
bool XnnFcEnabled();

// Scratch for one call with rows of k inputs (0 when the engine is off).
size_t XnnFcScratchBytes(size_t k);

// y[m][n] = x[m][k]·Wᵀ (+ bias), W f32, f16 or bf16 [n][k] (any row stride).
// Fails (and writes nothing) when XNNPACK refuses; the caller then uses its own
// kernels.
Status XnnFc(const MatmulWeights& w, size_t row_stride, const float* x, size_t m, const float* bias, float* y,
             void* scratch, size_t scratch_bytes, pthreadpool_t pool);

}  // namespace edgert::kernels
