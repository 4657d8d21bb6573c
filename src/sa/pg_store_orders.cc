// PgStore: orders, authorizations and challenges (RFC 8555 §7.1.3-7.1.6, §7.4, §7.5). The
// statements are SqliteStore's (sqlite_store_orders.cc), run at SERIALIZABLE isolation where a
// condition spans other tables, so that it holds with any number of concurrent writers; the hot
// writes whose conditions are all on the rows they change run at READ COMMITTED (pg_database.h).

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "sa/codec.h"
#include "sa/pg_database.h"
#include "sa/pg_store.h"
#include "sa/pg_store_internal.h"

namespace flint::sa {

using core::ToUnixSeconds;
using pg::Connection;
using pg::Params;
using pg::Rows;

namespace {

constexpr char kInsertOrder[] =
    "INSERT INTO orders (account_id, status, expires, identifiers, not_before, not_after, "
    "profile, replaces, created_at) VALUES ($1, 'pending', $2, $3, $4, $5, $6, $7, $8) "
    "RETURNING id";
constexpr char kSelectRateLimit[] = "SELECT tat_ms FROM rate_limits WHERE key = $1";
constexpr char kSelectRateLimitForUpdate[] =
    "SELECT tat_ms FROM rate_limits WHERE key = $1 FOR UPDATE";
constexpr char kInsertRateLimit[] =
    "INSERT INTO rate_limits (key, tat_ms) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING "
    "RETURNING key";
constexpr char kUpdateRateLimit[] = "UPDATE rate_limits SET tat_ms = $2 WHERE key = $1";
constexpr char kCountPendingAuthzs[] =
    "SELECT COUNT(*) FROM (SELECT 1 FROM authorizations WHERE account_id = $1 "
    "AND status = 'pending' AND expires > $2 LIMIT $3) AS pending";
constexpr char kInsertAuthz[] =
    "INSERT INTO authorizations (account_id, identifier_type, identifier_value, wildcard, "
    "status, expires) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
constexpr char kInsertChallenge[] =
    "INSERT INTO challenges (authz_id, type, status, token, validated_at, error) "
    "VALUES ($1, $2, $3, $4, $5, $6)";
constexpr char kInsertOrderAuthz[] =
    "INSERT INTO order_authorizations (order_id, authz_id, position) VALUES ($1, $2, $3)";
// RFC 9773 §5: a certificate is replaced by at most one order that is not invalid (as derived);
// the claim row is taken over only from a holder that is (sqlite_store_orders.cc).
constexpr char kClaimReplacement[] =
    "INSERT INTO order_replacements (replaces, order_id) VALUES ($1, $2) "
    "ON CONFLICT (replaces) DO UPDATE SET order_id = excluded.order_id "
    "WHERE EXISTS (SELECT 1 FROM orders o WHERE o.id = order_replacements.order_id AND ("
    "o.status = 'invalid' "
    "OR (o.status != 'valid' AND o.expires <= $3) "
    "OR (o.status = 'pending' AND EXISTS (SELECT 1 FROM order_authorizations oa "
    "JOIN authorizations a ON a.id = oa.authz_id WHERE oa.order_id = o.id "
    "AND (a.status IN ('invalid', 'deactivated', 'expired', 'revoked') "
    "OR a.expires <= $3)))))";
constexpr char kSelectReplacingOrder[] =
    "SELECT order_id FROM order_replacements WHERE replaces = $1";
constexpr char kSelectAuthzAccount[] = "SELECT account_id FROM authorizations WHERE id = $1";
constexpr char kSelectReusableAuthz[] =
    "SELECT id FROM authorizations WHERE account_id = $1 AND identifier_type = $2 "
    "AND identifier_value = $3 AND wildcard = $4 AND status = 'valid' AND expires > $5 "
    "ORDER BY expires DESC, id DESC LIMIT 1";

// RFC 8555 §7.5.1: a challenge may start only while its authorization is pending and live, and
// while no other challenge of that authorization is being validated (also a unique index).
constexpr char kChallengeProcessing[] =
    "UPDATE challenges SET status = 'processing', lease_until = $3 "
    "WHERE id = $1 AND status = 'pending' "
    "AND EXISTS (SELECT 1 FROM authorizations a WHERE a.id = challenges.authz_id "
    "AND a.status = 'pending' AND a.expires > $2) "
    "AND NOT EXISTS (SELECT 1 FROM challenges s WHERE s.authz_id = challenges.authz_id "
    "AND s.status = 'processing')";
// A queue claim: rows another claimer holds are skipped, rows it renewed meanwhile are rechecked
// (READ COMMITTED), so two instances never claim the same validation.
constexpr char kClaimAbandonedValidations[] =
    "UPDATE challenges SET lease_until = $2 WHERE id IN (SELECT id FROM challenges "
    "WHERE status = 'processing' AND lease_until <= $1 ORDER BY id FOR UPDATE SKIP LOCKED) "
    "RETURNING id";
constexpr char kFinishChallenge[] =
    "UPDATE challenges SET status = $2, validated_at = $3, error = $4 "
    "WHERE id = $1 AND status = 'processing'";
// §7.1.6: the authorization follows its challenge, if it is still pending.
constexpr char kFinishAuthz[] =
    "UPDATE authorizations SET status = $2 "
    "WHERE id = (SELECT authz_id FROM challenges WHERE id = $1) AND status = 'pending'";
constexpr char kDeactivateAuthz[] =
    "UPDATE authorizations SET status = 'deactivated' "
    "WHERE id = $1 AND status IN ('pending', 'valid') AND expires > $2";

// Ready as derived (derived_status.h) checked in the same statement: stored pending, unexpired,
// with authorizations, all of them valid and unexpired.
constexpr char kOrderProcessing[] =
    "UPDATE orders SET status = 'processing', lease_until = $3 "
    "WHERE id = $1 AND status = 'pending' "
    "AND expires > $2 "
    "AND EXISTS (SELECT 1 FROM order_authorizations oa WHERE oa.order_id = orders.id) "
    "AND NOT EXISTS (SELECT 1 FROM order_authorizations oa "
    "JOIN authorizations a ON a.id = oa.authz_id WHERE oa.order_id = orders.id "
    "AND NOT (a.status = 'valid' AND a.expires > $2))";
constexpr char kOrderInvalid[] =
    "UPDATE orders SET status = 'invalid', error = $2 WHERE id = $1 AND status = 'processing'";
constexpr char kFailProcessingOrders[] =
    "UPDATE orders SET status = 'invalid', error = $1 "
    "WHERE status = 'processing' AND lease_until <= $2";
constexpr char kSelectProcessingOrderAccount[] =
    "SELECT account_id FROM orders WHERE id = $1 AND status = 'processing'";
constexpr char kInsertCertificate[] =
    "INSERT INTO certificates (serial, der, chain_pem, account_id, order_id, not_before, "
    "not_after, revoked, reason, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, false, 0, NULL) "
    "RETURNING id";
constexpr char kOrderValid[] =
    "UPDATE orders SET status = 'valid', certificate_id = $2 "
    "WHERE id = $1 AND status = 'processing'";

// Reused authorizations must exist and belong to the order's account.
Result<void> CheckReusedAuthzs(Connection& c, const core::Order& order) {
  for (core::AuthzId id : order.authz_ids) {
    FLINT_ASSIGN_OR_RETURN(Rows r, c.Exec(kSelectAuthzAccount, Params().Int(id.value)));
    if (r.empty() || r.Int(0, 0) != order.account_id.value) {
      return core::Err(core::ErrorType::kNotFound, "reused authorization not found");
    }
  }
  return core::Ok();
}

// Makes `order` the one replacing its certificate, if no live order does (kClaimReplacement).
Result<void> ClaimReplacement(Connection& c, const std::string& replaces, core::OrderId order,
                              core::TimePoint now) {
  if (replaces.empty()) return core::Ok();
  FLINT_ASSIGN_OR_RETURN(
      Rows claimed,
      c.Exec(kClaimReplacement, Params().Text(replaces).Int(order.value).Int(ToUnixSeconds(now))));
  if (claimed.affected() > 0) return core::Ok();
  FLINT_ASSIGN_OR_RETURN(Rows holder, c.Exec(kSelectReplacingOrder, Params().Text(replaces)));
  std::string holder_id = holder.empty() ? "" : " " + holder.Text(0, 0);
  return core::Err(core::ErrorType::kConflict,
                   "order" + holder_id + " already replaces this certificate");
}

Result<core::AuthzId> InsertAuthorization(Connection& c, const core::Authorization& a) {
  FLINT_ASSIGN_OR_RETURN(Rows r, c.Exec(kInsertAuthz, Params()
                                                          .Int(a.account_id.value)
                                                          .Text(core::ToString(a.identifier.type))
                                                          .Text(a.identifier.value)
                                                          .Bool(a.wildcard)
                                                          .Text(core::ToString(a.status))
                                                          .Int(ToUnixSeconds(a.expires))));
  core::AuthzId id(r.Int(0, 0));
  for (const core::Challenge& ch : a.challenges) {
    FLINT_TRY(c.Exec(kInsertChallenge, Params()
                                           .Int(id.value)
                                           .Text(core::ToString(ch.type))
                                           .Text(core::ToString(ch.status))
                                           .Text(ch.token)
                                           .OptionalInt(OptionalSeconds(ch.validated_at))
                                           .OptionalText(OptionalErrorJson(ch.error))));
  }
  return id;
}

Result<core::OrderId> InsertOrder(Connection& c, const core::Order& o, core::TimePoint now) {
  FLINT_ASSIGN_OR_RETURN(Rows r,
                         c.Exec(kInsertOrder, Params()
                                                  .Int(o.account_id.value)
                                                  .Int(ToUnixSeconds(o.expires))
                                                  .Text(EncodeIdentifiers(o.identifiers))
                                                  .OptionalInt(OptionalSeconds(o.not_before))
                                                  .OptionalInt(OptionalSeconds(o.not_after))
                                                  .Text(o.profile)
                                                  .Text(o.replaces)
                                                  .Int(ToUnixSeconds(now))));
  return core::OrderId(r.Int(0, 0));
}

Result<void> LinkAuthorizations(Connection& c, core::OrderId order,
                                const std::vector<core::AuthzId>& authzs) {
  for (size_t i = 0; i < authzs.size(); ++i) {
    FLINT_TRY(c.Exec(kInsertOrderAuthz,
                     Params().Int(order.value).Int(authzs[i].value).Int(static_cast<int64_t>(i))));
  }
  return core::Ok();
}

}  // namespace

// --- Reads ---

Result<core::Order> PgStore::GetOrder(core::OrderId id) {
  const core::TimePoint now = clock_.Now();
  return db_->Read([&](Connection& c) { return pg::LoadOrder(c, id, now); });
}

Result<std::vector<core::OrderId>> PgStore::ListOrderIds(core::AccountId account, int64_t before,
                                                         int limit) {
  return db_->ReadOne([&](Connection& c) { return pg::LoadOrderIds(c, account, before, limit); });
}

Result<core::Authorization> PgStore::GetAuthorization(core::AuthzId id) {
  const core::TimePoint now = clock_.Now();
  return db_->Read([&](Connection& c) { return pg::LoadAuthorization(c, id, now); });
}

Result<core::Challenge> PgStore::GetChallenge(core::ChallengeId id) {
  return db_->ReadOne([&](Connection& c) { return pg::LoadChallenge(c, id); });
}

Result<std::optional<core::Authorization>> PgStore::FindReusableAuthorization(
    core::AccountId account, const core::Identifier& identifier, bool wildcard,
    core::TimePoint now) {
  using R = Result<std::optional<core::Authorization>>;
  return db_->Read([&](Connection& c) -> R {
    FLINT_ASSIGN_OR_RETURN(Rows r,
                           c.Exec(kSelectReusableAuthz, Params()
                                                            .Int(account.value)
                                                            .Text(core::ToString(identifier.type))
                                                            .Text(identifier.value)
                                                            .Bool(wildcard)
                                                            .Int(ToUnixSeconds(now))));
    if (r.empty()) return std::optional<core::Authorization>();
    FLINT_ASSIGN_OR_RETURN(core::Authorization a,
                           pg::LoadAuthorization(c, core::AuthzId(r.Int(0, 0)), now));
    return std::optional<core::Authorization>(std::move(a));
  });
}

// --- Writes ---

Result<std::optional<int64_t>> PgStore::GetRateLimit(const std::string& key) {
  return db_->ReadOne([&](Connection& c) -> Result<std::optional<int64_t>> {
    FLINT_ASSIGN_OR_RETURN(Rows r, c.Exec(kSelectRateLimit, Params().Text(key)));
    if (r.empty()) return std::optional<int64_t>();
    return std::optional<int64_t>(r.Int(0, 0));
  });
}

Result<bool> PgStore::UpdateRateLimit(
    const std::string& key,
    const std::function<std::optional<int64_t>(std::optional<int64_t>)>& admit) {
  // READ COMMITTED: an existing row is read FOR UPDATE, so concurrent spenders of one key queue
  // on its lock and each sees the time the previous one wrote. A first spend inserts only if no
  // one else did meanwhile (ON CONFLICT DO NOTHING); if someone did, it reads and locks theirs.
  return db_->Write(pg::Isolation::kReadCommitted, [&](Connection& c) -> Result<bool> {
    for (;;) {
      FLINT_ASSIGN_OR_RETURN(Rows r, c.Exec(kSelectRateLimitForUpdate, Params().Text(key)));
      if (!r.empty()) {
        std::optional<int64_t> next = admit(r.Int(0, 0));
        if (!next) return false;
        FLINT_TRY(c.Exec(kUpdateRateLimit, Params().Text(key).Int(*next)));
        return true;
      }
      std::optional<int64_t> next = admit(std::nullopt);
      if (!next) return false;
      FLINT_ASSIGN_OR_RETURN(Rows inserted,
                             c.Exec(kInsertRateLimit, Params().Text(key).Int(*next)));
      if (!inserted.empty()) return true;
    }
  });
}

Result<int64_t> PgStore::CountPendingAuthorizations(core::AccountId account, core::TimePoint now,
                                                    int64_t at_most) {
  return db_->ReadOne([&](Connection& c) -> Result<int64_t> {
    FLINT_ASSIGN_OR_RETURN(
        Rows r, c.Exec(kCountPendingAuthzs,
                       Params().Int(account.value).Int(ToUnixSeconds(now)).Int(at_most)));
    return r.empty() ? int64_t{0} : r.Int(0, 0);
  });
}

Result<core::Authorization> PgStore::CreateAuthorization(core::Authorization authz) {
  const core::TimePoint now = clock_.Now();
  // READ COMMITTED: inserts only.
  return db_->Write(pg::Isolation::kReadCommitted, [&](Connection& c) -> Result<core::Authorization> {
    FLINT_ASSIGN_OR_RETURN(core::AuthzId id, InsertAuthorization(c, authz));
    return pg::LoadAuthorization(c, id, now);
  });
}

Result<core::Order> PgStore::CreateOrder(core::Order order,
                                         std::vector<core::Authorization> new_authzs) {
  const core::TimePoint now = clock_.Now();
  // READ COMMITTED (pg_database.h): the reused authorizations' owner never changes; new rows
  // are inserts; the replacement claim is one upsert whose condition is read in the statement's
  // snapshot, so a claim committed meanwhile is never taken over.
  return db_->Write(pg::Isolation::kReadCommitted, [&](Connection& c) -> Result<core::Order> {
    FLINT_TRY(CheckReusedAuthzs(c, order));
    std::vector<core::AuthzId> authz_ids = order.authz_ids;
    for (core::Authorization a : new_authzs) {  // a copy: the transaction may run again
      a.account_id = order.account_id;          // an order's authorizations belong to its account
      FLINT_ASSIGN_OR_RETURN(core::AuthzId id, InsertAuthorization(c, a));
      authz_ids.push_back(id);
    }
    FLINT_ASSIGN_OR_RETURN(core::OrderId id, InsertOrder(c, order, now));
    FLINT_TRY(ClaimReplacement(c, order.replaces, id, now));  // a conflict rolls back the order
    FLINT_TRY(LinkAuthorizations(c, id, authz_ids));
    return pg::LoadOrder(c, id, now);
  });
}

Result<core::Challenge> PgStore::SetChallengeProcessing(core::ChallengeId id) {
  const core::TimePoint now = clock_.Now();
  // READ COMMITTED (pg_database.h): the challenge's own pending -> processing is rechecked on
  // its latest version, and the unique index keeps one challenge of an authorization
  // processing. The authorization's status is read in the statement's snapshot: a
  // deactivation committed meanwhile at worst lets one validation run whose outcome no longer
  // changes the authorization (FinishValidation updates only a pending one).
  return db_->Write(pg::Isolation::kReadCommitted, [&](Connection& c) -> Result<core::Challenge> {
    // A second processing challenge of the authorization violates challenges_one_processing:
    // kConflict, like the NOT EXISTS it backs up.
    FLINT_TRY(pg::RunCompareAndSet(
        c, kChallengeProcessing,
        Params().Int(id.value).Int(ToUnixSeconds(now)).Int(ToUnixSeconds(now + kValidationLease)),
        pg::kChallengeExists, id.value, "challenge"));
    return pg::LoadChallenge(c, id);
  });
}

Result<void> PgStore::FinishValidation(core::ChallengeId id, bool valid,
                                       std::optional<core::Error> error,
                                       core::TimePoint validated_at) {
  const std::string status = valid ? "valid" : "invalid";
  // READ COMMITTED (pg_database.h): both updates are compare-and-sets on the rows they change.
  return db_->Write(pg::Isolation::kReadCommitted, [&](Connection& c) -> Result<void> {
    FLINT_TRY(pg::RunCompareAndSet(
        c, kFinishChallenge,
        Params()
            .Int(id.value)
            .Text(status)
            .OptionalInt(valid ? std::optional<int64_t>(ToUnixSeconds(validated_at)) : std::nullopt)
            .OptionalText(OptionalErrorJson(error)),
        pg::kChallengeExists, id.value, "challenge"));
    // No change here means the authorization left `pending` meanwhile (e.g. deactivated); the
    // challenge outcome is still recorded.
    FLINT_TRY(c.Exec(kFinishAuthz, Params().Int(id.value).Text(status)));
    return core::Ok();
  });
}

Result<std::vector<core::Challenge>> PgStore::ClaimAbandonedValidations(
    core::TimePoint leased_before) {
  const int64_t lease_until = ToUnixSeconds(clock_.Now() + kValidationLease);
  return db_->Write(
      pg::Isolation::kReadCommitted, [&](Connection& c) -> Result<std::vector<core::Challenge>> {
        FLINT_ASSIGN_OR_RETURN(Rows claimed,
                               c.Exec(kClaimAbandonedValidations,
                                      Params().Int(ToUnixSeconds(leased_before)).Int(lease_until)));
        std::vector<int64_t> ids;
        for (int i = 0; i < claimed.size(); ++i) ids.push_back(claimed.Int(i, 0));
        std::sort(ids.begin(), ids.end());
        std::vector<core::Challenge> out;
        for (int64_t id : ids) {
          FLINT_ASSIGN_OR_RETURN(core::Challenge ch, pg::LoadChallenge(c, core::ChallengeId(id)));
          out.push_back(std::move(ch));
        }
        return out;
      });
}

Result<core::Authorization> PgStore::DeactivateAuthorization(core::AuthzId id) {
  const core::TimePoint now = clock_.Now();
  return db_->Write([&](Connection& c) -> Result<core::Authorization> {
    FLINT_TRY(pg::RunCompareAndSet(c, kDeactivateAuthz,
                                   Params().Int(id.value).Int(ToUnixSeconds(now)), pg::kAuthzExists,
                                   id.value, "authorization"));
    return pg::LoadAuthorization(c, id, now);
  });
}

Result<void> PgStore::SetOrderProcessing(core::OrderId id) {
  const core::TimePoint now = clock_.Now();
  return db_->Write([&](Connection& c) -> Result<void> {
    // One compare-and-set: readiness is derived from the authorizations, so it is part of the
    // UPDATE's own condition rather than read first.
    return pg::RunCompareAndSet(
        c, kOrderProcessing,
        Params().Int(id.value).Int(ToUnixSeconds(now)).Int(ToUnixSeconds(now + kFinalizationLease)),
        pg::kOrderExists, id.value, "order");
  });
}

Result<void> PgStore::SetOrderInvalid(core::OrderId id, const core::Error& error) {
  return db_->Write([&](Connection& c) -> Result<void> {
    return pg::RunCompareAndSet(c, kOrderInvalid, Params().Int(id.value).Text(EncodeError(error)),
                                pg::kOrderExists, id.value, "order");
  });
}

Result<int64_t> PgStore::FailAbandonedFinalizations(const core::Error& error,
                                                    core::TimePoint leased_before) {
  return db_->Write([&](Connection& c) -> Result<int64_t> {
    FLINT_ASSIGN_OR_RETURN(
        Rows r, c.Exec(kFailProcessingOrders,
                       Params().Text(EncodeError(error)).Int(ToUnixSeconds(leased_before))));
    return r.affected();
  });
}

Result<core::Certificate> PgStore::FinalizeOrder(core::OrderId id, core::Certificate cert) {
  // READ COMMITTED (pg_database.h): the certificate's serial is a unique key, and the order's
  // processing -> valid is a compare-and-set on its own row; if it loses, the insert rolls back.
  return db_->Write(pg::Isolation::kReadCommitted, [&](Connection& c) -> Result<core::Certificate> {
    FLINT_ASSIGN_OR_RETURN(Rows order,
                           c.Exec(kSelectProcessingOrderAccount, Params().Int(id.value)));
    if (order.empty()) return pg::NotFoundOrConflict(c, pg::kOrderExists, id.value, "order");
    const core::AccountId account(order.Int(0, 0));
    // A taken serial is a unique violation: kConflict, and the transaction rolls back.
    FLINT_ASSIGN_OR_RETURN(Rows inserted,
                           c.Exec(kInsertCertificate, Params()
                                                          .Text(cert.serial_hex)
                                                          .Bytes(cert.der)
                                                          .Text(cert.chain_pem)
                                                          .Int(account.value)
                                                          .Int(id.value)
                                                          .Int(ToUnixSeconds(cert.not_before))
                                                          .Int(ToUnixSeconds(cert.not_after))));
    const core::CertificateId cert_id(inserted.Int(0, 0));
    FLINT_TRY(pg::RunCompareAndSet(c, kOrderValid, Params().Int(id.value).Int(cert_id.value),
                                   pg::kOrderExists, id.value, "order"));
    return pg::LoadCertificate(c, cert_id);
  });
}

}  // namespace flint::sa
