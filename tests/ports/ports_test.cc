// tests/ports: the probes answer, and answer consistently with what the
// compiler was told about the target. Values themselves depend on the machine
// (and under qemu-user on the emulated CPU model), so only invariants are checked.
#include <gtest/gtest.h>

#include <cstdio>

#include "ports/clock.h"
#include "ports/cpu.h"
#include "ports/memory.h"
#include "ports/process_stats.h"

namespace edgert::ports {
namespace {

TEST(Cpu, ProbedAndConsistentWithTheTarget) {
  const CpuFeatures& c = Cpu();
  std::printf("cpu: cores %u, L1d %u, L2 %u, L3 %u bytes; avx2 %d avx512vnni %d neon %d dotprod %d i8mm %d\n",
              c.cores, c.l1d_bytes, c.l2_bytes, c.l3_bytes, c.x86_avx2, c.x86_avx512vnni, c.arm_neon, c.arm_dotprod,
              c.arm_i8mm);
  ASSERT_TRUE(c.probed);
  EXPECT_EQ(&c, &Cpu());  // probed once
  EXPECT_GE(c.cores, 1u);
#if defined(__aarch64__)
  EXPECT_TRUE(c.arm_neon);  // every aarch64 CPU has Advanced SIMD
  EXPECT_FALSE(c.x86_avx2);
#if defined(__ARM_FEATURE_DOTPROD)
  EXPECT_TRUE(c.arm_dotprod);  // the compiler was allowed to assume it
#endif
#elif defined(__x86_64__)
  EXPECT_FALSE(c.arm_neon);
#if defined(__AVX2__)
  EXPECT_TRUE(c.x86_avx2);
#endif
#endif
  if (c.arm_i8mm) {
    EXPECT_TRUE(c.arm_neon);
  }
}

TEST(Clock, MonotonicAndNanoseconds) {
  const uint64_t a = MonotonicNanoseconds();
  volatile uint64_t sink = 0;
  for (int i = 0; i < 100000; ++i) sink = sink + static_cast<uint64_t>(i);
  const uint64_t b = MonotonicNanoseconds();
  EXPECT_GE(b, a);
  EXPECT_GT(a, 0u);
  EXPECT_DOUBLE_EQ(SecondsBetween(1000000000u, 3500000000u), 2.5);
}

TEST(SystemMemory, Probes) {
  const SystemMemory m = ReadSystemMemory();
  const MemoryStats s = ReadMemoryStats();
#if defined(__linux__) || defined(__APPLE__)
  EXPECT_GT(m.total_bytes, 0u);
  EXPECT_LE(m.available_bytes, m.total_bytes);
  EXPECT_LE(m.swap_free_bytes, m.swap_total_bytes);
  EXPECT_GT(s.resident_bytes, 0u);
  EXPECT_GE(s.peak_resident_bytes, s.resident_bytes);
#endif
}

TEST(AnonymousMemory, LockEitherSucceedsOrSaysWhy) {
  auto mem = AnonymousMemory::Allocate(1 << 16);
  ASSERT_TRUE(mem.ok());
  std::string why;
  if (mem->Lock(&why)) {
    EXPECT_TRUE(mem->locked());
  } else {
    EXPECT_FALSE(why.empty());
  }
}

}  // namespace
}  // namespace edgert::ports
