// kernels/convert/fp16.h: IEEE half and bfloat16 to and from f32, scalar.
//
// Bit-exact with ggml's conversions (round to nearest even, NaN kept NaN), so
// f16 tensors and Q8_0/Q4_0 scales written here equal llama.cpp's bytes.
#pragma once

#include <cstdint>
#include <cstring>

namespace edgert::kernels {

inline float F32FromBits(uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; }
inline uint32_t BitsFromF32(float f) { uint32_t u; std::memcpy(&u, &f, 4); return u; }

inline float F16ToF32(uint16_t h) {
  // Exact: every half is a float. The magic-number trick handles subnormals.
  const uint32_t w = static_cast<uint32_t>(h) << 16;
  const uint32_t sign = w & 0x80000000u;
  const uint32_t two_w = w + w;
  const uint32_t exp_offset = 0xE0u << 23;
  const float exp_scale = F32FromBits(0x7800000u);  // 2^-112
  const float normalized = F32FromBits((two_w >> 4) + exp_offset) * exp_scale;
  const uint32_t magic_mask = 126u << 23;
  const float magic_bias = 0.5f;
  const float denormalized = F32FromBits((two_w >> 17) | magic_mask) - magic_bias;
  const uint32_t denormalized_cutoff = 1u << 27;
  const uint32_t result = sign | (two_w < denormalized_cutoff ? BitsFromF32(denormalized) : BitsFromF32(normalized));
  return F32FromBits(result);
}

inline uint16_t F32ToF16(float f) {
  // Round to nearest even, overflow to infinity, NaN to a quiet NaN.
  const float scale_to_inf = F32FromBits(0x77800000u);   // 2^112
  const float scale_to_zero = F32FromBits(0x08800000u);  // 2^-110
  float base = (f < 0 ? -f : f) * scale_to_inf * scale_to_zero;
  const uint32_t w = BitsFromF32(f);
  const uint32_t shl1_w = w + w;
  const uint32_t sign = w & 0x80000000u;
  uint32_t bias = shl1_w & 0xFF000000u;
  if (bias < 0x71000000u) bias = 0x71000000u;
  base = F32FromBits((bias >> 1) + 0x07800000u) + base;
  const uint32_t bits = BitsFromF32(base);
  const uint32_t exp_bits = (bits >> 13) & 0x00007C00u;
  const uint32_t mantissa_bits = bits & 0x00000FFFu;
  const uint32_t nonsign = exp_bits + mantissa_bits;
  return static_cast<uint16_t>((sign >> 16) | (shl1_w > 0xFF000000u ? 0x7E00u : nonsign));
}

inline float BF16ToF32(uint16_t b) { return F32FromBits(static_cast<uint32_t>(b) << 16); }

inline uint16_t F32ToBF16(float f) {
  uint32_t u = BitsFromF32(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 64);  // quiet NaN
  u += 0x7fffu + ((u >> 16) & 1);  // round to nearest even
  return static_cast<uint16_t>(u >> 16);
}

}  // namespace edgert::kernels
