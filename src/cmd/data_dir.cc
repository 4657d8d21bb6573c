#include "cmd/data_dir.h"

#include <filesystem>
#include <thread>

#include <spdlog/spdlog.h>

#include "sa/pg_store.h"
#include "sa/sqlite_store.h"

namespace flint::cmd {
namespace {

// PostgreSQL commits synchronously: a write that returned is durable.
core::AlwaysDurable& Durable() {
  static core::AlwaysDurable barrier;
  return barrier;
}

core::Result<std::unique_ptr<sa::PgStore>> OpenPostgres(const ServeStoreOptions& options,
                                                        const core::Clock& clock) {
  const std::string& uri = options.db_uri;
  const auto deadline = std::chrono::steady_clock::now() + options.wait_for_database;
  auto delay = std::chrono::milliseconds(250);
  while (true) {
    auto store = sa::PgStore::Open(uri, clock);
    if (store.ok() || store.error().type != core::ErrorType::kUnavailable ||
        std::chrono::steady_clock::now() + delay >= deadline) {
      return store;
    }
    spdlog::warn("database unreachable ({}); retrying", store.error().detail);
    if (!options.wait) {
      std::this_thread::sleep_for(delay);
    } else if (!options.wait(delay)) {
      return core::Err(core::ErrorType::kUnavailable,
                       "stopped while waiting for the database: " + store.error().detail);
    }
    delay = std::min(delay * 2, std::chrono::milliseconds(4000));
  }
}

}  // namespace

std::string StorePath(const std::string& data_dir) { return data_dir + "/" + kStoreFile; }

core::Result<ServeStore> OpenServeStore(const ServeStoreOptions& options,
                                        const core::Clock& clock) {
  ServeStore out;
  if (!options.db_uri.empty()) {
    FLINT_ASSIGN_OR_RETURN(std::unique_ptr<sa::PgStore> store,
                           OpenPostgres(options, clock));
    out.nonces = &store->nonces();
    out.durability = &Durable();
    out.store = std::move(store);
    return out;
  }
  sa::SqliteStoreOptions sqlite_options;
  sqlite_options.deferred_sync = options.deferred_sync;
  FLINT_ASSIGN_OR_RETURN(std::unique_ptr<sa::SqliteStore> store,
                         sa::SqliteStore::Open(StorePath(options.data_dir), clock, sqlite_options));
  out.nonces = &store->nonces();
  out.durability = &store->durability();
  out.store = std::move(store);
  return out;
}

core::Result<std::unique_ptr<sa::Store>> OpenExistingStore(const std::string& data_dir,
                                                           const std::string& db_uri,
                                                           const core::Clock& clock) {
  if (!db_uri.empty()) {
    FLINT_ASSIGN_OR_RETURN(std::unique_ptr<sa::PgStore> store,
                           sa::PgStore::Open(db_uri, clock));
    return std::unique_ptr<sa::Store>(std::move(store));
  }
  const std::string path = StorePath(data_dir);
  if (!std::filesystem::exists(path)) {
    return core::Err(core::ErrorType::kNotFound,
                     "no " + path + " (has flint serve --data " + data_dir + " run?)");
  }
  FLINT_ASSIGN_OR_RETURN(std::unique_ptr<sa::SqliteStore> store,
                         sa::SqliteStore::Open(path, clock));
  return std::unique_ptr<sa::Store>(std::move(store));
}

}  // namespace flint::cmd
