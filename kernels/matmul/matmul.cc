// kernels/matmul/matmul.cc: the matrix-product operator (validation, activation
// quantization, threading) over the microkernel table. No ISA tests here.
#include "kernels/matmul/matmul.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include "base/quant_blocks.h"
#include "kernels/matmul/matmul_variants.h"

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

struct Layout {  // quantized activations inside scratch
  size_t qs, d, corr, total;
};

Layout ActivationLayout(size_t m, size_t k) {
  const size_t kb = k / kQuantBlock;
  Layout l{};
  l.qs = 0;
  l.d = Align64(m * k);
  l.corr = l.d + Align64(m * kb * sizeof(float));
  l.total = l.corr + Align64(m * kb * sizeof(int32_t)) + 64;  // + 64: room to align the start
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

struct MatmulTask {
  const MatmulUkernels* uk;
  const MatmulWeights* w;
  size_t row_stride;
  const float* x;
  size_t m;
  const float* bias;
  float* y;
  const int8_t* qs;
  const float* d;
  const int32_t* corr;
};

void MatmulRows(void* ctx, size_t r0, size_t nr) {
  const auto& t = *static_cast<const MatmulTask*>(ctx);
  const MatmulWeights& w = *t.w;
  const void* rows = static_cast<const std::byte*>(w.data) + r0 * t.row_stride;
  float* y = t.y + r0;
  const size_t kb = w.k / kQuantBlock;
  switch (w.type) {
    case DType::kQ8_0:
      if (t.m == 1) t.uk->q8_0_gemv(nr, kb, rows, t.row_stride, t.qs, t.d, t.corr, y);
      else t.uk->q8_0_gemm(t.m, nr, kb, rows, t.row_stride, t.qs, t.d, t.corr, y, w.n);
      break;
    case DType::kQ4_0:
      if (t.m == 1) t.uk->q4_0_gemv(nr, kb, rows, t.row_stride, t.qs, t.d, t.corr, y);
      else t.uk->q4_0_gemm(t.m, nr, kb, rows, t.row_stride, t.qs, t.d, t.corr, y, w.n);
      break;
    case DType::kF32: t.uk->f32_gemm(t.m, nr, w.k, rows, t.row_stride, t.x, w.k, y, w.n); break;
    case DType::kF16: t.uk->f16_gemm(t.m, nr, w.k, rows, t.row_stride, t.x, w.k, y, w.n); break;
    case DType::kBF16: t.uk->bf16_gemm(t.m, nr, w.k, rows, t.row_stride, t.x, w.k, y, w.n); break;
  }
  if (t.bias != nullptr) {
    for (size_t i = 0; i < t.m; ++i) {
      float* yi = y + i * w.n;
      for (size_t r = 0; r < nr; ++r) yi[r] += t.bias[r0 + r];
    }
  }
}

}  // namespace

size_t MatmulScratchBytes(DType type, size_t m, size_t k) {
  return Quantized(type) ? ActivationLayout(m, k).total : 0;
}

Status MatmulWith(const MatmulUkernels& uk, const MatmulWeights& w, const float* x, size_t m, const float* bias,
                  float* y, void* scratch, size_t scratch_bytes, pthreadpool_t pool) {
  const std::optional<DTypeInfo> info = GetDTypeInfo(w.type);
  if (!info) return InvalidArgument("matmul: unknown weight type " + std::to_string(static_cast<int>(w.type)));
  if (w.data == nullptr || x == nullptr || y == nullptr) return InvalidArgument("matmul: null weights, input or output");
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
  if (m == 0 || w.n == 0) return OkStatus();
  MatmulTask task{&uk, &w, row_stride, x, m, bias, y, nullptr, nullptr, nullptr};
  if (Quantized(w.type)) {
    const Layout l = ActivationLayout(m, w.k);
    if (scratch == nullptr || scratch_bytes < l.total) {
      return InvalidArgument("matmul: scratch of " + std::to_string(scratch_bytes) + " bytes, need " +
                             std::to_string(l.total) + " for " + std::to_string(m) + " rows of " + std::to_string(w.k));
    }
    const auto base = reinterpret_cast<uintptr_t>(scratch);
    auto* s = reinterpret_cast<std::byte*>((base + 63) & ~uintptr_t{63});
    QuantizeTask q{&uk,
                   x,
                   w.k,
                   w.type == DType::kQ8_0 ? kQ8_0ActivationCorr : kQ4_0ActivationCorr,
                   reinterpret_cast<int8_t*>(s + l.qs),
                   reinterpret_cast<float*>(s + l.d),
                   reinterpret_cast<int32_t*>(s + l.corr)};
    pthreadpool_parallelize_1d(pool, QuantizeRow, &q, m, 0);
    task.qs = q.qs;
    task.d = q.d;
    task.corr = q.corr;
  }
  const size_t threads = pool != nullptr ? pthreadpool_get_threads_count(pool) : 1;
  const size_t tile = m > 1 && w.n >= 2 * kGemmTaskRows * threads ? kGemmTaskRows : kTaskRows;
  pthreadpool_parallelize_1d_tile_1d(pool, MatmulRows, &task, w.n, tile, 0);
  return OkStatus();
}

Status Matmul(const MatmulWeights& w, const float* x, size_t m, const float* bias, float* y, void* scratch,
              size_t scratch_bytes, pthreadpool_t pool) {
  return MatmulWith(GetMatmulUkernels(), w, x, m, bias, y, scratch, scratch_bytes, pool);
}

const MatmulUkernels* MatmulUkernelsFor(Isa isa) {
  if (!IsaSupported(isa)) return nullptr;
  switch (isa) {
    case Isa::kScalar: return &scalar::MatmulUkernelsScalar();
#if defined(EDGERT_HAVE_X86_KERNELS)
    case Isa::kAvx2: return &avx2::MatmulUkernelsAvx2();
    case Isa::kAvx512Vnni: return &avx512vnni::MatmulUkernelsAvx512Vnni();
#else
    default: return nullptr;
#endif
  }
  return nullptr;
}

const MatmulUkernels& GetMatmulUkernels() {
  static const MatmulUkernels* best = MatmulUkernelsFor(BestIsa());
  return *best;
}

}  // namespace edgert::kernels
