// ports/memory.h: anonymous memory for the arena, and what the system has.
//
// The arena is one anonymous mapping, sized by the planner before work starts.
// Locking it (mlock) keeps our activations and optimizer state out of swap
// where the OS allows; where it does not, callers report that to the user.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "base/status.h"

namespace edgert::ports {

class AnonymousMemory {
 public:
  // Reserves `bytes` of zeroed, read-write memory. Pages become resident on
  // first touch; Prefault() touches them all now.
  static Result<AnonymousMemory> Allocate(uint64_t bytes);

  AnonymousMemory() = default;
  AnonymousMemory(AnonymousMemory&& other) noexcept;
  AnonymousMemory& operator=(AnonymousMemory&& other) noexcept;
  AnonymousMemory(const AnonymousMemory&) = delete;
  AnonymousMemory& operator=(const AnonymousMemory&) = delete;
  ~AnonymousMemory();

  std::byte* data() const { return data_; }
  uint64_t size() const { return size_; }

  // Tries to pin the pages in RAM. Returns false (with the reason in *why)
  // when the OS refuses, e.g. RLIMIT_MEMLOCK too small without privileges.
  bool Lock(std::string* why);
  bool locked() const { return locked_; }
  void Prefault();

 private:
  void Release();
  std::byte* data_ = nullptr;
  uint64_t size_ = 0;
  bool locked_ = false;
};

// The OS's own judgement of memory pressure, where it gives one (macOS).
enum class MemoryPressure { kUnknown, kNormal, kWarning, kCritical };

struct SystemMemory {
  uint64_t total_bytes = 0;
  uint64_t available_bytes = 0;   // what can be had without swapping (MemAvailable)
  uint64_t swap_total_bytes = 0;
  uint64_t swap_free_bytes = 0;
  double pressure_some_avg10 = 0;  // % of time some task stalled on memory (PSI), 0 if unknown
  uint64_t cgroup_limit_bytes = 0; // our own cgroup's memory limit (the smallest up its ancestors), 0 if none
  MemoryPressure pressure = MemoryPressure::kUnknown;  // macOS: kern.memorystatus_vm_pressure_level
};

// Zeros where the platform cannot tell.
SystemMemory ReadSystemMemory();

// The VM page size (4 KiB on x86-64 Linux, 16 KiB on Apple silicon and on
// some ARM Linux kernels): the unit of residency, advice and locking. Never
// assume 4 KiB.
uint64_t PageSize();

}  // namespace edgert::ports
