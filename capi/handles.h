// capi/handles.h: the C API's handles. A handle is a number, never reused,
// that names a live object in one registry; it is not a pointer, so a NULL,
// destroyed or closed handle (or one of another kind) is recognised and
// refused instead of dereferenced. Looking one up hands out a shared
// reference, so an object destroyed by one thread while another uses it lives
// until that call returns.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <type_traits>

#include "capi/c_status.h"

namespace edgert::capi {

enum class Kind : uint8_t { kModel, kSession, kAdapter, kTrainer };

// Registers `object`; the handle value to give out.
uintptr_t Register(Kind kind, std::shared_ptr<void> object);
// The object behind `handle`, or null after recording why there is none.
std::shared_ptr<void> Find(uintptr_t handle, Kind kind, edgert_status* error);
// Removes `handle`; the object goes when its last reference does.
edgert_status Unregister(uintptr_t handle, Kind kind);

template <typename T, typename Handle>
edgert_status Get(Handle handle, Kind kind, std::shared_ptr<T>* out) {
  edgert_status error = EDGERT_OK;
  *out = std::static_pointer_cast<T>(Find(reinterpret_cast<uintptr_t>(handle), kind, &error));
  return error;
}

template <typename Handle, typename T>
Handle MakeHandle(Kind kind, std::shared_ptr<T> object) {
  // Stored without const; Get hands it back as the const T the caller asks for.
  return reinterpret_cast<Handle>(Register(kind, std::const_pointer_cast<std::remove_const_t<T>>(std::move(object))));
}

// One thread at a time on a session or trainer: a second caller (even the
// same thread, from a callback) is refused with EDGERT_ERR_BUSY, not queued.
class BusyGuard {
 public:
  explicit BusyGuard(std::atomic<bool>& flag) : flag_(flag), acquired_(!flag.exchange(true)) {}
  ~BusyGuard() {
    if (acquired_) flag_.store(false);
  }
  BusyGuard(const BusyGuard&) = delete;
  BusyGuard& operator=(const BusyGuard&) = delete;
  // EDGERT_OK, or EDGERT_ERR_BUSY with a message naming `what`.
  edgert_status status(const char* what) const;

 private:
  std::atomic<bool>& flag_;
  bool acquired_;
};

}  // namespace edgert::capi
