// kernels/matmul/matmul_neondot.cc: aarch64 matrix products with the ARMv8.2
// dot-product extension (SDOT: Cortex-A55/A76 and later, Neoverse, Apple M1+).
// Compiled with +dotprod; chosen only when the CPU reports it (ports::Cpu()).
#include "kernels/matmul/matmul_neon_impl.h"

namespace edgert::kernels::neondot {

const MatmulUkernels& MatmulUkernelsNeonDot() {
  static const MatmulUkernels k = neon_impl::MakeTable<neon_impl::Sdot>("neondot");
  return k;
}

}  // namespace edgert::kernels::neondot
