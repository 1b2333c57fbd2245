// kernels/gemm/gemm_dispatch.cc: the CPU is examined once (cpuinfo) and the
// best variant is kept; operators never test the ISA themselves.
#include <cpuinfo.h>

#include <cstdlib>
#include <cstring>

#include "kernels/gemm/gemm.h"

namespace edgert::kernels {

#if defined(EDGERT_HAVE_X86_KERNELS)
namespace avx2 { const GemmKernels& Kernels(); }
namespace avx512vnni { const GemmKernels& Kernels(); }
#endif

namespace {

bool CpuReady() {
  static const bool ok = cpuinfo_initialize();
  return ok;
}

}  // namespace

const GemmKernels* Avx2GemmKernels() {
#if defined(EDGERT_HAVE_X86_KERNELS)
  if (CpuReady() && cpuinfo_has_x86_avx2() && cpuinfo_has_x86_fma3() && cpuinfo_has_x86_f16c()) return &avx2::Kernels();
#endif
  return nullptr;
}

const GemmKernels* Avx512VnniGemmKernels() {
#if defined(EDGERT_HAVE_X86_KERNELS)
  if (CpuReady() && cpuinfo_has_x86_avx512f() && cpuinfo_has_x86_avx512vl() && cpuinfo_has_x86_avx512bw() &&
      cpuinfo_has_x86_avx512vnni() && cpuinfo_has_x86_f16c() && cpuinfo_has_x86_fma3()) {
    return &avx512vnni::Kernels();
  }
#endif
  return nullptr;
}

const GemmKernels& GetGemmKernels() {
  static const GemmKernels* chosen = [] {
    const char* force = std::getenv("EDGERT_KERNELS");
    if (force != nullptr && std::strcmp(force, "scalar") == 0) return &ScalarGemmKernels();
    if (force != nullptr && std::strcmp(force, "avx2") == 0 && Avx2GemmKernels()) return Avx2GemmKernels();
    if (const GemmKernels* k = Avx512VnniGemmKernels()) return k;
    if (const GemmKernels* k = Avx2GemmKernels()) return k;
    return &ScalarGemmKernels();
  }();
  return *chosen;
}

}  // namespace edgert::kernels
