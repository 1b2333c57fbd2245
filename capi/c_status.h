// capi/c_status.h: how the C API reports errors: an edgert_status code and a
// thread-local message, and the wrapper that keeps exceptions from crossing
// the ABI. Only capi/ includes this.
#pragma once

#include <string>

#include "base/status.h"
#include "capi/edgert.h"

namespace edgert::capi {

// Records `message` as this thread's last error and returns `code`.
edgert_status Fail(edgert_status code, std::string message);
// The C code of `status`, recording its message when it is an error.
edgert_status FromStatus(const Status& status);

// Runs `body` (which returns an edgert_status) with this thread's message
// cleared first; any exception becomes a status, never an unwind into C.
template <typename Body>
edgert_status Call(Body&& body) noexcept {
  try {
    Fail(EDGERT_OK, "");
    return body();
  } catch (const std::bad_alloc&) {
    return Fail(EDGERT_ERR_RESOURCE_EXHAUSTED, "out of memory");
  } catch (const std::exception& e) {
    return Fail(EDGERT_ERR_INTERNAL, std::string("unexpected exception: ") + e.what());
  } catch (...) {
    return Fail(EDGERT_ERR_INTERNAL, "unexpected exception");
  }
}

}  // namespace edgert::capi

// Returns from the enclosing function when an edgert_status expression fails.
#define EDGERT_C_RETURN_IF_ERROR(expr)                       \
  do {                                                      \
    const edgert_status edgert_c_status_ = (expr);          \
    if (edgert_c_status_ != EDGERT_OK) return edgert_c_status_; \
  } while (0)
