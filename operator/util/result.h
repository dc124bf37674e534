#pragma once
// Errors as values (house rule 5): a Result<T> holds either a T or an Error. Exceptions are
// used only at the edges (main, parsing libraries that throw), where they become Errors.

#include <string>
#include <utility>
#include <variant>

namespace lg {

struct Error {
  std::string message;
  // Optional machine-readable code: an HTTP status for API calls, errno for system calls.
  int code = 0;
};

template <class T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() & { return std::get<0>(v_); }
  const T& operator*() const& { return std::get<0>(v_); }

  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Result<void>: success carries nothing.
struct Ok {};
using Status = Result<Ok>;
inline Status okStatus() {
  return Ok{};
}

inline Error makeError(std::string message, int code = 0) {
  return Error{std::move(message), code};
}

}  // namespace lg
