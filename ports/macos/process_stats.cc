// ports/macos/process_stats.cc: ReadMemoryStats from the Mach task info
// (resident and peak resident bytes) and getrusage (page faults, posix/).
#include <mach/mach.h>

#include "ports/posix/page_faults.h"
#include "ports/process_stats.h"

namespace edgert::ports {

MemoryStats ReadMemoryStats() {
  MemoryStats s;
  mach_task_basic_info_data_t info{};
  mach_msg_type_number_t count = MACH_TASK_BASIC_INFO_COUNT;
  if (::task_info(::mach_task_self(), MACH_TASK_BASIC_INFO, reinterpret_cast<task_info_t>(&info), &count) ==
      KERN_SUCCESS) {
    s.resident_bytes = info.resident_size;
    s.peak_resident_bytes = info.resident_size_max;
  }
  ReadPageFaults(&s);
  return s;
}

}  // namespace edgert::ports
