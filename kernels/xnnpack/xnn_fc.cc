// kernels/xnnpack/xnn_fc.cc
#include "kernels/xnnpack/xnn_fc.h"

#include <xnnpack.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>

#include "kernels/convert/fp16_rows.h"
#include "kernels/isa.h"

namespace edgert::kernels {
namespace {

// The caller's scratch, lent to XNNPACK for one chunk's operator on this
// thread. Outside a chunk (xnn_initialize) XNNPACK gets the C heap.
struct Region {
  std::byte* base = nullptr;
  size_t size = 0;
  size_t used = 0;
  bool Owns(const void* p) const {
    const auto* b = static_cast<const std::byte*>(p);
    return b >= base && b < base + size;
  }
};
thread_local Region* t_region = nullptr;

void* AlignedAllocate(void*, size_t alignment, size_t size) {
  alignment = std::max<size_t>(alignment, alignof(std::max_align_t));
  if (Region* r = t_region) {
    const auto start = (reinterpret_cast<uintptr_t>(r->base) + r->used + alignment - 1) & ~(uintptr_t{alignment} - 1);
    const size_t offset = start - reinterpret_cast<uintptr_t>(r->base);
    if (offset > r->size || size > r->size - offset) return nullptr;  // XNNPACK reports out_of_memory
    r->used = offset + size;
    return r->base + offset;
  }
  return std::aligned_alloc(alignment, (size + alignment - 1) / alignment * alignment);
}
void* Allocate(void* ctx, size_t size) { return AlignedAllocate(ctx, alignof(std::max_align_t), size); }
void* Reallocate(void*, void* p, size_t size) {
  // Nothing the fully-connected operator does reallocates; a region block's
  // old size is unknown, so growing one is refused.
  if (t_region != nullptr && (p == nullptr || t_region->Owns(p))) return p == nullptr ? Allocate(nullptr, size) : nullptr;
  return std::realloc(p, size);
}
void Deallocate(void*, void* p) {
  if (t_region != nullptr && t_region->Owns(p)) return;  // the region is dropped whole
  std::free(p);
}

const xnn_allocator kAllocator{nullptr, Allocate, Reallocate, Deallocate, AlignedAllocate, Deallocate};

// Upper bound of XNNPACK's packed layout for a chunk: rows padded to its
// widest output tile, k padded to its widest kr·sr, one bias per row, plus the
// operator object. Generous: a shortfall only makes a call fall back.
constexpr size_t kTilePad = 64, kKPad = 16, kOperatorBytes = 256 * 1024;
size_t PackedBytes(size_t k) { return (kXnnFcChunkRows + kTilePad) * (k + kKPad + 1) * sizeof(float) + kOperatorBytes; }
size_t ConvertedBytes(size_t k) { return kXnnFcChunkRows * k * sizeof(float); }

struct RegionScope {
  explicit RegionScope(Region* r) { t_region = r; }
  ~RegionScope() { t_region = nullptr; }
  RegionScope(const RegionScope&) = delete;
  RegionScope& operator=(const RegionScope&) = delete;
};

// Rows r0 .. r0+nr of W as contiguous f32 rows: in place when they already
// are, otherwise converted into `buf`.
const float* F32Rows(const MatmulWeights& w, size_t row_stride, size_t r0, size_t nr, float* buf) {
  const auto* rows = static_cast<const std::byte*>(w.data) + r0 * row_stride;
  if (w.type == DType::kF32 && row_stride == w.k * sizeof(float)) return reinterpret_cast<const float*>(rows);
  for (size_t r = 0; r < nr; ++r) {
    const std::byte* src = rows + r * row_stride;
    float* dst = buf + r * w.k;
    switch (w.type) {
      case DType::kF16: ConvertRowF16ToF32(reinterpret_cast<const uint16_t*>(src), dst, w.k); break;
      case DType::kBF16: ConvertRowBF16ToF32(reinterpret_cast<const uint16_t*>(src), dst, w.k); break;
      default: std::memcpy(dst, src, w.k * sizeof(float)); break;
    }
  }
  return buf;
}

}  // namespace

bool XnnFcEnabled() {
  static const bool enabled = !IsaCapped() && xnn_initialize(&kAllocator) == xnn_status_success;
  return enabled;
}

size_t XnnFcScratchBytes(size_t k) { return XnnFcEnabled() ? 64 + ConvertedBytes(k) + PackedBytes(k) : 0; }

Status XnnFc(const MatmulWeights& w, size_t row_stride, const float* x, size_t m, const float* bias, float* y,
             void* scratch, size_t scratch_bytes, pthreadpool_t pool) {
  if (!XnnFcEnabled()) return Unsupported("xnnpack: not enabled in this process");
  if (w.type != DType::kF32 && w.type != DType::kF16 && w.type != DType::kBF16) {
    return InvalidArgument("xnnpack: float weights only");
  }
  if (scratch == nullptr || scratch_bytes < XnnFcScratchBytes(w.k)) {
    return InvalidArgument("xnnpack: scratch of " + std::to_string(scratch_bytes) + " bytes, need " +
                           std::to_string(XnnFcScratchBytes(w.k)));
  }
  auto* base = reinterpret_cast<std::byte*>((reinterpret_cast<uintptr_t>(scratch) + 63) & ~uintptr_t{63});
  auto* converted = reinterpret_cast<float*>(base);
  constexpr float kInf = std::numeric_limits<float>::infinity();
  for (size_t r0 = 0; r0 < w.n; r0 += kXnnFcChunkRows) {
    const size_t nr = std::min(kXnnFcChunkRows, w.n - r0);
    const float* rows = F32Rows(w, row_stride, r0, nr, converted);
    Region region{base + ConvertedBytes(w.k), PackedBytes(w.k), 0};
    const RegionScope scope(&region);
    xnn_operator_t op = nullptr;
    xnn_status s = xnn_create_fully_connected_nc_f32(w.k, nr, w.k, w.n, rows, bias != nullptr ? bias + r0 : nullptr,
                                                     -kInf, kInf, 0, &op);
    if (s == xnn_status_success) s = xnn_setup_fully_connected_nc_f32(op, m, x, y + r0, pool);
    if (s == xnn_status_success) s = xnn_run_operator(op, pool);
    if (op != nullptr) xnn_delete_operator(op);
    if (s != xnn_status_success) return Unsupported("xnnpack: fully connected failed (status " + std::to_string(s) + ")");
  }
  return OkStatus();
}

}  // namespace edgert::kernels
