// kernels/attention/attention.cc: the attention operator (validation, GQA head
// mapping, causal lengths, threading over heads) and the per-ISA table.
#include "kernels/attention/attention.h"

#include <cmath>
#include <string>

#include "kernels/attention/attention_variants.h"

namespace edgert::kernels {
namespace {

struct Task {
  AttendFn fn;
  const AttentionParams* p;
  const float* q;
  size_t m, pos0;
  const std::byte* k;
  const std::byte* v;
  size_t elem;  // bytes per cache element
  float* out;
  float* scratch;  // [n_heads][pos0 + m]
  float scale;
};

// One head, every query row: rows reuse the head's score row.
void AttendHead(void* ctx, size_t h) {
  const Task& t = *static_cast<const Task*>(ctx);
  const AttentionParams& p = *t.p;
  const size_t g = h / (p.n_heads / p.n_kv_heads);
  const size_t q_stride = p.n_heads * p.head_dim;
  float* scores = t.scratch + h * (t.pos0 + t.m);
  const std::byte* k = t.k + g * p.head_dim * t.elem;
  const std::byte* v = t.v + g * p.head_dim * t.elem;
  for (size_t i = 0; i < t.m; ++i) {
    t.fn(t.pos0 + i + 1, p.head_dim, t.q + i * q_stride + h * p.head_dim, k, v, p.kv_stride, t.scale, scores,
         t.out + i * q_stride + h * p.head_dim);
  }
}

}  // namespace

size_t AttentionScratchBytes(const AttentionParams& p, size_t n_ctx) { return p.n_heads * n_ctx * sizeof(float); }

Status AttentionWith(const AttentionUkernels& uk, const AttentionParams& p, const float* q, size_t m, size_t pos0,
                     const void* k, const void* v, float* out, void* scratch, size_t scratch_bytes,
                     pthreadpool_t pool) {
  if (p.n_heads == 0 || p.n_kv_heads == 0 || p.head_dim == 0 || p.n_heads % p.n_kv_heads != 0) {
    return InvalidArgument("attention: " + std::to_string(p.n_heads) + " query heads cannot share " +
                           std::to_string(p.n_kv_heads) + " KV heads evenly (head_dim " + std::to_string(p.head_dim) + ")");
  }
  if (p.kv_stride < p.n_kv_heads * p.head_dim) {
    return InvalidArgument("attention: kv_stride " + std::to_string(p.kv_stride) + " is shorter than " +
                           std::to_string(p.n_kv_heads) + " heads of " + std::to_string(p.head_dim));
  }
  if (p.kv_type != DType::kF32 && p.kv_type != DType::kF16) {
    return InvalidArgument("attention: KV cache type " + std::string(DTypeName(p.kv_type)) + " is not f32 or f16");
  }
  const size_t need = AttentionScratchBytes(p, pos0 + m);
  if (scratch == nullptr || scratch_bytes < need) {
    return InvalidArgument("attention: scratch of " + std::to_string(scratch_bytes) + " bytes, need " +
                           std::to_string(need) + " for " + std::to_string(pos0 + m) + " positions");
  }
  if (m == 0) return OkStatus();
  Task t{p.kv_type == DType::kF32 ? uk.attend_f32 : uk.attend_f16,
         &p,
         q,
         m,
         pos0,
         static_cast<const std::byte*>(k),
         static_cast<const std::byte*>(v),
         p.kv_type == DType::kF32 ? sizeof(float) : sizeof(uint16_t),
         out,
         static_cast<float*>(scratch),
         1.0f / std::sqrt(static_cast<float>(p.head_dim))};
  pthreadpool_parallelize_1d(pool, AttendHead, &t, p.n_heads, 0);
  return OkStatus();
}

Status Attention(const AttentionParams& p, const float* q, size_t m, size_t pos0, const void* k, const void* v,
                 float* out, void* scratch, size_t scratch_bytes, pthreadpool_t pool) {
  return AttentionWith(GetAttentionUkernels(), p, q, m, pos0, k, v, out, scratch, scratch_bytes, pool);
}

const AttentionUkernels* AttentionUkernelsFor(Isa isa) {
  if (!IsaSupported(isa)) return nullptr;
  switch (isa) {
    case Isa::kScalar: return &scalar::AttentionUkernelsScalar();
#if defined(EDGERT_HAVE_X86_KERNELS)
    case Isa::kAvx2:
    case Isa::kAvxVnni: return &avx2::AttentionUkernelsAvx2();  // float only
    case Isa::kAvx512Vnni: return &avx512vnni::AttentionUkernelsAvx512();
#endif
#if defined(EDGERT_HAVE_NEON_KERNELS)
    case Isa::kNeon:
    case Isa::kNeonDotprod:
    case Isa::kNeonI8mm: return &neon::AttentionUkernelsNeon();  // float only: no dot-product instructions
#endif
    default: return nullptr;
  }
}

const AttentionUkernels& GetAttentionUkernels() {
  static const AttentionUkernels* best = AttentionUkernelsFor(BestIsa());
  return *best;
}

}  // namespace edgert::kernels
