// capi/objects.cc
#include "capi/objects.h"

#include <thread>

namespace edgert::capi {

Pool MakePool(int32_t threads) {
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  return Pool(pthreadpool_create(threads > 0 ? static_cast<size_t>(threads) : cores));
}

}  // namespace edgert::capi
