#pragma once
// Test-only fakes of the interfaces the RA consumes (ra/validator.h, ra/certificate_authority.h,
// core/metrics.h):
// each answers what the test sets, counts its calls, and is thread-safe (the RA calls the
// validator from its worker pool and the CA from concurrent finalizes).

#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/metrics.h"
#include "ra/certificate_authority.h"
#include "ra/validator.h"

namespace flint::ra::testing {

class FakeValidator final : public Validator {
 public:
  struct Call {
    core::Identifier id;
    core::ChallengeType type;
    std::string token;
    std::string key_authorization;
  };

  // What Validate / CheckCaa answer from now on (Ok by default).
  void SetValidateResult(core::Result<void> r) {
    std::lock_guard<std::mutex> lock(mu_);
    validate_ = std::move(r);
  }
  void SetCaaResult(core::Result<void> r) {
    std::lock_guard<std::mutex> lock(mu_);
    caa_ = std::move(r);
  }
  std::vector<Call> validate_calls() const {
    std::lock_guard<std::mutex> lock(mu_);
    return validate_calls_;
  }
  int caa_calls() const {
    std::lock_guard<std::mutex> lock(mu_);
    return caa_calls_;
  }

  // Answers inline, on the calling thread.
  void Validate(ValidationRequest request, Completion done) const override {
    ValidationOutcome outcome;
    {
      std::lock_guard<std::mutex> lock(mu_);
      validate_calls_.push_back(
          {request.identifier, request.type, request.token, request.key_authorization});
      outcome.result = validate_;
      if (outcome.result.ok() && request.check_caa) {
        ++caa_calls_;
        outcome.result = caa_;
      }
    }
    done(std::move(outcome));
  }
  void CheckCaa(ValidationRequest, Completion done) const override {
    ValidationOutcome outcome;
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++caa_calls_;
      outcome.result = caa_;
    }
    done(std::move(outcome));
  }

 private:
  mutable std::mutex mu_;
  core::Result<void> validate_ = core::Ok();
  core::Result<void> caa_ = core::Ok();
  mutable std::vector<Call> validate_calls_;
  mutable int caa_calls_ = 0;
};

// Issues placeholder certificates (DER "fake-cert-<serial>") with serials 01, 02, ... unless told
// to fail or to repeat a serial; can hold Issue until released, to pin down concurrency.
class FakeCertificateAuthority final : public CertificateAuthority {
 public:
  void SetIssueError(std::optional<core::Error> e) {
    std::lock_guard<std::mutex> lock(mu_);
    issue_error_ = std::move(e);
  }
  // Every Issue returns this serial (a collision after the first stored certificate).
  void SetFixedSerial(std::string serial) {
    std::lock_guard<std::mutex> lock(mu_);
    fixed_serial_ = std::move(serial);
  }
  // Issue waits inside the call until Release().
  void Hold() {
    std::lock_guard<std::mutex> lock(mu_);
    held_ = true;
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    held_ = false;
    cv_.notify_all();
  }
  // Blocks until `n` Issue calls have started.
  void WaitForIssueCalls(int n) const {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return issue_calls_ >= n; });
  }
  int issue_calls() const {
    std::lock_guard<std::mutex> lock(mu_);
    return issue_calls_;
  }
  std::optional<IssueRequest> last_request() const {
    std::lock_guard<std::mutex> lock(mu_);
    return last_;
  }

  core::Result<IssuedCertificate> Issue(const IssueRequest& request) const override {
    std::unique_lock<std::mutex> lock(mu_);
    ++issue_calls_;
    last_ = request;
    last_->spki_der = {};  // borrowed for the call only
    cv_.notify_all();
    cv_.wait(lock, [&] { return !held_; });
    if (issue_error_) return *issue_error_;
    char buf[32];
    snprintf(buf, sizeof buf, "%02x", ++serials_);
    std::string serial = fixed_serial_.empty() ? buf : fixed_serial_;
    return IssuedCertificate{serial, "fake-cert-" + serial, "fake chain", request.not_before,
                             request.not_after};
  }
  const std::string& IssuerKeyIdentifier() const override { return key_id_; }
  core::Result<std::string> SignCrl(const CrlContents& contents) const override {
    return "fake-crl-" + std::to_string(contents.number);
  }
  OcspAnswer RespondOcsp(std::string_view, const OcspLookup&, core::TimePoint) const override {
    return OcspAnswer{};
  }

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::optional<core::Error> issue_error_;
  std::string fixed_serial_;
  bool held_ = false;
  mutable int issue_calls_ = 0;
  mutable int serials_ = 0;
  mutable std::optional<IssueRequest> last_;
  std::string key_id_ = "fake-key-id";
};

// Records what the RA counts, as "issued <profile>", "validation <type> valid|invalid" and
// "revoked <reason>" events in arrival order.
class RecordingMetrics final : public core::Metrics {
 public:
  void HttpRequest(std::string_view, int, std::chrono::duration<double>) override {}
  void CertificateIssued(std::string_view profile) override {
    Record("issued " + std::string(profile));
  }
  void ValidationFinished(core::ChallengeType type, bool valid) override {
    Record("validation " + std::string(core::ToString(type)) + (valid ? " valid" : " invalid"));
  }
  void CertificateRevoked(int reason) override { Record("revoked " + std::to_string(reason)); }

  std::vector<std::string> events() const {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }

 private:
  void Record(std::string event) {
    std::lock_guard<std::mutex> lock(mu_);
    events_.push_back(std::move(event));
  }
  mutable std::mutex mu_;
  std::vector<std::string> events_;
};

}  // namespace flint::ra::testing
