#pragma once
// What flint counts for its operators (docs/OPERATIONS.md "Metrics"), as an interface injected
// like Clock: the RA and `cmd` report events here; metrics::PrometheusMetrics turns them into
// Prometheus families. NoMetrics() ignores everything, so that code and tests that do not care
// need nothing.
//
// Implementations are thread-safe and never block (they are called on I/O threads).

#include <chrono>
#include <string_view>

#include "core/types.h"

namespace flint::core {

class Metrics {
 public:
  virtual ~Metrics() = default;

  // One request answered by the ACME listener. `endpoint` is a route name from a small fixed
  // set (wfe::EndpointName), never a raw path, so the label's cardinality stays bounded.
  virtual void HttpRequest(std::string_view endpoint, int status,
                           std::chrono::duration<double> elapsed) = 0;
  // A certificate signed and stored for an order of `profile`.
  virtual void CertificateIssued(std::string_view profile) = 0;
  // A challenge validation attempt that finished (RFC 8555 §8): `valid` is its outcome,
  // CAA included.
  virtual void ValidationFinished(ChallengeType type, bool valid) = 0;
  // A certificate revoked with RFC 5280 §5.3.1 reason code `reason` (0-10).
  virtual void CertificateRevoked(int reason) = 0;
};

// A process-wide Metrics that records nothing.
Metrics& NoMetrics();

}  // namespace flint::core
