// ports/output_file.h: writing a file so that it appears whole or not at all.
//
// Bytes go to a temporary file beside the destination ("<path>.tmp-XXXXXX");
// Commit() flushes, fsyncs and renames it into place (and fsyncs the folder).
// Destroying an uncommitted OutputFile removes the temporary file, so an error
// or a crash never leaves a half-written model, adapter or checkpoint behind,
// and never damages a file that was already there. A kill (no destructor
// runs) can leave the temporary file; Create() removes any such leftovers of
// the same path first, so they last only until that file is written again.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "base/status.h"

namespace edgert::ports {

class OutputFile {
 public:
  static Result<OutputFile> Create(const std::string& path);

  OutputFile() = default;
  OutputFile(OutputFile&& other) noexcept;
  OutputFile& operator=(OutputFile&& other) noexcept;
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  ~OutputFile();  // discards the temporary file unless committed

  Status Write(std::span<const std::byte> bytes);            // at the current end
  Status WriteAt(uint64_t offset, std::span<const std::byte> bytes);  // anywhere
  Status WriteZeros(uint64_t count);                          // padding
  uint64_t position() const { return position_; }
  Status Commit();

  const std::string& path() const { return path_; }

 private:
  void Discard();
  int fd_ = -1;
  uint64_t position_ = 0;
  std::string path_;
  std::string temp_path_;
};

// Writes a small file atomically in one call.
Status WriteFileAtomically(const std::string& path, std::span<const std::byte> bytes);

}  // namespace edgert::ports
