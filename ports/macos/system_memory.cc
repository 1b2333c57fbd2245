// ports/macos/system_memory.cc: ReadSystemMemory from Mach VM statistics and
// sysctl (hw.memsize, vm.swapusage, kern.memorystatus_vm_pressure_level).
// Compiled only for Apple targets; see docs/macos-checklist.md for how it was
// (not) verified.
#include <mach/mach.h>
#include <sys/sysctl.h>
#include <sys/types.h>

#include "ports/memory.h"

namespace edgert::ports {
namespace {

template <typename T>
bool Sysctl(const char* name, T* value) {
  size_t size = sizeof(T);
  return ::sysctlbyname(name, value, &size, nullptr, 0) == 0 && size == sizeof(T);
}

}  // namespace

SystemMemory ReadSystemMemory() {
  SystemMemory m;
  uint64_t total = 0;
  if (Sysctl("hw.memsize", &total)) m.total_bytes = total;

  // Available without swapping or compressing: free pages (including the
  // speculative ones), the file-backed cache the kernel can drop, and
  // purgeable memory.
  vm_size_t page = 0;
  vm_statistics64_data_t vm{};
  mach_msg_type_number_t count = HOST_VM_INFO64_COUNT;
  const mach_port_t host = ::mach_host_self();
  if (::host_page_size(host, &page) == KERN_SUCCESS &&
      ::host_statistics64(host, HOST_VM_INFO64, reinterpret_cast<host_info64_t>(&vm), &count) == KERN_SUCCESS) {
    const uint64_t pages = static_cast<uint64_t>(vm.free_count) + vm.external_page_count + vm.purgeable_count;
    m.available_bytes = pages * page;
  }
  ::mach_port_deallocate(::mach_task_self(), host);

  xsw_usage swap{};
  if (Sysctl("vm.swapusage", &swap)) {
    m.swap_total_bytes = swap.xsu_total;
    m.swap_free_bytes = swap.xsu_avail;
  }

  // The kernel's own verdict (the level memory_pressure(1) and dispatch
  // sources report): 1 normal, 2 warning, 4 critical.
  int level = 0;
  if (Sysctl("kern.memorystatus_vm_pressure_level", &level)) {
    m.pressure = level >= 4 ? MemoryPressure::kCritical
                 : level >= 2 ? MemoryPressure::kWarning
                 : level == 1 ? MemoryPressure::kNormal
                              : MemoryPressure::kUnknown;
  }
  return m;  // no PSI and no cgroups on macOS: those stay 0
}

}  // namespace edgert::ports
