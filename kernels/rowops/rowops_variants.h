// kernels/rowops/rowops_variants.h: per-ISA tables (internal to kernels/).
#pragma once

#include "kernels/rowops/rowops.h"

namespace edgert::kernels {
namespace scalar { const RowOpsUkernels& RowOpsUkernelsScalar(); }
namespace avx2 { const RowOpsUkernels& RowOpsUkernelsAvx2(); }
namespace avx512vnni { const RowOpsUkernels& RowOpsUkernelsAvx512(); }
namespace neon { const RowOpsUkernels& RowOpsUkernelsNeon(); }
}  // namespace edgert::kernels
