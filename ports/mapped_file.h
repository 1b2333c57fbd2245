// ports/mapped_file.h: a read-only memory mapping of a whole file.
//
// Weights are read in place from this mapping and never copied to the heap;
// its pages are clean file pages the OS may drop and re-read instead of
// swapping. The mapping lives as long as the MappedFile (move-only).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "base/status.h"

namespace edgert::ports {

enum class AccessHint {
  kNormal,
  kSequential,  // read once front to back (conversion, checksums)
  kWillNeed,    // about to be used: start reading ahead
  kDontNeed,    // done for now: the pages may go
};

class MappedFile {
 public:
  // Maps `path` read-only. An empty file maps to an empty span.
  static Result<MappedFile> Open(const std::string& path);

  MappedFile() = default;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  std::span<const std::byte> bytes() const { return {data_, size_}; }
  const std::byte* data() const { return data_; }
  uint64_t size() const { return size_; }
  const std::string& path() const { return path_; }

  // Advice for the byte range [offset, offset + length), widened to pages.
  // Advice is a hint: failure is ignored, as the OS may ignore it too.
  void Advise(uint64_t offset, uint64_t length, AccessHint hint) const;

 private:
  void Reset();
  const std::byte* data_ = nullptr;
  uint64_t size_ = 0;
  std::string path_;
};

}  // namespace edgert::ports

namespace edgert::ports {

// Advice for any range inside a mapping (widened to whole pages). Lets code
// that holds only a span of a MappedFile release pages it has finished with.
void AdviseRange(const void* address, uint64_t length, AccessHint hint);

}  // namespace edgert::ports
