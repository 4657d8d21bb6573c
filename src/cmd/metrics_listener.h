#pragma once
// The Prometheus scrape endpoint (`--metrics-listen`, docs/OPERATIONS.md "Metrics"): a plain-HTTP
// wfe::HttpServer, apart from the ACME listener, answering GET and HEAD /metrics with
// PrometheusMetrics::Scrape(). Other paths: 404; other methods on /metrics: 405.

#include <cstdint>
#include <memory>
#include <string>

#include "core/result.h"
#include "metrics/prometheus_metrics.h"
#include "wfe/http_server.h"

namespace flint::cmd {

// The answer to one request on the metrics listener.
wfe::HttpResponse ServeMetrics(const wfe::HttpRequest& request,
                               const metrics::PrometheusMetrics& metrics);

class MetricsListener {
 public:
  // Binds `listen` (HOST:PORT; port 0: an ephemeral port) and serves until Stop(). Start it
  // with SIGINT/SIGTERM blocked, so that its threads leave them to the main thread's sigwait.
  // `metrics` must outlive the listener. kMalformed for a bad address, kInternal when the
  // listener cannot start.
  static core::Result<std::unique_ptr<MetricsListener>> Start(
      const std::string& listen, const metrics::PrometheusMetrics& metrics);
  ~MetricsListener() { Stop(); }

  uint16_t port() const { return server_->port(); }
  void Stop() { server_->Stop(); }  // idempotent

 private:
  MetricsListener() = default;
  std::unique_ptr<wfe::HttpServer> server_;
};

}  // namespace flint::cmd
