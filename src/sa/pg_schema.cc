#include "sa/pg_schema.h"

#include <iterator>
#include <string>

namespace flint::sa::pg {
namespace {

// Version 1: the whole schema of SQLite's versions 1 to 5 (sqlite_schema.cc explains each part).
// Times are unix seconds; JSON columns hold codec.h encodings. Identity ids are never reused
// (they appear in resource URLs).
constexpr char kSchemaV1[] = R"sql(
CREATE TABLE accounts (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  status TEXT NOT NULL CHECK (status IN ('valid', 'deactivated', 'revoked')),
  contacts TEXT NOT NULL,
  jwk TEXT NOT NULL,
  thumbprint TEXT NOT NULL UNIQUE,
  tos_agreed BOOLEAN NOT NULL,
  eab_key_id TEXT NOT NULL,
  created_at BIGINT NOT NULL
);

CREATE TABLE orders (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id BIGINT NOT NULL REFERENCES accounts (id),
  status TEXT NOT NULL
    CHECK (status IN ('pending', 'ready', 'processing', 'valid', 'invalid')),
  expires BIGINT NOT NULL,
  identifiers TEXT NOT NULL,
  not_before BIGINT,
  not_after BIGINT,
  error TEXT,
  certificate_id BIGINT,
  profile TEXT NOT NULL,
  replaces TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  -- Leases (store.h): when the finalize that set `processing` stops owning the order.
  lease_until BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX orders_by_account ON orders (account_id, id);
CREATE INDEX orders_processing ON orders (lease_until) WHERE status = 'processing';

CREATE TABLE authorizations (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id BIGINT NOT NULL REFERENCES accounts (id),
  identifier_type TEXT NOT NULL CHECK (identifier_type IN ('dns', 'ip')),
  identifier_value TEXT NOT NULL,
  wildcard BOOLEAN NOT NULL,
  status TEXT NOT NULL CHECK (status IN
    ('pending', 'valid', 'invalid', 'deactivated', 'expired', 'revoked')),
  expires BIGINT NOT NULL
);
CREATE INDEX authorizations_for_reuse
  ON authorizations (account_id, identifier_type, identifier_value, wildcard, status, expires);

CREATE TABLE order_authorizations (
  order_id BIGINT NOT NULL REFERENCES orders (id),
  authz_id BIGINT NOT NULL REFERENCES authorizations (id),
  position INTEGER NOT NULL,
  PRIMARY KEY (order_id, position)
);
CREATE INDEX order_authorizations_by_authz ON order_authorizations (authz_id);

CREATE TABLE challenges (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  authz_id BIGINT NOT NULL REFERENCES authorizations (id),
  type TEXT NOT NULL CHECK (type IN ('http-01', 'dns-01', 'tls-alpn-01')),
  status TEXT NOT NULL CHECK (status IN ('pending', 'processing', 'valid', 'invalid')),
  token TEXT NOT NULL,
  validated_at BIGINT,
  error TEXT,
  -- Leases (store.h): when the instance validating this challenge stops owning it.
  lease_until BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX challenges_by_authz ON challenges (authz_id, id);
CREATE INDEX challenges_processing ON challenges (id) WHERE status = 'processing';
-- One validation at a time per authorization, even between concurrent writers.
CREATE UNIQUE INDEX challenges_one_processing ON challenges (authz_id)
  WHERE status = 'processing';

CREATE TABLE certificates (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  serial TEXT NOT NULL UNIQUE,
  der BYTEA NOT NULL,
  chain_pem TEXT NOT NULL,
  account_id BIGINT NOT NULL REFERENCES accounts (id),
  order_id BIGINT NOT NULL REFERENCES orders (id),
  not_before BIGINT NOT NULL,
  not_after BIGINT NOT NULL,
  revoked BOOLEAN NOT NULL,
  reason INTEGER NOT NULL,
  revoked_at BIGINT
);
CREATE INDEX certificates_by_account ON certificates (account_id, id);
CREATE INDEX certificates_revoked ON certificates (not_after) WHERE revoked;
ALTER TABLE orders ADD FOREIGN KEY (certificate_id) REFERENCES certificates (id);

CREATE TABLE secrets (
  name TEXT PRIMARY KEY,
  value BYTEA NOT NULL
);

CREATE TABLE redeemed_nonces (
  id BYTEA PRIMARY KEY,
  expires BIGINT NOT NULL
);
CREATE INDEX redeemed_nonces_by_expiry ON redeemed_nonces (expires);

CREATE TABLE eab_keys (
  key_id TEXT PRIMARY KEY,
  hmac_key BYTEA NOT NULL,
  note TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  revoked_at BIGINT,
  account_id BIGINT UNIQUE REFERENCES accounts (id)
);

CREATE TABLE order_replacements (
  replaces TEXT PRIMARY KEY,
  order_id BIGINT NOT NULL REFERENCES orders (id)
);

CREATE TABLE counters (
  name TEXT PRIMARY KEY,
  value BIGINT NOT NULL
);

CREATE TABLE blocked_keys (
  spki_sha256 TEXT PRIMARY KEY,
  blocked_at BIGINT NOT NULL,
  source TEXT NOT NULL
);
)sql";

// Version 2: the current CRL, shared by every instance (Store::PublishCrl): one row.
constexpr char kSchemaV2[] = R"sql(
CREATE TABLE current_crl (
  singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
  number BIGINT NOT NULL,
  this_update BIGINT NOT NULL,
  next_update BIGINT NOT NULL,
  revocations BIGINT NOT NULL,
  der BYTEA NOT NULL
);
)sql";

// Version 3: rate limits (ra/rate_limits.h) and the dns-account-01 challenge type, as SQLite's
// version 7.
constexpr char kSchemaV3[] = R"sql(
ALTER TABLE challenges DROP CONSTRAINT challenges_type_check;
ALTER TABLE challenges ADD CONSTRAINT challenges_type_check
  CHECK (type IN ('http-01', 'dns-01', 'tls-alpn-01', 'dns-account-01'));
CREATE TABLE rate_limits (
  key TEXT PRIMARY KEY,
  tat_ms BIGINT NOT NULL
);
CREATE INDEX rate_limits_by_tat ON rate_limits (tat_ms);
)sql";

// Version 4: indexes for the retention purge (Store::PurgeExpired), as SQLite's version 8
// (order_authorizations_by_authz exists since version 1).
constexpr char kSchemaV4[] = R"sql(
CREATE INDEX IF NOT EXISTS orders_purgeable ON orders (expires, id) WHERE certificate_id IS NULL;
CREATE INDEX IF NOT EXISTS authorizations_by_expiry ON authorizations (expires, id);
CREATE INDEX IF NOT EXISTS certificates_by_order ON certificates (order_id);
)sql";

struct Migration {
  int version;
  const char* sql;
};

constexpr Migration kMigrations[] = {
    {1, kSchemaV1},
    {2, kSchemaV2},
    {3, kSchemaV3},
    {4, kSchemaV4},
};

// Any constant: the key of the advisory lock all instances take while migrating.
constexpr char kLockMigrations[] = "SELECT pg_advisory_xact_lock(7021654318350220613)";
constexpr char kCreateVersionTable[] =
    "CREATE TABLE IF NOT EXISTS schema_version ("
    "version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)";
constexpr char kSelectVersion[] = "SELECT COALESCE(MAX(version), 0) FROM schema_version";
constexpr char kInsertVersion[] =
    "INSERT INTO schema_version (version, applied_at) "
    "VALUES ($1, EXTRACT(EPOCH FROM now())::BIGINT)";

}  // namespace

int LatestSchemaVersion() { return std::end(kMigrations)[-1].version; }

Result<void> Migrate(Connection& conn) {
  FLINT_TRY(conn.Exec(kLockMigrations));
  FLINT_TRY(conn.Script(kCreateVersionTable));
  FLINT_ASSIGN_OR_RETURN(Rows rows, conn.Exec(kSelectVersion));
  const int64_t version = rows.Int(0, 0);
  if (version > LatestSchemaVersion()) {
    return core::Err(core::ErrorType::kInternal, "postgres: database schema version " +
                                                     std::to_string(version) +
                                                     " is newer than this flint supports (" +
                                                     std::to_string(LatestSchemaVersion()) + ")");
  }
  for (const Migration& m : kMigrations) {
    if (m.version <= version) continue;
    FLINT_TRY(conn.Script(m.sql));
    FLINT_TRY(conn.Exec(kInsertVersion, Params().Int(m.version)));
  }
  return core::Ok();
}

}  // namespace flint::sa::pg
