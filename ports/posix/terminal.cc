// ports/posix/terminal.cc
#include "ports/terminal.h"

#include <unistd.h>

namespace edgert::ports {

bool StderrIsTerminal() { return ::isatty(STDERR_FILENO) != 0; }

}  // namespace edgert::ports
