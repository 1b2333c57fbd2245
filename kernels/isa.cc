// kernels/isa.cc: the one place that asks cpuinfo what the CPU can do.
#include "kernels/isa.h"

#include <cpuinfo.h>

#include <cstdlib>
#include <cstring>
#include <initializer_list>

namespace edgert::kernels {
namespace {

bool CpuReady() {
  static const bool ok = cpuinfo_initialize();
  return ok;
}

}  // namespace

const char* IsaName(Isa isa) {
  switch (isa) {
    case Isa::kScalar: return "scalar";
    case Isa::kAvx2: return "avx2";
    case Isa::kAvx512Vnni: return "avx512vnni";
  }
  return "?";
}

bool IsaSupported(Isa isa) {
  switch (isa) {
    case Isa::kScalar: return true;
    case Isa::kAvx2:
#if defined(EDGERT_HAVE_X86_KERNELS)
      return CpuReady() && cpuinfo_has_x86_avx2() && cpuinfo_has_x86_fma3() && cpuinfo_has_x86_f16c();
#else
      return false;
#endif
    case Isa::kAvx512Vnni:
#if defined(EDGERT_HAVE_X86_KERNELS)
      return CpuReady() && cpuinfo_has_x86_avx512f() && cpuinfo_has_x86_avx512vl() && cpuinfo_has_x86_avx512bw() &&
             cpuinfo_has_x86_avx512dq() && cpuinfo_has_x86_avx512vnni() && cpuinfo_has_x86_f16c() &&
             cpuinfo_has_x86_fma3();
#else
      return false;
#endif
  }
  return false;
}

Isa BestIsa() {
  static const Isa best = [] {
    Isa cap = Isa::kAvx512Vnni;
    if (const char* force = std::getenv("EDGERT_KERNELS")) {
      if (std::strcmp(force, "scalar") == 0) cap = Isa::kScalar;
      if (std::strcmp(force, "avx2") == 0) cap = Isa::kAvx2;
    }
    for (Isa isa : {Isa::kAvx512Vnni, Isa::kAvx2}) {
      if (static_cast<int>(isa) <= static_cast<int>(cap) && IsaSupported(isa)) return isa;
    }
    return Isa::kScalar;
  }();
  return best;
}

}  // namespace edgert::kernels
