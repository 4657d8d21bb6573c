#pragma once
// Test helpers for the sa module: a temporary directory removed on destruction, and Must(),
// which unwraps a Result or throws (GoogleTest reports the exception as a test failure).

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "core/error.h"
#include "core/result.h"
#include "sa/codec.h"

namespace flint::sa::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = "/tmp/flint-sa-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline std::string Describe(const core::Error& e) {
  return std::string(ErrorTypeKey(e.type)) + ": " + e.detail;
}

template <typename T>
T Must(core::Result<T> r) {
  if (!r.ok()) throw std::runtime_error("unexpected error: " + Describe(r.error()));
  return std::move(r).value();
}

inline void Must(core::Result<void> r) {
  if (!r.ok()) throw std::runtime_error("unexpected error: " + Describe(r.error()));
}

}  // namespace flint::sa::testing

// Asserts that `expr` (a Result) failed with exactly `error_type`.
#define EXPECT_ERROR_TYPE(expr, error_type)                                                    \
  do {                                                                                         \
    auto flint_r_ = (expr);                                                                    \
    if (flint_r_.ok()) {                                                                       \
      ADD_FAILURE() << #expr " succeeded, expected " << ::flint::sa::ErrorTypeKey(error_type); \
    } else {                                                                                   \
      EXPECT_EQ(::flint::sa::ErrorTypeKey(flint_r_.error().type),                              \
                ::flint::sa::ErrorTypeKey(error_type))                                         \
          << #expr ": " << flint_r_.error().detail;                                            \
    }                                                                                          \
  } while (0)
