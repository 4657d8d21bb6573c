#pragma once
// core::Metrics as Prometheus families (prometheus-cpp's Registry), exposed in the Prometheus
// text format 0.0.4 by Scrape() (prometheus-cpp's TextSerializer); flint serves it from its own
// HTTP stack (`flint serve --metrics-listen`). The families (docs/OPERATIONS.md "Metrics"):
//   flint_http_requests_total{endpoint,code}                counter
//   flint_http_request_duration_seconds{endpoint}           histogram
//   flint_certificates_issued_total{profile}                counter
//   flint_validations_total{type,result}                    counter (result: valid, invalid)
//   flint_revocations_total{reason}                         counter (RFC 5280 reason code)
//   process_*                                               read from /proc at each scrape
//                                                           (process_metrics.h)
// Prometheus types stay inside the .cc file: consumers see only this class.
//
// Thread-safe: every method may be called concurrently; the recording methods never block for
// long (a shared lock to find the series, or a short mutex inside prometheus-cpp the first time a
// label set is seen, then atomic increments).

#include <memory>
#include <string>
#include <string_view>

#include "core/metrics.h"

namespace flint::metrics {

// The Content-Type of Scrape()'s output.
inline constexpr std::string_view kTextContentType = "text/plain; version=0.0.4; charset=utf-8";

class PrometheusMetrics final : public core::Metrics {
 public:
  // `process_metrics`: include the process_* families (off in tests that compare exact text).
  explicit PrometheusMetrics(bool process_metrics = true);
  ~PrometheusMetrics() override;
  PrometheusMetrics(const PrometheusMetrics&) = delete;
  PrometheusMetrics& operator=(const PrometheusMetrics&) = delete;

  void HttpRequest(std::string_view endpoint, int status,
                   std::chrono::duration<double> elapsed) override;
  void CertificateIssued(std::string_view profile) override;
  void ValidationFinished(core::ChallengeType type, bool valid) override;
  void CertificateRevoked(int reason) override;

  // Every family in the Prometheus text exposition format (kTextContentType).
  std::string Scrape() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace flint::metrics
