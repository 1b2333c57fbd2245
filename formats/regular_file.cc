// formats/regular_file.cc
#include "formats/regular_file.h"

#include <filesystem>
#include <system_error>

namespace edgert {

Status CheckRegularFile(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);  // follows symbolic links
  if (st.type() == fs::file_type::not_found) return NotFound(path + ": cannot open: No such file or directory");
  if (ec) return IoError(path + ": cannot open: " + ec.message());
  switch (st.type()) {
    case fs::file_type::regular: return OkStatus();
    case fs::file_type::directory: return InvalidArgument(path + ": not a regular file (a folder)");
    case fs::file_type::fifo: return InvalidArgument(path + ": not a regular file (a FIFO, which would block)");
    case fs::file_type::socket: return InvalidArgument(path + ": not a regular file (a socket)");
    case fs::file_type::block:
    case fs::file_type::character: return InvalidArgument(path + ": not a regular file (a device)");
    default: return InvalidArgument(path + ": not a regular file");
  }
}

Status RefuseSpecialFile(const std::string& path) {
  Status st = CheckRegularFile(path);
  return st.code() == StatusCode::kNotFound ? OkStatus() : st;
}

}  // namespace edgert
