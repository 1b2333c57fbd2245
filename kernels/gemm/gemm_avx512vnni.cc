// kernels/gemm/gemm_avx512vnni.cc: AVX-512 (VL, VNNI) microkernels (see gemm_x86.inc).
#define EDGERT_GEMM_VNNI 1
#define EDGERT_GEMM_NS avx512vnni
#include "kernels/gemm/gemm_x86.inc"
