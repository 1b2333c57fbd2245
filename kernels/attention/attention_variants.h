// kernels/attention/attention_variants.h: per-ISA tables (internal to kernels/).
#pragma once

#include "kernels/attention/attention.h"

namespace edgert::kernels {
namespace scalar { const AttentionUkernels& AttentionUkernelsScalar(); }
namespace avx2 { const AttentionUkernels& AttentionUkernelsAvx2(); }
namespace avx512vnni { const AttentionUkernels& AttentionUkernelsAvx512(); }
namespace neon { const AttentionUkernels& AttentionUkernelsNeon(); }
}  // namespace edgert::kernels
