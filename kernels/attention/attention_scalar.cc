// kernels/attention/attention_scalar.cc: reference attention for one query row.
#include <cmath>

#include "kernels/attention/attention_variants.h"
#include "kernels/convert/fp16.h"

namespace edgert::kernels::scalar {
namespace {

inline float Load(const float* p, size_t i) { return p[i]; }
inline float Load(const uint16_t* p, size_t i) { return F16ToF32(p[i]); }

template <typename T>
void Attend(size_t n, size_t head_dim, const float* q, const void* kp, const void* vp, size_t kv_stride, float scale,
            float* scores, float* out) {
  const T* k = static_cast<const T*>(kp);
  const T* v = static_cast<const T*>(vp);
  float max = -INFINITY;
  for (size_t j = 0; j < n; ++j) {
    float s = 0.0f;
    for (size_t d = 0; d < head_dim; ++d) s = std::fma(q[d], Load(k + j * kv_stride, d), s);
    scores[j] = s * scale;
    max = std::fmax(max, scores[j]);
  }
  float sum = 0.0f;
  for (size_t j = 0; j < n; ++j) {
    scores[j] = std::exp(scores[j] - max);
    sum += scores[j];
  }
  const float inv = 1.0f / sum;
  for (size_t d = 0; d < head_dim; ++d) out[d] = 0.0f;
  for (size_t j = 0; j < n; ++j) {
    const float p = scores[j] * inv;
    for (size_t d = 0; d < head_dim; ++d) out[d] = std::fma(p, Load(v + j * kv_stride, d), out[d]);
  }
}

}  // namespace

const AttentionUkernels& AttentionUkernelsScalar() {
  static const AttentionUkernels k{"scalar", Attend<float>, Attend<uint16_t>};
  return k;
}

}  // namespace edgert::kernels::scalar
