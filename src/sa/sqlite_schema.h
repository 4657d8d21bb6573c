#pragma once
// SQLite schema and its versioned migrations. The schema version lives in PRAGMA user_version;
// each migration runs in its own BEGIN IMMEDIATE transaction that re-reads the version, so
// several processes opening the same file at once apply each migration exactly once.

#include "core/result.h"
#include "sa/sqlite_db.h"

namespace flint::sa::sqlite {

// The version the last migration produces.
int LatestSchemaVersion();

// Brings the database to LatestSchemaVersion(). Idempotent. kInternal if the database was
// written by a newer flint (a version above the latest known) or a migration fails.
Result<void> Migrate(Connection& conn);

}  // namespace flint::sa::sqlite
