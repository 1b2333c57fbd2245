// runtime/train/backward_ops.cc: the gradients of the forward pass's operations
// (f32); products through frozen weights go to kernels/matmul.
#include "runtime/train/backward_ops.h"

#include <pthreadpool.h>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <vector>

#include "kernels/matmul/matmul_transposed.h"

namespace edgert::grad {

void LinearInput(const WeightView& w, const float* dy, int64_t m, float* dx, pthreadpool_t pool) {
  const kernels::MatmulWeights mw{w.dtype, w.data, static_cast<size_t>(w.rows), static_cast<size_t>(w.cols), 0};
  const Status st = kernels::MatmulTransposedAccumulate(mw, dy, static_cast<size_t>(m), dx, pool);
  assert(st.ok() && "shapes were verified when the model was opened");
  (void)st;
}

void LoraForward(const LoraPair& p, int32_t rank, float scale, const float* x, int64_t m, float* ax, float* y) {
  for (int64_t i = 0; i < m; ++i) {
    const float* xi = x + i * p.in;
    float* axi = ax + i * rank;
    for (int32_t r = 0; r < rank; ++r) {
      const float* a = p.a.data() + r * p.in;
      float acc = 0.0f;
      for (int64_t k = 0; k < p.in; ++k) acc += a[k] * xi[k];
      axi[r] = acc;
    }
    float* yi = y + i * p.out;
    for (int64_t o = 0; o < p.out; ++o) {
      const float* b = p.b.data() + o * rank;
      float acc = 0.0f;
      for (int32_t r = 0; r < rank; ++r) acc += b[r] * axi[r];
      yi[o] += scale * acc;
    }
  }
}

void LoraBackward(const LoraPair& p, int32_t rank, float scale, const float* x, const float* ax, const float* dy,
                  int64_t m, LoraPair& g, float* dx, float* scratch) {
  // d(ax)[i][r] = scale · Σ_o dy[i][o] B[o][r]
  for (int64_t i = 0; i < m; ++i) {
    const float* dyi = dy + i * p.out;
    float* dax = scratch + i * rank;
    std::fill_n(dax, rank, 0.0f);
    for (int64_t o = 0; o < p.out; ++o) {
      const float* b = p.b.data() + o * rank;
      for (int32_t r = 0; r < rank; ++r) dax[r] += dyi[o] * b[r];
    }
    for (int32_t r = 0; r < rank; ++r) dax[r] *= scale;
  }
  // dB[o][r] += scale · Σ_i dy[i][o] ax[i][r]
  for (int64_t i = 0; i < m; ++i) {
    const float* dyi = dy + i * p.out;
    const float* axi = ax + i * rank;
    for (int64_t o = 0; o < p.out; ++o) {
      float* gb = g.b.data() + o * rank;
      const float s = scale * dyi[o];
      for (int32_t r = 0; r < rank; ++r) gb[r] += s * axi[r];
    }
  }
  // dA[r][k] += Σ_i dax[i][r] x[i][k];  dx[i][k] += Σ_r dax[i][r] A[r][k]
  for (int64_t i = 0; i < m; ++i) {
    const float* xi = x + i * p.in;
    const float* dax = scratch + i * rank;
    float* dxi = dx + i * p.in;
    for (int32_t r = 0; r < rank; ++r) {
      float* ga = g.a.data() + r * p.in;
      const float* a = p.a.data() + r * p.in;
      for (int64_t k = 0; k < p.in; ++k) {
        ga[k] += dax[r] * xi[k];
        dxi[k] += dax[r] * a[k];
      }
    }
  }
}

void RmsNorm(const float* x, const float* w, float eps, const float* dy, int64_t m, int64_t n, float* dx) {
  for (int64_t i = 0; i < m; ++i, x += n, dy += n, dx += n) {
    float ss = 0.0f;
    for (int64_t k = 0; k < n; ++k) ss += x[k] * x[k];
    const float r = 1.0f / std::sqrt(ss / static_cast<float>(n) + eps);
    float dot = 0.0f;  // Σ (w·dy)·x
    for (int64_t k = 0; k < n; ++k) dot += w[k] * dy[k] * x[k];
    const float c = r * r * r * dot / static_cast<float>(n);
    for (int64_t k = 0; k < n; ++k) dx[k] += r * w[k] * dy[k] - x[k] * c;
  }
}

void Rope(float* dx, int64_t n_heads, int64_t head_dim, const float* cos, const float* sin) {
  const int64_t half = head_dim / 2;
  for (int64_t h = 0; h < n_heads; ++h, dx += head_dim) {
    for (int64_t i = 0; i < half; ++i) {
      const float d1 = dx[i], d2 = dx[i + half];
      dx[i] = d1 * cos[i] + d2 * sin[i];
      dx[i + half] = d2 * cos[i] - d1 * sin[i];
    }
  }
}

void SiluMul(const float* g, const float* u, const float* dh, int64_t n, float* dg, float* du) {
  for (int64_t i = 0; i < n; ++i) {
    const float sig = 1.0f / (1.0f + std::exp(-g[i]));
    const float silu = g[i] * sig;
    du[i] = dh[i] * silu;
    dg[i] = dh[i] * u[i] * sig * (1.0f + g[i] * (1.0f - sig));
  }
}

namespace {

struct AttnTask {
  AttentionShape s;
  const float *q, *k, *v;
  int64_t m;
  float *probs, *out;
};

void AttentionForwardHead(void* ctx, size_t head) {
  const auto& t = *static_cast<const AttnTask*>(ctx);
  const int64_t d = t.s.head_dim, h = static_cast<int64_t>(head);
  const int64_t kvh = h / (t.s.n_heads / t.s.n_kv_heads);
  const int64_t qs = t.s.n_heads * d, ks = t.s.n_kv_heads * d;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  for (int64_t i = 0; i < t.m; ++i) {
    float* p = t.probs + (h * t.m + i) * t.m;
    const float* q = t.q + i * qs + h * d;
    float max = -INFINITY;
    for (int64_t j = 0; j <= i; ++j) {
      const float* k = t.k + j * ks + kvh * d;
      float dot = 0.0f;
      for (int64_t c = 0; c < d; ++c) dot += q[c] * k[c];
      p[j] = dot * scale;
      max = std::max(max, p[j]);
    }
    float sum = 0.0f;
    for (int64_t j = 0; j <= i; ++j) sum += (p[j] = std::exp(p[j] - max));
    for (int64_t j = 0; j <= i; ++j) p[j] /= sum;
    std::fill(p + i + 1, p + t.m, 0.0f);
    float* o = t.out + i * qs + h * d;
    std::fill_n(o, d, 0.0f);
    for (int64_t j = 0; j <= i; ++j) {
      const float* v = t.v + j * ks + kvh * d;
      for (int64_t c = 0; c < d; ++c) o[c] += p[j] * v[c];
    }
  }
}

}  // namespace

void AttentionForward(const AttentionShape& s, const float* q, const float* k, const float* v, int64_t m,
                      float* probs, float* out, pthreadpool_t pool) {
  AttnTask task{s, q, k, v, m, probs, out};
  pthreadpool_parallelize_1d(pool, AttentionForwardHead, &task, static_cast<size_t>(s.n_heads),
                             PTHREADPOOL_FLAG_DISABLE_DENORMALS);
}

void AttentionBackward(const AttentionShape& s, const float* q, const float* k, const float* v, const float* probs,
                       const float* dout, int64_t m, float* dq, float* dk, float* dv, float* scratch) {
  const int64_t d = s.head_dim, qs = s.n_heads * d, ks = s.n_kv_heads * d;
  const int64_t group = s.n_heads / s.n_kv_heads;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  std::fill_n(dq, m * qs, 0.0f);
  std::fill_n(dk, m * ks, 0.0f);
  std::fill_n(dv, m * ks, 0.0f);
  for (int64_t h = 0; h < s.n_heads; ++h) {
    const int64_t kvh = h / group;
    for (int64_t i = 0; i < m; ++i) {
      const float* p = probs + (h * m + i) * m;
      const float* doi = dout + i * qs + h * d;
      float* ds = scratch;  // dP, then dS, for row i
      float pdp = 0.0f;
      for (int64_t j = 0; j <= i; ++j) {
        const float* vj = v + j * ks + kvh * d;
        float dot = 0.0f;
        for (int64_t c = 0; c < d; ++c) dot += doi[c] * vj[c];
        ds[j] = dot;
        pdp += p[j] * dot;
      }
      const float* qi = q + i * qs + h * d;
      float* dqi = dq + i * qs + h * d;
      for (int64_t j = 0; j <= i; ++j) {
        const float dsj = p[j] * (ds[j] - pdp) * scale;
        const float* kj = k + j * ks + kvh * d;
        float* dkj = dk + j * ks + kvh * d;
        float* dvj = dv + j * ks + kvh * d;
        for (int64_t c = 0; c < d; ++c) {
          dqi[c] += dsj * kj[c];
          dkj[c] += dsj * qi[c];
          dvj[c] += p[j] * doi[c];
        }
      }
    }
  }
}

}  // namespace edgert::grad
