// runtime/version.h: the runtime's version.
#pragma once

namespace edgert {

const char* Version();  // "major.minor.patch"

}  // namespace edgert
