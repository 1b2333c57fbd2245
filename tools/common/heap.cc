// tools/common/heap.cc: which allocator serves malloc here, asked of the
// allocator itself (a linked mimalloc that did not take over would say no).
#include <cstdlib>

#include "tools/common/cli.h"

#if defined(EDGERT_MIMALLOC)
#include <mimalloc.h>
#endif

namespace edgert::cli {

const char* HeapAllocatorName() {
#if defined(EDGERT_MIMALLOC)
  auto* probe = static_cast<char*>(std::malloc(64));
  if (probe == nullptr) return "unknown";
  probe[0] = 0;  // GCC otherwise warns that the fresh block is read uninitialized
  const bool mimalloc = mi_is_in_heap_region(probe);
  std::free(probe);
  return mimalloc ? "mimalloc" : "libc";
#else
  return "libc";
#endif
}

}  // namespace edgert::cli
