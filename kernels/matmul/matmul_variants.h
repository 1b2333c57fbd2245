// kernels/matmul/matmul_variants.h: the per-ISA tables (internal to kernels/;
// callers go through GetMatmulUkernels / MatmulUkernelsFor in matmul.h).
#pragma once

#include <cstring>

#include "base/quant_blocks.h"
#include "kernels/matmul/ukernels.h"

namespace edgert::kernels {

// The plain GEMV activation layout (scalar and AVX2): the quantized row as is,
// [xq: kb·32 int8][xd: kb f32][xc: kb int32].
struct PlainGemvActivations {
  const int8_t* xq;
  const float* xd;
  const int32_t* xc;
};
inline PlainGemvActivations ViewPlainGemv(size_t kb, const void* packed) {
  const auto* p = static_cast<const std::byte*>(packed);
  return {reinterpret_cast<const int8_t*>(p), reinterpret_cast<const float*>(p + kb * kQuantBlock),
          reinterpret_cast<const int32_t*>(p + kb * (kQuantBlock + sizeof(float)))};
}
inline void PackPlainGemv(size_t kb, const int8_t* xq, const float* xd, const int32_t* xc, void* packed) {
  auto* p = static_cast<std::byte*>(packed);
  std::memcpy(p, xq, kb * kQuantBlock);
  std::memcpy(p + kb * kQuantBlock, xd, kb * sizeof(float));
  std::memcpy(p + kb * (kQuantBlock + sizeof(float)), xc, kb * sizeof(int32_t));
}
namespace scalar { const MatmulUkernels& MatmulUkernelsScalar(); }
namespace avx2 { const MatmulUkernels& MatmulUkernelsAvx2(); }
namespace avxvnni { const MatmulUkernels& MatmulUkernelsAvxVnni(); }
namespace avx512vnni { const MatmulUkernels& MatmulUkernelsAvx512Vnni(); }
namespace neon { const MatmulUkernels& MatmulUkernelsNeon(); }
namespace neondot { const MatmulUkernels& MatmulUkernelsNeonDot(); }
namespace neoni8mm { const MatmulUkernels& MatmulUkernelsNeonI8mm(); }
}  // namespace edgert::kernels
