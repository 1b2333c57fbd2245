// ports/terminal.h: whether a stream goes to a person (a terminal) or to a
// file or pipe, so a progress line can redraw itself or print once per line.
#pragma once

namespace edgert::ports {

bool StderrIsTerminal();

}  // namespace edgert::ports
