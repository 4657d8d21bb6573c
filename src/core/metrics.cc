#include "core/metrics.h"

namespace flint::core {
namespace {

class NullMetrics final : public Metrics {
 public:
  void HttpRequest(std::string_view, int, std::chrono::duration<double>) override {}
  void CertificateIssued(std::string_view) override {}
  void ValidationFinished(ChallengeType, bool) override {}
  void CertificateRevoked(int) override {}
};

}  // namespace

Metrics& NoMetrics() {
  static NullMetrics none;
  return none;
}

}  // namespace flint::core
