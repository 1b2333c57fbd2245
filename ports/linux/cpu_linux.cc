// ports/linux/cpu_linux.cc: CPU facts from the auxiliary vector.
#include "ports/cpu_os.h"

#if defined(__aarch64__)
#include <sys/auxv.h>
#endif

namespace edgert::ports {

bool ArmI8mm() {
#if defined(__aarch64__)
  constexpr unsigned long kHwcap2I8mm = 1ul << 13;  // HWCAP2_I8MM (Linux 5.10); older headers lack the name
  return (::getauxval(AT_HWCAP2) & kHwcap2I8mm) != 0;
#else
  return false;
#endif
}

}  // namespace edgert::ports
