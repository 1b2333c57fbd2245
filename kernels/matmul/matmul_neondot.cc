// kernels/matmul/matmul_neondot.cc: aarch64 matrix products with the ARMv8.2
// dot-product extension (SDOT: Cortex-A55/A76 and later, Neoverse, Apple M1+).
// Compiled with +dotprod; chosen only when the CPU reports it (ports::Cpu()).
#include "kernels/matmul/matmul_neon_impl.h"

namespace edgert::kernels::neondot {
namespace {

struct Sdot {
  static int32x4_t Block(int8x16_t w0, int8x16_t x0, int8x16_t w1, int8x16_t x1) {
    return vdotq_s32(vdotq_s32(vdupq_n_s32(0), w0, x0), w1, x1);
  }
};

}  // namespace

const MatmulUkernels& MatmulUkernelsNeonDot() {
  static const MatmulUkernels k = neon_impl::MakeTable<Sdot>("neondot");
  return k;
}

}  // namespace edgert::kernels::neondot
