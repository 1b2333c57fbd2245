// ports/posix/output_file.cc: OutputFile over mkstemp/pwrite/fsync/rename.
#include "ports/output_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <vector>

namespace edgert::ports {
namespace {

std::string ParentDirectory(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Status Errno(const std::string& path, const char* what) {
  return IoError(path + ": " + what + ": " + std::strerror(errno));
}

// A kill between mkstemp and the rename leaves "<path>.tmp-XXXXXX" behind,
// as large as the file (gigabytes for a model). The next write of the same
// path removes such leftovers; errors are ignored (a leftover only costs disk
// space). O_TMPFILE would shrink the window but not close it: linkat cannot
// replace an existing file, so a named link and a rename are still needed.
void RemoveStaleTemporaries(const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const std::string prefix = target.filename().string() + ".tmp-";
  std::error_code ec;
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() == prefix.size() + 6 && name.compare(0, prefix.size(), prefix) == 0 && it->is_regular_file(ec)) {
      fs::remove(it->path(), ec);
    }
  }
}

}  // namespace

Result<OutputFile> OutputFile::Create(const std::string& path) {
  RemoveStaleTemporaries(path);
  OutputFile out;
  out.path_ = path;
  std::string pattern = path + ".tmp-XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  out.fd_ = ::mkstemp(buf.data());
  if (out.fd_ < 0) return Errno(path, "cannot create a temporary file beside it");
  out.temp_path_ = buf.data();
  (void)::fchmod(out.fd_, 0644);
  return out;
}

OutputFile::OutputFile(OutputFile&& other) noexcept
    : fd_(other.fd_), position_(other.position_), path_(std::move(other.path_)),
      temp_path_(std::move(other.temp_path_)) {
  other.fd_ = -1;
  other.temp_path_.clear();
}

OutputFile& OutputFile::operator=(OutputFile&& other) noexcept {
  if (this != &other) {
    Discard();
    fd_ = other.fd_;
    position_ = other.position_;
    path_ = std::move(other.path_);
    temp_path_ = std::move(other.temp_path_);
    other.fd_ = -1;
    other.temp_path_.clear();
  }
  return *this;
}

OutputFile::~OutputFile() { Discard(); }

void OutputFile::Discard() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!temp_path_.empty()) ::unlink(temp_path_.c_str());
  temp_path_.clear();
}

Status OutputFile::WriteAt(uint64_t offset, std::span<const std::byte> bytes) {
  if (fd_ < 0) return Internal(path_ + ": write to a closed output file");
  const std::byte* p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    const ssize_t n = ::pwrite(fd_, p, left, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno(path_, "write failed");
    }
    p += n;
    left -= static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  if (offset > position_) position_ = offset;
  return OkStatus();
}

Status OutputFile::Write(std::span<const std::byte> bytes) { return WriteAt(position_, bytes); }

Status OutputFile::WriteZeros(uint64_t count) {
  static const std::byte kZeros[4096] = {};
  while (count > 0) {
    const uint64_t n = count < sizeof(kZeros) ? count : sizeof(kZeros);
    EDGERT_RETURN_IF_ERROR(Write(std::span(kZeros, n)));
    count -= n;
  }
  return OkStatus();
}

namespace {

// Data on stable storage before the rename makes it visible. On macOS fsync
// only hands the data to the drive, whose cache may still lose it on power
// loss; F_FULLFSYNC asks the drive to flush (refused by some filesystems, such
// as network ones: then fsync is what there is).
int SyncToStorage(int fd) {
#if defined(__APPLE__)
  if (::fcntl(fd, F_FULLFSYNC) == 0) return 0;
#endif
  return ::fsync(fd);
}

}  // namespace

Status OutputFile::Commit() {
  if (fd_ < 0) return Internal(path_ + ": commit of a closed output file");
  if (SyncToStorage(fd_) != 0) return Errno(path_, "fsync failed");
  if (::close(fd_) != 0) {
    fd_ = -1;
    return Errno(path_, "close failed");
  }
  fd_ = -1;
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0) return Errno(path_, "cannot rename into place");
  temp_path_.clear();
  const int dir = ::open(ParentDirectory(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    (void)SyncToStorage(dir);  // makes the rename durable; not all filesystems allow it
    ::close(dir);
  }
  return OkStatus();
}

Status WriteFileAtomically(const std::string& path, std::span<const std::byte> bytes) {
  EDGERT_ASSIGN_OR_RETURN(OutputFile out, OutputFile::Create(path));
  EDGERT_RETURN_IF_ERROR(out.Write(bytes));
  return out.Commit();
}

}  // namespace edgert::ports
