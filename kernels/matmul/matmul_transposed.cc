// kernels/matmul/matmul_transposed.cc: the dx += dy·W operator (validation,
// dequantized tiles, threading) and its portable microkernel.
#include "kernels/matmul/matmul_transposed.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>

#include "base/quant_blocks.h"
#include "kernels/convert/fp16_rows.h"
#include "kernels/convert/quantize.h"
#include "kernels/isa.h"

namespace edgert::kernels {
namespace {

size_t RowBytes(DType t, size_t k) {
  switch (t) {
    case DType::kF32: return k * 4;
    case DType::kF16:
    case DType::kBF16: return k * 2;
    case DType::kQ8_0: return k / kQuantBlock * sizeof(BlockQ8_0);
    case DType::kQ4_0: return k / kQuantBlock * sizeof(BlockQ4_0);
  }
  return 0;
}

}  // namespace

void TransposedDequantizeScalar(DType type, const void* row_data, size_t c0, size_t cols, float* out) {
  const auto* row = static_cast<const uint8_t*>(row_data);
  switch (type) {
    case DType::kF32: std::memcpy(out, row + c0 * 4, cols * 4); break;
    case DType::kF16: ConvertRowF16ToF32(reinterpret_cast<const uint16_t*>(row) + c0, out, cols); break;
    case DType::kBF16: ConvertRowBF16ToF32(reinterpret_cast<const uint16_t*>(row) + c0, out, cols); break;
    case DType::kQ8_0: DequantizeRowQ8_0(reinterpret_cast<const BlockQ8_0*>(row) + c0 / kQuantBlock, out, cols); break;
    case DType::kQ4_0: DequantizeRowQ4_0(reinterpret_cast<const BlockQ4_0*>(row) + c0 / kQuantBlock, out, cols); break;
  }
}

namespace {

// tile[r][0..cols) = W[n0 + r][c0 .. c0 + cols) as f32; tile[r][cols..64) = 0.
void Dequantize(TransposedDequantizeFn deq, const MatmulWeights& w, size_t stride, size_t n0, size_t rows, size_t c0,
                size_t cols, float* tile) {
  const auto* base = static_cast<const uint8_t*>(w.data);
  for (size_t r = 0; r < rows; ++r) {
    float* out = tile + r * kTransposedPanel;
    deq(w.type, base + (n0 + r) * stride, c0, cols, out);
    std::fill(out + cols, out + kTransposedPanel, 0.0f);
  }
}

// tile[c][j] = W[n0 + j][c0 + c] as f32 for j < rows, c < cols (128 at most);
// tile[c][rows..64) = 0.
void DequantizeTransposed(TransposedDequantizeFn deq, const MatmulWeights& w, size_t stride, size_t n0, size_t rows,
                          size_t c0, size_t cols, float* tile) {
  alignas(64) float row[kTransposedTileRows];
  const auto* base = static_cast<const uint8_t*>(w.data);
  for (size_t j = 0; j < rows; ++j) {
    deq(w.type, base + (n0 + j) * stride, c0, cols, row);
    for (size_t c = 0; c < cols; ++c) tile[c * kTransposedPanel + j] = row[c];
  }
  if (rows < kTransposedPanel) {
    for (size_t c = 0; c < cols; ++c) std::fill(tile + c * kTransposedPanel + rows, tile + (c + 1) * kTransposedPanel, 0.0f);
  }
}

struct ForwardTask {
  const MatmulWeights* w;
  size_t stride;
  const float* x;
  size_t ldx, m;
  float* y;
  TransposedTileFn tile_fn;
  TransposedDequantizeFn deq;
};

// Output features [panel·64, +64): y[:, panel] += Σ over k chunks x[:, chunk] · Wᵀ[chunk, panel].
void ForwardPanel(void* ctx, size_t panel) {
  const auto& t = *static_cast<const ForwardTask*>(ctx);
  const size_t n0 = panel * kTransposedPanel;
  const size_t outs = std::min(kTransposedPanel, t.w->n - n0);
  alignas(64) float tile[kTransposedTileRows * kTransposedPanel];
  for (size_t k0 = 0; k0 < t.w->k; k0 += kTransposedTileRows) {
    const size_t kc = std::min(kTransposedTileRows, t.w->k - k0);
    DequantizeTransposed(t.deq, *t.w, t.stride, n0, outs, k0, kc, tile);
    t.tile_fn(tile, kc, outs, t.x + k0, t.ldx, t.m, t.y + n0, t.w->n);
  }
}

struct Task {
  const MatmulWeights* w;
  size_t stride;
  const float* dy;
  size_t ldy, m;
  float* dx;
  TransposedTileFn tile_fn;
  TransposedDequantizeFn deq;
};

void Panel(void* ctx, size_t panel) {
  const auto& t = *static_cast<const Task*>(ctx);
  const size_t c0 = panel * kTransposedPanel;
  const size_t cols = std::min(kTransposedPanel, t.w->k - c0);
  alignas(64) float tile[kTransposedTileRows * kTransposedPanel];  // 32 KB: stays in L1
  for (size_t n0 = 0; n0 < t.w->n; n0 += kTransposedTileRows) {
    const size_t rows = std::min(kTransposedTileRows, t.w->n - n0);
    Dequantize(t.deq, *t.w, t.stride, n0, rows, c0, cols, tile);
    t.tile_fn(tile, rows, cols, t.dy + n0, t.ldy, t.m, t.dx + c0, t.w->k);
  }
}

}  // namespace

void TransposedTileScalar(const float* tile, size_t rows, size_t cols, const float* dy, size_t ldy, size_t m,
                          float* dx, size_t ldx) {
  for (size_t i = 0; i < m; ++i) {
    float acc[kTransposedPanel] = {};
    const float* d = dy + i * ldy;
    for (size_t r = 0; r < rows; ++r) {
      const float* wr = tile + r * kTransposedPanel;
      for (size_t c = 0; c < kTransposedPanel; ++c) acc[c] += d[r] * wr[c];
    }
    float* out = dx + i * ldx;
    for (size_t c = 0; c < cols; ++c) out[c] += acc[c];
  }
}

void TransposedTileStoreScalar(const float* tile, size_t rows, size_t cols, const float* dy, size_t ldy, size_t m,
                               float* dx, size_t ldx) {
  for (size_t i = 0; i < m; ++i) std::fill_n(dx + i * ldx, cols, 0.0f);
  TransposedTileScalar(tile, rows, cols, dy, ldy, m, dx, ldx);
}

namespace {

// Shared checks; sets the microkernel for `isa`.
Status Validate(const char* what, Isa isa, const MatmulWeights& w, const float* in, const float* out, size_t stride,
                size_t min_stride, TransposedTileFn& fn) {
  if (w.data == nullptr || in == nullptr || out == nullptr || w.n == 0 || w.k == 0) {
    return InvalidArgument(std::string(what) + ": empty operand");
  }
  if ((w.type == DType::kQ8_0 || w.type == DType::kQ4_0) && w.k % kQuantBlock != 0) {
    return InvalidArgument(std::string(what) + ": k = " + std::to_string(w.k) + " is not a multiple of 32");
  }
  if (stride != 0 && stride < min_stride) {
    return InvalidArgument(std::string(what) + ": input row stride " + std::to_string(stride) + " is shorter than " +
                           std::to_string(min_stride));
  }
  if (!IsaSupported(isa)) return InvalidArgument(std::string(what) + ": ISA not supported: " + IsaName(isa));
  fn = TransposedTileFor(isa);
  return OkStatus();
}

Isa Best() {
  static const Isa isa = BestIsa();
  return isa;
}

}  // namespace

TransposedDequantizeFn TransposedDequantizeFor(Isa isa) {
  if (!IsaSupported(isa)) return nullptr;
#ifdef EDGERT_HAVE_NEON_KERNELS
  if (isa == Isa::kNeon || isa == Isa::kNeonDotprod || isa == Isa::kNeonI8mm) return neon::TransposedDequantize;
#endif
  return TransposedDequantizeScalar;
}

TransposedTileFn TransposedTileFor(Isa isa) {
  if (!IsaSupported(isa)) return nullptr;
#ifdef EDGERT_HAVE_X86_KERNELS
  if (isa == Isa::kAvx512Vnni) return TransposedTileAvx512;
  if (isa == Isa::kAvx2 || isa == Isa::kAvxVnni) return TransposedTileAvx2;
#endif
#ifdef EDGERT_HAVE_NEON_KERNELS
  if (isa == Isa::kNeon || isa == Isa::kNeonDotprod || isa == Isa::kNeonI8mm) return neon::TransposedTile;
#endif
  return TransposedTileScalar;
}

Status MatmulDequantizedAccumulateWith(Isa isa, const MatmulWeights& w, const float* x, size_t m, float* y,
                                       pthreadpool_t pool, size_t x_stride) {
  TransposedTileFn fn = nullptr;
  EDGERT_RETURN_IF_ERROR(Validate("dequantized matmul", isa, w, x, y, x_stride, w.k, fn));
  ForwardTask task{&w, w.row_stride ? w.row_stride : RowBytes(w.type, w.k), x, x_stride ? x_stride : w.k, m, y, fn,
                   TransposedDequantizeFor(isa)};
  const size_t panels = (w.n + kTransposedPanel - 1) / kTransposedPanel;
  pthreadpool_parallelize_1d(pool, ForwardPanel, &task, panels, PTHREADPOOL_FLAG_DISABLE_DENORMALS);
  return OkStatus();
}

Status MatmulDequantizedAccumulate(const MatmulWeights& w, const float* x, size_t m, float* y, pthreadpool_t pool,
                                   size_t x_stride) {
  return MatmulDequantizedAccumulateWith(Best(), w, x, m, y, pool, x_stride);
}

Status MatmulTransposedAccumulateWith(Isa isa, const MatmulWeights& w, const float* dy, size_t m, float* dx,
                                      pthreadpool_t pool, size_t dy_stride) {
  TransposedTileFn fn = nullptr;
  EDGERT_RETURN_IF_ERROR(Validate("transposed matmul", isa, w, dy, dx, dy_stride, w.n, fn));
  Task task{&w, w.row_stride ? w.row_stride : RowBytes(w.type, w.k), dy, dy_stride ? dy_stride : w.n, m, dx, fn,
            TransposedDequantizeFor(isa)};
  const size_t panels = (w.k + kTransposedPanel - 1) / kTransposedPanel;
  pthreadpool_parallelize_1d(pool, Panel, &task, panels, PTHREADPOOL_FLAG_DISABLE_DENORMALS);
  return OkStatus();
}

Status MatmulTransposedAccumulate(const MatmulWeights& w, const float* dy, size_t m, float* dx, pthreadpool_t pool,
                                  size_t dy_stride) {
  return MatmulTransposedAccumulateWith(Best(), w, dy, m, dx, pool, dy_stride);
}

}  // namespace edgert::kernels
