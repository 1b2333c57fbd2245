// kernels/rowops/rowops_dispatch.cc: the row-op table per ISA. Every ARM
// variant uses the NEON one.
#include "kernels/rowops/rowops_variants.h"

namespace edgert::kernels {

const RowOpsUkernels* RowOpsUkernelsFor(Isa isa) {
  if (!IsaSupported(isa)) return nullptr;
  switch (isa) {
    case Isa::kScalar: return &scalar::RowOpsUkernelsScalar();
#if defined(EDGERT_HAVE_X86_KERNELS)
    case Isa::kAvx2:
    case Isa::kAvxVnni: return &avx2::RowOpsUkernelsAvx2();  // no dot products here
    case Isa::kAvx512Vnni: return &avx512vnni::RowOpsUkernelsAvx512();
#endif
#if defined(EDGERT_HAVE_NEON_KERNELS)
    case Isa::kNeon:
    case Isa::kNeonDotprod:
    case Isa::kNeonI8mm: return &neon::RowOpsUkernelsNeon();  // no dot products here
#endif
    default: return nullptr;
  }
}

const RowOpsUkernels& GetRowOpsUkernels() {
  static const RowOpsUkernels* best = RowOpsUkernelsFor(BestIsa());
  return *best;
}

}  // namespace edgert::kernels
