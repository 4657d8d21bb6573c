#include "metrics/prometheus_metrics.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "metrics/process_metrics.h"

namespace flint::metrics {
namespace {

// Seconds. ACME requests take from well under a millisecond (directory, nonces) to seconds
// (finalize waiting on a durable commit, a CAA recheck); the default Prometheus buckets miss the
// low end.
const prometheus::Histogram::BucketBoundaries& DurationBuckets() {
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  return kBuckets;
}

}  // namespace

struct PrometheusMetrics::Impl {
  explicit Impl(bool process)
      : registry(std::make_shared<prometheus::Registry>()),
        http_requests(prometheus::BuildCounter()
                          .Name("flint_http_requests_total")
                          .Help("Requests answered by the ACME listener, by route and HTTP status.")
                          .Register(*registry)),
        http_duration(prometheus::BuildHistogram()
                          .Name("flint_http_request_duration_seconds")
                          .Help("Time from a request's first byte to its answer written, by route.")
                          .Register(*registry)),
        issued(prometheus::BuildCounter()
                   .Name("flint_certificates_issued_total")
                   .Help("Certificates signed and stored, by profile.")
                   .Register(*registry)),
        validations(prometheus::BuildCounter()
                        .Name("flint_validations_total")
                        .Help("Challenge validations finished, by challenge type and result.")
                        .Register(*registry)),
        revocations(prometheus::BuildCounter()
                        .Name("flint_revocations_total")
                        .Help("Certificates revoked, by RFC 5280 reason code.")
                        .Register(*registry)),
        process_metrics(process) {
    // Every validation series exists from the start at 0, so that rate() and alerts on failed
    // validations work from the first failure on.
    for (core::ChallengeType t : core::kAllChallengeTypes) {
      for (const char* result : {"valid", "invalid"})
        validations.Add({{"type", std::string(core::ToString(t))}, {"result", result}});
    }
  }

  // The series of one (endpoint, code) pair. Family::Add builds a label map and hashes it under
  // the family's mutex (about 3 µs for a request's two series); the pointers it returns stay
  // valid, so each pair is looked up there once and then found here under a shared lock.
  struct HttpSeries {
    prometheus::Counter* requests = nullptr;
    prometheus::Histogram* duration = nullptr;
  };
  HttpSeries FindHttpSeries(std::string_view endpoint, int status) {
    std::string key(endpoint);
    key += ' ';
    key += std::to_string(status);
    {
      std::shared_lock<std::shared_mutex> lock(http_mu);
      auto it = http_series.find(key);
      if (it != http_series.end()) return it->second;
    }
    std::string name(endpoint);
    HttpSeries series;
    series.requests = &http_requests.Add({{"endpoint", name}, {"code", std::to_string(status)}});
    series.duration = &http_duration.Add({{"endpoint", std::move(name)}}, DurationBuckets());
    std::lock_guard<std::shared_mutex> lock(http_mu);
    http_series.emplace(std::move(key), series);
    return series;
  }

  std::shared_ptr<prometheus::Registry> registry;
  prometheus::Family<prometheus::Counter>& http_requests;
  prometheus::Family<prometheus::Histogram>& http_duration;
  prometheus::Family<prometheus::Counter>& issued;
  prometheus::Family<prometheus::Counter>& validations;
  prometheus::Family<prometheus::Counter>& revocations;
  std::shared_mutex http_mu;
  std::unordered_map<std::string, HttpSeries> http_series;  // guarded by http_mu
  const bool process_metrics;
  ProcessCollector process;
};

PrometheusMetrics::PrometheusMetrics(bool process_metrics)
    : impl_(std::make_unique<Impl>(process_metrics)) {}

PrometheusMetrics::~PrometheusMetrics() = default;

void PrometheusMetrics::HttpRequest(std::string_view endpoint, int status,
                                    std::chrono::duration<double> elapsed) {
  Impl::HttpSeries series = impl_->FindHttpSeries(endpoint, status);
  series.requests->Increment();
  series.duration->Observe(elapsed.count());
}

void PrometheusMetrics::CertificateIssued(std::string_view profile) {
  impl_->issued.Add({{"profile", std::string(profile)}}).Increment();
}

void PrometheusMetrics::ValidationFinished(core::ChallengeType type, bool valid) {
  impl_->validations
      .Add({{"type", std::string(core::ToString(type))}, {"result", valid ? "valid" : "invalid"}})
      .Increment();
}

void PrometheusMetrics::CertificateRevoked(int reason) {
  impl_->revocations.Add({{"reason", std::to_string(reason)}}).Increment();
}

std::string PrometheusMetrics::Scrape() const {
  std::vector<prometheus::MetricFamily> families = impl_->registry->Collect();
  if (impl_->process_metrics) {
    std::vector<prometheus::MetricFamily> process = impl_->process.Collect();
    families.insert(families.end(), std::make_move_iterator(process.begin()),
                    std::make_move_iterator(process.end()));
  }
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace flint::metrics
