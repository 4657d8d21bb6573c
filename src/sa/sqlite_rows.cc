// Row loaders shared by SqliteStore's reads and writes (sqlite_store_internal.h).

#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "sa/codec.h"
#include "sa/derived_status.h"
#include "sa/sqlite_store_internal.h"

namespace flint::sa::sqlite {

const char kAccountExists[] = "SELECT 1 FROM accounts WHERE id = ?1";
const char kOrderExists[] = "SELECT 1 FROM orders WHERE id = ?1";
const char kAuthzExists[] = "SELECT 1 FROM authorizations WHERE id = ?1";
const char kChallengeExists[] = "SELECT 1 FROM challenges WHERE id = ?1";
const char kCertificateExists[] = "SELECT 1 FROM certificates WHERE id = ?1";

namespace {

using core::FromUnixSeconds;

constexpr char kSelectAccount[] =
    "SELECT id, status, contacts, jwk, thumbprint, tos_agreed, eab_key_id, created_at "
    "FROM accounts WHERE id = ?1";
constexpr char kSelectAccountByThumbprint[] =
    "SELECT id, status, contacts, jwk, thumbprint, tos_agreed, eab_key_id, created_at "
    "FROM accounts WHERE thumbprint = ?1";
constexpr char kSelectOrder[] =
    "SELECT id, account_id, status, expires, identifiers, not_before, not_after, error, "
    "certificate_id, profile, replaces, created_at FROM orders WHERE id = ?1";
constexpr char kSelectOrderAuthzs[] =
    "SELECT a.id, a.status, a.expires FROM order_authorizations oa "
    "JOIN authorizations a ON a.id = oa.authz_id WHERE oa.order_id = ?1 ORDER BY oa.position";
constexpr char kSelectOrderIds[] =
    "SELECT id FROM orders WHERE account_id = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3";
constexpr char kSelectAuthz[] =
    "SELECT id, account_id, identifier_type, identifier_value, wildcard, status, expires "
    "FROM authorizations WHERE id = ?1";
constexpr char kSelectChallenge[] =
    "SELECT id, authz_id, type, status, token, validated_at, error FROM challenges "
    "WHERE id = ?1";
constexpr char kSelectAuthzChallenges[] =
    "SELECT id, authz_id, type, status, token, validated_at, error FROM challenges "
    "WHERE authz_id = ?1 ORDER BY id";
constexpr char kSelectCertificate[] =
    "SELECT id, account_id, order_id, serial, der, chain_pem, not_before, not_after, revoked, "
    "reason, revoked_at FROM certificates WHERE id = ?1";
constexpr char kSelectCertificateBySerial[] =
    "SELECT id, account_id, order_id, serial, der, chain_pem, not_before, not_after, revoked, "
    "reason, revoked_at FROM certificates WHERE serial = ?1";

core::Error NotFound(std::string_view what) {
  return core::Err(core::ErrorType::kNotFound, std::string(what) + " not found");
}

std::optional<core::TimePoint> OptionalTime(const Statement& s, int col) {
  std::optional<int64_t> v = s.OptionalInt(col);
  if (!v) return std::nullopt;
  return FromUnixSeconds(*v);
}

Result<std::optional<core::Error>> OptionalError(const Statement& s, int col) {
  std::optional<std::string> text = s.OptionalText(col);
  if (!text) return std::optional<core::Error>();
  core::Error e;
  FLINT_TRY(DecodeError(*text, e));
  return std::optional<core::Error>(std::move(e));
}

Result<core::Account> AccountFromRow(const Statement& s) {
  core::Account a;
  a.id = core::AccountId(s.Int(0));
  FLINT_ASSIGN_OR_RETURN(a.status, ParseAccountStatus(s.Text(1)));
  FLINT_ASSIGN_OR_RETURN(a.contacts, DecodeStrings(s.Text(2)));
  a.jwk_json = s.Text(3);
  a.jwk_thumbprint = s.Text(4);
  a.terms_of_service_agreed = s.Int(5) != 0;
  a.eab_key_id = s.Text(6);
  a.created_at = FromUnixSeconds(s.Int(7));
  return a;
}

Result<core::Challenge> ChallengeFromRow(const Statement& s) {
  core::Challenge ch;
  ch.id = core::ChallengeId(s.Int(0));
  ch.authz_id = core::AuthzId(s.Int(1));
  FLINT_ASSIGN_OR_RETURN(ch.type, ParseChallengeType(s.Text(2)));
  FLINT_ASSIGN_OR_RETURN(ch.status, ParseChallengeStatus(s.Text(3)));
  ch.token = s.Text(4);
  ch.validated_at = OptionalTime(s, 5);
  FLINT_ASSIGN_OR_RETURN(ch.error, OptionalError(s, 6));
  return ch;
}

core::Certificate CertificateFromRow(const Statement& s) {
  core::Certificate c;
  c.id = core::CertificateId(s.Int(0));
  c.account_id = core::AccountId(s.Int(1));
  c.order_id = core::OrderId(s.Int(2));
  c.serial_hex = s.Text(3);
  c.der = s.Blob(4);
  c.chain_pem = s.Text(5);
  c.not_before = FromUnixSeconds(s.Int(6));
  c.not_after = FromUnixSeconds(s.Int(7));
  c.revoked = s.Int(8) != 0;
  c.revocation_reason = static_cast<int>(s.Int(9));
  c.revoked_at = OptionalTime(s, 10);
  return c;
}

Result<core::Account> QueryAccount(Connection& c, const char* sql, std::string_view key_text,
                                   int64_t key_int, bool by_text) {
  FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(sql));
  if (by_text) {
    s.Bind(1, key_text);
  } else {
    s.Bind(1, key_int);
  }
  FLINT_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return NotFound("account");
  return AccountFromRow(s);
}

Result<std::vector<core::Challenge>> QueryChallenges(Connection& c, const char* sql,
                                                     std::optional<int64_t> authz) {
  FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(sql));
  if (authz) s.Bind(1, *authz);
  std::vector<core::Challenge> out;
  while (true) {
    FLINT_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return out;
    FLINT_ASSIGN_OR_RETURN(core::Challenge ch, ChallengeFromRow(s));
    out.push_back(std::move(ch));
  }
}

Result<core::Certificate> QueryCertificate(Statement s) {
  FLINT_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return NotFound("certificate");
  return CertificateFromRow(s);
}

// Fills order.authz_ids and returns the effective statuses of those authorizations.
Result<std::vector<core::AuthzStatus>> LoadOrderAuthzs(Connection& c, core::Order& order,
                                                       core::TimePoint now) {
  FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectOrderAuthzs));
  s.Bind(1, order.id.value);
  std::vector<core::AuthzStatus> statuses;
  while (true) {
    FLINT_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return statuses;
    order.authz_ids.emplace_back(s.Int(0));
    FLINT_ASSIGN_OR_RETURN(core::AuthzStatus stored, ParseAuthzStatus(s.Text(1)));
    statuses.push_back(EffectiveAuthzStatus(stored, FromUnixSeconds(s.Int(2)), now));
  }
}

}  // namespace

core::Error NotFoundOrConflict(Connection& c, const char* exists_sql, int64_t id,
                               std::string_view what) {
  Result<Statement> s = c.Prepare(exists_sql);
  if (!s.ok()) return std::move(s).error();
  s->Bind(1, id);
  Result<bool> row = s->Step();
  if (!row.ok()) return std::move(row).error();
  if (!*row) return NotFound(what);
  return core::Err(core::ErrorType::kConflict,
                   std::string(what) + " is not in a state that allows this");
}

Result<void> RunCompareAndSet(Connection& c, Statement stmt, const char* exists_sql, int64_t id,
                              std::string_view what) {
  FLINT_TRY(stmt.Run());
  if (c.Changes() == 0) return NotFoundOrConflict(c, exists_sql, id, what);
  return core::Ok();
}

Result<core::Account> LoadAccount(Connection& c, core::AccountId id) {
  return QueryAccount(c, kSelectAccount, {}, id.value, /*by_text=*/false);
}

Result<core::Account> LoadAccountByThumbprint(Connection& c, const std::string& thumbprint) {
  return QueryAccount(c, kSelectAccountByThumbprint, thumbprint, 0, /*by_text=*/true);
}

Result<core::Order> LoadOrder(Connection& c, core::OrderId id, core::TimePoint now) {
  core::Order o;
  {
    FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectOrder));
    s.Bind(1, id.value);
    FLINT_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return NotFound("order");
    o.id = core::OrderId(s.Int(0));
    o.account_id = core::AccountId(s.Int(1));
    FLINT_ASSIGN_OR_RETURN(o.status, ParseOrderStatus(s.Text(2)));
    o.expires = FromUnixSeconds(s.Int(3));
    FLINT_ASSIGN_OR_RETURN(o.identifiers, DecodeIdentifiers(s.Text(4)));
    o.not_before = OptionalTime(s, 5);
    o.not_after = OptionalTime(s, 6);
    FLINT_ASSIGN_OR_RETURN(o.error, OptionalError(s, 7));
    if (std::optional<int64_t> cert = s.OptionalInt(8))
      o.certificate_id = core::CertificateId(*cert);
    o.profile = s.Text(9);
    o.replaces = s.Text(10);
    o.created_at = FromUnixSeconds(s.Int(11));
  }
  FLINT_ASSIGN_OR_RETURN(std::vector<core::AuthzStatus> authz, LoadOrderAuthzs(c, o, now));
  o.status = EffectiveOrderStatus(o.status, o.expires, authz, now);
  return o;
}

Result<std::vector<core::OrderId>> LoadOrderIds(Connection& c, core::AccountId account,
                                                int64_t before, int limit) {
  std::vector<core::OrderId> out;
  if (limit <= 0) return out;
  FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectOrderIds));
  s.Bind(1, account.value)
      .Bind(2, before > 0 ? before : std::numeric_limits<int64_t>::max())
      .Bind(3, static_cast<int64_t>(limit));
  while (true) {
    FLINT_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return out;
    out.emplace_back(s.Int(0));
  }
}

Result<core::Authorization> LoadAuthorization(Connection& c, core::AuthzId id,
                                              core::TimePoint now) {
  core::Authorization a;
  {
    FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectAuthz));
    s.Bind(1, id.value);
    FLINT_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return NotFound("authorization");
    a.id = core::AuthzId(s.Int(0));
    a.account_id = core::AccountId(s.Int(1));
    FLINT_ASSIGN_OR_RETURN(a.identifier.type, ParseIdentifierType(s.Text(2)));
    a.identifier.value = s.Text(3);
    a.wildcard = s.Int(4) != 0;
    FLINT_ASSIGN_OR_RETURN(core::AuthzStatus stored, ParseAuthzStatus(s.Text(5)));
    a.expires = FromUnixSeconds(s.Int(6));
    a.status = EffectiveAuthzStatus(stored, a.expires, now);
  }
  FLINT_ASSIGN_OR_RETURN(a.challenges, QueryChallenges(c, kSelectAuthzChallenges, id.value));
  return a;
}

Result<core::Challenge> LoadChallenge(Connection& c, core::ChallengeId id) {
  FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectChallenge));
  s.Bind(1, id.value);
  FLINT_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return NotFound("challenge");
  return ChallengeFromRow(s);
}

Result<core::Certificate> LoadCertificate(Connection& c, core::CertificateId id) {
  FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectCertificate));
  s.Bind(1, id.value);
  return QueryCertificate(std::move(s));
}

Result<core::Certificate> LoadCertificateBySerial(Connection& c, const std::string& serial) {
  FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectCertificateBySerial));
  s.Bind(1, std::string_view(serial));
  return QueryCertificate(std::move(s));
}

}  // namespace flint::sa::sqlite
