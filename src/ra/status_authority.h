#pragma once
// Revocation status for relying parties: the CA's CRL (RFC 5280 §5) and OCSP answers
// (RFC 6960), both read from storage and signed through the RA's CertificateAuthority seam. Served on the plain-HTTP
// listener by wfe::StatusFrontEnd.
//
// CRL freshness: the CRL is regenerated (with the next CRL number from the store, so numbers
// increase across restarts and instances) when
//   - CrlChanged() was called (the RA's revocation listener does so after every revocation in
//     this process), or the CRL would otherwise be `crl_refresh` old (hourly by default, and
//     never more than half of `crl_validity`, so a CRL is replaced long before its nextUpdate
//     however short the lifetime); or
//   - the store's RevocationCount differs from the one the CRL was made at, read on every
//     CurrentCrl: a revocation by another flint instance, or by `flint admin` in another
//     process, is in the next CRL served.
// Instances sharing a database serve one CRL: a new CRL is published in the store
// (Store::PublishCrl, where the highest number wins), and every CurrentCrl first adopts the
// store's current CRL if it is newer than the one in hand (one small read), so whichever
// instance answers, a client never sees the CRL number go back.
// nextUpdate is thisUpdate + `crl_validity`. OCSP answers are signed for each request, with
// thisUpdate = now, so they need no refresh. Thread-safe.

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "ra/certificate_authority.h"
#include "sa/store.h"

namespace flint::ra {

struct StatusOptions {
  std::chrono::seconds crl_validity{std::chrono::hours(24)};  // positive
  std::chrono::seconds crl_refresh{std::chrono::hours(1)};    // capped at crl_validity / 2
};

struct CrlSnapshot {
  std::string der;
  int64_t number = 0;
  core::TimePoint this_update;
  core::TimePoint next_update;
};

class StatusAuthority {
 public:
  // `ca` signs the CRLs and OCSP answers; all references must outlive this object.
  StatusAuthority(StatusOptions options, sa::Store& store, const core::Clock& clock,
                  const CertificateAuthority& ca);

  // The current DER CRL, regenerated first when stale (see above). kInternal when storage or
  // signing fails and no CRL exists yet; when a CRL exists, a failed regeneration is logged and
  // the previous CRL (still before its nextUpdate) is returned.
  [[nodiscard]] core::Result<CrlSnapshot> CurrentCrl();

  // Regenerates the CRL now.
  [[nodiscard]] core::Result<CrlSnapshot> RegenerateCrl();

  // Marks the CRL stale: the next CurrentCrl regenerates it.
  void CrlChanged();

  // Answers a DER OCSP request from storage: `good` for a certificate flint issued and did not
  // revoke, `revoked` with its time and reason, `unknown` for serials flint never issued.
  OcspAnswer Ocsp(std::string_view request_der) const;

 private:
  struct Cached {
    CrlSnapshot crl;
    int64_t revocations = 0;  // the store's RevocationCount when the CRL was made
  };
  static Cached CachedFrom(sa::StoredCrl crl);
  core::Result<CrlSnapshot> RegenerateLocked(core::TimePoint now);
  bool IsCurrentLocked(core::TimePoint now);
  void AdoptStoredLocked();

  StatusOptions options_;
  sa::Store& store_;
  const core::Clock& clock_;
  const CertificateAuthority& ca_;
  std::mutex mu_;
  std::optional<Cached> cached_;  // guarded by mu_
  bool changed_ = false;           // guarded by mu_
};

}  // namespace flint::ra
