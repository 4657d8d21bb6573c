#include "ra/status_authority.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace flint::ra {

namespace {

bool SameEntries(const std::vector<sa::RevokedCertificate>& a,
                 const std::vector<sa::RevokedCertificate>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const sa::RevokedCertificate& x, const sa::RevokedCertificate& y) {
                      return x.serial_hex == y.serial_hex && x.reason == y.reason &&
                             x.revoked_at == y.revoked_at;
                    });
}

}  // namespace

StatusAuthority::StatusAuthority(StatusOptions options, sa::Store& store,
                                 const core::Clock& clock, const ca::CrlIssuer& crls,
                                 const ca::OcspResponder& ocsp)
    : options_(options), store_(store), clock_(clock), crls_(crls), ocsp_(ocsp) {}

bool StatusAuthority::NeedsRegeneration(core::TimePoint now,
                                        const std::vector<sa::RevokedCertificate>* fresh) {
  if (!cached_ || changed_) return true;
  if (now >= cached_->crl.this_update + options_.crl_refresh) return true;
  if (fresh != nullptr) return !SameEntries(*fresh, cached_->entries);
  return false;
}

core::Result<CrlSnapshot> StatusAuthority::CurrentCrl() {
  std::lock_guard<std::mutex> lock(mu_);
  const core::TimePoint now = clock_.Now();
  if (!NeedsRegeneration(now, nullptr) && now < cached_->checked_at + options_.crl_recheck)
    return cached_->crl;

  // Keep serving the last CRL while it is still valid if storage or signing fails.
  auto keep_previous = [&](const core::Error& e) -> core::Result<CrlSnapshot> {
    if (cached_ && now < cached_->crl.next_update) {
      spdlog::error("CRL regeneration failed, serving CRL {}: {}", cached_->crl.number, e.detail);
      return cached_->crl;
    }
    return e;
  };
  auto entries = store_.ListRevokedCertificates(now);
  if (!entries.ok()) return keep_previous(entries.error());
  if (!NeedsRegeneration(now, &*entries)) {
    cached_->checked_at = now;
    return cached_->crl;
  }
  auto fresh = RegenerateLocked(std::move(entries).value(), now);
  if (!fresh.ok()) return keep_previous(fresh.error());
  return fresh;
}

core::Result<CrlSnapshot> StatusAuthority::RegenerateCrl() {
  std::lock_guard<std::mutex> lock(mu_);
  const core::TimePoint now = clock_.Now();
  FLINT_ASSIGN_OR_RETURN(std::vector<sa::RevokedCertificate> entries,
                         store_.ListRevokedCertificates(now));
  return RegenerateLocked(std::move(entries), now);
}

core::Result<CrlSnapshot> StatusAuthority::RegenerateLocked(
    std::vector<sa::RevokedCertificate> entries, core::TimePoint now) {
  const core::TimePoint this_update = std::chrono::floor<std::chrono::seconds>(now);
  // The Unix time as a floor keeps CRL numbers increasing even across a lost database.
  FLINT_ASSIGN_OR_RETURN(int64_t number, store_.NextCrlNumber(core::ToUnixSeconds(this_update)));
  ca::CrlContents contents;
  contents.number = number;
  contents.this_update = this_update;
  contents.next_update = this_update + options_.crl_validity;
  for (const sa::RevokedCertificate& r : entries)
    contents.entries.push_back({r.serial_hex, r.revoked_at, r.reason});
  FLINT_ASSIGN_OR_RETURN(std::string der, crls_.Issue(contents));
  CrlSnapshot snap{std::move(der), number, contents.this_update, contents.next_update};
  cached_ = Cached{snap, std::move(entries), now};
  changed_ = false;
  spdlog::info("CRL {} generated with {} entries", number, cached_->entries.size());
  return snap;
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

ca::OcspAnswer StatusAuthority::Ocsp(std::string_view request_der) const {
  auto lookup = [this](const std::string& serial) -> core::Result<ca::OcspStatus> {
    auto cert = store_.GetCertificateBySerial(serial);
    if (!cert.ok()) {
      if (cert.error().type == core::ErrorType::kNotFound) return ca::OcspStatus{};
      return std::move(cert).error();
    }
    if (!cert->revoked) return ca::OcspStatus{ca::OcspCertStatus::kGood, {}, 0};
    return ca::OcspStatus{ca::OcspCertStatus::kRevoked,
                          cert->revoked_at.value_or(cert->not_before), cert->revocation_reason};
  };
  return ocsp_.Respond(request_der, lookup, clock_.Now());
}

}  // namespace flint::ra
