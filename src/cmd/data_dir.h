#pragma once
// The data directory's storage: which file holds the SQLite store, and opening it. The one place
// besides sa/ that knows the backend is SQLite; `flint admin` and the CA see only a sa::Store and
// a list of file names.

#include <memory>
#include <string>

#include "core/clock.h"
#include "core/result.h"
#include "sa/store.h"

namespace flint::cmd {

// The SQLite store inside a data directory (with its -wal and -shm files beside it).
inline constexpr char kStoreFile[] = "flint.db";

std::string StorePath(const std::string& data_dir);

// Opens the store of a data directory that `flint serve` has already used, in immediate-sync
// mode (safe beside a running `flint serve`). Never creates one: kNotFound when the directory
// has no store, so a typo in --data does not look like an empty CA. kInternal if it cannot be
// opened.
core::Result<std::unique_ptr<sa::Store>> OpenExistingStore(const std::string& data_dir,
                                                           const core::Clock& clock);

}  // namespace flint::cmd
