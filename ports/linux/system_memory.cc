// ports/linux/system_memory.cc: /proc/meminfo, PSI and our own cgroup's limit.
#include <cstdio>
#include <cstring>

#include "ports/linux/cgroup_memory.h"
#include "ports/memory.h"

namespace edgert::ports {

SystemMemory ReadSystemMemory() {
  SystemMemory m;
  if (FILE* f = std::fopen("/proc/meminfo", "r")) {
    char line[256];
    while (std::fgets(line, sizeof(line), f) != nullptr) {
      unsigned long long kb = 0;
      if (std::sscanf(line, "MemTotal: %llu kB", &kb) == 1) m.total_bytes = kb * 1024;
      if (std::sscanf(line, "MemAvailable: %llu kB", &kb) == 1) m.available_bytes = kb * 1024;
      if (std::sscanf(line, "SwapTotal: %llu kB", &kb) == 1) m.swap_total_bytes = kb * 1024;
      if (std::sscanf(line, "SwapFree: %llu kB", &kb) == 1) m.swap_free_bytes = kb * 1024;
    }
    std::fclose(f);
  }
  if (FILE* f = std::fopen("/proc/pressure/memory", "r")) {
    double avg10 = 0;
    if (std::fscanf(f, "some avg10=%lf", &avg10) == 1) m.pressure_some_avg10 = avg10;
    std::fclose(f);
  }
  m.cgroup_limit_bytes = OwnCgroupMemoryLimit();
  return m;
}

}  // namespace edgert::ports
