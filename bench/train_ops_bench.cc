// bench/train_ops_bench.cc: the LoRA backward pass's operations on
// Qwen2.5-0.5B shapes at 512 positions, one at a time (what train_bench's
// phases are made of). GFLOP/s counters count the useful work (2·m·n·k for a
// product; the causal half for attention). Last argument: threads.
// The host is shared and noisy: compare variants back to back.
#include <benchmark/benchmark.h>
#include <pthreadpool.h>

#include <memory>
#include <random>
#include <vector>

#include "bench/bench_pool.h"
#include "kernels/matmul/matmul_transposed.h"
#include "runtime/train/backward_ops.h"

namespace edgert {
namespace {

using bench::MakePool;
using bench::Pool;

std::vector<float> Random(size_t n, float scale) {
  std::mt19937 rng(1);
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

constexpr int64_t kM = 512;

// dx += dy·W through an f32 weight [n][k] (the Q8_0 path differs only in its tile decode).
void BM_DxFrozen(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0)), k = static_cast<size_t>(state.range(1));
  const std::vector<float> w = Random(n * k, 0.02f), dy = Random(kM * n, 1.0f);
  std::vector<float> dx(kM * k);
  Pool pool = MakePool(state.range(2));
  for (auto _ : state) {
    (void)kernels::MatmulTransposedAccumulate({DType::kF32, w.data(), n, k, 0}, dy.data(), kM, dx.data(), pool.get());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * kM * static_cast<double>(n * k) * static_cast<double>(state.iterations()) / 1e9, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_DxFrozen)->Args({4864, 896, 2})->Args({896, 4864, 2})->Args({896, 896, 2})->Args({4864, 896, 1})->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Lora(benchmark::State& state) {
  const int64_t in = state.range(0), out = state.range(1);
  const int32_t r = 8;  // one branch on the calling thread (the single-branch overloads)
  LoraPair p{Random(static_cast<size_t>(r * in), 0.03f), Random(static_cast<size_t>(out * r), 0.01f), in, out};
  LoraPair g{std::vector<float>(p.a.size()), std::vector<float>(p.b.size()), in, out};
  const std::vector<float> x = Random(static_cast<size_t>(kM * in), 1.0f), dy = Random(static_cast<size_t>(kM * out), 1e-3f);
  std::vector<float> ax(static_cast<size_t>(kM * r)), y(static_cast<size_t>(kM * out)), dx(static_cast<size_t>(kM * in));
  std::vector<float> scratch(static_cast<size_t>(grad::LoraScratchFloats(kM, r, std::max(in, out))));
  for (auto _ : state) {
    grad::LoraForward(p, r, 2.0f, x.data(), kM, ax.data(), y.data(), scratch.data());
    grad::LoraBackward(p, r, 2.0f, x.data(), ax.data(), dy.data(), kM, g, dx.data(), scratch.data());
  }
}
// The seven targets' shapes: q/o, k/v, gate/up, down.
BENCHMARK(BM_Lora)->Args({896, 896})->Args({896, 128})->Args({896, 4864})->Args({4864, 896})->Unit(benchmark::kMillisecond)->UseRealTime();

// The same over the pool (grad::LoraForward/LoraBackward on a LoraBranch): third argument threads.
void BM_LoraSplit(benchmark::State& state) {
  const int64_t in = state.range(0), out = state.range(1);
  const int32_t r = 8;
  LoraPair p{Random(static_cast<size_t>(r * in), 0.03f), Random(static_cast<size_t>(out * r), 0.01f), in, out};
  LoraPair g{std::vector<float>(p.a.size()), std::vector<float>(p.b.size()), in, out};
  const std::vector<float> x = Random(static_cast<size_t>(kM * in), 1.0f), dy = Random(static_cast<size_t>(kM * out), 1e-3f);
  std::vector<float> ax(static_cast<size_t>(kM * r)), y(static_cast<size_t>(kM * out)), dx(static_cast<size_t>(kM * in));
  std::vector<float> scratch(static_cast<size_t>(grad::LoraScratchFloats(kM, r, std::max(in, out))));
  Pool pool = MakePool(state.range(2));
  const grad::LoraBranch b{&p, ax.data(), y.data(), dy.data(), &g};
  for (auto _ : state) {
    grad::LoraForward(std::span(&b, 1), r, 2.0f, x.data(), kM, scratch.data(), pool.get());
    grad::LoraBackward(std::span(&b, 1), r, 2.0f, x.data(), kM, dx.data(), scratch.data(), pool.get());
  }
}
BENCHMARK(BM_LoraSplit)->Args({896, 896, 1})->Args({896, 896, 2})->Args({896, 4864, 1})->Args({896, 4864, 2})->Args({4864, 896, 1})->Args({4864, 896, 2})->Unit(benchmark::kMillisecond)->UseRealTime();

struct AttentionData {
  grad::AttentionShape s{14, 2, 64};
  std::vector<float> q = Random(kM * 896, 1.0f), k = Random(kM * 128, 1.0f), v = Random(kM * 128, 1.0f);
  std::vector<float> probs = std::vector<float>(14 * kM * kM), out = std::vector<float>(kM * 896);
  std::vector<float> dq = std::vector<float>(kM * 896), dk = std::vector<float>(kM * 128), dv = std::vector<float>(kM * 128);
  std::vector<float> scratch = std::vector<float>(static_cast<size_t>(grad::AttentionScratchFloats(s, kM)));
  void Forward(pthreadpool_t pool, bool keep_probs = true) {
    grad::AttentionForward(s, q.data(), k.data(), v.data(), kM, keep_probs ? probs.data() : nullptr, out.data(),
                           scratch.data(), pool);
  }
  void Backward(pthreadpool_t pool) {
    grad::AttentionBackward(s, q.data(), k.data(), v.data(), probs.data(), out.data(), kM, dq.data(), dk.data(),
                            dv.data(), scratch.data(), pool);
  }
};
// Useful work: the causal half of each [m][m] product, 2·(m²/2)·d per head.
constexpr double kCausalProductFlop = 14.0 * kM * kM * 64;

// Forward (as the recompute phase runs it, keeping probs; second argument 0:
// as the forward phase does, without) and backward, one layer.
void BM_AttentionForward(benchmark::State& state) {
  AttentionData a;
  Pool pool = MakePool(state.range(0));
  for (auto _ : state) a.Forward(pool.get(), state.range(1) != 0);
  state.counters["GFLOP/s"] = benchmark::Counter(2 * kCausalProductFlop * static_cast<double>(state.iterations()) / 1e9, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_AttentionForward)->Args({1, 1})->Args({1, 0})->Args({2, 1})->Args({2, 0})->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_AttentionBackward(benchmark::State& state) {
  AttentionData a;
  Pool pool = MakePool(state.range(0));
  a.Forward(pool.get());
  for (auto _ : state) a.Backward(pool.get());
  state.counters["GFLOP/s"] = benchmark::Counter(4 * kCausalProductFlop * static_cast<double>(state.iterations()) / 1e9, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_AttentionBackward)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace edgert

BENCHMARK_MAIN();
