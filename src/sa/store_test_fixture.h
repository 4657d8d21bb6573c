#pragma once
// The base of every storage conformance fixture: a fresh database of the backend under test
// (the test parameter, store_test_backends.h), one handle on it, and a fake clock.

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

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

  // A new valid account with a placeholder key named by `thumbprint`; its id.
  core::AccountId NewAccountId(const std::string& thumbprint) {
    core::Account a;
    a.jwk_json = R"({"kty":"EC"})";
    a.jwk_thumbprint = thumbprint;
    return Must(store().CreateAccount(a)).id;
  }

  core::FakeClock clock_;
  std::unique_ptr<TestDatabase> db_;  // outlives handle_
  StoreHandle handle_;
};

// Counts successes of `attempt` run once on each of 8 threads; every failure must be kConflict.
inline int RaceEightThreads(const std::function<core::Result<void>(int)>& attempt) {
  std::atomic<int> wins{0};
  std::atomic<int> other_errors{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      while (!go.load()) std::this_thread::yield();
      core::Result<void> r = attempt(i);
      if (r.ok()) {
        ++wins;
      } else if (r.error().type != core::ErrorType::kConflict) {
        ++other_errors;
      }
    });
  }
  go = true;
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(other_errors.load(), 0);
  return wins.load();
}

}  // namespace flint::sa::testing
