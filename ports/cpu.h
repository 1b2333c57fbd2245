// ports/cpu.h: what this CPU can do and how large its caches are.
//
// Probed once (cpuinfo, which reads CPUID on x86-64, the auxiliary vector on
// Linux/ARM and sysctl on macOS; plus CPUID or the OS for what this cpuinfo
// release does not know: x86 AVX-VNNI, ARM i8mm). kernels/isa.cc picks kernel variants from
// these flags; nothing else in the tree asks the hardware directly.
#pragma once

#include <cstdint>

namespace edgert::ports {

struct CpuFeatures {
  bool probed = false;  // false: the probe failed and every flag below is false
  // x86-64
  bool x86_avx2 = false, x86_fma3 = false, x86_f16c = false;
  bool x86_avx512f = false, x86_avx512vl = false, x86_avx512bw = false, x86_avx512dq = false;
  bool x86_avx512vnni = false;
  bool x86_avxvnni = false;  // VEX-encoded VNNI on ymm (Alder Lake and later, Zen 5); from CPUID, not cpuinfo
  // aarch64
  bool arm_neon = false;
  bool arm_dotprod = false;     // SDOT/UDOT (ARMv8.2 dotprod)
  bool arm_fp16_arith = false;  // half-precision vector arithmetic
  bool arm_i8mm = false;        // SMMLA (ARMv8.6 i8mm); from the OS, not cpuinfo
  // Topology and caches of the first core (0 when unknown). `cores` counts
  // physical cores (SMT siblings once); `performance_cores` those of the
  // fastest kind (big.LITTLE / hybrid: the big ones; otherwise == cores).
  uint32_t cores = 0;
  uint32_t performance_cores = 0;
  uint32_t l1d_bytes = 0, l2_bytes = 0, l3_bytes = 0;
};

// The probed features; thread-safe, probed on first use.
const CpuFeatures& Cpu();

// The thread count a job uses unless told otherwise: one per performance
// core. A second thread on an SMT sibling shares the core's vector units (the
// products here are bound by them or by memory), and an efficiency core
// finishes its share of a fork-join late, so every other thread waits for it.
uint32_t DefaultThreadCount();

}  // namespace edgert::ports
