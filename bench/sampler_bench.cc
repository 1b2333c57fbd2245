// bench/sampler_bench.cc: one sampled token on the Qwen vocabulary (151,936
// logits), temperature 0.8 with top-p 0.9 and without truncation, when a
// grammar mask has left K tokens (the others -inf) and when nothing is masked.
#include <benchmark/benchmark.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "runtime/generate/sampler.h"

namespace {

constexpr size_t kVocab = 151936;

void BM_Sample(benchmark::State& state, float top_p) {
  const auto allowed = static_cast<size_t>(state.range(0));
  std::mt19937 rng(1);
  std::normal_distribution<float> nd(0.0f, 3.0f);
  std::vector<float> logits(kVocab, -std::numeric_limits<float>::infinity());
  for (size_t i = 0; i < allowed; ++i) logits[(i * 7919) % kVocab] = nd(rng);
  edgert::SamplingOptions o;
  o.temperature = 0.8f;
  o.top_p = top_p;
  edgert::Sampler sampler(o);
  std::vector<float> work(kVocab);
  for (auto _ : state) {
    work = logits;  // Sample scales the logits in place
    benchmark::DoNotOptimize(sampler.Sample(work, {}));
  }
}

BENCHMARK_CAPTURE(BM_Sample, top_p_0_9, 0.9f)->Arg(8)->Arg(200)->Arg(5000)->Arg(kVocab)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Sample, no_truncation, 1.0f)->Arg(8)->Arg(200)->Arg(kVocab)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
