// runtime/model/ops.cc: operators over the thread pool.
#include "runtime/model/ops.h"

#include <pthreadpool.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/convert/fp16_rows.h"
#include "kernels/convert/quantize.h"
#include "kernels/gemm/gemm.h"

namespace edgert::ops {
namespace {

// Rows per task: enough work to amortize a task, few enough to balance two
// to eight threads on the smallest projection (128 rows).
constexpr size_t kRowTile = 16;

// Elements [c, c + n) of row r of a half-precision weight, as f32.
void DecodeSlice(const WeightView& w, int64_t r, size_t c, size_t n, float* out) {
  const auto* row = reinterpret_cast<const uint16_t*>(w.data + static_cast<uint64_t>(r) * w.row_bytes()) + c;
  if (w.dtype == DType::kF16) {
    kernels::ConvertRowF16ToF32(row, out, n);
  } else {
    kernels::ConvertRowBF16ToF32(row, out, n);
  }
}

struct LinearTask {
  const WeightView* w;
  const float* bias;
  const float* x;
  int64_t m;
  float* y;
  const float* xs;     // quantized activations (Q8_0 / Q4_0 weights)
  const int8_t* xq;
};

void LinearRows(void* ctx, size_t r0, size_t nr) {
  const auto& t = *static_cast<const LinearTask*>(ctx);
  const WeightView& w = *t.w;
  const kernels::GemmKernels& g = kernels::GetGemmKernels();
  const auto ldy = static_cast<size_t>(w.rows), m = static_cast<size_t>(t.m), k = static_cast<size_t>(w.cols);
  float* y = t.y + r0;
  const std::byte* rows = w.data + r0 * w.row_bytes();
  switch (w.dtype) {
    case DType::kQ8_0: g.q8_0(rows, w.row_bytes(), nr, t.xs, t.xq, k / kQuantBlock, m, y, ldy); break;
    case DType::kQ4_0: g.q4_0(rows, w.row_bytes(), nr, t.xs, t.xq, k / kQuantBlock, m, y, ldy); break;
    case DType::kF32: g.f32(reinterpret_cast<const float*>(rows), k, nr, t.x, m, y, ldy); break;
    case DType::kF16:
    case DType::kBF16: {
      // Half-precision weights: widen a slice of a row at a time on the stack.
      constexpr size_t kSlice = 1024;
      float slice[kSlice];
      for (size_t r = 0; r < nr; ++r) {
        for (size_t i = 0; i < m; ++i) y[i * ldy + r] = 0.0f;
        for (size_t c = 0; c < k; c += kSlice) {
          const size_t n = std::min(kSlice, k - c);
          DecodeSlice(w, static_cast<int64_t>(r0 + r), c, n, slice);
          for (size_t i = 0; i < m; ++i) {
            const float* xi = t.x + i * k + c;
            float acc = 0.0f;
            for (size_t j = 0; j < n; ++j) acc += slice[j] * xi[j];
            y[i * ldy + r] += acc;
          }
        }
      }
      break;
    }
  }
  if (t.bias != nullptr) {
    for (size_t i = 0; i < m; ++i) {
      for (size_t r = 0; r < nr; ++r) y[i * ldy + r] += t.bias[r0 + r];
    }
  }
}

}  // namespace

uint64_t LinearScratchBytes(const WeightView& w, int64_t m) {
  // Quantized activations: int8 values and one f32 scale per block.
  const auto k = static_cast<uint64_t>(w.cols), mm = static_cast<uint64_t>(m);
  return mm * k + mm * (k / kQuantBlock) * sizeof(float) + 64;
}

void Linear(const WeightView& w, const float* bias, const float* x, int64_t m, float* y, void* scratch,
            pthreadpool_t pool) {
  LinearTask task{&w, bias, x, m, y, nullptr, nullptr};
  if (w.dtype == DType::kQ8_0 || w.dtype == DType::kQ4_0) {
    // Activations are quantized once per call, not once per row tile.
    const auto k = static_cast<size_t>(w.cols), mm = static_cast<size_t>(m);
    auto* xs = static_cast<float*>(scratch);
    auto* xq = reinterpret_cast<int8_t*>(xs + mm * (k / kQuantBlock));
    const kernels::GemmKernels& g = kernels::GetGemmKernels();
    for (size_t i = 0; i < mm; ++i) g.quantize_activations(x + i * k, k, xs + i * (k / kQuantBlock), xq + i * k);
    task.xs = xs;
    task.xq = xq;
  }
  pthreadpool_parallelize_1d_tile_1d(pool, LinearRows, &task, static_cast<size_t>(w.rows), kRowTile,
                                     PTHREADPOOL_FLAG_DISABLE_DENORMALS);
}

void GatherRow(const WeightView& w, int64_t row, float* out) { DecodeWeightRow(w, row, out); }

void RmsNorm(const float* x, const float* weight, float eps, int64_t m, int64_t n, float* y) {
  for (int64_t i = 0; i < m; ++i, x += n, y += n) {
    float ss = 0.0f;
    for (int64_t k = 0; k < n; ++k) ss += x[k] * x[k];
    const float scale = 1.0f / std::sqrt(ss / static_cast<float>(n) + eps);
    for (int64_t k = 0; k < n; ++k) y[k] = weight[k] * (x[k] * scale);
  }
}

void Rope(float* x, int64_t n_heads, int64_t head_dim, const float* cos, const float* sin) {
  const int64_t half = head_dim / 2;
  for (int64_t h = 0; h < n_heads; ++h, x += head_dim) {
    for (int64_t i = 0; i < half; ++i) {
      const float a = x[i], b = x[i + half];
      x[i] = a * cos[i] - b * sin[i];
      x[i + half] = b * cos[i] + a * sin[i];
    }
  }
}

void SiluMul(const float* gate, const float* up, int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

namespace {

struct AttentionTask {
  AttentionShape s;
  const float* q;
  int64_t m, pos0;
  const float* k;
  const float* v;
  float* out;
  float* scratch;
};

void AttentionHead(void* ctx, size_t head) {
  const auto& t = *static_cast<const AttentionTask*>(ctx);
  const int64_t d = t.s.head_dim;
  const int64_t h = static_cast<int64_t>(head);
  const int64_t kvh = h / (t.s.n_heads / t.s.n_kv_heads);
  const int64_t q_stride = t.s.n_heads * d, kv_stride = t.s.n_kv_heads * d;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  float* scores = t.scratch + h * (t.pos0 + t.m);
  for (int64_t i = 0; i < t.m; ++i) {
    const float* q = t.q + i * q_stride + h * d;
    const int64_t n = t.pos0 + i + 1;  // causal: positions 0..pos0+i
    float max = -INFINITY;
    for (int64_t j = 0; j < n; ++j) {
      const float* k = t.k + j * kv_stride + kvh * d;
      float dot = 0.0f;
      for (int64_t c = 0; c < d; ++c) dot += q[c] * k[c];
      scores[j] = dot * scale;
      max = std::max(max, scores[j]);
    }
    float sum = 0.0f;
    for (int64_t j = 0; j < n; ++j) sum += (scores[j] = std::exp(scores[j] - max));
    const float inv = 1.0f / sum;
    float* o = t.out + i * q_stride + h * d;
    std::fill_n(o, d, 0.0f);
    for (int64_t j = 0; j < n; ++j) {
      const float* v = t.v + j * kv_stride + kvh * d;
      const float p = scores[j] * inv;
      for (int64_t c = 0; c < d; ++c) o[c] += p * v[c];
    }
  }
}

}  // namespace

void Attention(const AttentionShape& s, const float* q, int64_t m, int64_t pos0, const float* k_cache,
               const float* v_cache, float* out, float* scratch, pthreadpool_t pool) {
  AttentionTask task{s, q, m, pos0, k_cache, v_cache, out, scratch};
  pthreadpool_parallelize_1d(pool, AttentionHead, &task, static_cast<size_t>(s.n_heads),
                             PTHREADPOOL_FLAG_DISABLE_DENORMALS);
}

}  // namespace edgert::ops
