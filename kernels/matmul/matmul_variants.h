// kernels/matmul/matmul_variants.h: the per-ISA tables (internal to kernels/;
// callers go through GetMatmulUkernels / MatmulUkernelsFor in matmul.h).
#pragma once

#include "kernels/matmul/ukernels.h"

namespace edgert::kernels {
namespace scalar { const MatmulUkernels& MatmulUkernelsScalar(); }
namespace avx2 { const MatmulUkernels& MatmulUkernelsAvx2(); }
namespace avx512vnni { const MatmulUkernels& MatmulUkernelsAvx512Vnni(); }
}  // namespace edgert::kernels
