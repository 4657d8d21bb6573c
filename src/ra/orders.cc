// RFC 8555 §7.4-7.5: orders, authorizations, challenges and their validation.
#include <spdlog/spdlog.h>

#include <algorithm>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <boost/asio/post.hpp>

#include "jose/base64url.h"
#include "ra/ra.h"

namespace flint::ra {

using core::Err;
using core::ErrorType;

namespace {

// Largest clock skew tolerated for a client's notBefore in the past.
constexpr auto kMaxBackdate = std::chrono::hours(24);

std::string RandomToken(core::Random& random) { return jose::Base64UrlEncode(random.Bytes(32)); }

}  // namespace

Result<core::Authorization> RegistrationAuthority::NewAuthorization(const core::Account& account,
                                                                    const core::Identifier& id,
                                                                    bool wildcard,
                                                                    core::TimePoint now,
                                                                    const Profile& profile) {
  core::Authorization authz;
  authz.account_id = account.id;
  authz.identifier = id;
  authz.wildcard = wildcard;
  authz.status = core::AuthzStatus::kPending;
  authz.expires = now + options_.authz_lifetime;
  const std::vector<core::ChallengeType> types = policy::ChallengesFor(id, wildcard);
  if (types.empty())
    return Err(ErrorType::kUnsupportedIdentifier, "no challenge can validate " + id.value);
  for (core::ChallengeType type : types) {
    if (!AllowsChallenge(profile, type)) continue;  // draft-aaron-acme-profiles
    core::Challenge ch;
    ch.type = type;
    ch.status = core::ChallengeStatus::kPending;
    ch.token = RandomToken(random_);
    authz.challenges.push_back(std::move(ch));
  }
  if (authz.challenges.empty()) {
    return Err(ErrorType::kRejectedIdentifier, "no challenge type of profile \"" + profile.name +
                                                   "\" can validate " + id.value);
  }
  return authz;
}

Result<Profile> RegistrationAuthority::FindProfile(const std::string& name) const {
  const std::string& want = name.empty() ? options_.default_profile : name;
  for (const Profile& p : options_.profiles)
    if (p.name == want) return p;
  return Err(ErrorType::kInvalidProfile,
             "profile \"" + want.substr(0, 64) + "\" is not offered by this server");
}

namespace {

// A reused authorization must have been validated by a challenge type the profile allows.
bool ReusableUnder(const Profile& profile, const core::Authorization& authz) {
  for (const core::Challenge& ch : authz.challenges)
    if (ch.status == core::ChallengeStatus::kValid && AllowsChallenge(profile, ch.type))
      return true;
  return false;
}

}  // namespace

Result<core::Order> RegistrationAuthority::NewOrder(const core::Account& account,
                                                    const NewOrderRequest& req) {
  FLINT_ASSIGN_OR_RETURN(Profile profile, FindProfile(req.profile));
  FLINT_ASSIGN_OR_RETURN(std::vector<core::Identifier> ids, policy_.CheckOrder(req.identifiers));
  std::string replaces;
  if (!req.replaces.empty()) {
    FLINT_ASSIGN_OR_RETURN(replaces, CheckReplaces(account, ids, req.replaces));
  }
  const core::TimePoint now = clock_.Now();
  if (req.not_before && *req.not_before < now - kMaxBackdate)
    return Err(ErrorType::kMalformed, "notBefore is too far in the past");
  if (req.not_before && *req.not_before > now + options_.order_lifetime)
    return Err(ErrorType::kMalformed, "notBefore is beyond the order's lifetime");
  if (req.not_after) {
    core::TimePoint start = req.not_before.value_or(now);
    if (*req.not_after <= start) return Err(ErrorType::kMalformed, "notAfter is before notBefore");
    if (*req.not_after - start > profile.validity)
      return Err(ErrorType::kMalformed,
                 "notAfter is beyond the allowed validity of " +
                     std::to_string(profile.validity.count() / 86400) + " days");
  }

  core::Order order;
  order.account_id = account.id;
  order.status = core::OrderStatus::kPending;
  order.expires = now + options_.order_lifetime;
  order.identifiers = ids;
  order.not_before = req.not_before;
  order.not_after = req.not_after;
  order.created_at = now;
  order.profile = profile.name;
  order.replaces = replaces;
  std::vector<core::Authorization> fresh;
  for (const core::Identifier& id : ids) {
    // RFC 8555 §7.1.4: a wildcard's authorization is for the base name, marked wildcard.
    const bool wildcard = policy::IsWildcard(id);
    const core::Identifier base = policy::AuthorizationIdentifier(id);
    std::optional<core::Authorization> reuse;
    if (core::Chance(random_, options_.authz_reuse_percent)) {
      FLINT_ASSIGN_OR_RETURN(reuse,
                             store_.FindReusableAuthorization(account.id, base, wildcard, now));
    }
    if (reuse && ReusableUnder(profile, *reuse)) {
      order.authz_ids.push_back(reuse->id);
      order.expires = std::min(order.expires, reuse->expires);
      continue;
    }
    FLINT_ASSIGN_OR_RETURN(core::Authorization authz,
                           NewAuthorization(account, base, wildcard, now, profile));
    order.expires = std::min(order.expires, authz.expires);
    fresh.push_back(std::move(authz));
  }
  if (rate_limiter_) {
    FLINT_TRY(rate_limiter_->NewOrder(account.id, ids, static_cast<int64_t>(fresh.size())));
  }
  // RFC 8555 §7.1.3: "expires" is when the server will consider the order invalid. An order
  // turns invalid when one of its authorizations expires, so its expiry is capped at the
  // earliest of theirs (above), and never promises more than that.
  auto created = store_.CreateOrder(std::move(order), std::move(fresh));
  if (!created.ok() && created.error().type == ErrorType::kConflict && !replaces.empty()) {
    return Err(ErrorType::kAlreadyReplaced,
               "another order already replaces this certificate (RFC 9773 §5)");
  }
  return created;
}

Result<core::Authorization> RegistrationAuthority::NewPreAuthorization(
    const core::Account& account, const core::Identifier& identifier) {
  if (policy::IsWildcard(identifier)) {
    return Err(ErrorType::kRejectedIdentifier,
               "a wildcard cannot be pre-authorized (RFC 8555 §7.4.1); order it with newOrder");
  }
  FLINT_ASSIGN_OR_RETURN(std::vector<core::Identifier> ids, policy_.CheckOrder({identifier}));
  // Not yet tied to an order, hence to a profile: every type the policy allows is offered, and
  // the profile of the order that reuses it decides whether the one validated is acceptable.
  const Profile any_challenge;
  FLINT_ASSIGN_OR_RETURN(core::Authorization authz,
                         NewAuthorization(account, ids.front(), /*wildcard=*/false, clock_.Now(),
                                          any_challenge));
  // Counted as an order would be: it creates an authorization the same way.
  if (rate_limiter_) FLINT_TRY(rate_limiter_->NewOrder(account.id, ids, 1));
  return store_.CreateAuthorization(std::move(authz));
}

Result<core::Challenge> RegistrationAuthority::RespondToChallenge(const core::Account& account,
                                                                  core::ChallengeId id) {
  FLINT_ASSIGN_OR_RETURN(core::Challenge ch, store_.GetChallenge(id));
  FLINT_ASSIGN_OR_RETURN(core::Authorization authz, store_.GetAuthorization(ch.authz_id));
  if (authz.account_id != account.id) return Err(ErrorType::kNotFound, "no such challenge");
  if (ch.status != core::ChallengeStatus::kPending) return ch;
  if (authz.status != core::AuthzStatus::kPending) {
    return Err(ErrorType::kMalformed, "the authorization is " +
                                          std::string(core::ToString(authz.status)) +
                                          "; its challenges can no longer be answered");
  }
  // Issue 14: a bounded number of pending validations per account. Refused here, before the
  // challenge turns processing, so it stays pending and can be answered again later.
  if (!pending_validations_.TryAcquire(account.id)) {
    core::Error limited = Err(ErrorType::kRateLimited,
                              "too many pending validations for this account (at most " +
                                  std::to_string(options_.max_pending_validations_per_account) +
                                  "); answer this challenge again once some have finished");
    limited.retry_after = std::chrono::seconds(10);
    return limited;
  }
  auto started = store_.SetChallengeProcessing(id);
  if (!started.ok()) {
    pending_validations_.Release(account.id);
    if (started.error().type != ErrorType::kConflict) return std::move(started).error();
    // Either a concurrent request started this challenge first (answer with it), or another
    // challenge of the authorization is being validated, in which case this one did not start
    // and must not look as if it had been accepted.
    FLINT_ASSIGN_OR_RETURN(core::Challenge now, store_.GetChallenge(id));
    if (now.status != core::ChallengeStatus::kPending) return now;
    FLINT_ASSIGN_OR_RETURN(core::Authorization current, store_.GetAuthorization(ch.authz_id));
    if (current.status != core::AuthzStatus::kPending) {
      return Err(ErrorType::kMalformed, "the authorization is " +
                                            std::string(core::ToString(current.status)) +
                                            "; its challenges can no longer be answered");
    }
    core::Error busy = Err(ErrorType::kMalformed,
                           "another challenge of this authorization is being validated; this "
                           "one was not started (answer it again once that one has finished)");
    busy.retry_after = std::chrono::seconds(1);
    return busy;
  }
  QueueValidation(*started, account.id);
  return started;
}

void RegistrationAuthority::QueueValidation(core::Challenge challenge,
                                            std::optional<core::AccountId> counted) {
  boost::asio::post(validation_pool_, [this, ch = std::move(challenge), counted]() {
    StartValidation(ch, counted);
  });
}

std::string RegistrationAuthority::AccountUrl(core::AccountId id) const {
  return options_.account_url_prefix + std::to_string(id.value);
}

void RegistrationAuthority::RecoverAbandonedWork() {
  const core::TimePoint leased_before =
      options_.shared_database ? clock_.Now() : core::TimePoint::max();
  auto failed = store_.FailAbandonedFinalizations(
      Err(ErrorType::kServerInternal,
          "issuance was interrupted (the server handling it stopped or lost its database); "
          "create a new order to finalize again"),
      leased_before);
  if (!failed.ok()) {
    spdlog::error("could not close interrupted finalizations: {}", failed.error().detail);
  } else if (*failed > 0) {
    spdlog::warn("{} orders were left processing by an interrupted finalize; marked invalid",
                 *failed);
  }
  auto claimed = store_.ClaimAbandonedValidations(leased_before);
  if (!claimed.ok()) {
    spdlog::error("could not claim validations to resume: {}", claimed.error().detail);
    return;
  }
  if (!claimed->empty()) spdlog::info("resuming {} validations", claimed->size());
  for (core::Challenge& ch : *claimed) QueueValidation(std::move(ch), std::nullopt);
}

void RegistrationAuthority::StartValidation(const core::Challenge& ch,
                                            std::optional<core::AccountId> counted) {
  const auto started = std::chrono::steady_clock::now();
  auto authz = store_.GetAuthorization(ch.authz_id);
  if (!authz.ok()) {
    spdlog::error("validation of challenge {}: {}", ch.id.value, authz.error().detail);
    if (counted) pending_validations_.Release(*counted);
    return;
  }
  const core::AccountId account_id = counted.value_or(authz->account_id);
  if (!counted) pending_validations_.Acquire(account_id);
  ValidationRequest request;
  request.identifier = authz->identifier;
  request.wildcard = authz->wildcard;
  request.type = ch.type;
  request.token = ch.token;
  request.account_uri = AccountUrl(authz->account_id);
  request.check_caa = true;
  auto account = store_.GetAccount(authz->account_id);
  if (!account.ok()) {
    ValidationOutcome failed;
    failed.result = Err(ErrorType::kServerInternal, "account lookup failed");
    FinishValidation(ch, account_id, request, failed, started);
    return;
  }
  request.key_authorization = ch.token + "." + account->jwk_thumbprint;
  ValidationRequest sent = request;
  validator_.Validate(
      std::move(sent), [this, sink = completions_, ch, account_id, request = std::move(request),
                        started](ValidationOutcome outcome) mutable {
        std::lock_guard<std::mutex> lock(sink->mu);
        if (!sink->open) return;
        boost::asio::post(validation_pool_, [this, ch, account_id, request = std::move(request),
                                             outcome = std::move(outcome), started]() {
          FinishValidation(ch, account_id, request, outcome, started);
        });
      });
}

namespace {

boost::json::object ErrorJson(const core::Error& error) {
  return {{"type", core::ErrorTypeName(error.type)}, {"detail", error.detail}};
}

boost::json::array StringsJson(const std::vector<std::string>& strings) {
  boost::json::array out;
  for (const std::string& s : strings) out.emplace_back(s);
  return out;
}

}  // namespace

void RegistrationAuthority::FinishValidation(const core::Challenge& ch, core::AccountId account,
                                             const ValidationRequest& request,
                                             const ValidationOutcome& outcome,
                                             std::chrono::steady_clock::time_point started) {
  metrics_->ValidationFinished(ch.type, outcome.result.ok());
  if (!outcome.result.ok() && rate_limiter_) {
    rate_limiter_->RecordFailedValidation(account, request.identifier);
  }
  std::optional<core::Error> error;
  if (!outcome.result.ok()) error = outcome.result.error();
  auto done = store_.FinishValidation(ch.id, outcome.result.ok(), error, clock_.Now());
  if (!done.ok()) {
    spdlog::error("recording validation of challenge {}: {}", ch.id.value, done.error().detail);
  }
  pending_validations_.Release(account);
  // The validation audit record (BR §5.4.1): who asked, for what, how, what every perspective
  // saw, the outcome and how long it took.
  boost::json::object record;
  record["account"] = request.account_uri;
  record["identifier"] = {{"type", core::ToString(request.identifier.type)},
                          {"value", request.identifier.value}};
  record["wildcard"] = request.wildcard;
  record["challenge"] = ch.id.value;
  record["challenge_type"] = core::ToString(ch.type);
  record["result"] = outcome.result.ok() ? "valid" : "invalid";
  if (error) record["error"] = ErrorJson(*error);
  boost::json::array perspectives;
  for (const PerspectiveReport& p : outcome.perspectives) {
    boost::json::object one;
    one["name"] = p.name;
    one["result"] = p.error ? "invalid" : "valid";
    if (p.error) one["error"] = ErrorJson(*p.error);
    one["addresses"] = StringsJson(p.addresses);
    one["records"] = StringsJson(p.records);
    one["elapsed_ms"] = p.elapsed.count();
    perspectives.push_back(std::move(one));
  }
  record["perspectives"] = std::move(perspectives);
  record["stored"] = done.ok();
  record["elapsed_ms"] = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now() - started)
                             .count();
  audit_->Record("validation", std::move(record));
}

Result<core::Authorization> RegistrationAuthority::DeactivateAuthorization(
    const core::Account& account, core::AuthzId id) {
  FLINT_ASSIGN_OR_RETURN(core::Authorization authz, store_.GetAuthorization(id));
  if (authz.account_id != account.id) return Err(ErrorType::kNotFound, "no such authorization");
  auto r = store_.DeactivateAuthorization(id);
  if (!r.ok() && r.error().type == ErrorType::kConflict)
    return Err(ErrorType::kMalformed, "only pending or valid authorizations can be deactivated");
  return r;
}

}  // namespace flint::ra
