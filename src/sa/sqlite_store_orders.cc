// SqliteStore: orders, authorizations and challenges (RFC 8555 §7.1.3-7.1.6, §7.4, §7.5).

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "sa/codec.h"
#include <algorithm>

#include "sa/sqlite_store.h"
#include "sa/sqlite_store_internal.h"

namespace flint::sa {

using core::ToUnixSeconds;
using sqlite::Connection;
using sqlite::Statement;

namespace {

constexpr char kInsertOrder[] =
    "INSERT INTO orders (account_id, status, expires, identifiers, not_before, not_after, "
    "profile, replaces, created_at) VALUES (?1, 'pending', ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
constexpr char kSelectRateLimit[] = "SELECT tat_ms FROM rate_limits WHERE key = ?1";
constexpr char kUpsertRateLimit[] =
    "INSERT INTO rate_limits (key, tat_ms) VALUES (?1, ?2) "
    "ON CONFLICT (key) DO UPDATE SET tat_ms = excluded.tat_ms";
// Bounded by ?3 rows, read from the authorizations_for_reuse index's account_id prefix.
constexpr char kCountPendingAuthzs[] =
    "SELECT COUNT(*) FROM (SELECT 1 FROM authorizations WHERE account_id = ?1 "
    "AND status = 'pending' AND expires > ?2 LIMIT ?3)";
constexpr char kInsertAuthz[] =
    "INSERT INTO authorizations (account_id, identifier_type, identifier_value, wildcard, "
    "status, expires) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
constexpr char kInsertChallenge[] =
    "INSERT INTO challenges (authz_id, type, status, token, validated_at, error) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
constexpr char kInsertOrderAuthz[] =
    "INSERT INTO order_authorizations (order_id, authz_id, position) VALUES (?1, ?2, ?3)";
// RFC 9773 §5: a certificate is replaced by at most one order that is not invalid (status as
// derived, so an expired or failed order frees the certificate for another attempt). The claim
// row is taken over only when its holder is invalid as derived_status.h derives it; one
// statement, so of two concurrent claims the second sees the first's holder (a live order) and
// changes nothing.
constexpr char kClaimReplacement[] =
    "INSERT INTO order_replacements (replaces, order_id) VALUES (?1, ?2) "
    "ON CONFLICT (replaces) DO UPDATE SET order_id = excluded.order_id "
    "WHERE EXISTS (SELECT 1 FROM orders o WHERE o.id = order_replacements.order_id AND ("
    "o.status = 'invalid' "
    "OR (o.status != 'valid' AND o.expires <= ?3) "
    "OR (o.status = 'pending' AND EXISTS (SELECT 1 FROM order_authorizations oa "
    "JOIN authorizations a ON a.id = oa.authz_id WHERE oa.order_id = o.id "
    "AND (a.status IN ('invalid', 'deactivated', 'expired', 'revoked') "
    "OR a.expires <= ?3)))))";
constexpr char kSelectReplacingOrder[] =
    "SELECT order_id FROM order_replacements WHERE replaces = ?1";
constexpr char kSelectAuthzAccount[] = "SELECT account_id FROM authorizations WHERE id = ?1";
constexpr char kSelectReusableAuthz[] =
    "SELECT id FROM authorizations WHERE account_id = ?1 AND identifier_type = ?2 "
    "AND identifier_value = ?3 AND wildcard = ?4 AND status = 'valid' AND expires > ?5 "
    "ORDER BY expires DESC, id DESC LIMIT 1";

// RFC 8555 §7.5.1: a challenge may start only while its authorization is pending and live, and
// (flint's rule) while no other challenge of that authorization is being validated.
constexpr char kChallengeProcessing[] =
    "UPDATE challenges SET status = 'processing', lease_until = ?3 "
    "WHERE id = ?1 AND status = 'pending' "
    "AND EXISTS (SELECT 1 FROM authorizations a WHERE a.id = challenges.authz_id "
    "AND a.status = 'pending' AND a.expires > ?2) "
    "AND NOT EXISTS (SELECT 1 FROM challenges s WHERE s.authz_id = challenges.authz_id "
    "AND s.status = 'processing')";
// One statement claims and renews, so two instances never claim the same validation.
constexpr char kClaimAbandonedValidations[] =
    "UPDATE challenges SET lease_until = ?2 WHERE status = 'processing' AND lease_until <= ?1 "
    "RETURNING id";
constexpr char kFinishChallenge[] =
    "UPDATE challenges SET status = ?2, validated_at = ?3, error = ?4 "
    "WHERE id = ?1 AND status = 'processing'";
// §7.1.6: the authorization follows its challenge, if it is still pending.
constexpr char kFinishAuthz[] =
    "UPDATE authorizations SET status = ?2 "
    "WHERE id = (SELECT authz_id FROM challenges WHERE id = ?1) AND status = 'pending'";
constexpr char kDeactivateAuthz[] =
    "UPDATE authorizations SET status = 'deactivated' "
    "WHERE id = ?1 AND status IN ('pending', 'valid') AND expires > ?2";

// Ready as derived (derived_status.h) checked in the same statement: stored pending, unexpired,
// with authorizations, all of them valid and unexpired.
constexpr char kOrderProcessing[] =
    "UPDATE orders SET status = 'processing', lease_until = ?3 "
    "WHERE id = ?1 AND status = 'pending' "
    "AND expires > ?2 "
    "AND EXISTS (SELECT 1 FROM order_authorizations oa WHERE oa.order_id = orders.id) "
    "AND NOT EXISTS (SELECT 1 FROM order_authorizations oa "
    "JOIN authorizations a ON a.id = oa.authz_id WHERE oa.order_id = orders.id "
    "AND NOT (a.status = 'valid' AND a.expires > ?2))";
constexpr char kOrderInvalid[] =
    "UPDATE orders SET status = 'invalid', error = ?2 WHERE id = ?1 AND status = 'processing'";
constexpr char kFailProcessingOrders[] =
    "UPDATE orders SET status = 'invalid', error = ?1 "
    "WHERE status = 'processing' AND lease_until <= ?2";
constexpr char kSelectProcessingOrderAccount[] =
    "SELECT account_id FROM orders WHERE id = ?1 AND status = 'processing'";
constexpr char kInsertCertificate[] =
    "INSERT INTO certificates (serial, der, chain_pem, account_id, order_id, not_before, "
    "not_after, revoked, reason, revoked_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, 0, NULL)";
constexpr char kOrderValid[] =
    "UPDATE orders SET status = 'valid', certificate_id = ?2 "
    "WHERE id = ?1 AND status = 'processing'";

// Reused authorizations must exist and belong to the order's account.
Result<void> CheckReusedAuthzs(Connection& c, const core::Order& order) {
  for (core::AuthzId id : order.authz_ids) {
    FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectAuthzAccount));
    s.Bind(1, id.value);
    FLINT_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row || s.Int(0) != order.account_id.value) {
      return core::Err(core::ErrorType::kNotFound, "reused authorization not found");
    }
  }
  return core::Ok();
}

// Makes `order` the one replacing its certificate, if no live order does (kClaimReplacement).
Result<void> ClaimReplacement(Connection& c, const std::string& replaces, core::OrderId order,
                              core::TimePoint now) {
  if (replaces.empty()) return core::Ok();
  {
    FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(kClaimReplacement));
    s.Bind(1, replaces).Bind(2, order.value).Bind(3, ToUnixSeconds(now));
    FLINT_TRY(s.Run());
  }
  if (c.Changes() > 0) return core::Ok();
  FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectReplacingOrder));
  s.Bind(1, replaces);
  FLINT_ASSIGN_OR_RETURN(bool row, s.Step());
  std::string holder = row ? " " + std::to_string(s.Int(0)) : "";
  return core::Err(core::ErrorType::kConflict,
                   "order" + holder + " already replaces this certificate");
}

Result<core::AuthzId> InsertAuthorization(Connection& c, const core::Authorization& a) {
  {
    FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(kInsertAuthz));
    s.Bind(1, a.account_id.value)
        .Bind(2, core::ToString(a.identifier.type))
        .Bind(3, a.identifier.value)
        .Bind(4, int64_t{a.wildcard ? 1 : 0})
        .Bind(5, core::ToString(a.status))
        .Bind(6, ToUnixSeconds(a.expires));
    FLINT_TRY(s.Run());
  }
  core::AuthzId id(c.LastInsertRowId());
  for (const core::Challenge& ch : a.challenges) {
    FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(kInsertChallenge));
    s.Bind(1, id.value)
        .Bind(2, core::ToString(ch.type))
        .Bind(3, core::ToString(ch.status))
        .Bind(4, ch.token)
        .Bind(5, OptionalSeconds(ch.validated_at))
        .Bind(6, OptionalErrorJson(ch.error));
    FLINT_TRY(s.Run());
  }
  return id;
}

Result<core::OrderId> InsertOrder(Connection& c, const core::Order& o, core::TimePoint now) {
  FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(kInsertOrder));
  s.Bind(1, o.account_id.value)
      .Bind(2, ToUnixSeconds(o.expires))
      .Bind(3, EncodeIdentifiers(o.identifiers))
      .Bind(4, OptionalSeconds(o.not_before))
      .Bind(5, OptionalSeconds(o.not_after))
      .Bind(6, o.profile)
      .Bind(7, o.replaces)
      .Bind(8, ToUnixSeconds(now));
  FLINT_TRY(s.Run());
  return core::OrderId(c.LastInsertRowId());
}

Result<void> LinkAuthorizations(Connection& c, core::OrderId order,
                                const std::vector<core::AuthzId>& authzs) {
  for (size_t i = 0; i < authzs.size(); ++i) {
    FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(kInsertOrderAuthz));
    s.Bind(1, order.value).Bind(2, authzs[i].value).Bind(3, static_cast<int64_t>(i));
    FLINT_TRY(s.Run());
  }
  return core::Ok();
}

}  // namespace

// --- Reads ---

Result<core::Order> SqliteStore::GetOrder(core::OrderId id) {
  core::TimePoint now = clock_.Now();
  return Read([&](Connection& c) { return sqlite::LoadOrder(c, id, now); });
}

Result<std::vector<core::OrderId>> SqliteStore::ListOrderIds(core::AccountId account,
                                                             int64_t before, int limit) {
  return Read([&](Connection& c) { return sqlite::LoadOrderIds(c, account, before, limit); });
}

Result<core::Authorization> SqliteStore::GetAuthorization(core::AuthzId id) {
  core::TimePoint now = clock_.Now();
  return Read([&](Connection& c) { return sqlite::LoadAuthorization(c, id, now); });
}

Result<core::Challenge> SqliteStore::GetChallenge(core::ChallengeId id) {
  return Read([&](Connection& c) { return sqlite::LoadChallenge(c, id); });
}

Result<std::vector<core::Challenge>> SqliteStore::ClaimAbandonedValidations(
    core::TimePoint leased_before) {
  const int64_t lease_until = ToUnixSeconds(clock_.Now() + kValidationLease);
  return Write([&](Connection& c) -> Result<std::vector<core::Challenge>> {
    std::vector<int64_t> ids;
    {
      FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(kClaimAbandonedValidations));
      s.Bind(1, ToUnixSeconds(leased_before)).Bind(2, lease_until);
      while (true) {
        FLINT_ASSIGN_OR_RETURN(bool row, s.Step());
        if (!row) break;
        ids.push_back(s.Int(0));
      }
    }
    std::sort(ids.begin(), ids.end());
    std::vector<core::Challenge> out;
    for (int64_t id : ids) {
      FLINT_ASSIGN_OR_RETURN(core::Challenge ch, sqlite::LoadChallenge(c, core::ChallengeId(id)));
      out.push_back(std::move(ch));
    }
    return out;
  });
}

Result<std::optional<core::Authorization>> SqliteStore::FindReusableAuthorization(
    core::AccountId account, const core::Identifier& identifier, bool wildcard,
    core::TimePoint now) {
  using R = Result<std::optional<core::Authorization>>;
  return Read([&](Connection& c) -> R {
    core::AuthzId id;
    {
      FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectReusableAuthz));
      s.Bind(1, account.value)
          .Bind(2, core::ToString(identifier.type))
          .Bind(3, identifier.value)
          .Bind(4, int64_t{wildcard ? 1 : 0})
          .Bind(5, ToUnixSeconds(now));
      FLINT_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) return std::optional<core::Authorization>();
      id = core::AuthzId(s.Int(0));
    }
    FLINT_ASSIGN_OR_RETURN(core::Authorization a, sqlite::LoadAuthorization(c, id, now));
    return std::optional<core::Authorization>(std::move(a));
  });
}

// --- Writes ---

Result<std::optional<int64_t>> SqliteStore::GetRateLimit(const std::string& key) {
  return Read([&](Connection& c) -> Result<std::optional<int64_t>> {
    FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectRateLimit));
    s.Bind(1, key);
    FLINT_ASSIGN_OR_RETURN(bool row, s.Step());
    return row ? std::optional<int64_t>(s.Int(0)) : std::nullopt;
  });
}

Result<bool> SqliteStore::UpdateRateLimit(
    const std::string& key,
    const std::function<std::optional<int64_t>(std::optional<int64_t>)>& admit) {
  return Write([&](Connection& c) -> Result<bool> {
    std::optional<int64_t> tat;
    {
      FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectRateLimit));
      s.Bind(1, key);
      FLINT_ASSIGN_OR_RETURN(bool row, s.Step());
      if (row) tat = s.Int(0);
    }
    std::optional<int64_t> next = admit(tat);
    if (!next) return false;
    FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(kUpsertRateLimit));
    s.Bind(1, key).Bind(2, *next);
    FLINT_TRY(s.Run());
    return true;
  });
}

Result<int64_t> SqliteStore::CountPendingAuthorizations(core::AccountId account,
                                                        core::TimePoint now, int64_t at_most) {
  return Read([&](Connection& c) -> Result<int64_t> {
    FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(kCountPendingAuthzs));
    s.Bind(1, account.value).Bind(2, ToUnixSeconds(now)).Bind(3, at_most);
    FLINT_ASSIGN_OR_RETURN(bool row, s.Step());
    return row ? s.Int(0) : int64_t{0};
  });
}

Result<core::Authorization> SqliteStore::CreateAuthorization(core::Authorization authz) {
  const core::TimePoint now = clock_.Now();
  return Write([&](Connection& c) -> Result<core::Authorization> {
    FLINT_ASSIGN_OR_RETURN(core::AuthzId id, InsertAuthorization(c, authz));
    return sqlite::LoadAuthorization(c, id, now);
  });
}

Result<core::Order> SqliteStore::CreateOrder(core::Order order,
                                             std::vector<core::Authorization> new_authzs) {
  core::TimePoint now = clock_.Now();
  return Write([&](Connection& c) -> Result<core::Order> {
    FLINT_TRY(CheckReusedAuthzs(c, order));
    std::vector<core::AuthzId> authz_ids = order.authz_ids;
    for (core::Authorization& a : new_authzs) {
      a.account_id = order.account_id;  // an order's authorizations belong to its account
      FLINT_ASSIGN_OR_RETURN(core::AuthzId id, InsertAuthorization(c, a));
      authz_ids.push_back(id);
    }
    FLINT_ASSIGN_OR_RETURN(core::OrderId id, InsertOrder(c, order, now));
    // On a conflict the transaction (or this write's savepoint) drops the order again.
    FLINT_TRY(ClaimReplacement(c, order.replaces, id, now));
    FLINT_TRY(LinkAuthorizations(c, id, authz_ids));
    return sqlite::LoadOrder(c, id, now);
  });
}

Result<core::Challenge> SqliteStore::SetChallengeProcessing(core::ChallengeId id) {
  const core::TimePoint now = clock_.Now();
  return Write([&](Connection& c) -> Result<core::Challenge> {
    FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(kChallengeProcessing));
    s.Bind(1, id.value).Bind(2, ToUnixSeconds(now)).Bind(3, ToUnixSeconds(now + kValidationLease));
    FLINT_TRY(
        sqlite::RunCompareAndSet(c, std::move(s), sqlite::kChallengeExists, id.value, "challenge"));
    return sqlite::LoadChallenge(c, id);
  });
}

Result<void> SqliteStore::FinishValidation(core::ChallengeId id, bool valid,
                                           std::optional<core::Error> error,
                                           core::TimePoint validated_at) {
  std::string_view status = valid ? "valid" : "invalid";
  return Write([&](Connection& c) -> Result<void> {
    {
      FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(kFinishChallenge));
      s.Bind(1, id.value)
          .Bind(2, status)
          .Bind(3, valid ? std::optional<int64_t>(ToUnixSeconds(validated_at)) : std::nullopt)
          .Bind(4, OptionalErrorJson(error));
      FLINT_TRY(sqlite::RunCompareAndSet(c, std::move(s), sqlite::kChallengeExists, id.value,
                                         "challenge"));
    }
    // No change here means the authorization left `pending` meanwhile (e.g. deactivated); the
    // challenge outcome is still recorded.
    FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(kFinishAuthz));
    s.Bind(1, id.value).Bind(2, status);
    return s.Run();
  });
}

Result<core::Authorization> SqliteStore::DeactivateAuthorization(core::AuthzId id) {
  core::TimePoint now = clock_.Now();
  return Write([&](Connection& c) -> Result<core::Authorization> {
    FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(kDeactivateAuthz));
    s.Bind(1, id.value).Bind(2, ToUnixSeconds(now));
    FLINT_TRY(
        sqlite::RunCompareAndSet(c, std::move(s), sqlite::kAuthzExists, id.value, "authorization"));
    return sqlite::LoadAuthorization(c, id, now);
  });
}

Result<void> SqliteStore::SetOrderProcessing(core::OrderId id) {
  const core::TimePoint now = clock_.Now();
  // Not flushed on its own (store.h): FinalizeOrder's commit, later in the same WAL, makes it
  // durable with the certificate; lost in a power failure before that, the order is just ready
  // again, and no certificate was sent.
  return Write(/*durable=*/false, [&](Connection& c) -> Result<void> {
    // One compare-and-set: readiness is derived from the authorizations, so it is part of the
    // UPDATE's own condition rather than read first (correct with any number of writers).
    FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(kOrderProcessing));
    s.Bind(1, id.value)
        .Bind(2, ToUnixSeconds(now))
        .Bind(3, ToUnixSeconds(now + kFinalizationLease));
    return sqlite::RunCompareAndSet(c, std::move(s), sqlite::kOrderExists, id.value, "order");
  });
}

Result<int64_t> SqliteStore::FailAbandonedFinalizations(const core::Error& error,
                                                        core::TimePoint leased_before) {
  return Write([&](Connection& c) -> Result<int64_t> {
    FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(kFailProcessingOrders));
    s.Bind(1, EncodeError(error)).Bind(2, ToUnixSeconds(leased_before));
    FLINT_TRY(s.Run());
    return c.Changes();
  });
}

Result<void> SqliteStore::SetOrderInvalid(core::OrderId id, const core::Error& error) {
  return Write([&](Connection& c) -> Result<void> {
    FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(kOrderInvalid));
    s.Bind(1, id.value).Bind(2, EncodeError(error));
    return sqlite::RunCompareAndSet(c, std::move(s), sqlite::kOrderExists, id.value, "order");
  });
}

Result<core::Certificate> SqliteStore::FinalizeOrder(core::OrderId id, core::Certificate cert) {
  return Write([&](Connection& c) -> Result<core::Certificate> {
    {
      FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectProcessingOrderAccount));
      s.Bind(1, id.value);
      FLINT_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) return sqlite::NotFoundOrConflict(c, sqlite::kOrderExists, id.value, "order");
      cert.account_id = core::AccountId(s.Int(0));
      cert.order_id = id;
    }
    {
      FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(kInsertCertificate));
      s.Bind(1, cert.serial_hex)
          .BindBlob(2, cert.der)
          .Bind(3, cert.chain_pem)
          .Bind(4, cert.account_id.value)
          .Bind(5, id.value)
          .Bind(6, ToUnixSeconds(cert.not_before))
          .Bind(7, ToUnixSeconds(cert.not_after));
      FLINT_TRY(s.Run());  // UNIQUE serial: kConflict, and the transaction rolls back
    }
    core::CertificateId cert_id(c.LastInsertRowId());
    FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(kOrderValid));
    s.Bind(1, id.value).Bind(2, cert_id.value);
    FLINT_TRY(sqlite::RunCompareAndSet(c, std::move(s), sqlite::kOrderExists, id.value, "order"));
    return sqlite::LoadCertificate(c, cert_id);
  });
}

}  // namespace flint::sa
