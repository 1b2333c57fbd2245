// bench/kernels_bench.cc: matmul kernels on Qwen2.5-0.5B / 1.5B shapes.
//
// GEMV (decode, m = 1): reports GB/s of weights read, to be read against
// BM_MemoryRead (the machine's read bandwidth with the same thread count).
// Weights are kept cold by rotating over copies spanning ≥ 512 MB, as in a
// real decode step where the whole model streams through once per token.
// GEMM (prefill, m = 512): reports GOP/s (2·m·n·k per call).
// Transposed (training backward, dx += dy·W through a frozen W): GOP/s of the
// f32 and int8 paths (matmul_transposed.h) on the same operands; the LM-head
// case is one vocabulary chunk of 16384 rows, dy a column slice of 128 rows of
// full-vocabulary logits, as lora_graph.cc calls it.
// Every benchmark takes the thread count as its last argument (1 or 2).
// The host is shared and noisy: compare variants back to back, e.g.
//   kernels_bench --benchmark_filter='Gemv/q8_0' --benchmark_repetitions=3
// EDGERT_KERNELS=avxvnni|avx2|scalar caps the ISA; EDGERT_BENCH_WARM=1 keeps GEMV weights warm.
#include <benchmark/benchmark.h>
#include <immintrin.h>
#include <pthreadpool.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "bench/bench_pool.h"
#include "base/dtype.h"
#include "kernels/convert/fp16.h"
#include "kernels/matmul/matmul.h"
#include "kernels/matmul/matmul_transposed.h"

namespace edgert::kernels {
namespace {

using bench::MakePool;
using bench::Pool;

// Random but valid weights: quants uniform, scales ~1e-2, floats ~N(0, 0.02).
void FillWeights(DType type, uint8_t* p, size_t n, size_t k) {
  uint64_t s = 0x9E3779B97F4A7C15ull;
  auto next = [&s] {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  };
  const size_t bytes = TensorBytes(type, std::vector<int64_t>{static_cast<int64_t>(n), static_cast<int64_t>(k)}).value();
  for (size_t i = 0; i + 8 <= bytes; i += 8) {
    const uint64_t v = next();
    std::memcpy(p + i, &v, 8);
  }
  const uint16_t scale = F32ToF16(0.01f);
  if (type == DType::kQ8_0 || type == DType::kQ4_0) {
    const size_t block = type == DType::kQ8_0 ? 34 : 18;
    for (size_t b = 0; b < bytes / block; ++b) std::memcpy(p + b * block, &scale, 2);
  } else if (type == DType::kF32) {
    auto* f = reinterpret_cast<float*>(p);
    for (size_t i = 0; i < n * k; ++i) f[i] = static_cast<float>(static_cast<int32_t>(next() >> 40) - (1 << 23)) * 0x1p-29f;
  } else {  // f16 / bf16: keep exponents sane
    auto* h = reinterpret_cast<uint16_t*>(p);
    for (size_t i = 0; i < n * k; ++i) {
      const float f = static_cast<float>(static_cast<int32_t>(next() >> 40) - (1 << 23)) * 0x1p-29f;
      h[i] = type == DType::kF16 ? F32ToF16(f) : F32ToBF16(f);
    }
  }
}

struct Shape {
  size_t n, k;
};
constexpr Shape kShapes[] = {
    {896, 896}, {128, 896}, {4864, 896}, {896, 4864}, {151936, 896},            // 0.5B: q/o, k/v, gate/up, down, head
    {1536, 1536}, {256, 1536}, {8960, 1536}, {1536, 8960}, {151936, 1536},      // 1.5B
};
constexpr DType kTypes[] = {DType::kQ8_0, DType::kQ4_0, DType::kF32, DType::kF16, DType::kBF16};

// Copies of one weight matrix, rotated so that each call reads cold memory.
struct WeightSet {
  std::vector<std::unique_ptr<uint8_t[]>> copies;
  size_t bytes = 0;
};

WeightSet MakeWeights(DType type, Shape s, size_t min_footprint) {
  WeightSet ws;
  ws.bytes = TensorBytes(type, std::vector<int64_t>{static_cast<int64_t>(s.n), static_cast<int64_t>(s.k)}).value();
  const size_t copies = std::max<size_t>(1, (min_footprint + ws.bytes - 1) / ws.bytes);
  for (size_t c = 0; c < copies; ++c) {
    ws.copies.emplace_back(new uint8_t[ws.bytes]);
    FillWeights(type, ws.copies.back().get(), s.n, s.k);
  }
  return ws;
}

// `isa` names the table to run; without one, this CPU's best (EDGERT_KERNELS caps it).
void BM_MatmulOn(benchmark::State& state, DType type, Shape s, size_t m, const Isa* isa) {
  const int64_t threads = state.range(0);
  const MatmulUkernels* chosen = isa != nullptr ? MatmulUkernelsFor(*isa) : &GetMatmulUkernels();
  if (chosen == nullptr) {
    state.SkipWithError("this CPU lacks the ISA");
    return;
  }
  const MatmulUkernels& uk = *chosen;
  // GEMV is memory-bound: keep it cold. GEMM is compute-bound: one copy.
  // EDGERT_BENCH_WARM=1 keeps one copy (cache-resident for small shapes): the
  // gap to the cold figure shows how memory-bound a kernel is.
  const bool warm = std::getenv("EDGERT_BENCH_WARM") != nullptr;
  WeightSet ws = MakeWeights(type, s, m == 1 && !warm ? (512u << 20) : 0);
  std::vector<float> x(m * s.k), y(m * s.n);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 2654435761u) % 1000) * 1e-3f - 0.5f;
  std::vector<std::byte> scratch(MatmulScratchBytes(type, m, s.k));
  Pool pool = MakePool(threads);
  size_t c = 0;
  for (auto _ : state) {
    const MatmulWeights w{type, ws.copies[c].get(), s.n, s.k, 0};
    c = (c + 1) % ws.copies.size();
    const Status st = MatmulWith(uk, w, x.data(), m, nullptr, y.data(), scratch.data(), scratch.size(), pool.get());
    if (!st.ok()) {
      state.SkipWithError(st.message().c_str());
      break;
    }
    benchmark::DoNotOptimize(y.data());
  }
  state.SetLabel(uk.isa);
  const double calls = static_cast<double>(state.iterations());
  state.counters["GB/s"] = benchmark::Counter(calls * static_cast<double>(ws.bytes) * 1e-9, benchmark::Counter::kIsRate);
  state.counters["GOP/s"] =
      benchmark::Counter(calls * 2.0 * static_cast<double>(m * s.n * s.k) * 1e-9, benchmark::Counter::kIsRate);
}

void BM_Matmul(benchmark::State& state, DType type, Shape s, size_t m) { BM_MatmulOn(state, type, s, m, nullptr); }

void BM_Transposed(benchmark::State& state, DType type, Shape s, size_t m, size_t ld, TransposedPrecision precision) {
  const int64_t threads = state.range(0);
  WeightSet ws = MakeWeights(type, s, 0);
  std::vector<float> dy(m * ld), dx(m * s.k, 0.0f);
  for (size_t i = 0; i < dy.size(); ++i) dy[i] = static_cast<float>((i * 2654435761u) % 1000) * 1e-6f - 5e-4f;
  std::vector<std::byte> scratch(MatmulTransposedInt8ScratchBytes(m, s.n, static_cast<size_t>(threads)));
  Pool pool = MakePool(threads);
  const MatmulWeights w{type, ws.copies[0].get(), s.n, s.k, 0};
  for (auto _ : state) {
    const Status st = MatmulTransposedAccumulate(w, dy.data(), m, dx.data(), pool.get(), ld, precision, scratch.data(),
                                                 scratch.size());
    if (!st.ok()) {
      state.SkipWithError(st.message().c_str());
      break;
    }
    benchmark::DoNotOptimize(dx.data());
  }
  state.SetLabel(GetMatmulUkernels().isa);
  state.counters["GOP/s"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * 2.0 * static_cast<double>(m * s.n * s.k) * 1e-9, benchmark::Counter::kIsRate);
}

// The int8 transposed product's Wᵀ packer alone (this CPU's format: wide
// blocks where it has them, else GGUF blocks), over every panel of a chunk of
// rows (ns per weight): how much of the product is packing.
void BM_PackTransposed(benchmark::State& state, DType type, Shape s) {
  WeightSet ws = MakeWeights(type, s, 0);
  const size_t row_bytes = ws.bytes / s.n, nb = (s.n + 31) / 32;
  const Int8WideUkernels* wide = Int8WideUkernelsFor(BestIsa());
  const size_t wide_units = kInt8Panel / kInt8Tile * ((s.n + kInt8Block - 1) / kInt8Block);
  std::vector<BlockQ8_0> out(kInt8Panel * nb);
  std::unique_ptr<Int8WideUnit[]> units(new Int8WideUnit[wide_units]);
  for (auto _ : state) {
    for (size_t c0 = 0; c0 < s.k; c0 += kInt8Panel) {
      if (wide != nullptr) {
        wide->pack(type, ws.copies[0].get(), row_bytes, s.n, c0, kInt8Panel, units.get());
      } else {
        PackTransposedQ8For(BestIsa())(type, ws.copies[0].get(), row_bytes, s.n, c0, kInt8Panel, out.data(), nb);
      }
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::DoNotOptimize(units.get());
  }
  state.SetLabel(wide != nullptr ? wide->isa : std::string("gguf ") + IsaName(BestIsa()));
  state.counters["ns/weight"] = benchmark::Counter(static_cast<double>(state.iterations()) * static_cast<double>(s.n * s.k),
                                                   benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// The wide-block int8 microkernel alone (no packing, no quantization): one
// task's panel of 128 dx columns x one chunk of 1024 rows of W, m = 512 rows of
// dy, operands in cache as far as they fit (GOP/s: 2·m·128·1024 per call).
void BM_Int8WideGemm(benchmark::State& state) {
  const Int8WideUkernels* uk = Int8WideUkernelsFor(BestIsa());
  if (uk == nullptr) {
    state.SkipWithError("no wide-block variant on this CPU");
    return;
  }
  constexpr size_t kM = 512, kCols = kInt8Panel, kRows = kInt8ChunkRows, kNb = kRows / kInt8Block;
  std::unique_ptr<Int8WideUnit[]> units(new Int8WideUnit[kCols / kInt8Tile * kNb]);
  for (size_t u = 0; u < kCols / kInt8Tile * kNb; ++u) {
    for (size_t j = 0; j < kInt8Block / 4; ++j) {
      for (size_t c = 0; c < kInt8Tile; ++c) units[u].q[j][c] = static_cast<uint32_t>((j * 2654435761u + c * 40503u) | 0x01010101u);
    }
    for (size_t c = 0; c < kInt8Tile; ++c) units[u].d[c] = 1e-3f;
  }
  std::vector<int8_t> xq(kM * kRows);
  for (size_t i = 0; i < xq.size(); ++i) xq[i] = static_cast<int8_t>((i * 7919) % 255 - 127);
  std::vector<float> xd(kM * kNb, 1e-4f), dx(kM * kCols, 0.0f);
  std::vector<int32_t> xc(kM * kNb, 0);
  for (auto _ : state) {
    uk->gemm(kM, kCols / kInt8Tile, kNb, units.get(), xq.data(), kRows, xd.data(), xc.data(), kNb, dx.data(), kCols);
    benchmark::DoNotOptimize(dx.data());
  }
  state.SetLabel(uk->isa);
  state.counters["GOP/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * 2.0 * kM * kCols * kRows * 1e-9,
                                               benchmark::Counter::kIsRate);
}

// Read bandwidth: sum of a 1 GB buffer, split over the pool's threads.
struct SumTask {
  const float* data;
  size_t per_task;
  float* sums;
};

__attribute__((target("avx2"))) void SumChunk(void* ctx, size_t t) {
  const auto& task = *static_cast<const SumTask*>(ctx);
  const float* p = task.data + t * task.per_task;
  __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  for (size_t i = 0; i < task.per_task; i += 32) {
    a0 = _mm256_add_ps(a0, _mm256_load_ps(p + i));
    a1 = _mm256_add_ps(a1, _mm256_load_ps(p + i + 8));
    a2 = _mm256_add_ps(a2, _mm256_load_ps(p + i + 16));
    a3 = _mm256_add_ps(a3, _mm256_load_ps(p + i + 24));
  }
  alignas(32) float out[8];
  _mm256_store_ps(out, _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
  task.sums[t] = out[0] + out[1] + out[2] + out[3] + out[4] + out[5] + out[6] + out[7];
}

void BM_MemoryRead(benchmark::State& state) {
  const int64_t threads = state.range(0);
  constexpr size_t kBytes = size_t{1} << 30, kTasks = 64;
  const size_t floats = kBytes / sizeof(float);
  std::unique_ptr<float[], decltype(&std::free)> buf(static_cast<float*>(std::aligned_alloc(64, kBytes)), &std::free);
  for (size_t i = 0; i < floats; ++i) buf[i] = 1.0f;
  std::vector<float> sums(kTasks);
  Pool pool = MakePool(threads);
  SumTask task{buf.get(), floats / kTasks, sums.data()};
  for (auto _ : state) {
    pthreadpool_parallelize_1d(pool.get(), SumChunk, &task, kTasks, 0);
    benchmark::DoNotOptimize(sums.data());
  }
  state.counters["GB/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * kBytes * 1e-9, benchmark::Counter::kIsRate);
}

// The cost of one pthreadpool dispatch with nothing to do (one task per
// thread): wake-up plus barrier, what every operator call of a decode step
// pays on top of its work.
void EmptyTask(void*, size_t) {}

void BM_Dispatch(benchmark::State& state) {
  Pool pool = MakePool(state.range(0));
  const size_t tasks = static_cast<size_t>(state.range(0));
  for (auto _ : state) pthreadpool_parallelize_1d(pool.get(), EmptyTask, nullptr, tasks, 0);
}

// GEMM shapes beyond Gemm512: the LM head at m = 512 (LoRA training runs it
// forward on every position) and short prompts, where packing a weight tile
// is amortized over few activation rows. Quantized types only.
void RegisterGemmShapes() {
  constexpr Shape kHead{151936, 896};
  for (DType type : {DType::kQ8_0, DType::kQ4_0}) {
    const std::string t(DTypeName(type));
    benchmark::RegisterBenchmark(("Gemm512/" + t + "/151936x896").c_str(), BM_Matmul, type, kHead, size_t{512})
        ->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
    for (size_t m : {size_t{16}, size_t{64}}) {
      for (Shape s : {Shape{896, 896}, Shape{4864, 896}, Shape{896, 4864}}) {
        const std::string name = "Gemm" + std::to_string(m) + "/" + t + "/" + std::to_string(s.n) + "x" + std::to_string(s.k);
        benchmark::RegisterBenchmark(name.c_str(), BM_Matmul, type, s, m)
            ->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
      }
    }
  }
}

// The GGUF-block packer of one ISA alone (ns per weight), every panel of a
// chunk of rows: the scalar reference beside each ISA's own.
void BM_PackTransposedGguf(benchmark::State& state, PackTransposedQ8Fn pack, const char* isa, DType type, Shape s) {
  WeightSet ws = MakeWeights(type, s, 0);
  const size_t row_bytes = ws.bytes / s.n, nb = (s.n + 31) / 32;
  std::vector<BlockQ8_0> out(kInt8Panel * nb);
  for (auto _ : state) {
    for (size_t c0 = 0; c0 < s.k; c0 += kInt8Panel) {
      pack(type, ws.copies[0].get(), row_bytes, s.n, c0, kInt8Panel, out.data(), nb);
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetLabel(isa);
  state.counters["ns/weight"] = benchmark::Counter(static_cast<double>(state.iterations()) * static_cast<double>(s.n * s.k),
                                                   benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// The training backward's dx += dy·W (f32 and int8 paths, and the int8
// path's Wᵀ packer alone) on the 0.5B projections and an LM-head chunk.
void RegisterTransposed() {
  std::vector<std::pair<PackTransposedQ8Fn, const char*>> packers = {{PackTransposedQ8Scalar, "scalar"}};
  for (Isa isa : AllIsas()) {
    if (const PackTransposedQ8Fn p = PackTransposedQ8For(isa); p != nullptr && p != PackTransposedQ8Scalar) {
      packers.emplace_back(p, IsaName(isa));
    }
  }
  for (const auto& [pack, isa] : packers) {
    for (DType type : {DType::kQ8_0, DType::kQ4_0}) {
      benchmark::RegisterBenchmark(("PackTransposedGguf/" + std::string(isa) + "/" + std::string(DTypeName(type)) +
                                    "/1024x896").c_str(),
                                   BM_PackTransposedGguf, pack, isa, type, Shape{1024, 896})
          ->Unit(benchmark::kMillisecond);
    }
  }
  benchmark::RegisterBenchmark("Int8WideGemm/512x128x1024", BM_Int8WideGemm)->Unit(benchmark::kMillisecond);
  for (DType type : {DType::kQ8_0, DType::kQ4_0}) {
    for (Shape s : {Shape{128, 896}, Shape{1024, 896}, Shape{4864, 896}, Shape{16384, 896}}) {
      benchmark::RegisterBenchmark(("PackTransposed/" + std::string(DTypeName(type)) + "/" + std::to_string(s.n) + "x" +
                                    std::to_string(s.k)).c_str(),
                                   BM_PackTransposed, type, s)
          ->Unit(benchmark::kMillisecond);
    }
    for (TransposedPrecision p : {TransposedPrecision::kF32, TransposedPrecision::kInt8}) {
      const std::string name = std::string(p == TransposedPrecision::kF32 ? "f32" : "int8") + "/" + std::string(DTypeName(type));
      for (size_t m : {size_t{16}, size_t{64}, size_t{512}}) {
        for (Shape s : {Shape{896, 896}, Shape{128, 896}, Shape{4864, 896}, Shape{896, 4864}}) {
          const std::string shape = std::to_string(s.n) + "x" + std::to_string(s.k);
          benchmark::RegisterBenchmark(("Transposed" + std::to_string(m) + "/" + name + "/" + shape).c_str(),
                                       BM_Transposed, type, s, m, s.n, p)
              ->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
        }
      }
      benchmark::RegisterBenchmark(("TransposedHead128/" + name + "/16384x896").c_str(), BM_Transposed, type,
                                   Shape{16384, 896}, size_t{128}, size_t{151936}, p)
          ->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
      benchmark::RegisterBenchmark(("TransposedHead512/" + name + "/16384x896").c_str(), BM_Transposed, type,
                                   Shape{16384, 896}, size_t{512}, size_t{151936}, p)
          ->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
    }
  }
}

// The laptop tiers (AVX2: what a CPU without AVX-512 runs; AVX-VNNI: Alder
// Lake and later, whose GEMM differs) at the 0.5B shapes, whatever this CPU's
// best is: decode (m = 1) and prefill (m = 512), the LM head included, Q8_0
// and Q4_0, e.g. --benchmark_filter='^(Avx2|AvxVnni)/Gemm' beside
// EDGERT_KERNELS=avx2 runs of the generic cases.
void RegisterLaptopTiers() {
  static constexpr Isa kTiers[] = {Isa::kAvx2, Isa::kAvxVnni};
  for (const Isa& isa : kTiers) {
    const std::string tier = isa == Isa::kAvx2 ? "Avx2/" : "AvxVnni/";
    for (DType type : {DType::kQ8_0, DType::kQ4_0}) {
      for (Shape s : {Shape{896, 896}, Shape{128, 896}, Shape{4864, 896}, Shape{896, 4864}, Shape{151936, 896}}) {
        for (size_t m : {size_t{1}, size_t{512}}) {
          const std::string name = tier + (m == 1 ? "Gemv/" : "Gemm512/") + std::string(DTypeName(type)) + "/" +
                                   std::to_string(s.n) + "x" + std::to_string(s.k);
          benchmark::RegisterBenchmark(name.c_str(), BM_MatmulOn, type, s, m, &isa)
              ->Arg(1)->Arg(2)->UseRealTime()->Unit(m == 1 ? benchmark::kMicrosecond : benchmark::kMillisecond);
        }
      }
    }
  }
}

int RegisterAll() {
  benchmark::RegisterBenchmark("Dispatch", BM_Dispatch)->Arg(2)->UseRealTime()->Unit(benchmark::kMicrosecond);
  // Also the probe bench/compare_llamacpp.sh runs beside each decode figure.
  benchmark::RegisterBenchmark("MemoryRead/1GB", BM_MemoryRead)
      ->Arg(1)->Arg(2)->Arg(4)->UseRealTime()->Unit(benchmark::kMillisecond);
  for (DType type : kTypes) {
    for (Shape s : kShapes) {
      const std::string shape = std::to_string(s.n) + "x" + std::to_string(s.k);
      const bool huge_float = !DTypeInfoOf(type).quantized && s.n * s.k > 200'000'000;  // ≥ 0.9 GB of f32
      if (!huge_float) {
        benchmark::RegisterBenchmark(("Gemv/" + std::string(DTypeName(type)) + "/" + shape).c_str(), BM_Matmul, type, s,
                                     size_t{1})
            ->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMicrosecond);
      }
      if (s.n < 100'000) {  // prefill never multiplies the LM head by all 512 positions
        benchmark::RegisterBenchmark(("Gemm512/" + std::string(DTypeName(type)) + "/" + shape).c_str(), BM_Matmul, type,
                                     s, size_t{512})
            ->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
      }
    }
  }
  RegisterGemmShapes();
  RegisterLaptopTiers();
  RegisterTransposed();
  return 0;
}
const int kRegistered = RegisterAll();

}  // namespace
}  // namespace edgert::kernels

BENCHMARK_MAIN();
