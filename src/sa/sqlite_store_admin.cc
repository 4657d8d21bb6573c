// SqliteStore: external account binding keys (RFC 8555 §7.3.4) and the listings and counts
// behind `flint admin`.

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

constexpr char kInsertEabKey[] =
    "INSERT INTO eab_keys (key_id, hmac_key, note, created_at, revoked_at, account_id) "
    "VALUES (?1, ?2, ?3, ?4, NULL, NULL)";
constexpr char kSelectEabKey[] =
    "SELECT key_id, hmac_key, note, created_at, revoked_at, account_id FROM eab_keys "
    "WHERE key_id = ?1";
constexpr char kSelectEabKeys[] =
    "SELECT key_id, hmac_key, note, created_at, revoked_at, account_id FROM eab_keys "
    "ORDER BY created_at, key_id";
constexpr char kRevokeEabKey[] =
    "UPDATE eab_keys SET revoked_at = ?2 WHERE key_id = ?1 AND revoked_at IS NULL";
constexpr char kSelectAccountIds[] = "SELECT id FROM accounts ORDER BY id DESC LIMIT ?1";
constexpr char kSelectAllOrderIds[] = "SELECT id FROM orders ORDER BY id DESC LIMIT ?1";
constexpr char kSelectAccountOrderIds[] =
    "SELECT id FROM orders WHERE account_id = ?2 ORDER BY id DESC LIMIT ?1";
constexpr char kSelectAllCertificateIds[] = "SELECT id FROM certificates ORDER BY id DESC LIMIT ?1";
constexpr char kSelectAccountCertificateIds[] =
    "SELECT id FROM certificates WHERE account_id = ?2 ORDER BY id DESC LIMIT ?1";
// The CA's fingerprint lives beside the nonce secret: first writer wins.
constexpr char kInsertCaFingerprint[] =
    "INSERT INTO secrets (name, value) VALUES ('ca_root_sha256', ?1) ON CONFLICT (name) DO NOTHING";
constexpr char kSelectCaFingerprint[] =
    "SELECT value FROM secrets WHERE name = 'ca_root_sha256'";
constexpr char kCountCertificates[] =
    "SELECT COUNT(*), COALESCE(SUM(revoked), 0) FROM certificates";

}  // namespace

Result<std::string> SqliteStore::BindCa(const std::string& root_sha256) {
  return Write([&](Connection& c) -> Result<std::string> {
    {
      FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(kInsertCaFingerprint));
      s.BindBlob(1, root_sha256);
      FLINT_TRY(s.Run());
    }
    FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectCaFingerprint));
    FLINT_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return core::Err(core::ErrorType::kInternal, "sqlite: CA fingerprint not stored");
    return s.Blob(0);
  });
}

namespace {

EabKey EabKeyFromRow(const Statement& s) {
  EabKey k;
  k.key_id = s.Text(0);
  k.hmac_key = s.Blob(1);
  k.note = s.Text(2);
  k.created_at = FromUnixSeconds(s.Int(3));
  if (std::optional<int64_t> t = s.OptionalInt(4)) k.revoked_at = FromUnixSeconds(*t);
  if (std::optional<int64_t> a = s.OptionalInt(5)) k.account_id = core::AccountId(*a);
  return k;
}

Result<EabKey> LoadEabKey(Connection& c, const std::string& key_id) {
  FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectEabKey));
  s.Bind(1, key_id);
  FLINT_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return core::Err(core::ErrorType::kNotFound, "EAB key not found");
  return EabKeyFromRow(s);
}

// The ids a listing query returns; `account` binds ?2 when the query has it.
Result<std::vector<int64_t>> QueryIds(Connection& c, const char* sql, int limit,
                                      std::optional<core::AccountId> account) {
  std::vector<int64_t> ids;
  if (limit <= 0) return ids;
  FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(sql));
  s.Bind(1, static_cast<int64_t>(limit));
  if (account) s.Bind(2, account->value);
  while (true) {
    FLINT_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return ids;
    ids.push_back(s.Int(0));
  }
}

}  // namespace

// --- EAB keys ---

Result<EabKey> SqliteStore::GetEabKey(const std::string& key_id) {
  return Read([&](Connection& c) { return LoadEabKey(c, key_id); });
}

Result<std::vector<EabKey>> SqliteStore::ListEabKeys() {
  return Read([&](Connection& c) -> Result<std::vector<EabKey>> {
    FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectEabKeys));
    std::vector<EabKey> out;
    while (true) {
      FLINT_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) return out;
      out.push_back(EabKeyFromRow(s));
    }
  });
}

Result<EabKey> SqliteStore::CreateEabKey(EabKey key) {
  return Write([&](Connection& c) -> Result<EabKey> {
    FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(kInsertEabKey));
    s.Bind(1, key.key_id)
        .BindBlob(2, key.hmac_key)
        .Bind(3, key.note)
        .Bind(4, ToUnixSeconds(key.created_at));
    FLINT_TRY(s.Run());  // PRIMARY KEY: kConflict
    return LoadEabKey(c, key.key_id);
  });
}

Result<EabKey> SqliteStore::RevokeEabKey(const std::string& key_id, core::TimePoint at) {
  return Write([&](Connection& c) -> Result<EabKey> {
    {
      FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(kRevokeEabKey));
      s.Bind(1, key_id).Bind(2, ToUnixSeconds(at));
      FLINT_TRY(s.Run());
    }
    if (c.Changes() == 0) {
      FLINT_TRY(LoadEabKey(c, key_id));  // kNotFound for an unknown id
      return core::Err(core::ErrorType::kConflict, "EAB key is already revoked");
    }
    return LoadEabKey(c, key_id);
  });
}

// --- Listings ---

Result<std::vector<core::Account>> SqliteStore::ListAccounts(int limit) {
  return Read([&](Connection& c) -> Result<std::vector<core::Account>> {
    FLINT_ASSIGN_OR_RETURN(std::vector<int64_t> ids,
                           QueryIds(c, kSelectAccountIds, limit, std::nullopt));
    std::vector<core::Account> out;
    for (int64_t id : ids) {
      FLINT_ASSIGN_OR_RETURN(core::Account a, sqlite::LoadAccount(c, core::AccountId(id)));
      out.push_back(std::move(a));
    }
    return out;
  });
}

Result<std::vector<core::Order>> SqliteStore::ListOrders(std::optional<core::AccountId> account,
                                                         int limit) {
  core::TimePoint now = clock_.Now();
  return Read([&](Connection& c) -> Result<std::vector<core::Order>> {
    const char* sql = account ? kSelectAccountOrderIds : kSelectAllOrderIds;
    FLINT_ASSIGN_OR_RETURN(std::vector<int64_t> ids, QueryIds(c, sql, limit, account));
    std::vector<core::Order> out;
    for (int64_t id : ids) {
      FLINT_ASSIGN_OR_RETURN(core::Order o, sqlite::LoadOrder(c, core::OrderId(id), now));
      out.push_back(std::move(o));
    }
    return out;
  });
}

Result<std::vector<core::Certificate>> SqliteStore::ListCertificates(
    std::optional<core::AccountId> account, int limit) {
  return Read([&](Connection& c) -> Result<std::vector<core::Certificate>> {
    const char* sql = account ? kSelectAccountCertificateIds : kSelectAllCertificateIds;
    FLINT_ASSIGN_OR_RETURN(std::vector<int64_t> ids, QueryIds(c, sql, limit, account));
    std::vector<core::Certificate> out;
    for (int64_t id : ids) {
      FLINT_ASSIGN_OR_RETURN(core::Certificate cert,
                             sqlite::LoadCertificate(c, core::CertificateId(id)));
      out.push_back(std::move(cert));
    }
    return out;
  });
}

Result<CertificateCounts> SqliteStore::CountCertificates() {
  return Read([&](Connection& c) -> Result<CertificateCounts> {
    FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(kCountCertificates));
    FLINT_ASSIGN_OR_RETURN(bool row, s.Step());
    CertificateCounts counts;
    if (row) {
      counts.issued = s.Int(0);
      counts.revoked = s.Int(1);
    }
    return counts;
  });
}

}  // namespace flint::sa
