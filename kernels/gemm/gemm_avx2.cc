// kernels/gemm/gemm_avx2.cc: AVX2 + FMA + F16C microkernels (see gemm_x86.inc).
#define EDGERT_GEMM_VNNI 0
#define EDGERT_GEMM_NS avx2
#include "kernels/gemm/gemm_x86.inc"
