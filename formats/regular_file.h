// formats/regular_file.h: inputs must be regular files.
//
// Opening a FIFO for reading blocks until something writes to it (forever,
// for a mistyped --model), and a folder or a device read as a file gives
// misleading errors ("empty data set"). Every reader of a user-named input
// calls this first.
#pragma once

#include <string>

#include "base/status.h"

namespace edgert {

// OK for a regular file (or a symbolic link to one). NotFound "PATH: cannot
// open: No such file or directory" when nothing is there; InvalidArgument
// "PATH: not a regular file (a folder)" for a folder, FIFO, socket or device.
Status CheckRegularFile(const std::string& path);

// The same, except that a missing file passes: for readers whose own "cannot
// open" message is the one to give when nothing is there.
Status RefuseSpecialFile(const std::string& path);

}  // namespace edgert
