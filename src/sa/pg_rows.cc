// Row loaders shared by PgStore's reads and writes (pg_store_internal.h).

#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "sa/codec.h"
#include "sa/derived_status.h"
#include "sa/pg_store_internal.h"

namespace flint::sa::pg {

const char kAccountExists[] = "SELECT 1 FROM accounts WHERE id = $1";
const char kOrderExists[] = "SELECT 1 FROM orders WHERE id = $1";
const char kAuthzExists[] = "SELECT 1 FROM authorizations WHERE id = $1";
const char kChallengeExists[] = "SELECT 1 FROM challenges WHERE id = $1";
const char kCertificateExists[] = "SELECT 1 FROM certificates WHERE id = $1";

namespace {

using core::FromUnixSeconds;

constexpr char kSelectAccount[] =
    "SELECT id, status, contacts, jwk, thumbprint, tos_agreed, eab_key_id, created_at "
    "FROM accounts WHERE id = $1";
constexpr char kSelectAccountByThumbprint[] =
    "SELECT id, status, contacts, jwk, thumbprint, tos_agreed, eab_key_id, created_at "
    "FROM accounts WHERE thumbprint = $1";
constexpr char kSelectOrder[] =
    "SELECT id, account_id, status, expires, identifiers, not_before, not_after, error, "
    "certificate_id, profile, replaces, created_at FROM orders WHERE id = $1";
constexpr char kSelectOrderAuthzs[] =
    "SELECT a.id, a.status, a.expires FROM order_authorizations oa "
    "JOIN authorizations a ON a.id = oa.authz_id WHERE oa.order_id = $1 ORDER BY oa.position";
constexpr char kSelectOrderIds[] =
    "SELECT id FROM orders WHERE account_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3";
constexpr char kSelectAuthz[] =
    "SELECT id, account_id, identifier_type, identifier_value, wildcard, status, expires "
    "FROM authorizations WHERE id = $1";
constexpr char kSelectChallenge[] =
    "SELECT id, authz_id, type, status, token, validated_at, error FROM challenges "
    "WHERE id = $1";
constexpr char kSelectAuthzChallenges[] =
    "SELECT id, authz_id, type, status, token, validated_at, error FROM challenges "
    "WHERE authz_id = $1 ORDER BY id";
constexpr char kSelectCertificate[] =
    "SELECT id, account_id, order_id, serial, der, chain_pem, not_before, not_after, revoked, "
    "reason, revoked_at FROM certificates WHERE id = $1";
constexpr char kSelectCertificateBySerial[] =
    "SELECT id, account_id, order_id, serial, der, chain_pem, not_before, not_after, revoked, "
    "reason, revoked_at FROM certificates WHERE serial = $1";

core::Error NotFound(std::string_view what) {
  return core::Err(core::ErrorType::kNotFound, std::string(what) + " not found");
}

std::optional<core::TimePoint> OptionalTime(const Rows& r, int row, int col) {
  std::optional<int64_t> v = r.OptionalInt(row, col);
  if (!v) return std::nullopt;
  return FromUnixSeconds(*v);
}

Result<std::optional<core::Error>> OptionalError(const Rows& r, int row, int col) {
  std::optional<std::string> text = r.OptionalText(row, col);
  if (!text) return std::optional<core::Error>();
  core::Error e;
  FLINT_TRY(DecodeError(*text, e));
  return std::optional<core::Error>(std::move(e));
}

Result<core::Account> AccountFromRow(const Rows& r) {
  core::Account a;
  a.id = core::AccountId(r.Int(0, 0));
  FLINT_ASSIGN_OR_RETURN(a.status, ParseAccountStatus(r.Text(0, 1)));
  FLINT_ASSIGN_OR_RETURN(a.contacts, DecodeStrings(r.Text(0, 2)));
  a.jwk_json = r.Text(0, 3);
  a.jwk_thumbprint = r.Text(0, 4);
  a.terms_of_service_agreed = r.Bool(0, 5);
  a.eab_key_id = r.Text(0, 6);
  a.created_at = FromUnixSeconds(r.Int(0, 7));
  return a;
}

Result<core::Challenge> ChallengeFromRow(const Rows& r, int row) {
  core::Challenge ch;
  ch.id = core::ChallengeId(r.Int(row, 0));
  ch.authz_id = core::AuthzId(r.Int(row, 1));
  FLINT_ASSIGN_OR_RETURN(ch.type, ParseChallengeType(r.Text(row, 2)));
  FLINT_ASSIGN_OR_RETURN(ch.status, ParseChallengeStatus(r.Text(row, 3)));
  ch.token = r.Text(row, 4);
  ch.validated_at = OptionalTime(r, row, 5);
  FLINT_ASSIGN_OR_RETURN(ch.error, OptionalError(r, row, 6));
  return ch;
}

Result<core::Certificate> CertificateFromRows(const Rows& r) {
  if (r.empty()) return NotFound("certificate");
  core::Certificate c;
  c.id = core::CertificateId(r.Int(0, 0));
  c.account_id = core::AccountId(r.Int(0, 1));
  c.order_id = core::OrderId(r.Int(0, 2));
  c.serial_hex = r.Text(0, 3);
  c.der = r.Bytes(0, 4);
  c.chain_pem = r.Text(0, 5);
  c.not_before = FromUnixSeconds(r.Int(0, 6));
  c.not_after = FromUnixSeconds(r.Int(0, 7));
  c.revoked = r.Bool(0, 8);
  c.revocation_reason = static_cast<int>(r.Int(0, 9));
  c.revoked_at = OptionalTime(r, 0, 10);
  return c;
}

Result<core::Account> QueryAccount(Connection& c, const char* sql, const Params& params) {
  FLINT_ASSIGN_OR_RETURN(Rows r, c.Exec(sql, params));
  if (r.empty()) return NotFound("account");
  return AccountFromRow(r);
}

// Fills order.authz_ids and returns the effective statuses of those authorizations.
Result<std::vector<core::AuthzStatus>> LoadOrderAuthzs(Connection& c, core::Order& order,
                                                       core::TimePoint now) {
  FLINT_ASSIGN_OR_RETURN(Rows r, c.Exec(kSelectOrderAuthzs, Params().Int(order.id.value)));
  std::vector<core::AuthzStatus> statuses;
  for (int i = 0; i < r.size(); ++i) {
    order.authz_ids.emplace_back(r.Int(i, 0));
    FLINT_ASSIGN_OR_RETURN(core::AuthzStatus stored, ParseAuthzStatus(r.Text(i, 1)));
    statuses.push_back(EffectiveAuthzStatus(stored, FromUnixSeconds(r.Int(i, 2)), now));
  }
  return statuses;
}

}  // namespace

Result<std::vector<int64_t>> QueryIds(Connection& c, const char* sql, const Params& params) {
  FLINT_ASSIGN_OR_RETURN(Rows r, c.Exec(sql, params));
  std::vector<int64_t> ids;
  for (int i = 0; i < r.size(); ++i) ids.push_back(r.Int(i, 0));
  return ids;
}

core::Error NotFoundOrConflict(Connection& c, const char* exists_sql, int64_t id,
                               std::string_view what) {
  Result<Rows> r = c.Exec(exists_sql, Params().Int(id));
  if (!r.ok()) return std::move(r).error();
  if (r->empty()) return NotFound(what);
  return core::Err(core::ErrorType::kConflict,
                   std::string(what) + " is not in a state that allows this");
}

Result<void> RunCompareAndSet(Connection& c, const char* sql, const Params& params,
                              const char* exists_sql, int64_t id, std::string_view what) {
  FLINT_ASSIGN_OR_RETURN(Rows r, c.Exec(sql, params));
  if (r.affected() == 0) return NotFoundOrConflict(c, exists_sql, id, what);
  return core::Ok();
}

Result<core::Account> LoadAccount(Connection& c, core::AccountId id) {
  return QueryAccount(c, kSelectAccount, Params().Int(id.value));
}

Result<core::Account> LoadAccountByThumbprint(Connection& c, const std::string& thumbprint) {
  return QueryAccount(c, kSelectAccountByThumbprint, Params().Text(thumbprint));
}

Result<core::Order> LoadOrder(Connection& c, core::OrderId id, core::TimePoint now) {
  core::Order o;
  {
    FLINT_ASSIGN_OR_RETURN(Rows r, c.Exec(kSelectOrder, Params().Int(id.value)));
    if (r.empty()) return NotFound("order");
    o.id = core::OrderId(r.Int(0, 0));
    o.account_id = core::AccountId(r.Int(0, 1));
    FLINT_ASSIGN_OR_RETURN(o.status, ParseOrderStatus(r.Text(0, 2)));
    o.expires = FromUnixSeconds(r.Int(0, 3));
    FLINT_ASSIGN_OR_RETURN(o.identifiers, DecodeIdentifiers(r.Text(0, 4)));
    o.not_before = OptionalTime(r, 0, 5);
    o.not_after = OptionalTime(r, 0, 6);
    FLINT_ASSIGN_OR_RETURN(o.error, OptionalError(r, 0, 7));
    if (std::optional<int64_t> cert = r.OptionalInt(0, 8)) {
      o.certificate_id = core::CertificateId(*cert);
    }
    o.profile = r.Text(0, 9);
    o.replaces = r.Text(0, 10);
    o.created_at = FromUnixSeconds(r.Int(0, 11));
  }
  FLINT_ASSIGN_OR_RETURN(std::vector<core::AuthzStatus> authz, LoadOrderAuthzs(c, o, now));
  o.status = EffectiveOrderStatus(o.status, o.expires, authz, now);
  return o;
}

Result<std::vector<core::OrderId>> LoadOrderIds(Connection& c, core::AccountId account,
                                                int64_t before, int limit) {
  std::vector<core::OrderId> out;
  if (limit <= 0) return out;
  FLINT_ASSIGN_OR_RETURN(
      std::vector<int64_t> ids,
      QueryIds(c, kSelectOrderIds,
               Params()
                   .Int(account.value)
                   .Int(before > 0 ? before : std::numeric_limits<int64_t>::max())
                   .Int(limit)));
  for (int64_t id : ids) out.emplace_back(id);
  return out;
}

Result<core::Authorization> LoadAuthorization(Connection& c, core::AuthzId id,
                                              core::TimePoint now) {
  core::Authorization a;
  {
    FLINT_ASSIGN_OR_RETURN(Rows r, c.Exec(kSelectAuthz, Params().Int(id.value)));
    if (r.empty()) return NotFound("authorization");
    a.id = core::AuthzId(r.Int(0, 0));
    a.account_id = core::AccountId(r.Int(0, 1));
    FLINT_ASSIGN_OR_RETURN(a.identifier.type, ParseIdentifierType(r.Text(0, 2)));
    a.identifier.value = r.Text(0, 3);
    a.wildcard = r.Bool(0, 4);
    FLINT_ASSIGN_OR_RETURN(core::AuthzStatus stored, ParseAuthzStatus(r.Text(0, 5)));
    a.expires = FromUnixSeconds(r.Int(0, 6));
    a.status = EffectiveAuthzStatus(stored, a.expires, now);
  }
  FLINT_ASSIGN_OR_RETURN(Rows r, c.Exec(kSelectAuthzChallenges, Params().Int(id.value)));
  for (int i = 0; i < r.size(); ++i) {
    FLINT_ASSIGN_OR_RETURN(core::Challenge ch, ChallengeFromRow(r, i));
    a.challenges.push_back(std::move(ch));
  }
  return a;
}

Result<core::Challenge> LoadChallenge(Connection& c, core::ChallengeId id) {
  FLINT_ASSIGN_OR_RETURN(Rows r, c.Exec(kSelectChallenge, Params().Int(id.value)));
  if (r.empty()) return NotFound("challenge");
  return ChallengeFromRow(r, 0);
}

Result<core::Certificate> LoadCertificate(Connection& c, core::CertificateId id) {
  FLINT_ASSIGN_OR_RETURN(Rows r, c.Exec(kSelectCertificate, Params().Int(id.value)));
  return CertificateFromRows(r);
}

Result<core::Certificate> LoadCertificateBySerial(Connection& c, const std::string& serial) {
  FLINT_ASSIGN_OR_RETURN(Rows r, c.Exec(kSelectCertificateBySerial, Params().Text(serial)));
  return CertificateFromRows(r);
}

}  // namespace flint::sa::pg
