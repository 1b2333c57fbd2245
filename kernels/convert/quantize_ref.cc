// kernels/convert/quantize_ref.cc: scalar reference quantization, the contract
// every faster quantizer is tested against.
#include <cmath>
#include <cstdint>

#include "kernels/convert/fp16.h"
#include "kernels/convert/quantize.h"

namespace edgert::kernels {
namespace {

// ggml converts float to int8 with a plain C cast, which is undefined for NaN
// (a NaN or infinite weight makes the quants NaN). Its x86-64 build truncates
// to int32 (cvttss2si: NaN and out-of-range give INT32_MIN) and keeps the low
// byte. Doing that explicitly keeps those bytes and stays defined here.
int8_t ToInt8LikeGgml(float v) {
  const int32_t i = (v >= -2147483648.0f && v < 2147483648.0f) ? static_cast<int32_t>(v) : INT32_MIN;
  return static_cast<int8_t>(static_cast<uint8_t>(static_cast<uint32_t>(i) & 0xFFu));
}

}  // namespace

void QuantizeRowQ8_0Ref(const float* x, BlockQ8_0* y, size_t n) {
  for (size_t b = 0; b < n / kQuantBlock; ++b, x += kQuantBlock) {
    float amax = 0.0f;
    // ggml's MAX(a, b) = a > b ? a : b, not fmax: a NaN replaces the running
    // maximum (the next larger value replaces it again), and the scale follows.
    for (uint32_t j = 0; j < kQuantBlock; ++j) {
      const float a = std::fabs(x[j]);
      amax = amax > a ? amax : a;
    }
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[b].d = F32ToF16(d);
    // roundf: halves away from zero, as ggml's reference does.
    for (uint32_t j = 0; j < kQuantBlock; ++j) y[b].qs[j] = ToInt8LikeGgml(std::roundf(x[j] * id));
  }
}

void QuantizeRowQ4_0Ref(const float* x, BlockQ4_0* y, size_t n) {
  constexpr uint32_t kHalf = kQuantBlock / 2;
  for (size_t b = 0; b < n / kQuantBlock; ++b, x += kQuantBlock) {
    // The signed value of largest magnitude (first one wins on ties) maps to -8,
    // so the full 16 levels are used on the side where the extreme lies.
    float amax = 0.0f, max = 0.0f;
    for (uint32_t j = 0; j < kQuantBlock; ++j) {
      if (amax < std::fabs(x[j])) {
        amax = std::fabs(x[j]);
        max = x[j];
      }
    }
    const float d = max / -8.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[b].d = F32ToF16(d);
    for (uint32_t j = 0; j < kHalf; ++j) {
      const float x0 = x[j] * id;
      const float x1 = x[kHalf + j] * id;
      // +8.5 then truncation toward zero: rounds half up in [0, 16], clamped to 15.
      int q0 = ToInt8LikeGgml(x0 + 8.5f);
      int q1 = ToInt8LikeGgml(x1 + 8.5f);
      if (q0 > 15) q0 = 15;
      if (q1 > 15) q1 = 15;
      y[b].qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
  }
}

void DequantizeRowQ8_0(const BlockQ8_0* x, float* y, size_t n) {
  for (size_t b = 0; b < n / kQuantBlock; ++b) {
    const float d = F16ToF32(x[b].d);
    for (uint32_t j = 0; j < kQuantBlock; ++j) *y++ = d * static_cast<float>(x[b].qs[j]);
  }
}

void DequantizeRowQ4_0(const BlockQ4_0* x, float* y, size_t n) {
  constexpr uint32_t kHalf = kQuantBlock / 2;
  for (size_t b = 0; b < n / kQuantBlock; ++b, y += kQuantBlock) {
    const float d = F16ToF32(x[b].d);
    for (uint32_t j = 0; j < kHalf; ++j) {
      y[j] = d * static_cast<float>((x[b].qs[j] & 0x0F) - 8);
      y[kHalf + j] = d * static_cast<float>((x[b].qs[j] >> 4) - 8);
    }
  }
}

}  // namespace edgert::kernels
