// capi/c_status.cc
#include "capi/c_status.h"

#include "runtime/version.h"

namespace edgert::capi {

// The storage behind edgert_last_error(); valid until this thread's next call.
thread_local std::string t_last_error;

namespace {

edgert_status CodeOf(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return EDGERT_OK;
    case StatusCode::kInvalidArgument: return EDGERT_ERR_INVALID_ARGUMENT;
    case StatusCode::kNotFound: return EDGERT_ERR_NOT_FOUND;
    case StatusCode::kIoError: return EDGERT_ERR_IO;
    case StatusCode::kCorruptFile: return EDGERT_ERR_CORRUPT_FILE;
    case StatusCode::kUnsupported: return EDGERT_ERR_UNSUPPORTED;
    case StatusCode::kOutOfRange: return EDGERT_ERR_OUT_OF_RANGE;
    case StatusCode::kResourceExhausted: return EDGERT_ERR_RESOURCE_EXHAUSTED;
    case StatusCode::kCancelled: return EDGERT_CANCELLED;
    case StatusCode::kInternal: return EDGERT_ERR_INTERNAL;
  }
  return EDGERT_ERR_INTERNAL;
}

}  // namespace

edgert_status Fail(edgert_status code, std::string message) {
  t_last_error = std::move(message);
  return code;
}

edgert_status FromStatus(const Status& status) {
  return Fail(CodeOf(status.code()), status.ok() ? std::string() : status.message());
}

}  // namespace edgert::capi

extern "C" {

const char* edgert_last_error(void) { return edgert::capi::t_last_error.c_str(); }

const char* edgert_status_name(edgert_status status) {
  switch (status) {
    case EDGERT_OK: return "ok";
    case EDGERT_ERR_INVALID_ARGUMENT: return "invalid argument";
    case EDGERT_ERR_NOT_FOUND: return "not found";
    case EDGERT_ERR_IO: return "I/O error";
    case EDGERT_ERR_CORRUPT_FILE: return "corrupt file";
    case EDGERT_ERR_UNSUPPORTED: return "unsupported";
    case EDGERT_ERR_OUT_OF_RANGE: return "out of range";
    case EDGERT_ERR_RESOURCE_EXHAUSTED: return "resource exhausted";
    case EDGERT_CANCELLED: return "cancelled";
    case EDGERT_ERR_INTERNAL: return "internal error";
    case EDGERT_ERR_INVALID_HANDLE: return "invalid handle";
    case EDGERT_ERR_BUSY: return "busy";
  }
  return "unknown status";
}

const char* edgert_version(void) { return edgert::Version(); }

}
