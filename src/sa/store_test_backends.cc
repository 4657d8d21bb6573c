#include "sa/store_test_backends.h"

#include "sa/caching_store.h"
#include "sa/pg_store.h"
#include "sa/pg_test_server.h"
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

// One empty schema of the test server (pg_test_server.h) per test, reused once the test is
// done; every Open() is another instance's connection pool on it.
class PgTestDatabase final : public TestDatabase {
 public:
  PgTestDatabase() : server_(PgTestServer::Get()), uri_(server_.EmptySchemaUri(&schema_)) {}
  // The fixture closed every handle first (handles never outlive their TestDatabase).
  ~PgTestDatabase() override { server_.ReleaseSchema(schema_); }
  core::Result<StoreHandle> Open(const core::Clock& clock) override {
    FLINT_ASSIGN_OR_RETURN(std::unique_ptr<PgStore> store, PgStore::Open(uri_, clock));
    StoreHandle handle;
    handle.nonces = &store->nonces();
    handle.store = std::move(store);
    return handle;
  }

 private:
  PgTestServer& server_;
  std::string schema_;
  const std::string uri_;
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
      {"Postgres", [] { return std::make_unique<PgTestDatabase>(); }},
  };
}

}  // namespace flint::sa::testing
