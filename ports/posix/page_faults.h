// ports/posix/page_faults.h: this process's page-fault counts from getrusage
// (internal to ports/; shared by the Linux and macOS process stats).
#pragma once

#include "ports/process_stats.h"

namespace edgert::ports {

void ReadPageFaults(MemoryStats* s);

}  // namespace edgert::ports
