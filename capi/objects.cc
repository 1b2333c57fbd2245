// capi/objects.cc
#include "capi/objects.h"

#include "ports/cpu.h"

namespace edgert::capi {

Pool MakePool(int32_t threads) {
  const unsigned cores = ports::DefaultThreadCount();  // one per performance core
  return Pool(pthreadpool_create(threads > 0 ? static_cast<size_t>(threads) : cores));
}

}  // namespace edgert::capi
