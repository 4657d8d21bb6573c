// RFC 8555 §7.4 finalize: CSR checks, the ready -> processing compare-and-set, signing, and
// durable storage of the certificate before the order turns valid.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <set>

#include <boost/asio/post.hpp>

#include "ca/cert_info.h"
#include "ca/csr.h"
#include "policy/key_policy.h"
#include "ra/audit_records.h"
#include "ra/ra.h"

namespace flint::ra {

using core::Err;
using core::ErrorType;

namespace {

std::string Join(const std::set<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// A small backdate so that clients with slightly slow clocks accept the certificate at once.
constexpr auto kBackdate = std::chrono::minutes(1);
constexpr int kSerialAttempts = 3;

}  // namespace

Result<RegistrationAuthority::CheckedCsr> RegistrationAuthority::CheckCsrAgainstOrder(
    const core::Account& account, const core::Order& order, std::string_view csr_der) {
  FLINT_ASSIGN_OR_RETURN(ca::ParsedCsr csr, ca::ParseCsr(csr_der));
  FLINT_TRY(policy::CheckCertificateKey(csr.public_key.get()));
  FLINT_TRY(CheckSpkiNotBlocked(store_, ca::SpkiSha256HexOfDer(csr.spki_der),
                                ErrorType::kBadCsr));  // §7.6
  // Every key CheckCertificateKey allows (RSA, P-256, P-384) has a JWK form.
  auto key = jose::PublicKeyFromPkey(csr.public_key.get());
  if (!key.ok()) return Err(ErrorType::kBadCsr, "CSR key: " + key.error().detail);
  if (key->thumbprint() == account.jwk_thumbprint)
    return Err(ErrorType::kBadCsr, "the CSR's key must not be the account key");
  // RFC 8555 §11.1: no account key, whoever's, may also be a certificate key. Looked up by the
  // RFC 7638 thumbprint every account is stored under.
  auto holder = store_.GetAccountByThumbprint(key->thumbprint());
  if (holder.ok()) return Err(ErrorType::kBadCsr, "the CSR's key is an ACME account key");
  if (holder.error().type != ErrorType::kNotFound) return std::move(holder).error();

  std::set<std::string> want, got;
  for (const core::Identifier& id : order.identifiers) want.insert(id.value);
  for (const std::string& n : csr.dns_names) got.insert(n);
  for (const std::string& ip : csr.ip_addresses) got.insert(ip);
  if (!csr.common_name.empty()) {
    std::string cn = csr.common_name;
    std::transform(cn.begin(), cn.end(), cn.begin(), ::tolower);
    if (!want.count(cn))
      return Err(ErrorType::kBadCsr, "CSR common name \"" + csr.common_name.substr(0, 64) +
                                         "\" is not one of the order's identifiers");
    got.insert(cn);
  }
  if (got != want) {
    return Err(ErrorType::kBadCsr, "CSR names [" + Join(got) +
                                       "] differ from the order's identifiers [" + Join(want) +
                                       "]");
  }
  return CheckedCsr{std::move(key).value(), std::move(csr.spki_der)};
}

Result<std::vector<ValidationRequest>> RegistrationAuthority::CaaRechecks(
    const core::Account& account, const core::Order& order) {
  const core::TimePoint now = clock_.Now();
  std::vector<ValidationRequest> out;
  for (core::AuthzId id : order.authz_ids) {
    FLINT_ASSIGN_OR_RETURN(core::Authorization authz, store_.GetAuthorization(id));
    for (const core::Challenge& ch : authz.challenges) {
      if (ch.status != core::ChallengeStatus::kValid || !ch.validated_at) continue;
      if (now - *ch.validated_at <= options_.caa_recheck_age) continue;
      ValidationRequest request;
      request.identifier = authz.identifier;
      request.wildcard = authz.wildcard;
      request.type = ch.type;
      request.account_uri = AccountUrl(account.id);
      out.push_back(std::move(request));
    }
  }
  return out;
}

Result<core::Certificate> RegistrationAuthority::Issue(const core::Account& account,
                                                       const core::Order& order,
                                                       const CheckedCsr& csr,
                                                       const Profile& profile) {
  const core::TimePoint now = clock_.Now();
  IssueRequest req;
  req.identifiers = order.identifiers;
  req.public_key = csr.key;
  req.spki_der = csr.spki_der;
  req.not_before = order.not_before.value_or(now - kBackdate);
  req.not_after = order.not_after.value_or(req.not_before + profile.validity);
  req.include_cn = profile.include_cn;
  req.include_client_auth = profile.client_auth;
  req.key_usages = profile.key_usages;
  req.aia_issuer_url = options_.issuer_url;
  req.crl_url = options_.crl_url;
  req.ocsp_url = options_.ocsp_url;
  for (int attempt = 1;; ++attempt) {
    FLINT_ASSIGN_OR_RETURN(IssuedCertificate issued, ca_.Issue(req));
    core::Certificate cert;
    cert.account_id = account.id;
    cert.order_id = order.id;
    cert.serial_hex = issued.serial_hex;
    cert.der = std::move(issued.der);
    cert.chain_pem = std::move(issued.chain_pem);
    cert.not_before = issued.not_before;
    cert.not_after = issued.not_after;
    auto stored = store_.FinalizeOrder(order.id, std::move(cert));
    if (stored.ok() || stored.error().type != ErrorType::kConflict || attempt >= kSerialAttempts)
      return stored;
    spdlog::warn("serial collision for order {}, re-signing", order.id.value);
  }
}

Result<core::Order> RegistrationAuthority::Finalize(const core::Account& account,
                                                    core::OrderId id, std::string_view csr_der) {
  FLINT_ASSIGN_OR_RETURN(core::Order order, store_.GetOrder(id));
  if (order.account_id != account.id) return Err(ErrorType::kNotFound, "no such order");
  if (order.status != core::OrderStatus::kReady) {
    return Err(ErrorType::kOrderNotReady,
               "order is " + std::string(core::ToString(order.status)) + ", not ready");
  }
  // Step 1: everything that can be refused without changing the order (including a profile
  // removed from the configuration since the order was created).
  FLINT_ASSIGN_OR_RETURN(Profile profile, FindProfile(order.profile));
  FLINT_ASSIGN_OR_RETURN(CheckedCsr csr, CheckCsrAgainstOrder(account, order, csr_der));
  FLINT_ASSIGN_OR_RETURN(std::vector<ValidationRequest> rechecks, CaaRechecks(account, order));
  if (rate_limiter_) FLINT_TRY(rate_limiter_->CheckIssuance(order.identifiers));

  // Step 2: ready -> processing, once; a concurrent finalize loses here.
  auto moved = store_.SetOrderProcessing(id);
  if (!moved.ok()) {
    if (moved.error().type == ErrorType::kConflict)
      return Err(ErrorType::kOrderNotReady, "order is already being finalized");
    return std::move(moved).error();
  }

  // Step 3: with no CAA recheck due, sign and store now; any failure from here leaves the order
  // invalid.
  if (rechecks.empty()) {
    IssueAndRecord(account, order, csr, profile);
    return store_.GetOrder(id);
  }
  // Step 3': CAA must be rechecked (RFC 8659 §3). The checks run on the validator under its
  // per-attempt deadline, off the request worker; the order answers `processing` with
  // Retry-After meanwhile (RFC 8555 §7.4), and turns valid, or invalid with the CAA or DNS error,
  // when they are done. Should this process stop first, the order's lease runs out and
  // RecoverAbandonedWork fails it (sa/store.h "Leases").
  StartCaaRechecks(account, order, std::move(csr), std::move(profile), std::move(rechecks));
  return store_.GetOrder(id);
}

void RegistrationAuthority::StartCaaRechecks(const core::Account& account,
                                             const core::Order& order, CheckedCsr csr,
                                             Profile profile,
                                             std::vector<ValidationRequest> rechecks) {
  struct Pending {
    std::mutex mu;
    size_t remaining = 0;
    std::optional<core::Error> failure;  // the first refusal or lookup failure
    core::Account account;
    core::Order order;
    std::optional<CheckedCsr> csr;
    Profile profile;
  };
  auto pending = std::make_shared<Pending>();
  pending->remaining = rechecks.size();
  pending->account = account;
  pending->order = order;
  pending->csr.emplace(std::move(csr));
  pending->profile = std::move(profile);
  for (ValidationRequest& request : rechecks) {
    validator_.CheckCaa(std::move(request), [this, sink = completions_,
                                             pending](ValidationOutcome outcome) {
      {
        std::lock_guard<std::mutex> lock(pending->mu);
        if (!outcome.result.ok() && !pending->failure) pending->failure = outcome.result.error();
        if (--pending->remaining > 0) return;
      }
      std::lock_guard<std::mutex> lock(sink->mu);
      if (!sink->open) return;
      boost::asio::post(validation_pool_, [this, pending]() {
        const core::OrderId id = pending->order.id;
        if (pending->failure) {
          spdlog::info("order {}: CAA recheck refused issuance: {}", id.value,
                       pending->failure->detail);
          auto marked = store_.SetOrderInvalid(id, *pending->failure);
          if (!marked.ok()) {
            spdlog::error("marking order {} invalid: {}", id.value, marked.error().detail);
          }
          return;
        }
        IssueAndRecord(pending->account, pending->order, *pending->csr, pending->profile);
      });
    });
  }
}

void RegistrationAuthority::IssueAndRecord(const core::Account& account, const core::Order& order,
                                           const CheckedCsr& csr, const Profile& profile) {
  const core::OrderId id = order.id;
  auto cert = Issue(account, order, csr, profile);
  if (cert.ok()) {
    metrics_->CertificateIssued(profile.name);
    if (rate_limiter_) rate_limiter_->RecordIssuance(order.identifiers);
    audit_->Record("issuance",
                   IssuanceAuditRecord(order, AccountUrl(account.id), &*cert, nullptr));
  } else {
    core::Error recorded = cert.error();
    spdlog::error("issuance for order {} failed: {}", id.value, recorded.detail);
    // What the client reads in the order: the CA's own refusals as they are, but storage and
    // signing failures (internal, or a serial that still collided after kSerialAttempts) only
    // as serverInternal, without their details.
    if (recorded.type == ErrorType::kInternal || recorded.type == ErrorType::kConflict)
      recorded = Err(ErrorType::kServerInternal, "issuance failed");
    audit_->Record("issuance", IssuanceAuditRecord(order, AccountUrl(account.id), nullptr,
                                                   &cert.error()));
    auto marked = store_.SetOrderInvalid(id, recorded);
    if (!marked.ok()) spdlog::error("marking order {} invalid: {}", id.value, marked.error().detail);
  }
}

}  // namespace flint::ra
