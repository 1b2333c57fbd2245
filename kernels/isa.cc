// kernels/isa.cc: the one place in kernels/ that asks what the CPU can do
// (ports::Cpu(), probed once).
#include "kernels/isa.h"

#include <array>
#include <cstdlib>
#include <cstring>

#include "ports/cpu.h"

namespace edgert::kernels {
namespace {

constexpr std::array<Isa, 7> kAll = {Isa::kScalar, Isa::kAvx2,        Isa::kAvxVnni, Isa::kAvx512Vnni,
                                     Isa::kNeon,   Isa::kNeonDotprod, Isa::kNeonI8mm};

// Best first; each chain ends in the scalar reference.
#if defined(EDGERT_HAVE_X86_KERNELS)
constexpr std::array<Isa, 4> kChain = {Isa::kAvx512Vnni, Isa::kAvxVnni, Isa::kAvx2, Isa::kScalar};
#elif defined(EDGERT_HAVE_NEON_KERNELS)
constexpr std::array<Isa, 4> kChain = {Isa::kNeonI8mm, Isa::kNeonDotprod, Isa::kNeon, Isa::kScalar};
#else
constexpr std::array<Isa, 1> kChain = {Isa::kScalar};
#endif

}  // namespace

std::span<const Isa> AllIsas() { return kAll; }

const char* IsaName(Isa isa) {
  switch (isa) {
    case Isa::kScalar: return "scalar";
    case Isa::kAvx2: return "avx2";
    case Isa::kAvx512Vnni: return "avx512vnni";
    case Isa::kAvxVnni: return "avxvnni";
    case Isa::kNeon: return "neon";
    case Isa::kNeonDotprod: return "neondot";
    case Isa::kNeonI8mm: return "neoni8mm";
  }
  return "?";
}

bool IsaSupported(Isa isa) {
  [[maybe_unused]] const ports::CpuFeatures& cpu = ports::Cpu();
  switch (isa) {
    case Isa::kScalar: return true;
#if defined(EDGERT_HAVE_X86_KERNELS)
    case Isa::kAvx2: return cpu.x86_avx2 && cpu.x86_fma3 && cpu.x86_f16c;
    case Isa::kAvxVnni: return IsaSupported(Isa::kAvx2) && cpu.x86_avxvnni;
    case Isa::kAvx512Vnni:
      return cpu.x86_avx512f && cpu.x86_avx512vl && cpu.x86_avx512bw && cpu.x86_avx512dq && cpu.x86_avx512vnni &&
             cpu.x86_f16c && cpu.x86_fma3;
#endif
#if defined(EDGERT_HAVE_NEON_KERNELS)
    case Isa::kNeon: return cpu.arm_neon;
    case Isa::kNeonDotprod: return cpu.arm_neon && cpu.arm_dotprod;
    case Isa::kNeonI8mm: return cpu.arm_neon && cpu.arm_dotprod && cpu.arm_i8mm;
#endif
    default: return false;
  }
}

namespace {

// The best supported ISA at or below kChain[start].
Isa BestFrom(size_t start) {
  for (size_t i = start; i < kChain.size(); ++i) {
    if (IsaSupported(kChain[i])) return kChain[i];
  }
  return Isa::kScalar;
}

}  // namespace

Isa BestIsa() {
  static const Isa best = [] {
    size_t start = 0;  // no cap: the head of the chain
    if (const char* force = std::getenv("EDGERT_KERNELS")) {
      for (size_t i = 0; i < kChain.size(); ++i) {
        if (std::strcmp(force, IsaName(kChain[i])) == 0) start = i;
      }
    }
    return BestFrom(start);
  }();
  return best;
}

bool IsaCapped() { return BestIsa() != BestFrom(0); }

}  // namespace edgert::kernels
