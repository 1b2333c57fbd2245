// kernels/matmul/matmul_scalar.cc: the reference matrix products. Every SIMD
// variant is tested against these; they are also the fallback on CPUs
// without one. Straight loops that mirror the contract in ukernels.h.
#include <cmath>
#include <cstring>

#include "base/quant_blocks.h"
#include "kernels/convert/fp16.h"
#include "kernels/matmul/matmul_variants.h"

namespace edgert::kernels::scalar {
namespace {

void QuantizeQ8(const float* x, size_t k, int32_t corr_mul, int8_t* qs, float* d, int32_t* corr) {
  for (size_t b = 0; b < k / kQuantBlock; ++b, x += kQuantBlock, qs += kQuantBlock) {
    float amax = 0.0f;
    for (uint32_t j = 0; j < kQuantBlock; ++j) amax = std::fmax(amax, std::fabs(x[j]));
    const float db = amax / 127.0f;
    const float id = db != 0.0f ? 1.0f / db : 0.0f;
    int32_t sum = 0;
    for (uint32_t j = 0; j < kQuantBlock; ++j) {
      qs[j] = static_cast<int8_t>(std::roundf(x[j] * id));  // halves away from zero, as ggml's reference
      sum += qs[j];
    }
    d[b] = db;
    corr[b] = corr_mul * sum;
  }
}

// Signed weights of one block, in k order.
void Unpack(const BlockQ8_0& blk, int8_t* q) { std::memcpy(q, blk.qs, kQuantBlock); }
void Unpack(const BlockQ4_0& blk, int8_t* q) {
  for (uint32_t j = 0; j < kQuantBlock / 2; ++j) {
    q[j] = static_cast<int8_t>((blk.qs[j] & 0x0F) - 8);
    q[j + kQuantBlock / 2] = static_cast<int8_t>((blk.qs[j] >> 4) - 8);
  }
}

// The signed dot product directly (no unsigned bias, so corr is unused):
// an independent check of the SIMD variants' correction term.
template <typename Block>
void QGemm(size_t m, size_t n, size_t kb, const void* w, size_t w_stride, const int8_t* xq, const float* xd,
           const int32_t*, float* y, size_t y_stride) {
  int8_t q[kQuantBlock];
  for (size_t r = 0; r < n; ++r) {
    const auto* row = reinterpret_cast<const Block*>(static_cast<const std::byte*>(w) + r * w_stride);
    for (size_t i = 0; i < m; ++i) {
      const int8_t* x = xq + i * kb * kQuantBlock;
      float acc = 0.0f;
      for (size_t b = 0; b < kb; ++b) {
        Unpack(row[b], q);
        int32_t dot = 0;
        for (uint32_t j = 0; j < kQuantBlock; ++j) dot += q[j] * x[b * kQuantBlock + j];
        acc = std::fma(static_cast<float>(dot), F16ToF32(row[b].d) * xd[i * kb + b], acc);
      }
      y[i * y_stride + r] = acc;
    }
  }
}

template <typename Block>
void QGemv(size_t n, size_t kb, const void* w, size_t w_stride, const void* packed, float* y) {
  const PlainGemvActivations x = ViewPlainGemv(kb, packed);
  QGemm<Block>(1, n, kb, w, w_stride, x.xq, x.xd, x.xc, y, n);
}

inline float Widen(float v) { return v; }

template <typename T, float (*ToF32)(T)>
void FGemm(size_t m, size_t n, size_t k, const void* w, size_t w_stride, const float* x, size_t x_stride, float* y,
           size_t y_stride) {
  for (size_t r = 0; r < n; ++r) {
    const T* row = reinterpret_cast<const T*>(static_cast<const std::byte*>(w) + r * w_stride);
    for (size_t i = 0; i < m; ++i) {
      float acc = 0.0f;
      for (size_t j = 0; j < k; ++j) acc = std::fma(ToF32(row[j]), x[i * x_stride + j], acc);
      y[i * y_stride + r] = acc;
    }
  }
}

}  // namespace

const MatmulUkernels& MatmulUkernelsScalar() {
  static const MatmulUkernels k{
      "scalar",
      QuantizeQ8,
      PackPlainGemv,
      QGemv<BlockQ8_0>,
      QGemm<BlockQ8_0>,
      PackPlainGemv,
      QGemv<BlockQ4_0>,
      QGemm<BlockQ4_0>,
      FGemm<float, Widen>,
      FGemm<uint16_t, F16ToF32>,
      FGemm<uint16_t, BF16ToF32>,
  };
  return k;
}

}  // namespace edgert::kernels::scalar
