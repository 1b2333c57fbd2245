// kernels/matmul/matmul_transposed_int8.cc: dx += dy·W through int8 products:
// the operator for both formats (wide blocks: its own microkernels; GGUF
// blocks: quantized dy, requantized Wᵀ panels, the forward GEMM microkernel),
// and the GGUF-block Wᵀ packer's reference.
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
size_t RoundUpWide(size_t v) { return (v + kInt8Block - 1) / kInt8Block * kInt8Block; }
std::byte* AlignUp(void* p) {
  return reinterpret_cast<std::byte*>((reinterpret_cast<uintptr_t>(p) + 63) & ~uintptr_t{63});
}

// Quantized dy (TransposedInt8Dy; 64-byte aligned within its data): quants,
// then scales, then corrections.
//   Wide blocks: quants [m][n rounded up to kInt8Block], scales and
//     corrections [m][blocks]: row-major, so columns n0.. of row i start at
//     quant i·ldq + n0 and block i·ldd + n0/kInt8Block.
//   GGUF blocks: quants [chunk][m][chunk columns], scales and corrections
//     [chunk][m][chunk blocks]: the chunk that starts at column n0 starts at
//     quant m·n0 and block m·n0/32, its row i at i·(its padded width) after
//     that (the forward GEMM reads a chunk's rows contiguously).
struct DyLayout {
  size_t d, corr, total;
};

DyLayout MakeDyLayout(bool wide, size_t m, size_t n) {
  const size_t n_pad = wide ? RoundUpWide(n) : RoundUp32(n), nb = n_pad / (wide ? kInt8Block : kQuantBlock);
  DyLayout l{};
  l.d = Align64(m * n_pad);
  l.corr = l.d + Align64(m * nb * sizeof(float));
  l.total = l.corr + Align64(m * nb * sizeof(int32_t));
  return l;
}

struct DyView {
  const Int8WideUkernels* wide;  // non-null: the wide-block format
  const MatmulUkernels* uk;      // GGUF blocks: the quantizer and GEMM
  PackTransposedQ8Fn pack;       // GGUF blocks: the Wᵀ packer
  size_t m, n, ldq, ldd;         // wide: row strides of the quants and of the scales / corrections
  int8_t* qs;
  float* d;
  int32_t* corr;
};

Result<DyView> View(const TransposedInt8Dy& q, const char* what) {
  const MatmulUkernels* uk = MatmulUkernelsFor(q.isa);
  if (uk == nullptr) return InvalidArgument(std::string(what) + ": ISA not supported: " + IsaName(q.isa));
  const Int8WideUkernels* wide = Int8WideUkernelsFor(q.isa);
  const DyLayout l = MakeDyLayout(wide != nullptr, q.m, q.n);
  std::byte* s = q.data != nullptr ? AlignUp(q.data) : nullptr;
  if (q.n == 0 || s == nullptr || q.bytes < static_cast<size_t>(s - static_cast<std::byte*>(q.data)) + l.total) {
    return InvalidArgument(std::string(what) + ": quantized dy of " + std::to_string(q.bytes) + " bytes, need " +
                           std::to_string(TransposedInt8DyBytes(q.isa, q.m, q.n)) + " for " + std::to_string(q.m) +
                           " rows of " + std::to_string(q.n));
  }
  DyView v{wide, uk, PackTransposedQ8For(q.isa), q.m, q.n, RoundUpWide(q.n), RoundUpWide(q.n) / kInt8Block, nullptr, nullptr, nullptr};
  v.qs = reinterpret_cast<int8_t*>(s);
  v.d = reinterpret_cast<float*>(s + l.d);
  v.corr = reinterpret_cast<int32_t*>(s + l.corr);
  return v;
}

// Scratch of the product: one slot per task, its panel's packed Wᵀ chunk and,
// for GGUF blocks, the GEMM's output (the wide microkernel accumulates into
// dx: no temporary).
struct SlotLayout {
  size_t packed_bytes, slot_bytes;
};

static_assert(kInt8ChunkRows % kInt8Block == 0 && kInt8Panel % kInt8Tile == 0);
SlotLayout MakeSlotLayout(bool wide, size_t m, size_t n) {
  SlotLayout l{};
  if (wide) {
    l.packed_bytes = kInt8Panel / kInt8Tile * (std::min(kInt8ChunkRows, RoundUpWide(n)) / kInt8Block) *
                     sizeof(Int8WideUnit);
    l.slot_bytes = l.packed_bytes;
  } else {
    l.packed_bytes = Align64(kInt8Panel * (std::min(kInt8ChunkRows, RoundUp32(n)) / kQuantBlock) * sizeof(BlockQ8_0));
    l.slot_bytes = l.packed_bytes + Align64(std::min(m, kInt8RowBlock) * kInt8Panel * sizeof(float));
  }
  return l;
}

struct QuantizeCtx {
  DyView q;
  const float* dy;
  size_t ldy, i0;
};

// Row r of dy into row i0 + r. GGUF blocks: chunk by chunk, a chunk's partial
// last block zero-padded.
void QuantizeRow(void* ctx, size_t r) {
  const auto& t = *static_cast<const QuantizeCtx*>(ctx);
  const DyView& q = t.q;
  const size_t i = t.i0 + r;
  const float* row = t.dy + r * t.ldy;
  if (q.wide != nullptr) {
    q.wide->quantize(row, q.n, q.qs + i * q.ldq, q.d + i * q.ldd, q.corr + i * q.ldd);
    return;
  }
  for (size_t n0 = 0; n0 < q.n; n0 += kInt8ChunkRows) {
    const size_t nc = std::min(kInt8ChunkRows, q.n - n0), ncp = RoundUp32(nc), full = nc / kQuantBlock * kQuantBlock;
    int8_t* qs = q.qs + q.m * n0 + i * ncp;
    float* d = q.d + (q.m * n0 + i * ncp) / kQuantBlock;
    int32_t* corr = q.corr + (q.m * n0 + i * ncp) / kQuantBlock;
    const float* x = row + n0;
    if (full > 0) q.uk->quantize_q8(x, full, kQ8_0ActivationCorr, qs, d, corr);
    if (full < nc) {
      float pad[kQuantBlock] = {};
      std::copy(x + full, x + nc, pad);
      const size_t b = full / kQuantBlock;
      q.uk->quantize_q8(pad, kQuantBlock, kQ8_0ActivationCorr, qs + full, d + b, corr + b);
    }
  }
}

struct Ctx {
  DyView q;
  size_t n0;  // dy's column of W's row 0
  DType type;
  const uint8_t* w;
  size_t w_stride, n, k;
  float* dx;
  std::byte* slots;
  size_t packed_bytes, slot_bytes, panels;  // panel p: column blocks [p·kb/panels, (p+1)·kb/panels)
  std::atomic<size_t> next_panel{0};
};

// One panel, wide blocks: dx[:, c0 .. c0 + cols) += Σ over chunks of W.
void RunPanelWide(const Ctx& t, std::byte* slot, size_t c0, size_t cols) {
  auto* packed = reinterpret_cast<Int8WideUnit*>(slot);
  for (size_t n0 = 0; n0 < t.n; n0 += kInt8ChunkRows) {
    const size_t nc = std::min(kInt8ChunkRows, t.n - n0), nb = (nc + kInt8Block - 1) / kInt8Block;
    t.q.wide->pack(t.type, t.w + n0 * t.w_stride, t.w_stride, nc, c0, cols, packed);
    const size_t col = t.n0 + n0, b0 = col / kInt8Block;
    t.q.wide->gemm(t.q.m, cols / kInt8Tile, nb, packed, t.q.qs + col, t.q.ldq, t.q.d + b0, t.q.corr + b0, t.q.ldd,
                   t.dx + c0, t.k);
  }
}

// One panel: dx[:, c0 .. c0 + cols) += Σ over chunks of W (dyq chunk)·(Wᵀ chunk)ᵀ.
void RunPanel(const Ctx& t, std::byte* slot, size_t panel) {
  const size_t kb_total = t.k / kQuantBlock;
  const size_t c0 = panel * kb_total / t.panels * kQuantBlock;
  const size_t cols = (panel + 1) * kb_total / t.panels * kQuantBlock - c0;
  if (t.q.wide != nullptr) return RunPanelWide(t, slot, c0, cols);
  auto* packed = reinterpret_cast<BlockQ8_0*>(slot);
  auto* tmp = reinterpret_cast<float*>(slot + t.packed_bytes);
  for (size_t n0 = 0; n0 < t.n; n0 += kInt8ChunkRows) {
    const size_t nc = std::min(kInt8ChunkRows, t.n - n0), kb = RoundUp32(nc) / kQuantBlock;
    t.q.pack(t.type, t.w + n0 * t.w_stride, t.w_stride, nc, c0, cols, packed, kb);
    const size_t m = t.q.m, col = t.n0 + n0;
    const int8_t* qs = t.q.qs + m * col;
    const float* d = t.q.d + m * col / kQuantBlock;
    const int32_t* corr = t.q.corr + m * col / kQuantBlock;
    for (size_t i0 = 0; i0 < m; i0 += kInt8RowBlock) {
      const size_t mb = std::min(kInt8RowBlock, m - i0);
      t.q.uk->q8_0_gemm(mb, cols, kb, packed, kb * sizeof(BlockQ8_0), qs + i0 * kb * kQuantBlock, d + i0 * kb,
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

size_t RowBytes(const MatmulWeights& w) {
  return w.k / kQuantBlock * (w.type == DType::kQ8_0 ? sizeof(BlockQ8_0) : sizeof(BlockQ4_0));
}

Status CheckOperands(const MatmulWeights& w, const float* dx) {
  const char* what = "int8 transposed matmul";
  if (!Quantized(w.type)) return InvalidArgument(std::string(what) + ": weights are not Q8_0 or Q4_0");
  if (w.data == nullptr || dx == nullptr || w.n == 0 || w.k == 0) {
    return InvalidArgument(std::string(what) + ": empty operand");
  }
  if (w.k % kQuantBlock != 0) {
    return InvalidArgument(std::string(what) + ": k = " + std::to_string(w.k) + " is not a multiple of 32");
  }
  if (w.row_stride != 0 && w.row_stride < RowBytes(w)) {
    return InvalidArgument(std::string(what) + ": row stride " + std::to_string(w.row_stride) + " is shorter than a row");
  }
  return OkStatus();
}

}  // namespace

const Int8WideUkernels* Int8WideUkernelsFor(Isa isa) {
#ifdef EDGERT_HAVE_X86_KERNELS
  if (isa == Isa::kAvx512Vnni && IsaSupported(isa)) return &Int8WideUkernelsAvx512();
#endif
  if (isa == Isa::kScalar) return &Int8WideUkernelsScalar();
  return nullptr;
}

PackTransposedQ8Fn PackTransposedQ8For(Isa isa) {
  if (!IsaSupported(isa) || Int8WideUkernelsFor(isa) != nullptr) return nullptr;
#ifdef EDGERT_HAVE_X86_KERNELS
  if (isa == Isa::kAvx2 || isa == Isa::kAvxVnni) return PackTransposedQ8Avx2;
#endif
#ifdef EDGERT_HAVE_NEON_KERNELS
  if (isa == Isa::kNeon || isa == Isa::kNeonDotprod || isa == Isa::kNeonI8mm) return neon::PackTransposedQ8;
#endif
  return PackTransposedQ8Scalar;
}

size_t TransposedInt8DyBytes(Isa isa, size_t m, size_t n) {
  return MakeDyLayout(Int8WideUkernelsFor(isa) != nullptr, m, n).total + 64;  // + 64: room to align
}

size_t MatmulTransposedInt8PrequantizedScratchBytes(size_t m, size_t n, size_t threads) {
  const size_t slot = std::max(MakeSlotLayout(true, m, n).slot_bytes, MakeSlotLayout(false, m, n).slot_bytes);
  return slot * std::max<size_t>(threads, 1) + 64;
}

size_t MatmulTransposedInt8ScratchBytes(size_t m, size_t n, size_t threads) {
  const size_t dy = std::max(MakeDyLayout(true, m, n).total, MakeDyLayout(false, m, n).total) + 64;
  return dy + MatmulTransposedInt8PrequantizedScratchBytes(m, n, threads);
}

Status QuantizeTransposedInt8Dy(const float* dy, size_t rows, size_t dy_stride, size_t i0, const TransposedInt8Dy& q,
                                pthreadpool_t pool) {
  const char* what = "int8 transposed matmul's dy";
  EDGERT_ASSIGN_OR_RETURN(const DyView v, View(q, what));
  if (dy == nullptr) return InvalidArgument(std::string(what) + ": empty operand");
  if (i0 > q.m || rows > q.m - i0) {
    return InvalidArgument(std::string(what) + ": rows " + std::to_string(i0) + " + " + std::to_string(rows) +
                           " past " + std::to_string(q.m));
  }
  if (dy_stride != 0 && dy_stride < q.n) {
    return InvalidArgument(std::string(what) + ": row stride " + std::to_string(dy_stride) + " is shorter than " +
                           std::to_string(q.n));
  }
  QuantizeCtx t{v, dy, dy_stride != 0 ? dy_stride : q.n, i0};
  pthreadpool_parallelize_1d(pool, QuantizeRow, &t, rows, 0);
  return OkStatus();
}

Status MatmulTransposedInt8Prequantized(const MatmulWeights& w, const TransposedInt8Dy& dy, size_t n0, float* dx,
                                        void* scratch, size_t scratch_bytes, pthreadpool_t pool) {
  const char* what = "int8 transposed matmul";
  EDGERT_RETURN_IF_ERROR(CheckOperands(w, dx));
  EDGERT_ASSIGN_OR_RETURN(const DyView v, View(dy, what));
  // Chunks of the product must be chunks of dy (GGUF blocks: they share its
  // rows' layout; wide: whole blocks).
  if (n0 % kInt8ChunkRows != 0 || n0 > dy.n || w.n > dy.n - n0 || (w.n % kInt8ChunkRows != 0 && n0 + w.n != dy.n)) {
    return InvalidArgument(std::string(what) + ": columns " + std::to_string(n0) + " + " + std::to_string(w.n) +
                           " are not whole chunks of dy's " + std::to_string(dy.n));
  }
  const size_t m = dy.m;
  if (m == 0) return OkStatus();
  const SlotLayout l = MakeSlotLayout(v.wide != nullptr, m, w.n);
  std::byte* slots = scratch != nullptr ? AlignUp(scratch) : nullptr;
  const size_t skipped = static_cast<size_t>(slots - static_cast<std::byte*>(scratch));
  if (scratch == nullptr || scratch_bytes < skipped + l.slot_bytes) {
    return InvalidArgument(std::string(what) + ": scratch of " + std::to_string(scratch_bytes) + " bytes, need " +
                           std::to_string(MatmulTransposedInt8PrequantizedScratchBytes(m, w.n, 1)) + " for " +
                           std::to_string(m) + " rows of " + std::to_string(w.n));
  }
  Ctx t;
  t.q = v;
  t.n0 = n0;
  t.type = w.type;
  t.w = static_cast<const uint8_t*>(w.data);
  t.w_stride = w.row_stride != 0 ? w.row_stride : RowBytes(w);
  t.n = w.n;
  t.k = w.k;
  t.dx = dx;
  t.slots = slots;
  t.packed_bytes = l.packed_bytes;
  t.slot_bytes = l.slot_bytes;
  const size_t threads = pool != nullptr ? pthreadpool_get_threads_count(pool) : 1;
  const size_t fit = (scratch_bytes - skipped) / l.slot_bytes;  // >= 1, checked above
  // The width never changes a result: the microkernels compute each output
  // the same way whatever columns they are given.
  const size_t tasks_wanted = std::min(threads, fit);
  t.panels = PanelCount(w.k / kQuantBlock, tasks_wanted);
  const size_t tasks = std::min(tasks_wanted, t.panels);
  pthreadpool_parallelize_1d(pool, RunSlot, &t, tasks, 0);
  return OkStatus();
}

Status MatmulTransposedInt8With(Isa isa, const MatmulWeights& w, const float* dy, size_t m, float* dx,
                                void* scratch, size_t scratch_bytes, pthreadpool_t pool, size_t dy_stride) {
  const char* what = "int8 transposed matmul";
  EDGERT_RETURN_IF_ERROR(CheckOperands(w, dx));
  if (dy == nullptr) return InvalidArgument(std::string(what) + ": empty operand");
  if (dy_stride != 0 && dy_stride < w.n) {
    return InvalidArgument(std::string(what) + ": dy row stride " + std::to_string(dy_stride) + " is shorter than " +
                           std::to_string(w.n));
  }
  if (MatmulUkernelsFor(isa) == nullptr) {
    return InvalidArgument(std::string(what) + ": ISA not supported: " + IsaName(isa));
  }
  if (m == 0) return OkStatus();
  // dy quantized into the front of the scratch, the product's slots after it.
  const size_t dy_bytes = TransposedInt8DyBytes(isa, m, w.n);
  if (scratch == nullptr || scratch_bytes < dy_bytes) {
    return InvalidArgument(std::string(what) + ": scratch of " + std::to_string(scratch_bytes) + " bytes, need " +
                           std::to_string(MatmulTransposedInt8ScratchBytes(m, w.n, 1)) + " for " + std::to_string(m) +
                           " rows of " + std::to_string(w.n));
  }
  const TransposedInt8Dy q{isa, scratch, dy_bytes, m, w.n};
  EDGERT_RETURN_IF_ERROR(QuantizeTransposedInt8Dy(dy, m, dy_stride, 0, q, pool));
  return MatmulTransposedInt8Prequantized(w, q, 0, dx, static_cast<std::byte*>(scratch) + dy_bytes,
                                          scratch_bytes - dy_bytes, pool);
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
