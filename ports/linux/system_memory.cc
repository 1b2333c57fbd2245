// ports/linux/system_memory.cc: /proc/meminfo, PSI and the cgroup limit.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "ports/memory.h"

namespace edgert::ports {
namespace {

uint64_t ReadCgroupLimit() {
  // cgroup v2 first, then v1. "max" or an absurd v1 value means no limit.
  std::ifstream v2("/sys/fs/cgroup/memory.max");
  std::string s;
  if (v2 >> s) return s == "max" ? 0 : std::stoull(s);
  std::ifstream v1("/sys/fs/cgroup/memory/memory.limit_in_bytes");
  uint64_t limit = 0;
  if (v1 >> limit && limit < (uint64_t{1} << 60)) return limit;
  return 0;
}

}  // namespace

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
  try {
    m.cgroup_limit_bytes = ReadCgroupLimit();
  } catch (...) {  // an unreadable number: treat as no limit
    m.cgroup_limit_bytes = 0;
  }
  return m;
}

}  // namespace edgert::ports
