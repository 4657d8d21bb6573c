#include "ra/status_authority.h"

#include <spdlog/spdlog.h>

#include <vector>

namespace flint::ra {

StatusAuthority::StatusAuthority(StatusOptions options, sa::Store& store,
                                 const core::Clock& clock, const CertificateAuthority& ca)
    : options_(options), store_(store), clock_(clock), ca_(ca) {
  // A CRL must be replaced while it is still valid, with time to spare for caches (BR §4.9.10
  // asks the same of short-lived OCSP responses: update before half the validity interval).
  options_.crl_refresh = std::min(options_.crl_refresh, options_.crl_validity / 2);
}

// Whether the cached CRL may be served: made, not marked changed, younger than crl_refresh, and
// no revocation since (by this process or any other sharing the store). If the count cannot be
// read, the CRL in hand is still the best answer.
bool StatusAuthority::IsCurrentLocked(core::TimePoint now) {
  if (!cached_ || changed_) return false;
  if (now >= cached_->crl.this_update + options_.crl_refresh) return false;
  auto count = store_.RevocationCount();
  if (!count.ok()) {
    spdlog::error("CRL: cannot read the revocation count: {}", count.error().detail);
    return true;
  }
  return *count == cached_->revocations;
}

StatusAuthority::Cached StatusAuthority::CachedFrom(sa::StoredCrl crl) {
  return Cached{CrlSnapshot{std::move(crl.der), crl.number, crl.this_update, crl.next_update},
                crl.revocations};
}

// Takes the store's current CRL when another instance (or this one, earlier) published a newer
// one than the CRL in hand. On a read failure the CRL in hand stays.
void StatusAuthority::AdoptStoredLocked() {
  const int64_t known = cached_ ? cached_->crl.number : 0;
  auto stored = store_.GetCurrentCrl(known);
  if (!stored.ok()) {
    spdlog::error("CRL: cannot read the current CRL: {}", stored.error().detail);
    return;
  }
  if (stored->number <= known) return;
  cached_ = CachedFrom(std::move(*stored));
}

core::Result<CrlSnapshot> StatusAuthority::CurrentCrl() {
  std::lock_guard<std::mutex> lock(mu_);
  const core::TimePoint now = clock_.Now();
  AdoptStoredLocked();
  if (IsCurrentLocked(now)) return cached_->crl;
  auto fresh = RegenerateLocked(now);
  if (fresh.ok()) return fresh;
  // Keep serving the last CRL while it is still valid if storage or signing fails.
  if (cached_ && now < cached_->crl.next_update) {
    spdlog::error("CRL regeneration failed, serving CRL {}: {}", cached_->crl.number,
                  fresh.error().detail);
    return cached_->crl;
  }
  return fresh;
}

core::Result<CrlSnapshot> StatusAuthority::RegenerateCrl() {
  std::lock_guard<std::mutex> lock(mu_);
  return RegenerateLocked(clock_.Now());
}

core::Result<CrlSnapshot> StatusAuthority::RegenerateLocked(core::TimePoint now) {
  // The count first: a revocation committed between the two reads makes the next CurrentCrl
  // regenerate again, never leaves a CRL that misses it.
  FLINT_ASSIGN_OR_RETURN(int64_t revocations, store_.RevocationCount());
  FLINT_ASSIGN_OR_RETURN(std::vector<sa::RevokedCertificate> entries,
                         store_.ListRevokedCertificates(now));
  const core::TimePoint this_update = std::chrono::floor<std::chrono::seconds>(now);
  // The Unix time as a floor keeps CRL numbers increasing even across a lost database.
  FLINT_ASSIGN_OR_RETURN(int64_t number, store_.NextCrlNumber(core::ToUnixSeconds(this_update)));
  CrlContents contents;
  contents.number = number;
  contents.this_update = this_update;
  contents.next_update = this_update + options_.crl_validity;
  for (const sa::RevokedCertificate& r : entries)
    contents.entries.push_back({r.serial_hex, r.revoked_at, r.reason});
  FLINT_ASSIGN_OR_RETURN(std::string der, ca_.SignCrl(contents));
  sa::StoredCrl made{number, contents.this_update, contents.next_update, revocations,
                     std::move(der)};
  // Another instance may have published a newer CRL meanwhile; then that one is served.
  FLINT_ASSIGN_OR_RETURN(sa::StoredCrl current, store_.PublishCrl(made));
  cached_ = CachedFrom(std::move(current));
  changed_ = false;
  if (current.number == number) {
    spdlog::info("CRL {} generated with {} entries", number, entries.size());
  }
  return cached_->crl;
}

void StatusAuthority::CrlChanged() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    changed_ = true;
  }
  // Regenerate at once; on failure changed_ stays set and the next CurrentCrl retries.
  auto r = RegenerateCrl();
  if (!r.ok()) spdlog::error("CRL regeneration after revocation failed: {}", r.error().detail);
}

OcspAnswer StatusAuthority::Ocsp(std::string_view request_der) const {
  auto lookup = [this](const std::string& serial) -> core::Result<OcspStatus> {
    auto cert = store_.GetCertificateBySerial(serial);
    if (!cert.ok()) {
      if (cert.error().type == core::ErrorType::kNotFound) return OcspStatus{};
      return std::move(cert).error();
    }
    if (!cert->revoked) return OcspStatus{OcspCertStatus::kGood, {}, 0};
    return OcspStatus{OcspCertStatus::kRevoked,
                          cert->revoked_at.value_or(cert->not_before), cert->revocation_reason};
  };
  return ca_.RespondOcsp(request_der, lookup, clock_.Now());
}

}  // namespace flint::ra
