// runtime/version.cc: the version string the CLIs and the C API report.
#include "runtime/version.h"

namespace edgert {

const char* Version() { return EDGERT_VERSION_STRING; }

}  // namespace edgert
