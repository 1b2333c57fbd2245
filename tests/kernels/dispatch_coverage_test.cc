// No hot-path operator falls back to its scalar reference on a SIMD ISA
// (issue 16): for every SIMD ISA this CPU runs, every hot-path entry of every
// kernel table must be a function other than the scalar table's. The
// variants' correctness is tested elsewhere (each family's test against the
// reference); this test only says which function a tier dispatches to.
//
// Left out on purpose: the GEMV activation "pack" entries (scalar, AVX2 and
// NEON keep the plain layout, a copy done once per call by the same inline
// function), and the wide int8 format's quantizer, packer and microkernel on
// ISAs that run GGUF blocks instead (they never call them).
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "kernels/attention/attention.h"
#include "kernels/attention/attention_grad.h"
#include "kernels/isa.h"
#include "kernels/lowrank/lowrank.h"
#include "kernels/matmul/matmul.h"
#include "kernels/matmul/matmul_transposed.h"
#include "kernels/rowops/rowops.h"

namespace edgert::kernels {
namespace {

// One hot-path entry: the function `isa` runs and the reference's.
struct Entry {
  std::string name;
  uintptr_t simd, scalar;
};

template <typename Fn>
Entry Make(std::string name, Fn simd, Fn scalar) {
  return {std::move(name), reinterpret_cast<uintptr_t>(simd), reinterpret_cast<uintptr_t>(scalar)};
}

std::vector<Entry> HotPathEntries(Isa isa) {
  std::vector<Entry> e;
  const Isa ref = Isa::kScalar;
  if (const MatmulUkernels *s = MatmulUkernelsFor(isa), *r = MatmulUkernelsFor(ref); s != nullptr) {
    e.push_back(Make("matmul.quantize_q8", s->quantize_q8, r->quantize_q8));
    e.push_back(Make("matmul.q8_0_gemv", s->q8_0_gemv, r->q8_0_gemv));
    e.push_back(Make("matmul.q8_0_gemm", s->q8_0_gemm, r->q8_0_gemm));
    e.push_back(Make("matmul.q4_0_gemv", s->q4_0_gemv, r->q4_0_gemv));
    e.push_back(Make("matmul.q4_0_gemm", s->q4_0_gemm, r->q4_0_gemm));
    e.push_back(Make("matmul.f32_gemm", s->f32_gemm, r->f32_gemm));
    e.push_back(Make("matmul.f16_gemm", s->f16_gemm, r->f16_gemm));
    e.push_back(Make("matmul.bf16_gemm", s->bf16_gemm, r->bf16_gemm));
  }
  if (const RowOpsUkernels *s = RowOpsUkernelsFor(isa), *r = RowOpsUkernelsFor(ref); s != nullptr) {
    e.push_back(Make("rowops.rmsnorm", s->rmsnorm, r->rmsnorm));
    e.push_back(Make("rowops.rope", s->rope, r->rope));
    e.push_back(Make("rowops.softmax", s->softmax, r->softmax));
    e.push_back(Make("rowops.exp_sum", s->exp_sum, r->exp_sum));
    e.push_back(Make("rowops.scale", s->scale, r->scale));
    e.push_back(Make("rowops.silu", s->silu, r->silu));
    e.push_back(Make("rowops.silu_mul", s->silu_mul, r->silu_mul));
    e.push_back(Make("rowops.silu_mul_backward", s->silu_mul_backward, r->silu_mul_backward));
    e.push_back(Make("rowops.rmsnorm_backward", s->rmsnorm_backward, r->rmsnorm_backward));
  }
  if (const AttentionUkernels *s = AttentionUkernelsFor(isa), *r = AttentionUkernelsFor(ref); s != nullptr) {
    e.push_back(Make("attention.attend_f32", s->attend_f32, r->attend_f32));
    e.push_back(Make("attention.attend_f16", s->attend_f16, r->attend_f16));
  }
  if (const AttentionGradUkernels *s = AttentionGradUkernelsFor(isa), *r = AttentionGradUkernelsFor(ref);
      s != nullptr) {
    e.push_back(Make("attention_grad.tile", s->tile, r->tile));
    e.push_back(Make("attention_grad.tile_store", s->tile_store, r->tile_store));
    e.push_back(Make("attention_grad.scaled_softmax", s->scaled_softmax, r->scaled_softmax));
    e.push_back(Make("attention_grad.softmax_backward", s->softmax_backward, r->softmax_backward));
  }
  if (const LowRankUkernels *s = LowRankUkernelsFor(isa), *r = LowRankUkernelsFor(ref); s != nullptr) {
    e.push_back(Make("lowrank.project", s->project, r->project));
    e.push_back(Make("lowrank.outer", s->outer, r->outer));
    e.push_back(Make("lowrank.project_outer", s->project_outer, r->project_outer));
    e.push_back(Make("lowrank.expand", s->expand, r->expand));
  }
  // dx += dy·W and y += x·Wᵀ in f32 (any weight type): the tile microkernel.
  e.push_back(Make("matmul_transposed.f32_tile", TransposedTileFor(isa), TransposedTileFor(ref)));
  // dx += dy·W in int8: the wide format's own kernels, or (GGUF blocks) the
  // Wᵀ packer beside the matmul table's quantizer and q8_0_gemm checked above.
  if (const Int8WideUkernels *s = Int8WideUkernelsFor(isa), *r = Int8WideUkernelsFor(ref); s != nullptr) {
    e.push_back(Make("matmul_transposed_int8.wide_quantize", s->quantize, r->quantize));
    e.push_back(Make("matmul_transposed_int8.wide_pack", s->pack, r->pack));
    e.push_back(Make("matmul_transposed_int8.wide_gemm", s->gemm, r->gemm));
  } else {
    e.push_back(Make("matmul_transposed_int8.pack_q8", PackTransposedQ8For(isa), &PackTransposedQ8Scalar));
  }
  return e;
}

TEST(DispatchCoverage, NoSimdIsaRunsAScalarHotPathKernel) {
  int checked = 0;
  for (const Isa isa : AllIsas()) {
    if (isa == Isa::kScalar || !IsaSupported(isa)) continue;
    ++checked;
    const std::vector<Entry> entries = HotPathEntries(isa);
    EXPECT_GE(entries.size(), 29u) << IsaName(isa) << ": a kernel table is missing";
    for (const Entry& e : entries) {
      EXPECT_NE(e.simd, uintptr_t{0}) << IsaName(isa) << ": " << e.name << " has no function";
      EXPECT_NE(e.simd, e.scalar) << IsaName(isa) << ": " << e.name << " runs the scalar reference";
    }
  }
  if (checked == 0) GTEST_SKIP() << "this CPU runs no SIMD ISA the project has";
}

// The check itself can fail: the scalar ISA's entries are the reference's.
TEST(DispatchCoverage, TheScalarTablesAreTheReference) {
  for (const Entry& e : HotPathEntries(Isa::kScalar)) EXPECT_EQ(e.simd, e.scalar) << e.name;
}

}  // namespace
}  // namespace edgert::kernels
