// kernels/matmul/matmul_neon.cc: aarch64 matrix products for CPUs without the
// dot-product extension (ARMv8.0: Cortex-A53/A72, Raspberry Pi 3/4). A block's
// int8 dot: SMULL/SMLAL into int16 (two products of |w| ≤ 128, |x| ≤ 127 sum
// to at most 32512: no overflow), then SADALP into int32.
#include "kernels/matmul/matmul_neon_impl.h"

namespace edgert::kernels::neon {
namespace {

struct WideningDot {
  static int32x4_t Block(int8x16_t w0, int8x16_t x0, int8x16_t w1, int8x16_t x1) {
    const int16x8_t a = vmlal_s8(vmull_s8(vget_low_s8(w0), vget_low_s8(x0)), vget_high_s8(w0), vget_high_s8(x0));
    const int16x8_t b = vmlal_s8(vmull_s8(vget_low_s8(w1), vget_low_s8(x1)), vget_high_s8(w1), vget_high_s8(x1));
    return vpadalq_s16(vpaddlq_s16(a), b);
  }
};

}  // namespace

const MatmulUkernels& MatmulUkernelsNeon() {
  static const MatmulUkernels k = neon_impl::MakeTable<WideningDot>("neon");
  return k;
}

}  // namespace edgert::kernels::neon
