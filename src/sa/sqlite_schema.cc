#include "sa/sqlite_schema.h"

#include <string>

namespace flint::sa::sqlite {
namespace {

// Version 1: the initial schema. Times are unix seconds; JSON columns hold codec.h encodings.
// AUTOINCREMENT because ids appear in resource URLs and must never be reused.
constexpr char kSchemaV1[] = R"sql(
CREATE TABLE accounts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  status TEXT NOT NULL CHECK (status IN ('valid', 'deactivated', 'revoked')),
  contacts TEXT NOT NULL,
  jwk TEXT NOT NULL,
  thumbprint TEXT NOT NULL UNIQUE,
  tos_agreed INTEGER NOT NULL CHECK (tos_agreed IN (0, 1)),
  eab_key_id TEXT NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE orders (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id INTEGER NOT NULL REFERENCES accounts (id),
  status TEXT NOT NULL
    CHECK (status IN ('pending', 'ready', 'processing', 'valid', 'invalid')),
  expires INTEGER NOT NULL,
  identifiers TEXT NOT NULL,
  not_before INTEGER,
  not_after INTEGER,
  error TEXT,
  certificate_id INTEGER REFERENCES certificates (id),
  profile TEXT NOT NULL,
  replaces TEXT NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;
-- ListOrderIds: an account's orders, newest first.
CREATE INDEX orders_by_account ON orders (account_id, id);

CREATE TABLE authorizations (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id INTEGER NOT NULL REFERENCES accounts (id),
  identifier_type TEXT NOT NULL CHECK (identifier_type IN ('dns', 'ip')),
  identifier_value TEXT NOT NULL,
  wildcard INTEGER NOT NULL CHECK (wildcard IN (0, 1)),
  status TEXT NOT NULL CHECK (status IN
    ('pending', 'valid', 'invalid', 'deactivated', 'expired', 'revoked')),
  expires INTEGER NOT NULL
) STRICT;
-- FindReusableAuthorization.
CREATE INDEX authorizations_for_reuse
  ON authorizations (account_id, identifier_type, identifier_value, wildcard, status, expires);

CREATE TABLE order_authorizations (
  order_id INTEGER NOT NULL REFERENCES orders (id),
  authz_id INTEGER NOT NULL REFERENCES authorizations (id),
  position INTEGER NOT NULL,
  PRIMARY KEY (order_id, position)
) STRICT, WITHOUT ROWID;

CREATE TABLE challenges (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  authz_id INTEGER NOT NULL REFERENCES authorizations (id),
  type TEXT NOT NULL CHECK (type IN ('http-01', 'dns-01', 'tls-alpn-01')),
  status TEXT NOT NULL CHECK (status IN ('pending', 'processing', 'valid', 'invalid')),
  token TEXT NOT NULL,
  validated_at INTEGER,
  error TEXT
) STRICT;
-- An authorization's challenges.
CREATE INDEX challenges_by_authz ON challenges (authz_id, id);
-- Validations to resume after a restart (ClaimAbandonedValidations).
CREATE INDEX challenges_processing ON challenges (id) WHERE status = 'processing';

CREATE TABLE certificates (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  serial TEXT NOT NULL UNIQUE,
  der BLOB NOT NULL,
  chain_pem TEXT NOT NULL,
  account_id INTEGER NOT NULL REFERENCES accounts (id),
  order_id INTEGER NOT NULL REFERENCES orders (id),
  not_before INTEGER NOT NULL,
  not_after INTEGER NOT NULL,
  revoked INTEGER NOT NULL CHECK (revoked IN (0, 1)),
  reason INTEGER NOT NULL,
  revoked_at INTEGER
) STRICT;

-- Process-independent secrets shared by every instance on this database (the nonce MAC key).
CREATE TABLE secrets (
  name TEXT PRIMARY KEY,
  value BLOB NOT NULL
) STRICT;

-- Nonces redeemed and not yet expired (RFC 8555 §6.5): the primary key makes redemption a
-- compare-and-set across instances.
CREATE TABLE redeemed_nonces (
  id BLOB PRIMARY KEY,
  expires INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX redeemed_nonces_by_expiry ON redeemed_nonces (expires);
)sql";

// Version 2: external account binding keys (RFC 8555 §7.3.4); lookups of the order replacing a
// certificate (RFC 9773 §5) and of an account's certificates (flint admin).
constexpr char kSchemaV2[] = R"sql(
CREATE TABLE eab_keys (
  key_id TEXT PRIMARY KEY,
  hmac_key BLOB NOT NULL,
  note TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER,
  account_id INTEGER UNIQUE REFERENCES accounts (id)
) STRICT;
CREATE INDEX orders_by_replaces ON orders (replaces) WHERE replaces != '';
CREATE INDEX certificates_by_account ON certificates (account_id, id);
)sql";

// Version 3: revocation status. CRL numbers (RFC 5280 §5.2.3) come from a counter shared by
// every instance; keys revoked for keyCompromise are refused afterwards (RFC 8555 §7.6); the
// CRL lists revoked certificates until they expire.
constexpr char kSchemaV3[] = R"sql(
CREATE TABLE counters (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE TABLE blocked_keys (
  spki_sha256 TEXT PRIMARY KEY,
  blocked_at INTEGER NOT NULL,
  source TEXT NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX certificates_revoked ON certificates (not_after) WHERE revoked = 1;
)sql";

// Version 4: transitions that hold with several writers, not only with SQLite's single one
// (a second backend shares the conformance suite). Which order replaces a certificate (RFC 9773
// §5) is one row per certificate, claimed by an upsert that takes it over only from an order
// that is invalid; its existing holders are the newest order per certificate (an invalid order
// stays invalid, so the one order that may still be live is the newest). At most one challenge
// of an authorization is processing, by a unique index rather than only a NOT EXISTS that two
// concurrent writers could both pass.
constexpr char kSchemaV4[] = R"sql(
CREATE TABLE order_replacements (
  replaces TEXT PRIMARY KEY,
  order_id INTEGER NOT NULL REFERENCES orders (id)
) STRICT, WITHOUT ROWID;
INSERT INTO order_replacements (replaces, order_id)
  SELECT replaces, max(id) FROM orders WHERE replaces != '' GROUP BY replaces;
CREATE UNIQUE INDEX challenges_one_processing ON challenges (authz_id)
  WHERE status = 'processing';
)sql";

// Version 5: leases (store.h "Leases"). A challenge being validated and an order being finalized
// record when their owner's lease ends, so that instances sharing the database take over only
// the work of an instance that died. Rows from before have lease 0: already ended.
constexpr char kSchemaV5[] = R"sql(
ALTER TABLE challenges ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;
CREATE INDEX orders_processing ON orders (lease_until) WHERE status = 'processing';
)sql";

// Version 6: the current CRL, shared by every instance (Store::PublishCrl): one row.
constexpr char kSchemaV6[] = R"sql(
CREATE TABLE current_crl (
  singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
  number INTEGER NOT NULL,
  this_update INTEGER NOT NULL,
  next_update INTEGER NOT NULL,
  revocations INTEGER NOT NULL,
  der BLOB NOT NULL
) STRICT;
)sql";

// Version 7: rate limits (ra/rate_limits.h). One GCRA theoretical arrival time per key, in
// milliseconds since the epoch; a row whose time has passed is the same as no row.
// And the dns-account-01 challenge type (draft-ietf-acme-dns-account-label-01): SQLite cannot
// change a CHECK constraint, so the challenges table is rebuilt (https://sqlite.org/lang_altertable.html
// "Making Other Kinds Of Table Schema Changes"), keeping its AUTOINCREMENT high-water mark so
// that no id is ever reused. No table references challenges.
constexpr char kSchemaV7[] = R"sql(
CREATE TABLE challenges_v7 (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  authz_id INTEGER NOT NULL REFERENCES authorizations (id),
  type TEXT NOT NULL CHECK (type IN ('http-01', 'dns-01', 'tls-alpn-01', 'dns-account-01')),
  status TEXT NOT NULL CHECK (status IN ('pending', 'processing', 'valid', 'invalid')),
  token TEXT NOT NULL,
  validated_at INTEGER,
  error TEXT,
  lease_until INTEGER NOT NULL DEFAULT 0
) STRICT;
INSERT INTO challenges_v7 (id, authz_id, type, status, token, validated_at, error, lease_until)
  SELECT id, authz_id, type, status, token, validated_at, error, lease_until FROM challenges;
DELETE FROM sqlite_sequence WHERE name = 'challenges_v7';
INSERT INTO sqlite_sequence (name, seq)
  SELECT 'challenges_v7', seq FROM sqlite_sequence WHERE name = 'challenges';
DROP TABLE challenges;
ALTER TABLE challenges_v7 RENAME TO challenges;
CREATE INDEX challenges_by_authz ON challenges (authz_id, id);
CREATE INDEX challenges_processing ON challenges (id) WHERE status = 'processing';
CREATE UNIQUE INDEX challenges_one_processing ON challenges (authz_id)
  WHERE status = 'processing';

CREATE TABLE rate_limits (
  key TEXT PRIMARY KEY,
  tat_ms INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX rate_limits_by_tat ON rate_limits (tat_ms);
)sql";

// Version 8: the retention purge (Store::PurgeExpired) finds expired orders without a
// certificate and expired authorizations by expiry, and checks by index whether an order has a
// certificate and whether an authorization still belongs to an order.
constexpr char kSchemaV8[] = R"sql(
CREATE INDEX IF NOT EXISTS orders_purgeable ON orders (expires, id) WHERE certificate_id IS NULL;
CREATE INDEX IF NOT EXISTS authorizations_by_expiry ON authorizations (expires, id);
CREATE INDEX IF NOT EXISTS order_authorizations_by_authz ON order_authorizations (authz_id);
CREATE INDEX IF NOT EXISTS certificates_by_order ON certificates (order_id);
)sql";

struct Migration {
  int version;
  const char* sql;
  const char* set_version;  // a constant, so no SQL is ever assembled at run time
};

constexpr Migration kMigrations[] = {
    {1, kSchemaV1, "PRAGMA user_version = 1"},
    {2, kSchemaV2, "PRAGMA user_version = 2"},
    {3, kSchemaV3, "PRAGMA user_version = 3"},
    {4, kSchemaV4, "PRAGMA user_version = 4"},
    {5, kSchemaV5, "PRAGMA user_version = 5"},
    {6, kSchemaV6, "PRAGMA user_version = 6"},
    {7, kSchemaV7, "PRAGMA user_version = 7"},
    {8, kSchemaV8, "PRAGMA user_version = 8"},
};

Result<int> ReadVersion(Connection& conn) {
  FLINT_ASSIGN_OR_RETURN(std::string v, conn.QueryText("PRAGMA user_version"));
  return std::stoi(v);
}

Result<void> Apply(Connection& conn, const Migration& m) {
  FLINT_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(conn, Transaction::Kind::kWrite));
  FLINT_ASSIGN_OR_RETURN(int version, ReadVersion(conn));
  if (version >= m.version) return core::Ok();  // another process got there first
  if (version != m.version - 1) {
    return core::Err(core::ErrorType::kInternal,
                     "sqlite: schema version " + std::to_string(version) +
                         " cannot take migration " + std::to_string(m.version));
  }
  FLINT_TRY(conn.Exec(m.sql));
  FLINT_TRY(conn.Exec(m.set_version));
  return txn.Commit();
}

}  // namespace

int LatestSchemaVersion() { return std::end(kMigrations)[-1].version; }

Result<void> Migrate(Connection& conn) {
  FLINT_ASSIGN_OR_RETURN(int version, ReadVersion(conn));
  if (version > LatestSchemaVersion()) {
    return core::Err(core::ErrorType::kInternal, "sqlite: database schema version " +
                                                     std::to_string(version) +
                                                     " is newer than this flint supports (" +
                                                     std::to_string(LatestSchemaVersion()) + ")");
  }
  for (const Migration& m : kMigrations) {
    if (m.version > version) FLINT_TRY(Apply(conn, m));
  }
  return core::Ok();
}

}  // namespace flint::sa::sqlite
