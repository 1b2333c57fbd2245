// runtime/memory/arena.h: the one allocation a job makes.
//
// The planner computes every buffer's size before work starts; the arena
// reserves their sum once and hands out 64-byte-aligned pieces by bumping a
// pointer. Nothing is freed piecewise: a Mark/Reset pair releases everything
// after the mark (per-layer scratch). Running out is a planner bug, reported as
// a Status naming the buffer, never an OOM kill.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/status.h"
#include "ports/memory.h"

namespace edgert {

class Arena {
 public:
  static constexpr uint64_t kAlignment = 64;

  static Result<Arena> Create(uint64_t capacity_bytes);

  Arena() = default;
  Arena(Arena&&) noexcept = default;
  Arena& operator=(Arena&&) noexcept = default;

  // `count` objects of T (trivially constructible), zeroed on first use of the
  // arena's pages. `what` names the buffer in the error when it does not fit.
  template <typename T>
  Result<std::span<T>> Allocate(uint64_t count, std::string_view what) {
    static_assert(std::is_trivially_default_constructible_v<T>, "arena holds plain data only");
    auto bytes = AllocateBytes(count * sizeof(T), what);
    if (!bytes.ok()) return bytes.status();
    return std::span<T>(reinterpret_cast<T*>(bytes->data()), count);
  }
  Result<std::span<std::byte>> AllocateBytes(uint64_t bytes, std::string_view what);

  uint64_t Mark() const { return used_; }
  void Reset(uint64_t mark) { used_ = mark; }

  uint64_t capacity() const { return memory_.size(); }
  uint64_t used() const { return used_; }
  uint64_t high_water() const { return high_water_; }

  // Pins the arena in RAM when the OS allows (see ports::AnonymousMemory::Lock).
  bool Lock(std::string* why) { return memory_.Lock(why); }
  bool locked() const { return memory_.locked(); }

 private:
  ports::AnonymousMemory memory_;
  uint64_t used_ = 0;
  uint64_t high_water_ = 0;
};

// "12G", "1.5G", "512M", "300K", "1000" (bytes) -> bytes; powers of 1024.
Result<uint64_t> ParseByteSize(std::string_view text);

}  // namespace edgert
