#include "sa/store_test_backends.h"

#include "sa/caching_store.h"
#include "sa/sqlite_store.h"
#include "sa/test_util.h"

namespace flint::sa::testing {
namespace {

class SqliteTestDatabase final : public TestDatabase {
 public:
  SqliteTestDatabase(SqliteStoreOptions options, bool cache_accounts)
      : options_(options), cache_accounts_(cache_accounts) {}
  core::Result<StoreHandle> Open(const core::Clock& clock) override {
    FLINT_ASSIGN_OR_RETURN(std::unique_ptr<SqliteStore> store,
                           SqliteStore::Open(dir_.File("flint.db"), clock, options_));
    StoreHandle handle;
    handle.nonces = &store->nonces();
    if (cache_accounts_) {
      handle.store = std::make_unique<CachingStore>(*store);
      handle.backend = std::move(store);
    } else {
      handle.store = std::move(store);
    }
    return handle;
  }

 private:
  const SqliteStoreOptions options_;
  const bool cache_accounts_;
  TempDir dir_;
};

}  // namespace

std::vector<Backend> AllBackends() {
  return {
      {"Sqlite",
       [] { return std::make_unique<SqliteTestDatabase>(SqliteStoreOptions{}, false); }},
      // What `flint serve` runs by default: commits synced in the background, accounts cached
      // (CachingStore over the SQLite store).
      {"SqliteDeferredSync",
       [] {
         SqliteStoreOptions options;
         options.deferred_sync = true;
         return std::make_unique<SqliteTestDatabase>(options, /*cache_accounts=*/true);
       }},
  };
}

}  // namespace flint::sa::testing
