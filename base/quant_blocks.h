// base/quant_blocks.h: quantized block layouts, identical to GGUF's.
//
// A block covers 32 consecutive weights of one row. The scale `d` is an IEEE
// half stored as its bit pattern (so this header needs no f16 type). These are
// the bytes in the file: never reorder or pad.
#pragma once

#include <cstdint>

namespace edgert {

inline constexpr uint32_t kQuantBlock = 32;

// Q8_0: 8.5 bits per weight.  x[i] = d * qs[i]
struct BlockQ8_0 {
  uint16_t d;                // f16 bits: scale = max|x| / 127
  int8_t qs[kQuantBlock];    // quants in [-127, 127]
};
static_assert(sizeof(BlockQ8_0) == 34, "Q8_0 block must match GGUF");

// Q4_0: 4.5 bits per weight.
//   x[i]      = d * ((qs[i] & 0x0F) - 8)   for i < 16
//   x[i + 16] = d * ((qs[i] >> 4)   - 8)   for i < 16
struct BlockQ4_0 {
  uint16_t d;                    // f16 bits: scale = (value of max |x|) / -8
  uint8_t qs[kQuantBlock / 2];   // two 4-bit quants per byte, low nibble first half
};
static_assert(sizeof(BlockQ4_0) == 18, "Q4_0 block must match GGUF");

}  // namespace edgert
