// runtime/thread_count.h: how many threads a pool may have, in one place
// for every tool and the C API.
//
// More threads than the machine runs at once only add contention: 256
// threads on two cores made a 0.4 s run take 98 s, and 100,000 exhausted the
// process. Counts above kThreadsPerCore per hardware thread are refused.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/status.h"

namespace edgert {

inline constexpr int64_t kThreadsPerCore = 4;

// The hardware threads this machine runs at once (at least 1).
size_t HardwareThreads();

// The largest thread count accepted: kThreadsPerCore per hardware thread.
size_t MaxThreads();

// The pool size for a requested count: 0 means one per performance core
// (ports::DefaultThreadCount());
// negative counts and counts above MaxThreads() are errors that say the limit
// ("at most 8 threads (...)"; the caller adds which option asked).
Result<size_t> ThreadCount(int64_t requested);

}  // namespace edgert
