// kernels/convert/fp16.cc: row conversions between f32, f16 and bf16.
#include "kernels/convert/fp16_rows.h"

#include "kernels/convert/fp16.h"

namespace edgert::kernels {

void ConvertRowF16ToF32(const uint16_t* x, float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] = F16ToF32(x[i]);
}
void ConvertRowF32ToF16(const float* x, uint16_t* y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] = F32ToF16(x[i]);
}
void ConvertRowBF16ToF32(const uint16_t* x, float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] = BF16ToF32(x[i]);
}
void ConvertRowF32ToBF16(const float* x, uint16_t* y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] = F32ToBF16(x[i]);
}

}  // namespace edgert::kernels
