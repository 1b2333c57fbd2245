// ports/cpu_cpuinfo.cc: CpuFeatures from cpuinfo (every platform cpuinfo
// supports), completed by the OS-specific ArmI8mm() (linux/, macos/).
#include <cpuinfo.h>

#include <algorithm>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

#include "ports/cpu.h"
#include "ports/cpu_os.h"

namespace edgert::ports {
namespace {

uint32_t CacheBytes(const cpuinfo_cache* c) { return c != nullptr ? c->size : 0; }

// The OS's answer where it has one; otherwise the cores of the highest
// frequency cpuinfo reports (ARM Linux reads each cluster's maximum; a board
// with big and LITTLE clusters differs there), or all cores when frequencies
// are unknown (x86 reports 0).
uint32_t PerformanceCores(uint32_t cores) {
  if (const unsigned os = OsPerformanceCores(); os > 0 && os <= cores) return os;
  uint64_t top = 0;
  uint32_t at_top = 0;
  for (uint32_t i = 0; i < cores; ++i) {
    const cpuinfo_core* c = cpuinfo_get_core(i);
    if (c == nullptr) return cores;
    if (c->frequency > top) {
      top = c->frequency;
      at_top = 0;
    }
    if (c->frequency == top) ++at_top;
  }
  return top > 0 ? at_top : cores;
}

#if defined(__x86_64__)
// AVX-VNNI (CPUID leaf 7, sub-leaf 1, EAX bit 4), which Debian 12's cpuinfo
// predates. The ymm state it needs is the OS support cpuinfo already checked
// for AVX2, so the caller requires that flag too.
bool X86AvxVnni() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid_max(0, nullptr) < 7) return false;
  __cpuid_count(7, 1, eax, ebx, ecx, edx);
  return (eax & (1u << 4)) != 0;
}
#endif

CpuFeatures Probe() {
  CpuFeatures f;
  if (!cpuinfo_initialize()) return f;
  f.probed = true;
#if defined(__x86_64__) || defined(_M_X64)
  f.x86_avx2 = cpuinfo_has_x86_avx2();
  f.x86_fma3 = cpuinfo_has_x86_fma3();
  f.x86_f16c = cpuinfo_has_x86_f16c();
  f.x86_avx512f = cpuinfo_has_x86_avx512f();
  f.x86_avx512vl = cpuinfo_has_x86_avx512vl();
  f.x86_avx512bw = cpuinfo_has_x86_avx512bw();
  f.x86_avx512dq = cpuinfo_has_x86_avx512dq();
  f.x86_avx512vnni = cpuinfo_has_x86_avx512vnni();
  f.x86_avxvnni = f.x86_avx2 && X86AvxVnni();
#endif
#if defined(__aarch64__) || defined(_M_ARM64)
  f.arm_neon = cpuinfo_has_arm_neon();
  f.arm_dotprod = cpuinfo_has_arm_neon_dot();
  f.arm_fp16_arith = cpuinfo_has_arm_neon_fp16_arith();
  f.arm_i8mm = ArmI8mm();
#endif
  f.cores = cpuinfo_get_cores_count();
  f.performance_cores = PerformanceCores(f.cores);
  if (const cpuinfo_processor* p = cpuinfo_get_processor(0)) {
    f.l1d_bytes = CacheBytes(p->cache.l1d);
    f.l2_bytes = CacheBytes(p->cache.l2);
    f.l3_bytes = CacheBytes(p->cache.l3);
  }
  return f;
}

}  // namespace

const CpuFeatures& Cpu() {
  static const CpuFeatures features = Probe();
  return features;
}

uint32_t DefaultThreadCount() {
  const CpuFeatures& f = Cpu();
  return std::max<uint32_t>(1, f.performance_cores > 0 ? f.performance_cores : f.cores);
}

}  // namespace edgert::ports
