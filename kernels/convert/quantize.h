// kernels/convert/quantize.h: f32 rows to and from Q8_0 / Q4_0 blocks.
//
// The reference quantizers reproduce ggml's reference ones (quantize_row_*_ref)
// bit for bit: the same scale, the same rounding, the same f16 scale bits, so
// a tensor quantized here equals the same tensor quantized by llama.cpp.
// n must be a multiple of kQuantBlock (32).
#pragma once

#include <cstddef>

#include "base/quant_blocks.h"

namespace edgert::kernels {

void QuantizeRowQ8_0Ref(const float* x, BlockQ8_0* y, size_t n);
void QuantizeRowQ4_0Ref(const float* x, BlockQ4_0* y, size_t n);
void DequantizeRowQ8_0(const BlockQ8_0* x, float* y, size_t n);
void DequantizeRowQ4_0(const BlockQ4_0* x, float* y, size_t n);

}  // namespace edgert::kernels
