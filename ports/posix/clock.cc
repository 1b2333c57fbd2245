// ports/posix/clock.cc: MonotonicNanoseconds over clock_gettime (Linux;
// macOS 10.12+ has it too, where CLOCK_MONOTONIC also counts sleep).
#include "ports/clock.h"

#include <time.h>

namespace edgert::ports {

uint64_t MonotonicNanoseconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace edgert::ports
