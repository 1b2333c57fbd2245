// bench/bench_pool.h: the thread pool a benchmark case runs on.
#pragma once

#include <pthreadpool.h>

#include <cstdint>
#include <memory>

namespace edgert::bench {

struct PoolDeleter {
  void operator()(pthreadpool* p) const { pthreadpool_destroy(p); }
};
using Pool = std::unique_ptr<pthreadpool, PoolDeleter>;

// One thread: no pool (the operators then run on the calling thread, as the runtime does).
inline Pool MakePool(int64_t threads) {
  return Pool(threads > 1 ? pthreadpool_create(static_cast<size_t>(threads)) : nullptr);
}

}  // namespace edgert::bench
