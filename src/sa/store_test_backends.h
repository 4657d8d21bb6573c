#pragma once
// The storage backends every conformance test runs against. Adding a backend means
// writing its TestDatabase and adding one line to AllBackends() in store_test_backends.cc.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "sa/nonce_store.h"
#include "sa/store.h"

namespace flint::sa::testing {

// One handle (connection set) on a test database: what an independent flint instance holds.
struct StoreHandle {
  std::unique_ptr<Store> backend;  // set when `store` is a decorator over it; outlives `store`
  std::unique_ptr<Store> store;
  NonceStore* nonces = nullptr;  // the backend, viewed as a NonceStore
};

// A fresh, empty database that lives as long as this object.
class TestDatabase {
 public:
  virtual ~TestDatabase() = default;
  // Opens another independent handle on the same database; `clock` must outlive it.
  virtual core::Result<StoreHandle> Open(const core::Clock& clock) = 0;
};

struct Backend {
  std::string name;
  std::function<std::unique_ptr<TestDatabase>()> create;
};

std::vector<Backend> AllBackends();

}  // namespace flint::sa::testing
