// runtime/thread_count.cc
#include "runtime/thread_count.h"

#include <algorithm>
#include <string>
#include <thread>

#include "ports/cpu.h"

namespace edgert {

size_t HardwareThreads() { return std::max(1u, std::thread::hardware_concurrency()); }

size_t MaxThreads() { return HardwareThreads() * static_cast<size_t>(kThreadsPerCore); }

Result<size_t> ThreadCount(int64_t requested) {
  if (requested < 0) return InvalidArgument("expected 0 (one per performance core) or more");
  if (requested == 0) return ports::DefaultThreadCount();
  if (static_cast<uint64_t>(requested) > MaxThreads()) {
    return InvalidArgument("at most " + std::to_string(MaxThreads()) + " threads (" +
                           std::to_string(kThreadsPerCore) + " per hardware thread; this machine runs " +
                           std::to_string(HardwareThreads()) + " at once, and more only wait for each other)");
  }
  return static_cast<size_t>(requested);
}

}  // namespace edgert
