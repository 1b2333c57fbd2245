// ports/clock.h: a monotonic clock for timing (never goes backwards, not
// affected by setting the wall clock; on macOS it keeps counting in sleep).
#pragma once

#include <cstdint>

namespace edgert::ports {

uint64_t MonotonicNanoseconds();

// Seconds between two MonotonicNanoseconds() readings.
inline double SecondsBetween(uint64_t start_ns, uint64_t end_ns) {
  return static_cast<double>(end_ns - start_ns) * 1e-9;
}

}  // namespace edgert::ports
