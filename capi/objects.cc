// capi/objects.cc
#include "capi/objects.h"

#include "runtime/thread_count.h"

namespace edgert::capi {

Pool MakePool(int32_t threads) {
  // Checked by ThreadCount when the options were read; 0: one per performance core.
  const Result<size_t> count = ThreadCount(threads);
  return Pool(pthreadpool_create(count.ok() ? *count : 1));
}

}  // namespace edgert::capi
