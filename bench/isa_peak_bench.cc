// bench/isa_peak_bench.cc: the ceiling each x86 tier puts on the int8 and
// f32 products, measured on this CPU: register-only loops of the instruction
// chain a tier's GEMM spends per 32 (int8) or 8 (f32) multiply-adds, enough
// independent accumulators to hide latency, nothing loaded. GOP/s counts a
// multiply-add as 2 operations, summed over the threads (->Threads(2) is what
// the 2-thread benchmarks of bench/ compare against). On a shared host the
// CPU-time column is the steadier: ops per CPU-second of one thread.
//
//   AVX2 Q8_0 x int8: vpsignb (x takes w's sign), vpmaddubsw (|w| unsigned),
//                     vpmaddwd (pairs to int32), vpaddd
//   AVX2 unsigned:    vpmaddubsw, vpmaddwd, vpaddd (Q4_0's nibbles: no sign op)
//   AVX-VNNI:         vpdpbusd on ymm
//   f32 FMA:          vfmadd231ps on ymm (PyTorch's fp32 products on AVX2)
//
// The LoRA step of kernels/README.md divides its ~1.0 T int8 operations by
// these to bound the step time a tier can reach.
#include <immintrin.h>

#include <benchmark/benchmark.h>

#include "kernels/isa.h"

namespace {

using edgert::kernels::Isa;
using edgert::kernels::IsaSupported;

constexpr int kChains = 10;
constexpr int64_t kIters = 1 << 20;

enum class Chain { kAvx2Signed, kAvx2Unsigned };

// AVX2 chains: a weight register per chain, made opaque every iteration, so
// the compiler cannot share one product among the chains (their latency is
// the one-cycle vpaddd: six chains keep the ports busy without spilling).
template <Chain kChain>
__attribute__((target("avx2,fma"))) void BM_Avx2Int8(benchmark::State& state) {
  constexpr int kAvx2Chains = 6;
  if (!IsaSupported(Isa::kAvx2)) {
    state.SkipWithError("this CPU lacks the ISA");
    return;
  }
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i x = _mm256_set1_epi8(-5), w[kAvx2Chains], acc[kAvx2Chains];
  for (int c = 0; c < kAvx2Chains; ++c) {
    w[c] = _mm256_set1_epi8(static_cast<char>(c + 1));
    acc[c] = _mm256_set1_epi32(c);
  }
  for (auto _ : state) {
    for (int64_t it = 0; it < kIters; ++it) {
      __asm__ volatile("" : "+x"(w[0]), "+x"(w[1]), "+x"(w[2]), "+x"(w[3]), "+x"(w[4]), "+x"(w[5]), "+x"(x));
      for (int c = 0; c < kAvx2Chains; ++c) {
        const __m256i p = kChain == Chain::kAvx2Signed ? _mm256_maddubs_epi16(w[c], _mm256_sign_epi8(x, w[c]))
                                                       : _mm256_maddubs_epi16(w[c], x);
        acc[c] = _mm256_add_epi32(acc[c], _mm256_madd_epi16(p, ones));
      }
    }
  }
  for (int c = 1; c < kAvx2Chains; ++c) acc[0] = _mm256_xor_si256(acc[0], acc[c]);
  benchmark::DoNotOptimize(acc[0]);
  state.counters["GOP/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * kIters * kAvx2Chains * 32 * 2 / 1e9,
                                               benchmark::Counter::kIsRate);
}

// vpdpbusd accumulates in place: ten chains cover its latency.
__attribute__((target("avx2,fma,avxvnni"))) void BM_AvxVnni(benchmark::State& state) {
  if (!IsaSupported(Isa::kAvxVnni)) {
    state.SkipWithError("this CPU lacks the ISA");
    return;
  }
  __m256i w = _mm256_set1_epi8(3), x = _mm256_set1_epi8(-5);
  __m256i acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = _mm256_set1_epi32(c);
  for (auto _ : state) {
    for (int64_t it = 0; it < kIters; ++it) {
      __asm__ volatile("" : "+x"(w), "+x"(x));
      for (int c = 0; c < kChains; ++c) acc[c] = _mm256_dpbusd_avx_epi32(acc[c], w, x);
    }
  }
  for (int c = 1; c < kChains; ++c) acc[0] = _mm256_xor_si256(acc[0], acc[c]);
  benchmark::DoNotOptimize(acc[0]);
  state.counters["GOP/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * kIters * kChains * 32 * 2 / 1e9,
                                               benchmark::Counter::kIsRate);
}

__attribute__((target("avx2,fma"))) void BM_F32Fma(benchmark::State& state) {
  if (!IsaSupported(Isa::kAvx2)) {
    state.SkipWithError("this CPU lacks the ISA");
    return;
  }
  __m256 a = _mm256_set1_ps(1.0001f), b = _mm256_set1_ps(0.9999f);
  __m256 acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = _mm256_set1_ps(static_cast<float>(c));
  for (auto _ : state) {
    for (int64_t it = 0; it < kIters; ++it) {
      __asm__ volatile("" : "+x"(a), "+x"(b));
      for (int c = 0; c < kChains; ++c) acc[c] = _mm256_fmadd_ps(a, b, acc[c]);
    }
  }
  for (int c = 1; c < kChains; ++c) acc[0] = _mm256_add_ps(acc[0], acc[c]);
  benchmark::DoNotOptimize(acc[0]);
  state.counters["GOP/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * kIters * kChains * 8 * 2 / 1e9,
                                               benchmark::Counter::kIsRate);
}

BENCHMARK(BM_Avx2Int8<Chain::kAvx2Signed>)->Name("Peak/avx2_q8_0_sign_maddubs_madd")->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_Avx2Int8<Chain::kAvx2Unsigned>)->Name("Peak/avx2_unsigned_maddubs_madd")->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_AvxVnni)->Name("Peak/avxvnni_dpbusd")->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_F32Fma)->Name("Peak/f32_fma")->Threads(1)->Threads(2)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
