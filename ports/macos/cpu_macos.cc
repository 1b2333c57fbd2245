// ports/macos/cpu_macos.cc: CPU facts from sysctl (hw.optional.arm.FEAT_*,
// present from macOS 12 on; Apple M2 and later report i8mm).
#include <sys/sysctl.h>
#include <sys/types.h>

#include "ports/cpu_os.h"

namespace edgert::ports {

bool ArmI8mm() {
  int value = 0;
  size_t size = sizeof(value);
  return ::sysctlbyname("hw.optional.arm.FEAT_I8MM", &value, &size, nullptr, 0) == 0 && value != 0;
}

unsigned OsPerformanceCores() {
  // Apple silicon numbers its core kinds by performance level, 0 the fastest
  // (macOS 12 and later); Intel Macs have no hw.perflevel0 and answer 0.
  int value = 0;
  size_t size = sizeof(value);
  if (::sysctlbyname("hw.perflevel0.physicalcpu", &value, &size, nullptr, 0) != 0 || value < 0) return 0;
  return static_cast<unsigned>(value);
}

}  // namespace edgert::ports
