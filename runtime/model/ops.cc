// runtime/model/ops.cc: operators over the thread pool.
#include "runtime/model/ops.h"

#include <pthreadpool.h>

#include <algorithm>
#include <cassert>
#include <cmath>

#include "kernels/attention/attention.h"
#include "kernels/matmul/matmul.h"
#include "kernels/rowops/rowops.h"

namespace edgert::ops {
namespace {

kernels::AttentionParams Params(const AttentionShape& s) {
  const auto d = static_cast<size_t>(s.head_dim), kv = static_cast<size_t>(s.n_kv_heads);
  return {static_cast<size_t>(s.n_heads), kv, d, kv * d, DType::kF32};
}

}  // namespace

uint64_t LinearScratchBytes(const WeightView& w, int64_t m) {
  return kernels::MatmulScratchBytes(w.dtype, static_cast<size_t>(m), static_cast<size_t>(w.cols));
}

uint64_t LinearScratchBytesAnyType(int64_t cols, int64_t m) {
  return std::max(LinearScratchBytes(WeightView{nullptr, DType::kQ8_0, 1, cols}, m),
                  LinearScratchBytes(WeightView{nullptr, DType::kF32, 1, cols}, m));
}

void Linear(const WeightView& w, const float* bias, const float* x, int64_t m, float* y, void* scratch,
            pthreadpool_t pool) {
  const kernels::MatmulWeights mw{w.dtype, w.data, static_cast<size_t>(w.rows), static_cast<size_t>(w.cols), 0};
  const size_t bytes = kernels::MatmulScratchBytes(w.dtype, static_cast<size_t>(m), static_cast<size_t>(w.cols));
  const Status st = kernels::Matmul(mw, x, static_cast<size_t>(m), bias, y, scratch, bytes, pool);
  assert(st.ok() && "shapes were verified when the model was opened");
  (void)st;
}

void Linears(std::span<const LinearOut> outs, const float* x, int64_t m, void* scratch, pthreadpool_t pool) {
  kernels::MatmulOutput mo[kernels::kMaxSharedOutputs];
  assert(!outs.empty() && outs.size() <= kernels::kMaxSharedOutputs);
  bool shared = true;
  for (size_t j = 0; j < outs.size(); ++j) {
    const WeightView& w = *outs[j].w;
    mo[j] = {{w.dtype, w.data, static_cast<size_t>(w.rows), static_cast<size_t>(w.cols), 0}, outs[j].bias, outs[j].y};
    shared = shared && w.dtype == outs[0].w->dtype && w.cols == outs[0].w->cols;
  }
  if (!shared) {  // a mixed-precision file: one product at a time
    for (const LinearOut& o : outs) Linear(*o.w, o.bias, x, m, o.y, scratch, pool);
    return;
  }
  const size_t bytes = kernels::MatmulScratchBytes(outs[0].w->dtype, static_cast<size_t>(m),
                                                   static_cast<size_t>(outs[0].w->cols));
  const Status st = kernels::MatmulShared(std::span(mo, outs.size()), x, static_cast<size_t>(m), scratch, bytes, pool);
  assert(st.ok() && "shapes were verified when the model was opened");
  (void)st;
}

void GatherRow(const WeightView& w, int64_t row, float* out) { DecodeWeightRow(w, row, out); }

void RmsNorm(const float* x, const float* weight, float eps, int64_t m, int64_t n, float* y) {
  const kernels::RowOpsUkernels& uk = kernels::GetRowOpsUkernels();
  for (int64_t i = 0; i < m; ++i) uk.rmsnorm(static_cast<size_t>(n), x + i * n, weight, eps, y + i * n);
}

void Rope(float* x, int64_t n_heads, int64_t head_dim, const float* cos, const float* sin) {
  kernels::GetRowOpsUkernels().rope(static_cast<size_t>(n_heads), static_cast<size_t>(head_dim), cos, sin, x);
}

void SiluMul(const float* gate, const float* up, int64_t n, float* out) {
  kernels::GetRowOpsUkernels().silu_mul(static_cast<size_t>(n), gate, up, out);
}

uint64_t AttentionScratchBytes(const AttentionShape& s, int64_t positions) {
  return kernels::AttentionScratchBytes(Params(s), static_cast<size_t>(positions));
}

void Attention(const AttentionShape& s, const float* q, int64_t m, int64_t pos0, const float* k_cache,
               const float* v_cache, float* out, float* scratch, int64_t positions, pthreadpool_t pool) {
  const Status st = kernels::Attention(Params(s), q, static_cast<size_t>(m), static_cast<size_t>(pos0), k_cache, v_cache,
                                       out, scratch, AttentionScratchBytes(s, positions), pool);
  assert(st.ok() && "shapes come from a validated config");
  (void)st;
}

}  // namespace edgert::ops
