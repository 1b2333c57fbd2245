// ports/process_stats.h: what the OS says about this process's memory.
#pragma once

#include <cstdint>

namespace edgert::ports {

struct MemoryStats {
  uint64_t resident_bytes = 0;       // VmRSS now
  uint64_t peak_resident_bytes = 0;  // VmHWM: the high-water mark
  uint64_t major_faults = 0;         // faults that read from disk
  uint64_t minor_faults = 0;
};

// Zeros where the platform cannot tell.
MemoryStats ReadMemoryStats();

}  // namespace edgert::ports
