// kernels/convert/fp16_rows.h: whole-row conversions (n elements).
#pragma once

#include <cstddef>
#include <cstdint>

namespace edgert::kernels {

void ConvertRowF16ToF32(const uint16_t* x, float* y, size_t n);
void ConvertRowF32ToF16(const float* x, uint16_t* y, size_t n);
void ConvertRowBF16ToF32(const uint16_t* x, float* y, size_t n);
void ConvertRowF32ToBF16(const float* x, uint16_t* y, size_t n);

}  // namespace edgert::kernels
