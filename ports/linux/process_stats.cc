// ports/linux/process_stats.cc: memory figures from /proc/self/status and stat.
#include "ports/process_stats.h"

#include <sys/resource.h>

#include <cstdio>
#include <cstring>

namespace edgert::ports {

MemoryStats ReadMemoryStats() {
  MemoryStats s;
  if (FILE* f = std::fopen("/proc/self/status", "r")) {
    char line[256];
    while (std::fgets(line, sizeof(line), f) != nullptr) {
      unsigned long long kb = 0;
      if (std::sscanf(line, "VmRSS: %llu kB", &kb) == 1) s.resident_bytes = kb * 1024;
      if (std::sscanf(line, "VmHWM: %llu kB", &kb) == 1) s.peak_resident_bytes = kb * 1024;
    }
    std::fclose(f);
  }
  struct rusage ru {};
  if (::getrusage(RUSAGE_SELF, &ru) == 0) {
    s.major_faults = static_cast<uint64_t>(ru.ru_majflt);
    s.minor_faults = static_cast<uint64_t>(ru.ru_minflt);
  }
  return s;
}

}  // namespace edgert::ports
