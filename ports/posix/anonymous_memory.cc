// ports/posix/anonymous_memory.cc: AnonymousMemory over mmap/mlock.
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "ports/memory.h"

namespace edgert::ports {

Result<AnonymousMemory> AnonymousMemory::Allocate(uint64_t bytes) {
  AnonymousMemory m;
  if (bytes == 0) return m;
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    return ResourceExhausted("cannot reserve " + std::to_string(bytes) + " bytes of memory: " + std::strerror(errno));
  }
  m.data_ = static_cast<std::byte*>(p);
  m.size_ = bytes;
  return m;
}

AnonymousMemory::AnonymousMemory(AnonymousMemory&& other) noexcept
    : data_(other.data_), size_(other.size_), locked_(other.locked_) {
  other.data_ = nullptr;
  other.size_ = 0;
  other.locked_ = false;
}

AnonymousMemory& AnonymousMemory::operator=(AnonymousMemory&& other) noexcept {
  if (this != &other) {
    Release();
    data_ = other.data_;
    size_ = other.size_;
    locked_ = other.locked_;
    other.data_ = nullptr;
    other.size_ = 0;
    other.locked_ = false;
  }
  return *this;
}

AnonymousMemory::~AnonymousMemory() { Release(); }

void AnonymousMemory::Release() {
  if (data_ != nullptr) ::munmap(data_, size_);
  data_ = nullptr;
  size_ = 0;
  locked_ = false;
}

bool AnonymousMemory::Lock(std::string* why) {
  if (data_ == nullptr || locked_) return true;
  if (::mlock(data_, size_) != 0) {
    if (why != nullptr) {
      *why = std::string("mlock refused (") + std::strerror(errno) +
             "): the arena may be swapped out under memory pressure; raise RLIMIT_MEMLOCK (ulimit -l) to pin it";
    }
    return false;
  }
  locked_ = true;
  return true;
}

void AnonymousMemory::Prefault() {
  // One write per page makes it resident now rather than in the hot path.
  const uint64_t page = PageSize();
  for (uint64_t i = 0; i < size_; i += page) data_[i] = std::byte{0};
}

uint64_t PageSize() {
  static const uint64_t page = [] {
    const long p = ::sysconf(_SC_PAGESIZE);
    return p > 0 ? static_cast<uint64_t>(p) : uint64_t{4096};
  }();
  return page;
}

}  // namespace edgert::ports
