// PgStore: revocation status — the CRL's entries and number, blocked keys, and the
// authorizations that let an account revoke a certificate it did not order (RFC 8555 §7.6).

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "sa/pg_database.h"
#include "sa/pg_store.h"
#include "sa/pg_store_internal.h"

namespace flint::sa {

using core::FromUnixSeconds;
using core::ToUnixSeconds;
using pg::Connection;
using pg::Params;
using pg::Rows;

namespace {

constexpr char kSelectRevoked[] =
    "SELECT serial, revoked_at, reason, not_after FROM certificates "
    "WHERE revoked AND not_after > $1 ORDER BY revoked_at, id";
// One statement (an upsert locks the row), so two instances can never take the same number.
constexpr char kNextCrlNumber[] =
    "INSERT INTO counters (name, value) VALUES ('crl_number', $1) "
    "ON CONFLICT (name) DO UPDATE SET value = GREATEST(counters.value + 1, excluded.value) "
    "RETURNING value";
constexpr char kLastCrlNumber[] = "SELECT value FROM counters WHERE name = 'crl_number'";
constexpr char kRevocationCount[] = "SELECT value FROM counters WHERE name = 'revocations'";
constexpr char kInsertBlockedKey[] =
    "INSERT INTO blocked_keys (spki_sha256, blocked_at, source) VALUES ($1, $2, $3) "
    "ON CONFLICT (spki_sha256) DO NOTHING";
constexpr char kSelectBlockedKey[] =
    "SELECT spki_sha256, blocked_at, source FROM blocked_keys WHERE spki_sha256 = $1";
constexpr char kSelectValidAuthzIds[] =
    "SELECT id FROM authorizations WHERE account_id = $1 AND identifier_type = $2 "
    "AND identifier_value = $3 AND status = 'valid' AND expires > $4";

constexpr char kSelectCurrentCrl[] =
    "SELECT number, this_update, next_update, revocations, "
    "CASE WHEN number = $1 THEN ''::bytea ELSE der END FROM current_crl WHERE singleton = 1";
// The highest number wins: an upsert that replaces the row only with a higher number.
constexpr char kPublishCrl[] =
    "INSERT INTO current_crl (singleton, number, this_update, next_update, revocations, der) "
    "VALUES (1, $1, $2, $3, $4, $5) ON CONFLICT (singleton) DO UPDATE SET "
    "number = excluded.number, this_update = excluded.this_update, "
    "next_update = excluded.next_update, revocations = excluded.revocations, der = excluded.der "
    "WHERE excluded.number > current_crl.number";

Result<StoredCrl> LoadCurrentCrl(Connection& c, int64_t known_number) {
  FLINT_ASSIGN_OR_RETURN(Rows r, c.Exec(kSelectCurrentCrl, Params().Int(known_number)));
  StoredCrl crl;
  if (r.empty()) return crl;
  crl.number = r.Int(0, 0);
  crl.this_update = FromUnixSeconds(r.Int(0, 1));
  crl.next_update = FromUnixSeconds(r.Int(0, 2));
  crl.revocations = r.Int(0, 3);
  crl.der = r.Bytes(0, 4);
  return crl;
}

// The single value a counter query returns; 0 when the counter does not exist yet.
Result<int64_t> ReadCounter(Connection& c, const char* sql) {
  FLINT_ASSIGN_OR_RETURN(Rows r, c.Exec(sql));
  return r.empty() ? int64_t{0} : r.Int(0, 0);
}

}  // namespace

Result<std::vector<RevokedCertificate>> PgStore::ListRevokedCertificates(
    core::TimePoint not_after_after) {
  return db_->ReadOne([&](Connection& c) -> Result<std::vector<RevokedCertificate>> {
    FLINT_ASSIGN_OR_RETURN(Rows r,
                           c.Exec(kSelectRevoked, Params().Int(ToUnixSeconds(not_after_after))));
    std::vector<RevokedCertificate> out;
    for (int i = 0; i < r.size(); ++i) {
      RevokedCertificate rc;
      rc.serial_hex = r.Text(i, 0);
      rc.revoked_at = FromUnixSeconds(r.OptionalInt(i, 1).value_or(0));
      rc.reason = static_cast<int>(r.Int(i, 2));
      rc.not_after = FromUnixSeconds(r.Int(i, 3));
      out.push_back(std::move(rc));
    }
    return out;
  });
}

Result<int64_t> PgStore::NextCrlNumber(int64_t at_least) {
  return db_->Write(pg::Isolation::kReadCommitted, [&](Connection& c) -> Result<int64_t> {
    FLINT_ASSIGN_OR_RETURN(Rows r,
                           c.Exec(kNextCrlNumber, Params().Int(at_least < 1 ? 1 : at_least)));
    if (r.empty())
      return core::Err(core::ErrorType::kInternal, "postgres: CRL number not returned");
    return r.Int(0, 0);
  });
}

Result<int64_t> PgStore::LastCrlNumber() {
  return db_->ReadOne([&](Connection& c) { return ReadCounter(c, kLastCrlNumber); });
}

Result<int64_t> PgStore::RevocationCount() {
  return db_->ReadOne([&](Connection& c) { return ReadCounter(c, kRevocationCount); });
}

Result<void> PgStore::BlockKey(const BlockedKey& key) {
  return db_->Write(pg::Isolation::kReadCommitted, [&](Connection& c) -> Result<void> {
    FLINT_TRY(
        c.Exec(kInsertBlockedKey,
               Params().Text(key.spki_sha256).Int(ToUnixSeconds(key.blocked_at)).Text(key.source)));
    return core::Ok();
  });
}

Result<std::optional<BlockedKey>> PgStore::GetBlockedKey(const std::string& spki_sha256) {
  return db_->ReadOne([&](Connection& c) -> Result<std::optional<BlockedKey>> {
    FLINT_ASSIGN_OR_RETURN(Rows r, c.Exec(kSelectBlockedKey, Params().Text(spki_sha256)));
    if (r.empty()) return std::optional<BlockedKey>();
    BlockedKey k;
    k.spki_sha256 = r.Text(0, 0);
    k.blocked_at = FromUnixSeconds(r.Int(0, 1));
    k.source = r.Text(0, 2);
    return std::optional<BlockedKey>(std::move(k));
  });
}

Result<std::vector<core::Authorization>> PgStore::ListValidAuthorizations(
    core::AccountId account, const std::vector<core::Identifier>& identifiers,
    core::TimePoint now) {
  return db_->Read([&](Connection& c) -> Result<std::vector<core::Authorization>> {
    std::set<int64_t> ids;
    for (const core::Identifier& id : identifiers) {
      FLINT_ASSIGN_OR_RETURN(std::vector<int64_t> found,
                             pg::QueryIds(c, kSelectValidAuthzIds,
                                          Params()
                                              .Int(account.value)
                                              .Text(core::ToString(id.type))
                                              .Text(id.value)
                                              .Int(ToUnixSeconds(now))));
      ids.insert(found.begin(), found.end());
    }
    std::vector<core::Authorization> out;
    for (int64_t id : ids) {
      FLINT_ASSIGN_OR_RETURN(core::Authorization a,
                             pg::LoadAuthorization(c, core::AuthzId(id), now));
      out.push_back(std::move(a));
    }
    return out;
  });
}

Result<StoredCrl> PgStore::GetCurrentCrl(int64_t known_number) {
  return db_->ReadOne([&](Connection& c) { return LoadCurrentCrl(c, known_number); });
}

Result<StoredCrl> PgStore::PublishCrl(const StoredCrl& crl) {
  return db_->Write([&](Connection& c) -> Result<StoredCrl> {
    FLINT_TRY(c.Exec(kPublishCrl, Params()
                                      .Int(crl.number)
                                      .Int(ToUnixSeconds(crl.this_update))
                                      .Int(ToUnixSeconds(crl.next_update))
                                      .Int(crl.revocations)
                                      .Bytes(crl.der)));
    return LoadCurrentCrl(c, 0);
  });
}

}  // namespace flint::sa
