// kernels/matmul/matmul_transposed_int8_wide_scalar.cc: the portable reference
// of the int8 transposed product's wide-block format (matmul_transposed.h):
// dy's quantizer, the Wᵀ packer and the microkernel, written for clarity; the
// AVX-512 variant must equal them bit for bit.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "base/quant_blocks.h"
#include "kernels/convert/quantize.h"
#include "kernels/matmul/matmul_transposed.h"

namespace edgert::kernels {
namespace {

constexpr size_t kB = kInt8Block;

// round-half-away(v·inv) as an int (|v·inv| <= 127 and a little: in range).
int RoundQuant(float v, float inv) { return static_cast<int>(std::round(v * inv)); }

void QuantizeWide(const float* x, size_t n, int8_t* qs, float* d, int32_t* corr) {
  for (size_t b = 0; b * kB < n; ++b) {
    const size_t j0 = b * kB, j1 = std::min(n, j0 + kB);
    float amax = 0.0f;
    for (size_t j = j0; j < j1; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float db = amax / 127.0f;
    const float id = db != 0.0f ? 1.0f / db : 0.0f;
    int32_t sum = 0;
    for (size_t j = j0; j < j0 + kB; ++j) {
      const int q = j < j1 ? RoundQuant(x[j], id) : 0;
      qs[j] = static_cast<int8_t>(q);
      sum += q;
    }
    d[b] = db;
    corr[b] = -128 * sum;
  }
}

void PackWide(DType type, const void* w, size_t w_stride, size_t rows, size_t c0, size_t cols, Int8WideUnit* out) {
  const auto* base = static_cast<const uint8_t*>(w);
  const size_t nb = (rows + kB - 1) / kB;
  for (size_t t = 0; t < cols / kInt8Tile; ++t) {
    const size_t src_block = c0 / kQuantBlock + t;
    for (size_t b = 0; b < nb; ++b) {
      // v[r][c]: the block's rows of W, the tile's 32 columns, dequantized (exact products).
      float v[kB][kInt8Tile];
      for (size_t r = 0; r < kB; ++r) {
        const size_t row = b * kB + r;
        if (row >= rows) {
          std::fill_n(v[r], kInt8Tile, 0.0f);
        } else if (type == DType::kQ8_0) {
          DequantizeRowQ8_0(reinterpret_cast<const BlockQ8_0*>(base + row * w_stride) + src_block, v[r], kQuantBlock);
        } else {
          DequantizeRowQ4_0(reinterpret_cast<const BlockQ4_0*>(base + row * w_stride) + src_block, v[r], kQuantBlock);
        }
      }
      Int8WideUnit& u = out[t * nb + b];
      for (size_t c = 0; c < kInt8Tile; ++c) {
        float amax = 0.0f;
        for (size_t r = 0; r < kB; ++r) amax = std::max(amax, std::fabs(v[r][c]));
        const float dc = amax / 127.0f;
        const float ic = dc != 0.0f ? 1.0f / dc : 0.0f;
        u.d[c] = dc;
        for (size_t j = 0; j < kB / 4; ++j) {
          uint32_t word = 0;
          for (size_t e = 0; e < 4; ++e) {
            const auto biased = static_cast<uint32_t>(RoundQuant(v[4 * j + e][c], ic) + 128);
            word |= biased << (8 * e);
          }
          u.q[j][c] = word;
        }
      }
    }
  }
}

void GemmWide(size_t m, size_t tiles, size_t nb, const Int8WideUnit* packed, const int8_t* xq, size_t ldq,
              const float* xd, const int32_t* xc, size_t ldd, float* dx, size_t ldx) {
  for (size_t i = 0; i < m; ++i) {
    for (size_t t = 0; t < tiles; ++t) {
      for (size_t c = 0; c < kInt8Tile; ++c) {
        float acc = dx[i * ldx + t * kInt8Tile + c];
        for (size_t b = 0; b < nb; ++b) {
          const Int8WideUnit& u = packed[t * nb + b];
          const int8_t* x = xq + i * ldq + b * kB;
          int32_t dot = xc[i * ldd + b];
          for (size_t j = 0; j < kB / 4; ++j) {
            for (size_t e = 0; e < 4; ++e) dot += static_cast<int32_t>((u.q[j][c] >> (8 * e)) & 0xFF) * x[4 * j + e];
          }
          acc = std::fma(static_cast<float>(dot), u.d[c] * xd[i * ldd + b], acc);
        }
        dx[i * ldx + t * kInt8Tile + c] = acc;
      }
    }
  }
}

}  // namespace

const Int8WideUkernels& Int8WideUkernelsScalar() {
  static const Int8WideUkernels k{"scalar", QuantizeWide, PackWide, GemmWide};
  return k;
}

}  // namespace edgert::kernels
