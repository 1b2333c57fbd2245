// kernels/gemm/gemm_scalar.cc: the reference every SIMD variant is tested against.
#include <cmath>

#include "base/quant_blocks.h"
#include "kernels/convert/fp16.h"
#include "kernels/gemm/gemm.h"

namespace edgert::kernels {
namespace {

void QuantizeActivations(const float* x, size_t n, float* scales, int8_t* qs) {
  for (size_t b = 0; b < n / kQuantBlock; ++b, x += kQuantBlock, qs += kQuantBlock) {
    float amax = 0.0f;
    for (uint32_t j = 0; j < kQuantBlock; ++j) amax = std::fmax(amax, std::fabs(x[j]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    scales[b] = d;
    for (uint32_t j = 0; j < kQuantBlock; ++j) qs[j] = static_cast<int8_t>(std::nearbyint(x[j] * id));
  }
}

template <typename Block, typename Unpack>
void QGemm(const void* w, size_t row_bytes, size_t rows, const float* xs, const int8_t* xq, size_t blocks, size_t m,
           float* y, size_t ldy, Unpack unpack) {
  int8_t q[kQuantBlock];
  for (size_t r = 0; r < rows; ++r) {
    const auto* row = reinterpret_cast<const Block*>(static_cast<const std::byte*>(w) + r * row_bytes);
    for (size_t i = 0; i < m; ++i) {
      float acc = 0.0f;
      for (size_t b = 0; b < blocks; ++b) {
        unpack(row[b], q);
        const int8_t* qx = xq + (i * blocks + b) * kQuantBlock;
        int32_t dot = 0;
        for (uint32_t j = 0; j < kQuantBlock; ++j) dot += q[j] * qx[j];
        acc += F16ToF32(row[b].d) * xs[i * blocks + b] * static_cast<float>(dot);
      }
      y[i * ldy + r] = acc;
    }
  }
}

void Q8_0(const void* w, size_t rb, size_t rows, const float* xs, const int8_t* xq, size_t blocks, size_t m, float* y,
          size_t ldy) {
  QGemm<BlockQ8_0>(w, rb, rows, xs, xq, blocks, m, y, ldy, [](const BlockQ8_0& b, int8_t* q) {
    for (uint32_t j = 0; j < kQuantBlock; ++j) q[j] = b.qs[j];
  });
}

void Q4_0(const void* w, size_t rb, size_t rows, const float* xs, const int8_t* xq, size_t blocks, size_t m, float* y,
          size_t ldy) {
  QGemm<BlockQ4_0>(w, rb, rows, xs, xq, blocks, m, y, ldy, [](const BlockQ4_0& b, int8_t* q) {
    for (uint32_t j = 0; j < kQuantBlock / 2; ++j) {
      q[j] = static_cast<int8_t>((b.qs[j] & 0x0F) - 8);
      q[j + kQuantBlock / 2] = static_cast<int8_t>((b.qs[j] >> 4) - 8);
    }
  });
}

void F32(const float* w, size_t k, size_t rows, const float* x, size_t m, float* y, size_t ldy) {
  for (size_t r = 0; r < rows; ++r) {
    for (size_t i = 0; i < m; ++i) {
      float acc = 0.0f;
      for (size_t j = 0; j < k; ++j) acc += w[r * k + j] * x[i * k + j];
      y[i * ldy + r] = acc;
    }
  }
}

}  // namespace

const GemmKernels& ScalarGemmKernels() {
  static const GemmKernels k{"scalar", QuantizeActivations, Q8_0, Q4_0, F32};
  return k;
}

}  // namespace edgert::kernels
