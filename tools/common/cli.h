// tools/common/cli.h: what every edge-* command does the same way.
#pragma once

#include <cstdio>
#include <string>

#include "base/status.h"

namespace edgert::cli {

// Prints "error: <message>" to stderr; returns the process exit code (1).
inline int Fail(const Status& status) {
  std::fprintf(stderr, "error: %s\n", status.message().c_str());
  return 1;
}

// "1.5 GB"-style sizes for humans (decimal units, as disks and RAM are sold).
std::string HumanBytes(uint64_t bytes);

}  // namespace edgert::cli
