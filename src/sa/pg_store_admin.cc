// PgStore: external account binding keys (RFC 8555 §7.3.4) and the listings and counts behind
// `flint admin`.

#include <optional>
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

constexpr char kInsertEabKey[] =
    "INSERT INTO eab_keys (key_id, hmac_key, note, created_at, revoked_at, account_id) "
    "VALUES ($1, $2, $3, $4, NULL, NULL)";
constexpr char kSelectEabKey[] =
    "SELECT key_id, hmac_key, note, created_at, revoked_at, account_id FROM eab_keys "
    "WHERE key_id = $1";
constexpr char kSelectEabKeys[] =
    "SELECT key_id, hmac_key, note, created_at, revoked_at, account_id FROM eab_keys "
    "ORDER BY created_at, key_id";
constexpr char kRevokeEabKey[] =
    "UPDATE eab_keys SET revoked_at = $2 WHERE key_id = $1 AND revoked_at IS NULL";
constexpr char kSelectAccountIds[] = "SELECT id FROM accounts ORDER BY id DESC LIMIT $1";
constexpr char kSelectAllOrderIds[] = "SELECT id FROM orders ORDER BY id DESC LIMIT $1";
constexpr char kSelectAccountOrderIds[] =
    "SELECT id FROM orders WHERE account_id = $2 ORDER BY id DESC LIMIT $1";
constexpr char kSelectAllCertificateIds[] = "SELECT id FROM certificates ORDER BY id DESC LIMIT $1";
constexpr char kSelectAccountCertificateIds[] =
    "SELECT id FROM certificates WHERE account_id = $2 ORDER BY id DESC LIMIT $1";
constexpr char kCountCertificates[] =
    "SELECT COUNT(*), COUNT(*) FILTER (WHERE revoked) FROM certificates";

EabKey EabKeyFromRow(const Rows& r, int row) {
  EabKey k;
  k.key_id = r.Text(row, 0);
  k.hmac_key = r.Bytes(row, 1);
  k.note = r.Text(row, 2);
  k.created_at = FromUnixSeconds(r.Int(row, 3));
  if (std::optional<int64_t> t = r.OptionalInt(row, 4)) k.revoked_at = FromUnixSeconds(*t);
  if (std::optional<int64_t> a = r.OptionalInt(row, 5)) k.account_id = core::AccountId(*a);
  return k;
}

Result<EabKey> LoadEabKey(Connection& c, const std::string& key_id) {
  FLINT_ASSIGN_OR_RETURN(Rows r, c.Exec(kSelectEabKey, Params().Text(key_id)));
  if (r.empty()) return core::Err(core::ErrorType::kNotFound, "EAB key not found");
  return EabKeyFromRow(r, 0);
}

// The ids of a listing query: `limit` binds $1, `account` (when the query has it) $2.
Result<std::vector<int64_t>> ListIds(Connection& c, const char* sql, int limit,
                                     std::optional<core::AccountId> account) {
  if (limit <= 0) return std::vector<int64_t>();
  Params params;
  params.Int(limit);
  if (account) params.Int(account->value);
  return pg::QueryIds(c, sql, params);
}

}  // namespace

// --- EAB keys ---

Result<EabKey> PgStore::GetEabKey(const std::string& key_id) {
  return db_->ReadOne([&](Connection& c) { return LoadEabKey(c, key_id); });
}

Result<std::vector<EabKey>> PgStore::ListEabKeys() {
  return db_->ReadOne([&](Connection& c) -> Result<std::vector<EabKey>> {
    FLINT_ASSIGN_OR_RETURN(Rows r, c.Exec(kSelectEabKeys));
    std::vector<EabKey> out;
    for (int i = 0; i < r.size(); ++i) out.push_back(EabKeyFromRow(r, i));
    return out;
  });
}

Result<EabKey> PgStore::CreateEabKey(EabKey key) {
  return db_->Write([&](Connection& c) -> Result<EabKey> {
    FLINT_TRY(c.Exec(kInsertEabKey, Params()
                                        .Text(key.key_id)
                                        .Bytes(key.hmac_key)
                                        .Text(key.note)
                                        .Int(ToUnixSeconds(key.created_at))));  // taken: kConflict
    return LoadEabKey(c, key.key_id);
  });
}

Result<EabKey> PgStore::RevokeEabKey(const std::string& key_id, core::TimePoint at) {
  return db_->Write([&](Connection& c) -> Result<EabKey> {
    FLINT_ASSIGN_OR_RETURN(Rows r,
                           c.Exec(kRevokeEabKey, Params().Text(key_id).Int(ToUnixSeconds(at))));
    if (r.affected() == 0) {
      FLINT_TRY(LoadEabKey(c, key_id));  // kNotFound for an unknown id
      return core::Err(core::ErrorType::kConflict, "EAB key is already revoked");
    }
    return LoadEabKey(c, key_id);
  });
}

// --- Listings ---

Result<std::vector<core::Account>> PgStore::ListAccounts(int limit) {
  return db_->Read([&](Connection& c) -> Result<std::vector<core::Account>> {
    FLINT_ASSIGN_OR_RETURN(std::vector<int64_t> ids,
                           ListIds(c, kSelectAccountIds, limit, std::nullopt));
    std::vector<core::Account> out;
    for (int64_t id : ids) {
      FLINT_ASSIGN_OR_RETURN(core::Account a, pg::LoadAccount(c, core::AccountId(id)));
      out.push_back(std::move(a));
    }
    return out;
  });
}

Result<std::vector<core::Order>> PgStore::ListOrders(std::optional<core::AccountId> account,
                                                     int limit) {
  const core::TimePoint now = clock_.Now();
  return db_->Read([&](Connection& c) -> Result<std::vector<core::Order>> {
    const char* sql = account ? kSelectAccountOrderIds : kSelectAllOrderIds;
    FLINT_ASSIGN_OR_RETURN(std::vector<int64_t> ids, ListIds(c, sql, limit, account));
    std::vector<core::Order> out;
    for (int64_t id : ids) {
      FLINT_ASSIGN_OR_RETURN(core::Order o, pg::LoadOrder(c, core::OrderId(id), now));
      out.push_back(std::move(o));
    }
    return out;
  });
}

Result<std::vector<core::Certificate>> PgStore::ListCertificates(
    std::optional<core::AccountId> account, int limit) {
  return db_->Read([&](Connection& c) -> Result<std::vector<core::Certificate>> {
    const char* sql = account ? kSelectAccountCertificateIds : kSelectAllCertificateIds;
    FLINT_ASSIGN_OR_RETURN(std::vector<int64_t> ids, ListIds(c, sql, limit, account));
    std::vector<core::Certificate> out;
    for (int64_t id : ids) {
      FLINT_ASSIGN_OR_RETURN(core::Certificate cert,
                             pg::LoadCertificate(c, core::CertificateId(id)));
      out.push_back(std::move(cert));
    }
    return out;
  });
}

Result<CertificateCounts> PgStore::CountCertificates() {
  return db_->ReadOne([&](Connection& c) -> Result<CertificateCounts> {
    FLINT_ASSIGN_OR_RETURN(Rows r, c.Exec(kCountCertificates));
    CertificateCounts counts;
    if (!r.empty()) {
      counts.issued = r.Int(0, 0);
      counts.revoked = r.Int(0, 1);
    }
    return counts;
  });
}

// The CA's fingerprint lives beside the nonce secret: the first instance's wins.
Result<std::string> PgStore::BindCa(const std::string& root_sha256) {
  static constexpr char kInsert[] =
      "INSERT INTO secrets (name, value) VALUES ('ca_root_sha256', $1) "
      "ON CONFLICT (name) DO NOTHING";
  static constexpr char kSelect[] = "SELECT value FROM secrets WHERE name = 'ca_root_sha256'";
  return db_->Write([&](Connection& c) -> Result<std::string> {
    FLINT_TRY(c.Exec(kInsert, Params().Bytes(root_sha256)));
    FLINT_ASSIGN_OR_RETURN(Rows r, c.Exec(kSelect));
    if (r.empty()) return core::Err(core::ErrorType::kInternal, "postgres: CA fingerprint not stored");
    return r.Bytes(0, 0);
  });
}

}  // namespace flint::sa
