// kernels/matmul/matmul_transposed_int8.cc: dx += dy·W through int8 products:
// the operator for both formats (wide blocks: its own microkernels; GGUF
// blocks: quantized dy, requantized Wᵀ panels, the forward GEMM microkernel),
// and the GGUF-block Wᵀ packer.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <string>

#include "base/quant_blocks.h"
#include "kernels/convert/quantize.h"
#include "kernels/matmul/matmul_transposed.h"

namespace edgert::kernels {

void PackTransposedQ8Scalar(DType type, const void* w, size_t w_stride, size_t rows, size_t c0, size_t cols,
                            BlockQ8_0* out, size_t out_blocks) {
  const auto* base = static_cast<const uint8_t*>(w);
  const size_t src_block0 = c0 / kQuantBlock;
  for (size_t cb = 0; cb < cols / kQuantBlock; ++cb) {
    for (size_t ob = 0; ob * kQuantBlock < rows; ++ob) {
      // tile[j][c]: 32 rows of W, one source block of 32 columns, dequantized.
      float tile[kQuantBlock][kQuantBlock] = {};
      for (size_t j = 0; j < kQuantBlock && ob * kQuantBlock + j < rows; ++j) {
        const uint8_t* row = base + (ob * kQuantBlock + j) * w_stride;
        if (type == DType::kQ8_0) {
          DequantizeRowQ8_0(reinterpret_cast<const BlockQ8_0*>(row) + src_block0 + cb, tile[j], kQuantBlock);
        } else {
          DequantizeRowQ4_0(reinterpret_cast<const BlockQ4_0*>(row) + src_block0 + cb, tile[j], kQuantBlock);
        }
      }
      for (size_t c = 0; c < kQuantBlock; ++c) {
        float col[kQuantBlock];
        for (size_t j = 0; j < kQuantBlock; ++j) col[j] = tile[j][c];
        QuantizeRowQ8_0Ref(col, out + (cb * kQuantBlock + c) * out_blocks + ob, kQuantBlock);
      }
    }
  }
}

namespace {

size_t Align64(size_t v) { return (v + 63) & ~size_t{63}; }
size_t RoundUp32(size_t v) { return (v + kQuantBlock - 1) / kQuantBlock * kQuantBlock; }

// Scratch: dy's quants [chunk][m][chunk columns], scales and corrections
// [chunk][m][chunk blocks] (chunk c starts at m·c·kInt8ChunkRows quants), then
// one slot per task: the packed Wᵀ chunk of its panel and the GEMM's output.
struct Layout {
  size_t qs, d, corr, slots, packed_bytes, slot_bytes, total_for_one;
};

Layout MakeLayout(size_t m, size_t n) {
  const size_t n_pad = RoundUp32(n), nb = n_pad / kQuantBlock;
  const size_t chunk = std::min(kInt8ChunkRows, n_pad);
  Layout l{};
  l.qs = 0;
  l.d = Align64(m * n_pad);
  l.corr = l.d + Align64(m * nb * sizeof(float));
  l.slots = l.corr + Align64(m * nb * sizeof(int32_t));
  l.packed_bytes = Align64(kInt8Panel * (chunk / kQuantBlock) * sizeof(BlockQ8_0));
  l.slot_bytes = l.packed_bytes + Align64(std::min(m, kInt8RowBlock) * kInt8Panel * sizeof(float));
  l.total_for_one = l.slots + l.slot_bytes + 64;  // + 64: room to align the start
  return l;
}

// Wide blocks: dy's quants [m][n rounded up to kInt8Block], scales and
// corrections [m][blocks], then one slot per task: its panel's packed Wᵀ chunk
// (the microkernel accumulates into dx: no temporary).
static_assert(kInt8ChunkRows % kInt8Block == 0 && kInt8Panel % kInt8Tile == 0);
Layout MakeWideLayout(size_t m, size_t n) {
  const size_t n_pad = (n + kInt8Block - 1) / kInt8Block * kInt8Block, nb = n_pad / kInt8Block;
  const size_t chunk = std::min(kInt8ChunkRows, n_pad);
  Layout l{};
  l.qs = 0;
  l.d = Align64(m * n_pad);
  l.corr = l.d + Align64(m * nb * sizeof(float));
  l.slots = l.corr + Align64(m * nb * sizeof(int32_t));
  l.packed_bytes = kInt8Panel / kInt8Tile * (chunk / kInt8Block) * sizeof(Int8WideUnit);
  l.slot_bytes = l.packed_bytes;
  l.total_for_one = l.slots + l.slot_bytes + 64;
  return l;
}

struct Ctx {
  const MatmulUkernels* uk;
  const Int8WideUkernels* wide;  // non-null: the wide-block format
  size_t ldq, ldd;               // wide: row strides of dy's quants and of its scales / corrections
  DType type;
  const uint8_t* w;
  size_t w_stride, n, k, m;
  const float* dy;
  size_t ldy;
  float* dx;
  int8_t* qs;
  float* d;
  int32_t* corr;
  std::byte* slots;
  size_t packed_bytes, slot_bytes, panels;  // panel p: column blocks [p·kb/panels, (p+1)·kb/panels)
  std::atomic<size_t> next_panel{0};
};

// Row i of dy, chunk by chunk; a chunk's partial last block is zero-padded.
void QuantizeRow(void* ctx, size_t i) {
  const auto& t = *static_cast<const Ctx*>(ctx);
  if (t.wide != nullptr) {
    t.wide->quantize(t.dy + i * t.ldy, t.n, t.qs + i * t.ldq, t.d + i * t.ldd, t.corr + i * t.ldd);
    return;
  }
  for (size_t n0 = 0; n0 < t.n; n0 += kInt8ChunkRows) {
    const size_t nc = std::min(kInt8ChunkRows, t.n - n0), ncp = RoundUp32(nc), full = nc / kQuantBlock * kQuantBlock;
    int8_t* qs = t.qs + t.m * n0 + i * ncp;
    float* d = t.d + (t.m * n0 + i * ncp) / kQuantBlock;
    int32_t* corr = t.corr + (t.m * n0 + i * ncp) / kQuantBlock;
    const float* x = t.dy + i * t.ldy + n0;
    if (full > 0) t.uk->quantize_q8(x, full, kQ8_0ActivationCorr, qs, d, corr);
    if (full < nc) {
      float pad[kQuantBlock] = {};
      std::copy(x + full, x + nc, pad);
      const size_t b = full / kQuantBlock;
      t.uk->quantize_q8(pad, kQuantBlock, kQ8_0ActivationCorr, qs + full, d + b, corr + b);
    }
  }
}

// One panel, wide blocks: dx[:, c0 .. c0 + cols) += Σ over chunks of W.
void RunPanelWide(const Ctx& t, std::byte* slot, size_t c0, size_t cols) {
  auto* packed = reinterpret_cast<Int8WideUnit*>(slot);
  for (size_t n0 = 0; n0 < t.n; n0 += kInt8ChunkRows) {
    const size_t nc = std::min(kInt8ChunkRows, t.n - n0), nb = (nc + kInt8Block - 1) / kInt8Block;
    t.wide->pack(t.type, t.w + n0 * t.w_stride, t.w_stride, nc, c0, cols, packed);
    const size_t b0 = n0 / kInt8Block;
    t.wide->gemm(t.m, cols / kInt8Tile, nb, packed, t.qs + n0, t.ldq, t.d + b0, t.corr + b0, t.ldd, t.dx + c0, t.k);
  }
}

// One panel: dx[:, c0 .. c0 + cols) += Σ over chunks of W (dyq chunk)·(Wᵀ chunk)ᵀ.
void RunPanel(const Ctx& t, std::byte* slot, size_t panel) {
  const size_t kb_total = t.k / kQuantBlock;
  const size_t c0 = panel * kb_total / t.panels * kQuantBlock;
  const size_t cols = (panel + 1) * kb_total / t.panels * kQuantBlock - c0;
  if (t.wide != nullptr) return RunPanelWide(t, slot, c0, cols);
  auto* packed = reinterpret_cast<BlockQ8_0*>(slot);
  auto* tmp = reinterpret_cast<float*>(slot + t.packed_bytes);
  for (size_t n0 = 0; n0 < t.n; n0 += kInt8ChunkRows) {
    const size_t nc = std::min(kInt8ChunkRows, t.n - n0), kb = RoundUp32(nc) / kQuantBlock;
    PackTransposedQ8Scalar(t.type, t.w + n0 * t.w_stride, t.w_stride, nc, c0, cols, packed, kb);
    const int8_t* qs = t.qs + t.m * n0;
    const float* d = t.d + t.m * n0 / kQuantBlock;
    const int32_t* corr = t.corr + t.m * n0 / kQuantBlock;
    for (size_t i0 = 0; i0 < t.m; i0 += kInt8RowBlock) {
      const size_t mb = std::min(kInt8RowBlock, t.m - i0);
      t.uk->q8_0_gemm(mb, cols, kb, packed, kb * sizeof(BlockQ8_0), qs + i0 * kb * kQuantBlock, d + i0 * kb,
                      corr + i0 * kb, tmp, cols);
      for (size_t i = 0; i < mb; ++i) {
        float* out = t.dx + (i0 + i) * t.k + c0;
        const float* in = tmp + i * cols;
        for (size_t c = 0; c < cols; ++c) out[c] += in[c];
      }
    }
  }
}

// A task is a slot: it takes panels until none are left (threads on a busy
// machine finish unevenly; a fixed split would wait for the slowest).
void RunSlot(void* ctx, size_t slot) {
  auto& t = *static_cast<Ctx*>(ctx);
  std::byte* s = t.slots + slot * t.slot_bytes;
  for (size_t p = t.next_panel.fetch_add(1, std::memory_order_relaxed); p < t.panels;
       p = t.next_panel.fetch_add(1, std::memory_order_relaxed)) {
    RunPanel(t, s, p);
  }
}

// Panels of kb column blocks for `tasks` tasks. Equal panels that split
// evenly, at least two per task, where some width allows it: k = 896 on two
// threads is 14 panels of 64 columns (8 of 96 or 128, taken greedily, left one
// thread idle for the last 4 of 16 tile-widths: 14% over the even split).
// Otherwise as wide as kInt8Panel, narrower down to kInt8PanelsPerThread per
// task (tasks take panels as they finish, which evens out the rest).
size_t PanelCount(size_t kb, size_t tasks) {
  for (size_t width = kInt8Panel / kQuantBlock; width >= 1; --width) {
    if (kb % width == 0 && (kb / width) % tasks == 0 && kb / width >= 2 * tasks) return kb / width;
  }
  const size_t max_width = kInt8Panel / kQuantBlock;
  return std::max((kb + max_width - 1) / max_width, std::min(kb, kInt8PanelsPerThread * tasks));
}

bool Quantized(DType t) { return t == DType::kQ8_0 || t == DType::kQ4_0; }

}  // namespace

const Int8WideUkernels* Int8WideUkernelsFor(Isa isa) {
#ifdef EDGERT_HAVE_X86_KERNELS
  if (isa == Isa::kAvx512Vnni && IsaSupported(isa)) return &Int8WideUkernelsAvx512();
#endif
  if (isa == Isa::kScalar) return &Int8WideUkernelsScalar();
  return nullptr;
}

size_t MatmulTransposedInt8ScratchBytes(size_t m, size_t n, size_t threads) {
  const size_t extra = std::max<size_t>(threads, 1) - 1;
  const Layout g = MakeLayout(m, n), wl = MakeWideLayout(m, n);
  return std::max(g.total_for_one + extra * g.slot_bytes, wl.total_for_one + extra * wl.slot_bytes);
}

Status MatmulTransposedInt8With(Isa isa, const MatmulWeights& w, const float* dy, size_t m, float* dx,
                                void* scratch, size_t scratch_bytes, pthreadpool_t pool, size_t dy_stride) {
  const char* what = "int8 transposed matmul";
  if (!Quantized(w.type)) return InvalidArgument(std::string(what) + ": weights are not Q8_0 or Q4_0");
  if (w.data == nullptr || dy == nullptr || dx == nullptr || w.n == 0 || w.k == 0) {
    return InvalidArgument(std::string(what) + ": empty operand");
  }
  if (w.k % kQuantBlock != 0) {
    return InvalidArgument(std::string(what) + ": k = " + std::to_string(w.k) + " is not a multiple of 32");
  }
  if (dy_stride != 0 && dy_stride < w.n) {
    return InvalidArgument(std::string(what) + ": dy row stride " + std::to_string(dy_stride) + " is shorter than " +
                           std::to_string(w.n));
  }
  const MatmulUkernels* uk = MatmulUkernelsFor(isa);
  if (uk == nullptr) return InvalidArgument(std::string(what) + ": ISA not supported: " + IsaName(isa));
  if (m == 0) return OkStatus();
  const Int8WideUkernels* wide = Int8WideUkernelsFor(isa);
  const Layout l = wide != nullptr ? MakeWideLayout(m, w.n) : MakeLayout(m, w.n);
  const auto start = reinterpret_cast<uintptr_t>(scratch);
  const uintptr_t aligned = (start + 63) & ~uintptr_t{63};
  if (scratch == nullptr || scratch_bytes < (aligned - start) + l.slots + l.slot_bytes) {
    return InvalidArgument(std::string(what) + ": scratch of " + std::to_string(scratch_bytes) + " bytes, need " +
                           std::to_string(l.total_for_one) + " for " + std::to_string(m) + " rows of " +
                           std::to_string(w.n));
  }
  const size_t block_bytes = w.type == DType::kQ8_0 ? sizeof(BlockQ8_0) : sizeof(BlockQ4_0);
  const size_t row_bytes = w.k / kQuantBlock * block_bytes;
  if (w.row_stride != 0 && w.row_stride < row_bytes) {
    return InvalidArgument(std::string(what) + ": row stride " + std::to_string(w.row_stride) + " is shorter than a row");
  }
  auto* s = reinterpret_cast<std::byte*>(aligned);
  Ctx t;
  t.uk = uk;
  t.wide = wide;
  t.ldq = (w.n + kInt8Block - 1) / kInt8Block * kInt8Block;
  t.ldd = t.ldq / kInt8Block;
  t.type = w.type;
  t.w = static_cast<const uint8_t*>(w.data);
  t.w_stride = w.row_stride != 0 ? w.row_stride : row_bytes;
  t.n = w.n;
  t.k = w.k;
  t.m = m;
  t.dy = dy;
  t.ldy = dy_stride != 0 ? dy_stride : w.n;
  t.dx = dx;
  t.qs = reinterpret_cast<int8_t*>(s + l.qs);
  t.d = reinterpret_cast<float*>(s + l.d);
  t.corr = reinterpret_cast<int32_t*>(s + l.corr);
  t.slots = s + l.slots;
  t.packed_bytes = l.packed_bytes;
  t.slot_bytes = l.slot_bytes;
  pthreadpool_parallelize_1d(pool, QuantizeRow, &t, m, 0);
  const size_t threads = pool != nullptr ? pthreadpool_get_threads_count(pool) : 1;
  const size_t fit = (scratch_bytes - (aligned - start) - l.slots) / l.slot_bytes;  // >= 1, checked above
  // The width never changes a result: the microkernels compute each output
  // the same way whatever columns they are given.
  const size_t tasks_wanted = std::min(threads, fit);
  t.panels = PanelCount(w.k / kQuantBlock, tasks_wanted);
  const size_t tasks = std::min(tasks_wanted, t.panels);
  pthreadpool_parallelize_1d(pool, RunSlot, &t, tasks, 0);
  return OkStatus();
}

Status MatmulTransposedAccumulate(const MatmulWeights& w, const float* dy, size_t m, float* dx, pthreadpool_t pool,
                                  size_t dy_stride, TransposedPrecision precision, void* scratch,
                                  size_t scratch_bytes) {
  if (precision == TransposedPrecision::kInt8 && Quantized(w.type) && m >= kInt8MinRows) {
    return MatmulTransposedInt8With(BestIsa(), w, dy, m, dx, scratch, scratch_bytes, pool, dy_stride);
  }
  return MatmulTransposedAccumulate(w, dy, m, dx, pool, dy_stride);
}

}  // namespace edgert::kernels
