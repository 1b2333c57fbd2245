// runtime/model/ops.cc: operators over the thread pool.
#include "runtime/model/ops.h"

#include <pthreadpool.h>

#include <algorithm>
#include <cassert>
#include <cmath>

#include "kernels/matmul/matmul.h"

namespace edgert::ops {

uint64_t LinearScratchBytes(const WeightView& w, int64_t m) {
  return kernels::MatmulScratchBytes(w.dtype, static_cast<size_t>(m), static_cast<size_t>(w.cols));
}

void Linear(const WeightView& w, const float* bias, const float* x, int64_t m, float* y, void* scratch,
            pthreadpool_t pool) {
  const kernels::MatmulWeights mw{w.dtype, w.data, static_cast<size_t>(w.rows), static_cast<size_t>(w.cols), 0};
  const size_t bytes = kernels::MatmulScratchBytes(w.dtype, static_cast<size_t>(m), static_cast<size_t>(w.cols));
  const Status st = kernels::Matmul(mw, x, static_cast<size_t>(m), bias, y, scratch, bytes, pool);
  assert(st.ok() && "shapes were verified when the model was opened");
  (void)st;
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
