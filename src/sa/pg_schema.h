#pragma once
// PostgreSQL schema and its versioned migrations. The versions applied are rows of the
// `schema_version` table; Migrate runs them all in one transaction holding a transaction-level
// advisory lock, so several flint instances starting at once against one database apply each
// migration exactly once (the others wait, then find nothing left to do).

#include "core/result.h"
#include "sa/pg_database.h"

namespace flint::sa::pg {

// The version the last migration produces.
int LatestSchemaVersion();

// Brings the database (the first schema of the connection's search_path) to
// LatestSchemaVersion(). Idempotent. Runs inside the caller's transaction (Database::Write).
// kInternal if the database was written by a newer flint (a version above the latest known) or
// a migration fails.
Result<void> Migrate(Connection& conn);

}  // namespace flint::sa::pg
