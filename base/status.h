// base/status.h: errors as values, for every layer of edge-rt.
//
// Library code never throws across a public boundary and never aborts on bad
// input: it returns a Status (or a Result<T>, a value or a Status). Messages are
// written to be printed as-is after "error: ", so they name the file, the
// position and what was expected ("model.etm: tensor 'x': offset 123 past end of
// file (size 100)"). Context is prepended as errors travel up.
// May not include anything but the standard library.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace edgert {

enum class StatusCode : int {
  kOk = 0,
  kInvalidArgument,  // the caller passed something unusable
  kNotFound,         // a file, tensor, key or token that should exist does not
  kIoError,          // the OS refused a read, write, map or rename
  kCorruptFile,      // bytes on disk contradict their format
  kUnsupported,      // valid input this build cannot handle (dtype, arch, ...)
  kOutOfRange,       // an index, id or length past its limit
  kResourceExhausted,// memory or a budget would be exceeded
  kCancelled,        // a callback asked to stop
  kInternal,         // a broken invariant of ours
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "context: message". Used as an error climbs: the file name, then the tensor.
  Status WithContext(std::string_view context) const {
    if (ok()) return *this;
    std::string m(context);
    m += ": ";
    m += message_;
    return Status(code_, std::move(m));
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status OkStatus() { return Status(); }
inline Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
inline Status CorruptFile(std::string m) { return {StatusCode::kCorruptFile, std::move(m)}; }
inline Status Unsupported(std::string m) { return {StatusCode::kUnsupported, std::move(m)}; }
inline Status OutOfRange(std::string m) { return {StatusCode::kOutOfRange, std::move(m)}; }
inline Status ResourceExhausted(std::string m) { return {StatusCode::kResourceExhausted, std::move(m)}; }
inline Status Cancelled(std::string m) { return {StatusCode::kCancelled, std::move(m)}; }
inline Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

// A T or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
  static_assert(!std::is_same_v<T, Status>, "Result<Status> makes no sense");

 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT: implicit by design
    assert(!std::get<Status>(v_).ok() && "a Result built from a Status must carry an error");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace edgert

#define EDGERT_CONCAT_INNER_(a, b) a##b
#define EDGERT_CONCAT_(a, b) EDGERT_CONCAT_INNER_(a, b)

// Returns the Status of `expr` from the enclosing function when it is an error.
#define EDGERT_RETURN_IF_ERROR(expr)              \
  do {                                            \
    ::edgert::Status edgert_status_ = (expr);     \
    if (!edgert_status_.ok()) return edgert_status_; \
  } while (0)

// `lhs = value of expr`, or return its Status. lhs may declare: `auto x`.
#define EDGERT_ASSIGN_OR_RETURN(lhs, expr) \
  EDGERT_ASSIGN_OR_RETURN_IMPL_(EDGERT_CONCAT_(edgert_result_, __LINE__), lhs, expr)
#define EDGERT_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return tmp.status();                 \
  lhs = std::move(tmp).value()
