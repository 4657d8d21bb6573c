#pragma once
// The base of every storage conformance fixture: a fresh database of the backend under test
// (the test parameter, store_test_backends.h), one handle on it, and a fake clock.

#include <gtest/gtest.h>

#include <memory>

#include "core/clock.h"
#include "sa/store_test_backends.h"
#include "sa/test_util.h"

namespace flint::sa::testing {

class BackendTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    db_ = GetParam().create();
    handle_ = Must(db_->Open(clock_));
  }

  Store& store() { return *handle_.store; }
  core::TimePoint Now() const { return clock_.Now(); }

  core::FakeClock clock_;
  std::unique_ptr<TestDatabase> db_;  // outlives handle_
  StoreHandle handle_;
};

}  // namespace flint::sa::testing
