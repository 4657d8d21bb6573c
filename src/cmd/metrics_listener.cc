#include "cmd/metrics_listener.h"

#include <spdlog/spdlog.h>

#include "config/config.h"

namespace flint::cmd {

namespace {

wfe::HttpResponse PlainText(int status, std::string body) {
  wfe::HttpResponse res;
  res.status = status;
  res.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  res.body = std::move(body);
  return res;
}

}  // namespace

wfe::HttpResponse ServeMetrics(const wfe::HttpRequest& request,
                               const metrics::PrometheusMetrics& metrics) {
  if (request.path != "/metrics") return PlainText(404, "not found; metrics are at /metrics\n");
  if (request.method != "GET" && request.method != "HEAD") {
    wfe::HttpResponse res = PlainText(405, "method not allowed\n");
    res.headers.emplace_back("Allow", "GET, HEAD");
    return res;
  }
  wfe::HttpResponse res;
  res.headers.emplace_back("Content-Type", std::string(metrics::kTextContentType));
  res.headers.emplace_back("Cache-Control", "no-store");
  res.body = metrics.Scrape();
  return res;
}

core::Result<std::unique_ptr<MetricsListener>> MetricsListener::Start(
    const std::string& listen, const metrics::PrometheusMetrics& metrics) {
  FLINT_ASSIGN_OR_RETURN(config::HostPort hp, config::SplitHostPort(listen));
  wfe::HttpServerOptions so;
  so.listen_host = hp.host;
  so.listen_port = hp.port;
  so.tls = false;
  so.io_threads = 1;
  so.worker_threads = 1;  // a scrape reads /proc and serializes: short, and scrapers are few
  so.max_body_bytes = 1024;
  // Prometheus servers scrape with a connection or two each; these few descriptors come out
  // of the fixed reserve of the descriptor budget (main.cc ConnectionCapsFor).
  so.max_connections = 16;
  std::unique_ptr<MetricsListener> l(new MetricsListener());
  const metrics::PrometheusMetrics* m = &metrics;
  l->server_ = std::make_unique<wfe::HttpServer>(
      so, [m](wfe::HttpRequest& r) { return ServeMetrics(r, *m); });
  FLINT_TRY(l->server_->Start());
  std::string host = hp.host.empty() ? "*" : hp.host;
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  spdlog::info("metrics listener: http://{}:{}/metrics", host, l->server_->port());
  return l;
}

}  // namespace flint::cmd
