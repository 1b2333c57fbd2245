// kernels/matmul/matmul.cc: the matrix-product operator (validation, activation
// quantization, threading) over the microkernel table. No ISA tests here.
#include "kernels/matmul/matmul.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include "base/quant_blocks.h"
#include "kernels/matmul/matmul_variants.h"
#include "kernels/xnnpack/xnn_fc.h"

namespace edgert::kernels {
namespace {

// Output features per task. Every microkernel computes each output element
// the same way whatever slice it is given, so the split never changes a
// result. Decode: small tasks balance threads (the 128-row k/v projections
// still give two threads a task each). Prefill: the GEMM streams the
// activations once per task, so large matrices get larger tasks.
constexpr size_t kTaskRows = 64;
constexpr size_t kGemmTaskRows = 256;

bool Quantized(DType t) { return t == DType::kQ8_0 || t == DType::kQ4_0; }

size_t Align64(size_t v) { return (v + 63) & ~size_t{63}; }

struct Layout {  // quantized activations inside scratch, then their GEMV layout (m = 1)
  size_t qs, d, corr, packed, total;
};

Layout ActivationLayout(size_t m, size_t k) {
  const size_t kb = k / kQuantBlock;
  Layout l{};
  l.qs = 0;
  l.d = Align64(m * k);
  l.corr = l.d + Align64(m * kb * sizeof(float));
  l.packed = l.corr + Align64(m * kb * sizeof(int32_t));
  l.total = l.packed + kGemvPackBytesPerBlock * (kb + 4) + 64;  // + 64: room to align the start
  return l;
}

struct QuantizeTask {
  const MatmulUkernels* uk;
  const float* x;
  size_t k;
  int32_t corr_mul;
  int8_t* qs;
  float* d;
  int32_t* corr;
};

void QuantizeRow(void* ctx, size_t i) {
  const auto& t = *static_cast<const QuantizeTask*>(ctx);
  const size_t kb = t.k / kQuantBlock;
  t.uk->quantize_q8(t.x + i * t.k, t.k, t.corr_mul, t.qs + i * t.k, t.d + i * kb, t.corr + i * kb);
}

// One matrix of a call: its rows are split in tasks of `tile` rows, numbered
// from `first_task`.
struct Job {
  const MatmulWeights* w;
  size_t row_stride;
  const float* bias;
  float* y;
  size_t tile, first_task;
};

struct MatmulTask {
  const MatmulUkernels* uk;
  Job jobs[kMaxSharedOutputs];
  size_t n_jobs;
  const float* x;
  size_t m;
  const int8_t* qs;
  const float* d;
  const int32_t* corr;
  const void* packed;  // GEMV activations (m = 1)
};

void MatmulRows(const MatmulTask& t, const Job& job, size_t r0, size_t nr) {
  const MatmulWeights& w = *job.w;
  const void* rows = static_cast<const std::byte*>(w.data) + r0 * job.row_stride;
  float* y = job.y + r0;
  const size_t kb = w.k / kQuantBlock;
  switch (w.type) {
    case DType::kQ8_0:
      if (t.m == 1) t.uk->q8_0_gemv(nr, kb, rows, job.row_stride, t.packed, y);
      else t.uk->q8_0_gemm(t.m, nr, kb, rows, job.row_stride, t.qs, t.d, t.corr, y, w.n);
      break;
    case DType::kQ4_0:
      if (t.m == 1) t.uk->q4_0_gemv(nr, kb, rows, job.row_stride, t.packed, y);
      else t.uk->q4_0_gemm(t.m, nr, kb, rows, job.row_stride, t.qs, t.d, t.corr, y, w.n);
      break;
    case DType::kF32: t.uk->f32_gemm(t.m, nr, w.k, rows, job.row_stride, t.x, w.k, y, w.n); break;
    case DType::kF16: t.uk->f16_gemm(t.m, nr, w.k, rows, job.row_stride, t.x, w.k, y, w.n); break;
    case DType::kBF16: t.uk->bf16_gemm(t.m, nr, w.k, rows, job.row_stride, t.x, w.k, y, w.n); break;
  }
  if (job.bias != nullptr) {
    for (size_t i = 0; i < t.m; ++i) {
      float* yi = y + i * w.n;
      for (size_t r = 0; r < nr; ++r) yi[r] += job.bias[r0 + r];
    }
  }
}

void RunTask(void* ctx, size_t task) {
  const auto& t = *static_cast<const MatmulTask*>(ctx);
  size_t j = 0;
  while (j + 1 < t.n_jobs && task >= t.jobs[j + 1].first_task) ++j;
  const Job& job = t.jobs[j];
  const size_t r0 = (task - job.first_task) * job.tile;
  MatmulRows(t, job, r0, std::min(job.tile, job.w->n - r0));
}

// The row stride of w, or why w cannot be multiplied.
Result<size_t> CheckWeights(const MatmulWeights& w) {
  const std::optional<DTypeInfo> info = GetDTypeInfo(w.type);
  if (!info) return InvalidArgument("matmul: unknown weight type " + std::to_string(static_cast<int>(w.type)));
  if (w.data == nullptr) return InvalidArgument("matmul: null weights");
  if (w.k % info->block_elems != 0) {
    return InvalidArgument("matmul: k = " + std::to_string(w.k) + " is not a multiple of the " +
                           std::string(info->name) + " block (" + std::to_string(info->block_elems) + ")");
  }
  const size_t packed_row = w.k / info->block_elems * info->block_bytes;
  const size_t row_stride = w.row_stride != 0 ? w.row_stride : packed_row;
  if (row_stride < packed_row) {
    return InvalidArgument("matmul: row stride " + std::to_string(row_stride) + " is shorter than a " +
                           std::string(info->name) + " row of " + std::to_string(w.k) + " (" +
                           std::to_string(packed_row) + " bytes)");
  }
  return row_stride;
}

}  // namespace

size_t MatmulScratchBytes(DType type, size_t m, size_t k) {
  if (Quantized(type)) return ActivationLayout(m, k).total;
  return m >= kXnnFcMinRows ? XnnFcScratchBytes(k) : 0;
}

Status MatmulSharedWith(const MatmulUkernels& uk, std::span<const MatmulOutput> outs, const float* x, size_t m,
                        void* scratch, size_t scratch_bytes, pthreadpool_t pool) {
  if (outs.empty() || outs.size() > kMaxSharedOutputs) {
    return InvalidArgument("matmul: " + std::to_string(outs.size()) + " outputs (1.." +
                           std::to_string(kMaxSharedOutputs) + " share one input)");
  }
  if (x == nullptr) return InvalidArgument("matmul: null input");
  const DType type = outs[0].w.type;
  const size_t k = outs[0].w.k;
  const size_t threads = pool != nullptr ? pthreadpool_get_threads_count(pool) : 1;
  MatmulTask task{};
  task.uk = &uk;
  task.x = x;
  task.m = m;
  size_t tasks = 0;
  for (const MatmulOutput& o : outs) {
    if (o.w.type != type || o.w.k != k) {
      return InvalidArgument("matmul: products sharing an input need one weight type and one k");
    }
    EDGERT_ASSIGN_OR_RETURN(const size_t row_stride, CheckWeights(o.w));
    if (o.w.n == 0) continue;
    if (o.y == nullptr) return InvalidArgument("matmul: null output");
    const size_t tile = m > 1 && o.w.n >= 2 * kGemmTaskRows * threads ? kGemmTaskRows : kTaskRows;
    task.jobs[task.n_jobs++] = Job{&o.w, row_stride, o.bias, o.y, tile, tasks};
    tasks += (o.w.n + tile - 1) / tile;
  }
  if (m == 0 || tasks == 0) return OkStatus();
  if (Quantized(type)) {
    const Layout l = ActivationLayout(m, k);
    if (scratch == nullptr || scratch_bytes < l.total) {
      return InvalidArgument("matmul: scratch of " + std::to_string(scratch_bytes) + " bytes, need " +
                             std::to_string(l.total) + " for " + std::to_string(m) + " rows of " + std::to_string(k));
    }
    const auto base = reinterpret_cast<uintptr_t>(scratch);
    auto* s = reinterpret_cast<std::byte*>((base + 63) & ~uintptr_t{63});
    QuantizeTask q{&uk,
                   x,
                   k,
                   type == DType::kQ8_0 ? kQ8_0ActivationCorr : kQ4_0ActivationCorr,
                   reinterpret_cast<int8_t*>(s + l.qs),
                   reinterpret_cast<float*>(s + l.d),
                   reinterpret_cast<int32_t*>(s + l.corr)};
    if (m == 1) {
      // Decode: one row is quantized and laid out faster than a dispatch wakes a thread.
      QuantizeRow(&q, 0);
      const auto pack = type == DType::kQ8_0 ? uk.q8_0_gemv_pack : uk.q4_0_gemv_pack;
      pack(k / kQuantBlock, q.qs, q.d, q.corr, s + l.packed);
      task.packed = s + l.packed;
    } else {
      pthreadpool_parallelize_1d(pool, QuantizeRow, &q, m, 0);
    }
    task.qs = q.qs;
    task.d = q.d;
    task.corr = q.corr;
  }
  pthreadpool_parallelize_1d(pool, RunTask, &task, tasks, 0);
  return OkStatus();
}

Status MatmulShared(std::span<const MatmulOutput> outs, const float* x, size_t m, void* scratch, size_t scratch_bytes,
                    pthreadpool_t pool) {
  // Float weights with enough rows to pay for packing: XNNPACK, where the
  // engine is on (xnn_fc.h); a refusal leaves the product to our kernels.
  if (!outs.empty() && !Quantized(outs[0].w.type) && m >= kXnnFcMinRows && XnnFcEnabled() && x != nullptr) {
    bool done = true;
    for (const MatmulOutput& o : outs) {
      const Result<size_t> stride = CheckWeights(o.w);
      done = done && stride.ok() && o.y != nullptr && o.w.type == outs[0].w.type &&
             XnnFc(o.w, *stride, x, m, o.bias, o.y, scratch, scratch_bytes, pool).ok();
      if (!done) break;
    }
    if (done) return OkStatus();
  }
  return MatmulSharedWith(GetMatmulUkernels(), outs, x, m, scratch, scratch_bytes, pool);
}

Status MatmulWith(const MatmulUkernels& uk, const MatmulWeights& w, const float* x, size_t m, const float* bias,
                  float* y, void* scratch, size_t scratch_bytes, pthreadpool_t pool) {
  const MatmulOutput out{w, bias, y};
  return MatmulSharedWith(uk, std::span(&out, 1), x, m, scratch, scratch_bytes, pool);
}

Status Matmul(const MatmulWeights& w, const float* x, size_t m, const float* bias, float* y, void* scratch,
              size_t scratch_bytes, pthreadpool_t pool) {
  const MatmulOutput out{w, bias, y};
  return MatmulShared(std::span(&out, 1), x, m, scratch, scratch_bytes, pool);
}

const MatmulUkernels* MatmulUkernelsFor(Isa isa) {
  if (!IsaSupported(isa)) return nullptr;
  switch (isa) {
    case Isa::kScalar: return &scalar::MatmulUkernelsScalar();
#if defined(EDGERT_HAVE_X86_KERNELS)
    case Isa::kAvx2: return &avx2::MatmulUkernelsAvx2();
    case Isa::kAvxVnni: return &avxvnni::MatmulUkernelsAvxVnni();
    case Isa::kAvx512Vnni: return &avx512vnni::MatmulUkernelsAvx512Vnni();
#endif
#if defined(EDGERT_HAVE_NEON_KERNELS)
    case Isa::kNeon: return &neon::MatmulUkernelsNeon();
    case Isa::kNeonDotprod: return &neondot::MatmulUkernelsNeonDot();
    case Isa::kNeonI8mm: return &neoni8mm::MatmulUkernelsNeonI8mm();
#endif
    default: return nullptr;
  }
}

const MatmulUkernels& GetMatmulUkernels() {
  static const MatmulUkernels* best = MatmulUkernelsFor(BestIsa());
  return *best;
}

}  // namespace edgert::kernels
