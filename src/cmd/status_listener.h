#pragma once
// Composition of the plain-HTTP listener (`--http-listen`): the status authority over the store
// and the CA (which signs CRLs and OCSP answers), the status front end, and its
// HttpServer without TLS. Also decides the URLs written into certificates.

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "ca/ca_files.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/durability.h"
#include "core/result.h"
#include "ra/certificate_authority.h"
#include "ra/status_authority.h"
#include "sa/store.h"
#include "wfe/http_server.h"
#include "wfe/status_front_end.h"

namespace flint::cmd {

// URLs written into every certificate; empty means the extension (or access method) is left out.
struct CertificateUrls {
  std::string issuer;  // AIA caIssuers
  std::string crl;     // cRLDistributionPoints
  std::string ocsp;    // AIA OCSP
};

// Without a plain-HTTP listener: no caIssuers (RFC 5280 §4.2.2.1 expects DER over HTTP; the
// ACME /acme/issuer is HTTPS and PEM, and ACME clients get the chain with the certificate
// anyway), no CRL distribution point, and OCSP only when --ocsp-url names an external responder.
CertificateUrls UrlsWithoutListener(const config::Config& cfg);

class StatusListener {
 public:
  // Binds cfg.http_listen (port 0: an ephemeral port) and starts serving. The URLs use
  // cfg.http_base_url, or http://<host>:<bound port> ("localhost" for a wildcard host).
  // A background thread asks for the current CRL every minute, so the CRL is regenerated
  // hourly (or at half of --crl-lifetime, if shorter) and picks up revocations made by other
  // processes even when nobody fetches it. CRLs and OCSP answers last cfg.crl_lifetime and
  // cfg.ocsp_lifetime.
  // All threads start with SIGINT/SIGTERM blocked, so the main thread's sigwait gets them.
  // Responses wait for `durability` (may be null; see HttpServerOptions::durability). At most
  // `max_connections` connections are served at once (the process's descriptor budget).
  // kMalformed for a bad address, kInternal when the listener cannot start.
  static core::Result<std::unique_ptr<StatusListener>> Start(
      const config::Config& cfg, const ca::CaMaterial& ca,
      const ra::CertificateAuthority& authority, sa::Store& store,
      const core::Clock& clock, core::DurabilityBarrier* durability, int max_connections);
  ~StatusListener();

  const CertificateUrls& urls() const { return urls_; }
  // For the RA's revocation listener: regenerate the CRL now.
  void CrlChanged() { status_->CrlChanged(); }
  // Stops the ticker and the server. Idempotent.
  void Stop();

 private:
  StatusListener() = default;
  void Tick();

  std::unique_ptr<ra::StatusAuthority> status_;
  std::unique_ptr<wfe::StatusFrontEnd> front_;
  std::unique_ptr<wfe::HttpServer> server_;
  CertificateUrls urls_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mu_
  std::thread ticker_;
};

}  // namespace flint::cmd
