// ports/posix/page_faults.cc: ReadPageFaults over getrusage.
#include "ports/posix/page_faults.h"

#include <sys/resource.h>

namespace edgert::ports {

void ReadPageFaults(MemoryStats* s) {
  struct rusage ru {};
  if (::getrusage(RUSAGE_SELF, &ru) == 0) {
    s->major_faults = static_cast<uint64_t>(ru.ru_majflt);
    s->minor_faults = static_cast<uint64_t>(ru.ru_minflt);
  }
}

}  // namespace edgert::ports
