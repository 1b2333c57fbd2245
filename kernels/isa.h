// kernels/isa.h: which instruction-set variant of the kernels this CPU runs.
//
// The CPU is examined once (ports::Cpu(): cpuinfo, once) and every kernel
// family keeps a table of function pointers per ISA; operators call through
// the table and never test the ISA themselves. EDGERT_KERNELS=<IsaName> in the
// environment caps the choice within its architecture's chain (x86-64:
// avx512vnni > avxvnni > avx2 > scalar; aarch64: neoni8mm > neondot > neon > scalar), for tests and
// comparisons.
#pragma once

#include <span>

namespace edgert::kernels {

enum class Isa {
  kScalar,       // portable C++: the reference every variant is tested against
  kAvx2,         // x86-64 AVX2 + FMA + F16C
  kAvx512Vnni,   // x86-64 AVX-512 F/VL/BW/DQ + VNNI (+ F16C, FMA)
  kAvxVnni,      // x86-64 AVX2 + FMA + F16C + AVX-VNNI (vpdpbusd on ymm: Alder Lake and later, Zen 5)
  kNeon,         // aarch64 Advanced SIMD (ARMv8.0: every aarch64 CPU)
  kNeonDotprod,  // aarch64 NEON + SDOT (ARMv8.2 dotprod: Cortex-A55/A76 and later, Apple M1+)
  kNeonI8mm,     // aarch64 NEON + SDOT + SMMLA (ARMv8.6 i8mm: Neoverse N2/V1/V2, Cortex-A710/X2+, Apple M2+)
};

// Every ISA the project knows, the reference first (tests walk this list).
std::span<const Isa> AllIsas();
const char* IsaName(Isa isa);
// True when this binary contains the variant and this CPU can run it.
bool IsaSupported(Isa isa);
// The best supported ISA, capped by EDGERT_KERNELS; decided once.
Isa BestIsa();
// True when EDGERT_KERNELS holds BestIsa() below what this CPU supports.
bool IsaCapped();

}  // namespace edgert::kernels
