// SqliteStore: revocation status — the CRL's entries and number, blocked keys, and the
// authorizations that let an account revoke a certificate it did not order (RFC 8555 §7.6).

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "sa/sqlite_store.h"
#include "sa/sqlite_store_internal.h"

namespace flint::sa {

using core::FromUnixSeconds;
using core::ToUnixSeconds;
using sqlite::Connection;
using sqlite::Statement;

namespace {

constexpr char kSelectRevoked[] =
    "SELECT serial, revoked_at, reason, not_after FROM certificates "
    "WHERE revoked = 1 AND not_after > ?1 ORDER BY revoked_at, id";
// One statement, so two instances can never take the same number.
constexpr char kNextCrlNumber[] =
    "INSERT INTO counters (name, value) VALUES ('crl_number', ?1) "
    "ON CONFLICT (name) DO UPDATE SET value = max(counters.value + 1, excluded.value) "
    "RETURNING value";
constexpr char kSelectCurrentCrl[] =
    "SELECT number, this_update, next_update, revocations, "
    "CASE WHEN number = ?1 THEN x'' ELSE der END FROM current_crl WHERE singleton = 1";
constexpr char kPublishCrl[] =
    "INSERT INTO current_crl (singleton, number, this_update, next_update, revocations, der) "
    "VALUES (1, ?1, ?2, ?3, ?4, ?5) ON CONFLICT (singleton) DO UPDATE SET "
    "number = excluded.number, this_update = excluded.this_update, "
    "next_update = excluded.next_update, revocations = excluded.revocations, der = excluded.der "
    "WHERE excluded.number > current_crl.number";
constexpr char kLastCrlNumber[] = "SELECT value FROM counters WHERE name = 'crl_number'";
constexpr char kRevocationCount[] = "SELECT value FROM counters WHERE name = 'revocations'";
constexpr char kInsertBlockedKey[] =
    "INSERT INTO blocked_keys (spki_sha256, blocked_at, source) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (spki_sha256) DO NOTHING";
constexpr char kSelectBlockedKey[] =
    "SELECT spki_sha256, blocked_at, source FROM blocked_keys WHERE spki_sha256 = ?1";
constexpr char kSelectValidAuthzIds[] =
    "SELECT id FROM authorizations WHERE account_id = ?1 AND identifier_type = ?2 "
    "AND identifier_value = ?3 AND status = 'valid' AND expires > ?4";

}  // namespace

Result<std::vector<RevokedCertificate>> SqliteStore::ListRevokedCertificates(
    core::TimePoint not_after_after) {
  return Read([&](Connection& c) -> Result<std::vector<RevokedCertificate>> {
    FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectRevoked));
    s.Bind(1, ToUnixSeconds(not_after_after));
    std::vector<RevokedCertificate> out;
    while (true) {
      FLINT_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) return out;
      RevokedCertificate r;
      r.serial_hex = s.Text(0);
      r.revoked_at = FromUnixSeconds(s.OptionalInt(1).value_or(0));
      r.reason = static_cast<int>(s.Int(2));
      r.not_after = FromUnixSeconds(s.Int(3));
      out.push_back(std::move(r));
    }
  });
}

Result<int64_t> SqliteStore::NextCrlNumber(int64_t at_least) {
  return Write([&](Connection& c) -> Result<int64_t> {
    FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(kNextCrlNumber));
    s.Bind(1, at_least < 1 ? int64_t{1} : at_least);
    FLINT_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return core::Err(core::ErrorType::kInternal, "sqlite: CRL number not returned");
    int64_t value = s.Int(0);
    FLINT_TRY(s.Run());  // finish the statement so the transaction can commit
    return value;
  });
}

Result<int64_t> SqliteStore::LastCrlNumber() {
  return Read([&](Connection& c) -> Result<int64_t> {
    FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(kLastCrlNumber));
    FLINT_ASSIGN_OR_RETURN(bool row, s.Step());
    return row ? s.Int(0) : int64_t{0};
  });
}

namespace {

Result<StoredCrl> LoadCurrentCrl(Connection& c, int64_t known_number) {
  FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectCurrentCrl));
  s.Bind(1, known_number);
  FLINT_ASSIGN_OR_RETURN(bool row, s.Step());
  StoredCrl crl;
  if (!row) return crl;
  crl.number = s.Int(0);
  crl.this_update = FromUnixSeconds(s.Int(1));
  crl.next_update = FromUnixSeconds(s.Int(2));
  crl.revocations = s.Int(3);
  crl.der = s.Blob(4);
  return crl;
}

}  // namespace

Result<StoredCrl> SqliteStore::GetCurrentCrl(int64_t known_number) {
  return Read([&](Connection& c) { return LoadCurrentCrl(c, known_number); });
}

Result<StoredCrl> SqliteStore::PublishCrl(const StoredCrl& crl) {
  return Write([&](Connection& c) -> Result<StoredCrl> {
    {
      FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(kPublishCrl));
      s.Bind(1, crl.number)
          .Bind(2, ToUnixSeconds(crl.this_update))
          .Bind(3, ToUnixSeconds(crl.next_update))
          .Bind(4, crl.revocations)
          .BindBlob(5, crl.der);
      FLINT_TRY(s.Run());
    }
    return LoadCurrentCrl(c, 0);
  });
}

Result<int64_t> SqliteStore::RevocationCount() {
  return Read([&](Connection& c) -> Result<int64_t> {
    FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(kRevocationCount));
    FLINT_ASSIGN_OR_RETURN(bool row, s.Step());
    return row ? s.Int(0) : int64_t{0};
  });
}

Result<void> SqliteStore::BlockKey(const BlockedKey& key) {
  return Write([&](Connection& c) -> Result<void> {
    FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(kInsertBlockedKey));
    s.Bind(1, key.spki_sha256).Bind(2, ToUnixSeconds(key.blocked_at)).Bind(3, key.source);
    return s.Run();
  });
}

Result<std::optional<BlockedKey>> SqliteStore::GetBlockedKey(const std::string& spki_sha256) {
  return Read([&](Connection& c) -> Result<std::optional<BlockedKey>> {
    FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectBlockedKey));
    s.Bind(1, spki_sha256);
    FLINT_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return std::optional<BlockedKey>();
    BlockedKey k;
    k.spki_sha256 = s.Text(0);
    k.blocked_at = FromUnixSeconds(s.Int(1));
    k.source = s.Text(2);
    return std::optional<BlockedKey>(std::move(k));
  });
}

Result<std::vector<core::Authorization>> SqliteStore::ListValidAuthorizations(
    core::AccountId account, const std::vector<core::Identifier>& identifiers,
    core::TimePoint now) {
  return Read([&](Connection& c) -> Result<std::vector<core::Authorization>> {
    std::set<int64_t> ids;
    for (const core::Identifier& id : identifiers) {
      FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectValidAuthzIds));
      s.Bind(1, account.value)
          .Bind(2, core::ToString(id.type))
          .Bind(3, id.value)
          .Bind(4, ToUnixSeconds(now));
      while (true) {
        FLINT_ASSIGN_OR_RETURN(bool row, s.Step());
        if (!row) break;
        ids.insert(s.Int(0));
      }
    }
    std::vector<core::Authorization> out;
    for (int64_t id : ids) {
      FLINT_ASSIGN_OR_RETURN(core::Authorization a,
                             sqlite::LoadAuthorization(c, core::AuthzId(id), now));
      out.push_back(std::move(a));
    }
    return out;
  });
}

}  // namespace flint::sa
