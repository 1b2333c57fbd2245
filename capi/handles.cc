// capi/handles.cc
#include "capi/handles.h"

#include <mutex>
#include <string>
#include <unordered_map>

namespace edgert::capi {
namespace {

const char* KindName(Kind kind) {
  switch (kind) {
    case Kind::kModel: return "model";
    case Kind::kSession: return "session";
    case Kind::kAdapter: return "adapter";
    case Kind::kTrainer: return "trainer";
  }
  return "object";
}

struct Entry {
  Kind kind;
  std::shared_ptr<void> object;
};

struct Registry {
  std::mutex mutex;
  std::unordered_map<uintptr_t, Entry> live;
  uintptr_t next = 1;
};

Registry& TheRegistry() {
  static Registry* registry = new Registry;  // never destroyed: handles may be used from atexit paths
  return *registry;
}

std::string Describe(uintptr_t handle, Kind kind) {
  return std::string(KindName(kind)) + " handle " + std::to_string(handle);
}

}  // namespace

uintptr_t Register(Kind kind, std::shared_ptr<void> object) {
  Registry& r = TheRegistry();
  std::lock_guard lock(r.mutex);
  const uintptr_t handle = r.next++;
  r.live.emplace(handle, Entry{kind, std::move(object)});
  return handle;
}

std::shared_ptr<void> Find(uintptr_t handle, Kind kind, edgert_status* error) {
  if (handle == 0) {
    *error = Fail(EDGERT_ERR_INVALID_HANDLE, std::string(KindName(kind)) + " handle is NULL");
    return nullptr;
  }
  Registry& r = TheRegistry();
  std::lock_guard lock(r.mutex);
  const auto it = r.live.find(handle);
  if (it == r.live.end()) {
    *error = Fail(EDGERT_ERR_INVALID_HANDLE, Describe(handle, kind) + " is closed or was never opened");
    return nullptr;
  }
  if (it->second.kind != kind) {
    *error = Fail(EDGERT_ERR_INVALID_HANDLE, Describe(handle, kind) + " is a " + KindName(it->second.kind) +
                                                 " handle, not a " + KindName(kind) + " handle");
    return nullptr;
  }
  *error = EDGERT_OK;
  return it->second.object;
}

edgert_status Unregister(uintptr_t handle, Kind kind) {
  edgert_status error = EDGERT_OK;
  std::shared_ptr<void> object = Find(handle, kind, &error);  // destroyed outside the lock, below
  if (!object) return error;
  Registry& r = TheRegistry();
  std::lock_guard lock(r.mutex);
  if (r.live.erase(handle) == 0) {  // another thread closed it first
    return Fail(EDGERT_ERR_INVALID_HANDLE, Describe(handle, kind) + " is closed or was never opened");
  }
  return EDGERT_OK;
}

edgert_status BusyGuard::status(const char* what) const {
  if (acquired_) return EDGERT_OK;
  return Fail(EDGERT_ERR_BUSY, std::string(what) + " is in use by another call (one thread at a time; not from its own callback)");
}

}  // namespace edgert::capi
