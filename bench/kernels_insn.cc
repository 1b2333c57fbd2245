// bench/kernels_insn.cc: runs one kernel of one ISA variant N times on a
// Qwen2.5-0.5B-sized problem, for counting its instructions from outside
// (bench/insn_count_aarch64.sh under qemu with an instruction-counting
// plugin; callgrind natively). Counting N and 0 repetitions and subtracting
// leaves the kernel's own instructions per call: setup is identical.
//   kernels_insn ISA KERNEL N        e.g. kernels_insn neondot q8_0_gemv 20
// KERNEL: q8_0_gemv q4_0_gemv q8_0_gemm q4_0_gemm f32_gemm f16_gemm quantize_q8
//         rmsnorm rope softmax silu_mul attend_f32 attend_f16
// Shapes (0.5B): GEMV 896x896 (one q/o projection), GEMM m = 16 of the same,
// row ops over 896 / 4864 elements, 14 heads x 64 for rope, attention over
// 512 positions of one head. Prints nothing on success; exits 2 on bad input.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "base/quant_blocks.h"
#include "kernels/attention/attention.h"
#include "kernels/convert/fp16.h"
#include "kernels/convert/quantize.h"
#include "kernels/isa.h"
#include "kernels/matmul/matmul.h"
#include "kernels/rowops/rowops.h"

namespace edgert::kernels {
namespace {

constexpr size_t kN = 896, kK = 896, kKb = kK / 32, kM = 16, kFfn = 4864, kHeads = 14, kHeadDim = 64, kCtx = 512;

std::vector<float> Values(size_t n, uint32_t seed) {  // deterministic, in [-1, 1)
  std::vector<float> v(n);
  uint32_t s = seed * 2654435761u + 1;
  for (float& x : v) {
    s = s * 1664525u + 1013904223u;
    x = static_cast<float>(s >> 8) / 8388608.0f - 1.0f;
  }
  return v;
}

int Run(Isa isa, const std::string& kernel, long reps) {
  const MatmulUkernels* mm = MatmulUkernelsFor(isa);
  const RowOpsUkernels* ro = RowOpsUkernelsFor(isa);
  const AttentionUkernels* at = AttentionUkernelsFor(isa);
  if (mm == nullptr || ro == nullptr || at == nullptr) {
    std::fprintf(stderr, "error: %s is not supported on this CPU\n", IsaName(isa));
    return 2;
  }
  const std::vector<float> w = Values(kN * kK, 1), x = Values(kM * kK, 2);
  std::vector<BlockQ8_0> w8(kN * kKb);
  std::vector<BlockQ4_0> w4(kN * kKb);
  QuantizeRowQ8_0Ref(w.data(), w8.data(), kN * kK);
  QuantizeRowQ4_0Ref(w.data(), w4.data(), kN * kK);
  std::vector<uint16_t> wh(kN * kK);
  for (size_t i = 0; i < wh.size(); ++i) wh[i] = F32ToF16(w[i]);
  std::vector<int8_t> xq(kM * kK);
  std::vector<float> xd(kM * kKb), y(kM * kN), big = Values(kFfn, 3), up = Values(kFfn, 4), out(kFfn);
  std::vector<int32_t> xc(kM * kKb);
  for (size_t i = 0; i < kM; ++i) {
    mm->quantize_q8(x.data() + i * kK, kK, kQ8_0ActivationCorr, xq.data() + i * kK, xd.data() + i * kKb,
                    xc.data() + i * kKb);
  }
  alignas(64) static std::byte packed[kGemvPackBytesPerBlock * (kKb + 4)];
  const std::vector<float> cos = Values(kHeadDim / 2, 5), sin = Values(kHeadDim / 2, 6);
  std::vector<float> heads = Values(kHeads * kHeadDim, 7), scores(kCtx);
  const std::vector<float> k = Values(kCtx * kHeadDim, 8), v = Values(kCtx * kHeadDim, 9);
  std::vector<uint16_t> kh(k.size()), vh(v.size());
  for (size_t i = 0; i < k.size(); ++i) kh[i] = F32ToF16(k[i]), vh[i] = F32ToF16(v[i]);

  const size_t row8 = kKb * sizeof(BlockQ8_0), row4 = kKb * sizeof(BlockQ4_0);
  for (long r = 0; r < reps; ++r) {
    if (kernel == "q8_0_gemv") {
      mm->q8_0_gemv_pack(kKb, xq.data(), xd.data(), xc.data(), packed);
      mm->q8_0_gemv(kN, kKb, w8.data(), row8, packed, y.data());
    } else if (kernel == "q4_0_gemv") {
      mm->q4_0_gemv_pack(kKb, xq.data(), xd.data(), xc.data(), packed);
      mm->q4_0_gemv(kN, kKb, w4.data(), row4, packed, y.data());
    } else if (kernel == "q8_0_gemm") {
      mm->q8_0_gemm(kM, kN, kKb, w8.data(), row8, xq.data(), xd.data(), xc.data(), y.data(), kN);
    } else if (kernel == "q4_0_gemm") {
      mm->q4_0_gemm(kM, kN, kKb, w4.data(), row4, xq.data(), xd.data(), xc.data(), y.data(), kN);
    } else if (kernel == "f32_gemm") {
      mm->f32_gemm(kM, kN, kK, w.data(), kK * 4, x.data(), kK, y.data(), kN);
    } else if (kernel == "f16_gemm") {
      mm->f16_gemm(kM, kN, kK, wh.data(), kK * 2, x.data(), kK, y.data(), kN);
    } else if (kernel == "quantize_q8") {
      mm->quantize_q8(big.data(), kFfn, kQ8_0ActivationCorr, xq.data(), xd.data(), xc.data());
    } else if (kernel == "rmsnorm") {
      ro->rmsnorm(kN, x.data(), w.data(), 1e-6f, out.data());
    } else if (kernel == "rope") {
      ro->rope(kHeads, kHeadDim, cos.data(), sin.data(), heads.data());
    } else if (kernel == "softmax") {
      std::memcpy(out.data(), big.data(), kCtx * sizeof(float));
      ro->softmax(kCtx, out.data());
    } else if (kernel == "silu_mul") {
      ro->silu_mul(kFfn, big.data(), up.data(), out.data());
    } else if (kernel == "attend_f32") {
      at->attend_f32(kCtx, kHeadDim, x.data(), k.data(), v.data(), kHeadDim, 0.125f, scores.data(), out.data());
    } else if (kernel == "attend_f16") {
      at->attend_f16(kCtx, kHeadDim, x.data(), kh.data(), vh.data(), kHeadDim, 0.125f, scores.data(), out.data());
    } else {
      std::fprintf(stderr, "error: unknown kernel '%s'\n", kernel.c_str());
      return 2;
    }
  }
  volatile float sink = y[0] + out[0] + heads[0];  // keep the results alive
  (void)sink;
  return 0;
}

}  // namespace
}  // namespace edgert::kernels

int main(int argc, char** argv) {
  using edgert::kernels::Isa;
  if (argc != 4) {
    std::fprintf(stderr, "usage: kernels_insn ISA KERNEL REPETITIONS\n");
    return 2;
  }
  for (Isa isa : edgert::kernels::AllIsas()) {
    if (std::strcmp(argv[1], edgert::kernels::IsaName(isa)) == 0) {
      return edgert::kernels::Run(isa, argv[2], std::strtol(argv[3], nullptr, 10));
    }
  }
  std::fprintf(stderr, "error: unknown ISA '%s'\n", argv[1]);
  return 2;
}
