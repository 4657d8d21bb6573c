#pragma once
// Where a flint's store lives, and opening it: SQLite in the data directory (the default), or
// PostgreSQL at a libpq URI (`--db`, for several instances on one database). The one place
// besides sa/ that knows the backends; `flint serve`, `flint admin` and the CA see only a
// sa::Store and a list of file names.

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "core/clock.h"
#include "core/durability.h"
#include "core/result.h"
#include "sa/nonce_store.h"
#include "sa/store.h"

namespace flint::cmd {

// The SQLite store inside a data directory (with its -wal and -shm files beside it).
inline constexpr char kStoreFile[] = "flint.db";

std::string StorePath(const std::string& data_dir);

// The backend `flint serve` runs on, with what its wiring needs besides the Store.
struct ServeStore {
  std::unique_ptr<sa::Store> store;
  sa::NonceStore* nonces = nullptr;                // the backend's nonce records
  core::DurabilityBarrier* durability = nullptr;  // what responses wait for; lives as long as
                                                  // the process
};

struct ServeStoreOptions {
  std::string data_dir;
  std::string db_uri;  // empty: SQLite in data_dir
  // SQLite only: background WAL sync (sa::SqliteStoreOptions::deferred_sync), for a database
  // file that no other process uses.
  bool deferred_sync = false;
  // PostgreSQL only: how long start-up waits for an unreachable database before giving up.
  std::chrono::seconds wait_for_database{60};
  // Waits `delay` between attempts; false if start-up should give up (a stop signal arrived).
  // Empty: sleeps.
  std::function<bool(std::chrono::milliseconds delay)> wait;
};

// Opens (creating if needed) the store `flint serve` uses.
core::Result<ServeStore> OpenServeStore(const ServeStoreOptions& options, const core::Clock& clock);

// Opens the store of a flint that has already served (`flint admin`): PostgreSQL at `db_uri` if
// set, else the SQLite file in `data_dir`, in immediate-sync mode (safe beside a running `flint
// serve`). Never creates a SQLite store: kNotFound when the directory has none, so a typo in
// --data does not look like an empty CA. kInternal or kUnavailable if it cannot be opened.
core::Result<std::unique_ptr<sa::Store>> OpenExistingStore(const std::string& data_dir,
                                                           const std::string& db_uri,
                                                           const core::Clock& clock);

}  // namespace flint::cmd
