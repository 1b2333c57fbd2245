// ports/linux/cpu_linux.cc: CPU facts from the auxiliary vector and sysfs.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <set>
#include <string>
#include <utility>

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

namespace {

// One sysfs line, "" when the file is missing.
std::string ReadLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

}  // namespace

unsigned OsPerformanceCores() {
  // Intel hybrid CPUs (Alder Lake and later) expose one PMU per core type;
  // cpu_core lists the logical CPUs of the performance cores ("0-15" or
  // "0,2,4-7"). Their SMT siblings share a (package, core_id) pair.
  const std::string list = ReadLine("/sys/devices/cpu_core/cpus");
  if (list.empty()) return 0;
  std::set<std::pair<std::string, std::string>> cores;
  size_t pos = 0;
  while (pos < list.size()) {
    const size_t comma = std::min(list.find(',', pos), list.size());
    const std::string range = list.substr(pos, comma - pos);
    unsigned first = 0, last = 0;
    const int fields = std::sscanf(range.c_str(), "%u-%u", &first, &last);
    if (fields < 1) return 0;
    if (fields == 1) last = first;
    for (unsigned cpu = first; cpu <= last && cpu < 4096; ++cpu) {
      const std::string topo = "/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/topology/";
      cores.emplace(ReadLine(topo + "physical_package_id"), ReadLine(topo + "core_id"));
    }
    pos = comma + 1;
  }
  return static_cast<unsigned>(cores.size());
}

}  // namespace edgert::ports
