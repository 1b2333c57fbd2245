// kernels/rowops/rowops_scalar.cc: reference row operations (and RopeTable).
#include <cmath>

#include "kernels/rowops/rowops.h"
#include "kernels/rowops/rowops_variants.h"

namespace edgert::kernels {
namespace scalar {
namespace {

void RmsNorm(size_t n, const float* x, const float* w, float eps, float* y) {
  float ss = 0.0f;
  for (size_t i = 0; i < n; ++i) ss = std::fma(x[i], x[i], ss);
  const float scale = 1.0f / std::sqrt(ss / static_cast<float>(n) + eps);
  for (size_t i = 0; i < n; ++i) y[i] = w[i] * (x[i] * scale);
}

void Rope(size_t n_heads, size_t head_dim, const float* cos, const float* sin, float* x) {
  const size_t half = head_dim / 2;
  for (size_t h = 0; h < n_heads; ++h, x += head_dim) {
    for (size_t i = 0; i < half; ++i) {
      const float a = x[i], b = x[i + half];
      x[i] = a * cos[i] - b * sin[i];
      x[i + half] = b * cos[i] + a * sin[i];
    }
  }
}

void Softmax(size_t n, float* x) {
  float max = -INFINITY;
  for (size_t i = 0; i < n; ++i) max = std::fmax(max, x[i]);
  float sum = 0.0f;
  for (size_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - max);
    sum += x[i];
  }
  const float inv = 1.0f / sum;
  for (size_t i = 0; i < n; ++i) x[i] *= inv;
}

ExpSum ExpSumRow(size_t n, float* x) {
  float max = -INFINITY;
  for (size_t i = 0; i < n; ++i) max = std::fmax(max, x[i]);
  double sum = 0;
  for (size_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - max);
    sum += x[i];
  }
  return {max, sum};
}

void Scale(size_t n, float a, float* x) {
  for (size_t i = 0; i < n; ++i) x[i] *= a;
}

inline float SiluOne(float v) { return v / (1.0f + std::exp(-v)); }

void Silu(size_t n, const float* x, float* y) {
  for (size_t i = 0; i < n; ++i) y[i] = SiluOne(x[i]);
}

void SiluMul(size_t n, const float* gate, const float* up, float* y) {
  for (size_t i = 0; i < n; ++i) y[i] = SiluOne(gate[i]) * up[i];
}

void SiluMulBackward(size_t n, const float* g, const float* u, const float* dh, float* dg, float* du) {
  for (size_t i = 0; i < n; ++i) {
    const float sig = 1.0f / (1.0f + std::exp(-g[i]));
    du[i] = dh[i] * (g[i] * sig);
    dg[i] = dh[i] * u[i] * sig * (1.0f + g[i] * (1.0f - sig));
  }
}

void RmsNormBackward(size_t n, const float* x, const float* w, float eps, const float* dy, const float* dres,
                     float* dx) {
  float ss = 0.0f, dot = 0.0f;  // Σx², Σ(w·dy)·x
  for (size_t i = 0; i < n; ++i) ss += x[i] * x[i];
  for (size_t i = 0; i < n; ++i) dot += w[i] * dy[i] * x[i];
  const float r = 1.0f / std::sqrt(ss / static_cast<float>(n) + eps);
  const float c = r * r * r * dot / static_cast<float>(n);
  for (size_t i = 0; i < n; ++i) dx[i] = (dres != nullptr ? dres[i] : 0.0f) + (r * w[i] * dy[i] - x[i] * c);
}

}  // namespace

const RowOpsUkernels& RowOpsUkernelsScalar() {
  static const RowOpsUkernels k{"scalar", RmsNorm, Rope,    Softmax,        ExpSumRow,
                                Scale,    Silu,    SiluMul, SiluMulBackward, RmsNormBackward};
  return k;
}

}  // namespace scalar

void RopeTable(size_t head_dim, float theta, size_t pos0, size_t n_pos, float* cos, float* sin) {
  const size_t half = head_dim / 2;
  for (size_t i = 0; i < half; ++i) {
    // HF: 1.0 / (base ** (arange(0, dim, 2).float() / dim)), all f32.
    const float inv_freq = 1.0f / std::pow(theta, static_cast<float>(2 * i) / static_cast<float>(head_dim));
    for (size_t p = 0; p < n_pos; ++p) {
      const float angle = static_cast<float>(pos0 + p) * inv_freq;
      cos[p * half + i] = static_cast<float>(std::cos(static_cast<double>(angle)));
      sin[p * half + i] = static_cast<float>(std::sin(static_cast<double>(angle)));
    }
  }
}

}  // namespace edgert::kernels
