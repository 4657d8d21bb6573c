#include "cmd/status_listener.h"

#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include "ca/openssl_util.h"

namespace flint::cmd {

namespace {

std::string TrimSlashes(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

std::string DefaultHttpBase(const config::HostPort& hp, uint16_t port) {
  std::string host = hp.host;
  if (host.empty() || host == "0.0.0.0" || host == "::") host = "localhost";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return "http://" + host + ":" + std::to_string(port);
}

constexpr auto kTickInterval = std::chrono::minutes(1);

// Runs `start` with SIGINT and SIGTERM blocked, so threads it creates inherit that mask.
template <typename Fn>
core::Result<void> WithStopSignalsBlocked(Fn start) {
  sigset_t stop, old;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, &old);
  core::Result<void> started = start();
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return started;
}

}  // namespace

CertificateUrls UrlsWithoutListener(const config::Config& cfg) {
  CertificateUrls u;
  if (cfg.ocsp) u.ocsp = cfg.ocsp_url;
  return u;
}

core::Result<std::unique_ptr<StatusListener>> StatusListener::Start(
    const config::Config& cfg, const ca::CaMaterial& ca,
    const ra::CertificateAuthority& authority, sa::Store& store,
    const core::Clock& clock, core::DurabilityBarrier* durability, int max_connections) {
  FLINT_ASSIGN_OR_RETURN(config::HostPort hp, config::SplitHostPort(cfg.http_listen));
  std::unique_ptr<StatusListener> l(new StatusListener());
  ra::StatusOptions status_options;
  status_options.crl_validity = cfg.crl_lifetime;
  l->status_ = std::make_unique<ra::StatusAuthority>(status_options, store, clock, authority);
  wfe::StatusFrontEndOptions fo;
  FLINT_ASSIGN_OR_RETURN(fo.issuer_der, ca::CertToDer(ca.intermediate_cert.get()));
  fo.ocsp = cfg.ocsp;
  l->front_ = std::make_unique<wfe::StatusFrontEnd>(fo, *l->status_, clock);

  wfe::HttpServerOptions so;
  so.listen_host = hp.host;
  so.listen_port = hp.port;
  so.tls = false;
  so.io_threads = 1;
  so.worker_threads = 2;
  so.max_body_bytes = 16 * 1024;  // OCSP requests are a few hundred bytes
  so.max_connections = max_connections;
  so.max_connections_per_ip = cfg.max_connections_per_ip;
  so.proxy_protocol = cfg.proxy_protocol;
  so.durability = durability;
  wfe::StatusFrontEnd* front = l->front_.get();
  l->server_ = std::make_unique<wfe::HttpServer>(
      so, [front](wfe::HttpRequest& r) { return front->Handle(r); });
  StatusListener* self = l.get();
  FLINT_TRY(WithStopSignalsBlocked([self]() -> core::Result<void> {
    FLINT_TRY(self->server_->Start());
    self->ticker_ = std::thread([self] { self->Tick(); });
    return core::Ok();
  }));

  const std::string base = cfg.http_base_url.empty() ? DefaultHttpBase(hp, l->server_->port())
                                                     : TrimSlashes(cfg.http_base_url);
  l->urls_.issuer = base + "/issuer";
  l->urls_.crl = base + "/crl";
  if (cfg.ocsp) l->urls_.ocsp = cfg.ocsp_url.empty() ? base + "/ocsp" : cfg.ocsp_url;
  spdlog::info("status listener: CRL {} OCSP {} issuer {}", l->urls_.crl,
               l->urls_.ocsp.empty() ? "off" : l->urls_.ocsp, l->urls_.issuer);
  return l;
}

StatusListener::~StatusListener() { Stop(); }

void StatusListener::Tick() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!wake_.wait_for(lock, kTickInterval, [this] { return stopping_; })) {
    lock.unlock();
    auto crl = status_->CurrentCrl();  // regenerates when stale (status_authority.h)
    if (!crl.ok()) spdlog::error("periodic CRL check: {}", crl.error().detail);
    lock.lock();
  }
}

void StatusListener::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (ticker_.joinable()) ticker_.join();
  if (server_) server_->Stop();
}

}  // namespace flint::cmd
