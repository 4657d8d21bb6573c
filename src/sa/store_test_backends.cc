#include "sa/store_test_backends.h"

#include "sa/sqlite_store.h"
#include "sa/test_util.h"

namespace flint::sa::testing {
namespace {

class SqliteTestDatabase final : public TestDatabase {
 public:
  explicit SqliteTestDatabase(SqliteStoreOptions options) : options_(options) {}
  core::Result<StoreHandle> Open(const core::Clock& clock) override {
    FLINT_ASSIGN_OR_RETURN(std::unique_ptr<SqliteStore> store,
                           SqliteStore::Open(dir_.File("flint.db"), clock, options_));
    StoreHandle handle;
    handle.nonces = store.get();
    handle.store = std::move(store);
    return handle;
  }

 private:
  const SqliteStoreOptions options_;
  TempDir dir_;
};

}  // namespace

std::vector<Backend> AllBackends() {
  return {
      {"Sqlite", [] { return std::make_unique<SqliteTestDatabase>(SqliteStoreOptions{}); }},
      // What `flint serve` runs by default: commits synced in the background, accounts cached.
      {"SqliteDeferredSync",
       [] {
         SqliteStoreOptions options;
         options.deferred_sync = true;
         options.cache_accounts = true;
         return std::make_unique<SqliteTestDatabase>(options);
       }},
  };
}

}  // namespace flint::sa::testing
