// ports/linux/process_stats.cc: memory figures from /proc/self/status and stat.
#include "ports/process_stats.h"

#include <cstdio>
#include <cstring>

#include "ports/posix/page_faults.h"

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
  ReadPageFaults(&s);
  return s;
}

}  // namespace edgert::ports
