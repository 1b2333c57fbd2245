// bench/xnnpack_bench.cc: our kernels against Debian's XNNPACK on the same
// operands, to decide per operator and ISA which engine runs it (the table is
// in kernels/README.md, "XNNPACK as an engine").
//
// Cases (0.5B / 1.5B shapes; the last argument is the thread count):
//   F32Fc/{ours,xnn,xnn_pack}/n/k/m  y[m][n] = x[m][k]·Wᵀ, f32 W. `xnn` has its
//       weights packed before the timing starts (what a model would pay once,
//       in memory); `xnn_pack` creates the operator, packs W, runs and frees it
//       on every call with XNNPACK's default allocator (fresh pages each time);
//       `engine` is what the runtime runs (Matmul: chunked packing into the
//       planned scratch, kernels/xnnpack/xnn_fc.h).
//   LoraProject/{ours,xnn}/n/m     u[m][8] = x[m][n]·Aᵀ (the LoRA A product).
//   LoraExpand/{ours,xnn}/n/m      y[m][n] (+)= u[m][8]·Bᵀ (the LoRA B product;
//       ours accumulates into y, XNNPACK writes y: ours does one more add).
//   Softmax/{ours,xnn}/n/rows      rows of n (512: attention probabilities;
//       151936: a vocabulary row).
// EDGERT_KERNELS caps our ISA; XNNPACK picks its own from the CPU (cpuinfo) and
// cannot be capped: on an AVX-512 host it runs its AVX-512 kernels.
//   build/bench/xnnpack_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <pthreadpool.h>
#include <xnnpack.h>

#include <cstdint>
#include <cstdlib>
#include <limits>
#include <memory>
#include <vector>

#include "bench/bench_pool.h"
#include "kernels/lowrank/lowrank.h"
#include "kernels/matmul/matmul.h"
#include "kernels/rowops/rowops.h"
#include "kernels/xnnpack/xnn_fc.h"

namespace edgert::kernels {
namespace {

using bench::MakePool;
using bench::Pool;

struct OpDeleter {
  void operator()(xnn_operator* op) const { xnn_delete_operator(op); }
};
using Op = std::unique_ptr<xnn_operator, OpDeleter>;

std::vector<float> Random(size_t count, float scale) {
  std::vector<float> v(count);
  uint64_t s = 0x9E3779B97F4A7C15ull + count;
  for (float& f : v) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    f = (static_cast<float>(s >> 40) / static_cast<float>(1 << 24) - 0.5f) * scale;
  }
  return v;
}

bool InitXnn(benchmark::State& state) {
  static const bool ok = xnn_initialize(nullptr) == xnn_status_success;
  if (!ok) state.SkipWithError("xnn_initialize failed");
  return ok;
}

constexpr float kInf = std::numeric_limits<float>::infinity();

// Fully connected (x·Wᵀ, W [n][k]) as XNNPACK builds it: packs W at creation.
Op CreateFc(size_t n, size_t k, const float* w, uint32_t flags) {
  xnn_operator_t op = nullptr;
  if (xnn_create_fully_connected_nc_f32(k, n, k, n, w, nullptr, -kInf, kInf, flags, &op) != xnn_status_success) return nullptr;
  return Op(op);
}

void SetCounters(benchmark::State& state, double ops) {
  state.counters["GFLOP/s"] = benchmark::Counter(ops * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate,
                                                 benchmark::Counter::kIs1000);
}

// args: n, k, m, threads
void F32FcOurs(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0)), k = static_cast<size_t>(state.range(1)),
             m = static_cast<size_t>(state.range(2));
  const std::vector<float> w = Random(n * k, 0.04f), x = Random(m * k, 2.0f);
  std::vector<float> y(m * n);
  Pool pool = MakePool(state.range(3));
  const MatmulWeights mw{DType::kF32, w.data(), n, k, 0};
  for (auto _ : state) {
    if (!MatmulWith(GetMatmulUkernels(), mw, x.data(), m, nullptr, y.data(), nullptr, 0, pool.get()).ok()) {
      state.SkipWithError("Matmul failed");
    }
    benchmark::DoNotOptimize(y.data());
  }
  SetCounters(state, 2.0 * static_cast<double>(m * n * k));
  state.SetLabel(GetMatmulUkernels().isa);
}

// What the runtime runs: Matmul, which hands float products of m ≥
// kXnnFcMinRows to XNNPACK chunk by chunk (kernels/xnnpack/xnn_fc.h) when the
// engine is on, packing each chunk into the planned scratch.
void F32FcEngine(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0)), k = static_cast<size_t>(state.range(1)),
             m = static_cast<size_t>(state.range(2));
  const std::vector<float> w = Random(n * k, 0.04f), x = Random(m * k, 2.0f);
  std::vector<float> y(m * n);
  std::vector<std::byte> scratch(MatmulScratchBytes(DType::kF32, m, k));
  Pool pool = MakePool(state.range(3));
  const MatmulWeights mw{DType::kF32, w.data(), n, k, 0};
  for (auto _ : state) {
    if (!Matmul(mw, x.data(), m, nullptr, y.data(), scratch.data(), scratch.size(), pool.get()).ok()) {
      state.SkipWithError("Matmul failed");
    }
    benchmark::DoNotOptimize(y.data());
  }
  SetCounters(state, 2.0 * static_cast<double>(m * n * k));
  state.SetLabel(XnnFcEnabled() && m >= kXnnFcMinRows ? "xnnpack" : GetMatmulUkernels().isa);
}

void F32FcXnn(benchmark::State& state, bool pack_every_call) {
  if (!InitXnn(state)) return;
  const auto n = static_cast<size_t>(state.range(0)), k = static_cast<size_t>(state.range(1)),
             m = static_cast<size_t>(state.range(2));
  const std::vector<float> w = Random(n * k, 0.04f), x = Random(m * k, 2.0f);
  std::vector<float> y(m * n);
  Pool pool = MakePool(state.range(3));
  Op packed = pack_every_call ? nullptr : CreateFc(n, k, w.data(), 0);
  for (auto _ : state) {
    Op op = pack_every_call ? CreateFc(n, k, w.data(), 0) : nullptr;
    xnn_operator_t run = pack_every_call ? op.get() : packed.get();
    if (run == nullptr || xnn_setup_fully_connected_nc_f32(run, m, x.data(), y.data(), pool.get()) != xnn_status_success ||
        xnn_run_operator(run, pool.get()) != xnn_status_success) {
      state.SkipWithError("XNNPACK fully connected failed");
      break;
    }
    benchmark::DoNotOptimize(y.data());
  }
  SetCounters(state, 2.0 * static_cast<double>(m * n * k));
}

constexpr int64_t kRank = 8;

// args: n, m. Single-threaded: the training graph splits LoRA calls by rows itself.
void LoraProjectOurs(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0)), m = static_cast<size_t>(state.range(1));
  const std::vector<float> x = Random(m * n, 2.0f), at = Random(n * kRank, 0.04f);
  std::vector<float> u(m * kRank);
  const LowRankUkernels& uk = GetLowRankUkernels();
  for (auto _ : state) {
    uk.project(x.data(), n, m, n, at.data(), kRank, u.data());
    benchmark::DoNotOptimize(u.data());
  }
  SetCounters(state, 2.0 * static_cast<double>(m * n * kRank));
  state.SetLabel(uk.isa);
}

void LoraProjectXnn(benchmark::State& state) {
  if (!InitXnn(state)) return;
  const auto n = static_cast<size_t>(state.range(0)), m = static_cast<size_t>(state.range(1));
  const std::vector<float> x = Random(m * n, 2.0f), at = Random(n * kRank, 0.04f);
  std::vector<float> u(m * kRank);
  for (auto _ : state) {  // A changes every training step: packed every call
    Op op = CreateFc(kRank, n, at.data(), XNN_FLAG_TRANSPOSE_WEIGHTS);
    if (!op || xnn_setup_fully_connected_nc_f32(op.get(), m, x.data(), u.data(), nullptr) != xnn_status_success ||
        xnn_run_operator(op.get(), nullptr) != xnn_status_success) {
      state.SkipWithError("XNNPACK fully connected failed");
      break;
    }
    benchmark::DoNotOptimize(u.data());
  }
  SetCounters(state, 2.0 * static_cast<double>(m * n * kRank));
}

void LoraExpandOurs(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0)), m = static_cast<size_t>(state.range(1));
  const std::vector<float> u = Random(m * kRank, 2.0f), bt = Random(kRank * n, 0.04f);
  std::vector<float> y(m * n);
  const LowRankUkernels& uk = GetLowRankUkernels();
  for (auto _ : state) {
    uk.expand(u.data(), m, kRank, bt.data(), n, 2.0f, y.data(), n);
    benchmark::DoNotOptimize(y.data());
  }
  SetCounters(state, 2.0 * static_cast<double>(m * n * kRank));
  state.SetLabel(uk.isa);
}

void LoraExpandXnn(benchmark::State& state) {
  if (!InitXnn(state)) return;
  const auto n = static_cast<size_t>(state.range(0)), m = static_cast<size_t>(state.range(1));
  const std::vector<float> u = Random(m * kRank, 2.0f), bt = Random(kRank * n, 0.04f);
  std::vector<float> y(m * n);
  for (auto _ : state) {
    Op op = CreateFc(n, kRank, bt.data(), XNN_FLAG_TRANSPOSE_WEIGHTS);
    if (!op || xnn_setup_fully_connected_nc_f32(op.get(), m, u.data(), y.data(), nullptr) != xnn_status_success ||
        xnn_run_operator(op.get(), nullptr) != xnn_status_success) {
      state.SkipWithError("XNNPACK fully connected failed");
      break;
    }
    benchmark::DoNotOptimize(y.data());
  }
  SetCounters(state, 2.0 * static_cast<double>(m * n * kRank));
}

// args: n, rows. One thread.
void SoftmaxOurs(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0)), rows = static_cast<size_t>(state.range(1));
  const std::vector<float> src = Random(n * rows, 20.0f);
  std::vector<float> x(src.size());
  const RowOpsUkernels& uk = GetRowOpsUkernels();
  for (auto _ : state) {
    x = src;
    for (size_t r = 0; r < rows; ++r) uk.softmax(n, x.data() + r * n);
    benchmark::DoNotOptimize(x.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n * rows));
  state.SetLabel(uk.isa);
}

void SoftmaxXnn(benchmark::State& state) {
  if (!InitXnn(state)) return;
  const auto n = static_cast<size_t>(state.range(0)), rows = static_cast<size_t>(state.range(1));
  const std::vector<float> src = Random(n * rows, 20.0f);
  std::vector<float> x(src.size()), y(src.size());
  xnn_operator_t raw = nullptr;
  if (xnn_create_softmax_nc_f32(n, n, n, 0, &raw) != xnn_status_success) {
    state.SkipWithError("xnn_create_softmax_nc_f32 failed");
    return;
  }
  const Op op(raw);
  for (auto _ : state) {
    x = src;  // the same copy ours pays, so the two compare
    if (xnn_setup_softmax_nc_f32(op.get(), rows, x.data(), y.data(), nullptr) != xnn_status_success ||
        xnn_run_operator(op.get(), nullptr) != xnn_status_success) {
      state.SkipWithError("XNNPACK softmax failed");
      break;
    }
    benchmark::DoNotOptimize(y.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n * rows));
}

void FcShapes(benchmark::internal::Benchmark* b) {
  for (int64_t threads : {1, 2}) {
    for (auto [n, k] : {std::pair<int64_t, int64_t>{896, 896}, {4864, 896}, {896, 4864}, {1536, 1536}}) {
      for (int64_t m : {1, 64, 512}) b->Args({n, k, m, threads});
    }
  }
  b->ArgNames({"n", "k", "m", "threads"})->UseRealTime();
}
void LoraShapes(benchmark::internal::Benchmark* b) {
  for (int64_t n : {896, 4864}) b->Args({n, 512});
  b->ArgNames({"n", "m"});
}
void SoftmaxShapes(benchmark::internal::Benchmark* b) {
  b->Args({512, 512})->Args({151936, 4})->ArgNames({"n", "rows"});
}

BENCHMARK(F32FcOurs)->Name("F32Fc/ours")->Apply(FcShapes);
BENCHMARK(F32FcEngine)->Name("F32Fc/engine")->Apply(FcShapes);
BENCHMARK_CAPTURE(F32FcXnn, prepacked, false)->Name("F32Fc/xnn")->Apply(FcShapes);
BENCHMARK_CAPTURE(F32FcXnn, pack_every_call, true)->Name("F32Fc/xnn_pack")->Apply(FcShapes);
BENCHMARK(LoraProjectOurs)->Name("LoraProject/ours")->Apply(LoraShapes);
BENCHMARK(LoraProjectXnn)->Name("LoraProject/xnn")->Apply(LoraShapes);
BENCHMARK(LoraExpandOurs)->Name("LoraExpand/ours")->Apply(LoraShapes);
BENCHMARK(LoraExpandXnn)->Name("LoraExpand/xnn")->Apply(LoraShapes);
BENCHMARK(SoftmaxOurs)->Name("Softmax/ours")->Apply(SoftmaxShapes);
BENCHMARK(SoftmaxXnn)->Name("Softmax/xnn")->Apply(SoftmaxShapes);

}  // namespace
}  // namespace edgert::kernels

BENCHMARK_MAIN();
