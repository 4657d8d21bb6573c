#pragma once
// Result<T>: a value or a core::Error. [[nodiscard]]; no exceptions cross module boundaries.

#include <cassert>
#include <utility>
#include <variant>

#include "core/error.h"

namespace flint::core {

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& { assert(!ok()); return std::get<1>(v_); }
  Error&& error() && { assert(!ok()); return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const& { assert(!ok_); return error_; }
  Error&& error() && { assert(!ok_); return std::move(error_); }

 private:
  Error error_;
  bool ok_ = true;
};

inline Result<void> Ok() { return Result<void>(); }

}  // namespace flint::core

#define FLINT_CONCAT_INNER_(a, b) a##b
#define FLINT_CONCAT_(a, b) FLINT_CONCAT_INNER_(a, b)

// FLINT_TRY(expr): returns the error of a failed Result<void> (or Result<T>, discarding the value).
#define FLINT_TRY(expr)                                   \
  do {                                                    \
    auto flint_try_result_ = (expr);                      \
    if (!flint_try_result_.ok())                          \
      return std::move(flint_try_result_).error();        \
  } while (0)

// FLINT_ASSIGN_OR_RETURN(lhs, expr): `lhs = value` of a Result<T>, or returns its error.
#define FLINT_ASSIGN_OR_RETURN(lhs, expr) \
  FLINT_ASSIGN_OR_RETURN_IMPL_(FLINT_CONCAT_(flint_aor_, __LINE__), lhs, expr)
#define FLINT_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return std::move(tmp).error();      \
  lhs = std::move(tmp).value()
