// kernels/isa.h: which instruction-set variant of the kernels this CPU runs.
//
// The CPU is examined once (cpuinfo, under a once-guard) and every kernel
// family keeps a table of function pointers per ISA; operators call through
// the table and never test the ISA themselves. EDGERT_KERNELS=scalar|avx2|
// avx512vnni in the environment caps the choice (for tests and comparisons).
#pragma once

namespace edgert::kernels {

enum class Isa {
  kScalar,      // portable C++: the reference every variant is tested against
  kAvx2,        // x86-64 AVX2 + FMA + F16C
  kAvx512Vnni,  // x86-64 AVX-512 F/VL/BW/DQ + VNNI (+ F16C, FMA)
};

const char* IsaName(Isa isa);
// True when this binary contains the variant and this CPU can run it.
bool IsaSupported(Isa isa);
// The best supported ISA, capped by EDGERT_KERNELS; decided once.
Isa BestIsa();

}  // namespace edgert::kernels
