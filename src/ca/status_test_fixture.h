#pragma once
// Test-only: one CA generated per test suite (at the real current time, so that OpenSSL's
// verification, which uses the system clock, accepts it) and leaves issued from it, for the CRL
// and OCSP tests.

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "ca/ca_files.h"
#include "ca/ca_test_util.h"
#include "ca/issuer.h"
#include "ca/signer.h"

namespace flint::ca::testing {

class StatusTestCa {
 public:
  StatusTestCa() : clock_(core::SystemClock().Now()) {
    auto ca = LoadOrCreateCa(dir_.path() + "/ca", {}, clock_, random_);
    if (!ca.ok()) {
      ADD_FAILURE() << ca.error().detail;
      return;
    }
    ca_ = std::make_unique<CaMaterial>(std::move(ca).value());
    issuer_ = NewIntermediateIssuer(*ca_, random_);
    signer_ = std::make_shared<KeySigner>(ca_->intermediate_key);
  }

  // A leaf for `name` with a fresh P-256 key, valid from an hour ago for 90 days.
  UniqueX509 IssueLeaf(const std::string& name) {
    UniquePkey key = GenerateEcKey("P-256").value();
    IssueRequest r;
    r.identifiers = {{core::IdentifierType::kDns, name}};
    r.public_key = key.get();
    r.not_before = clock_.Now() - std::chrono::hours(1);
    r.not_after = clock_.Now() + std::chrono::hours(24 * 90);
    auto issued = issuer_->Issue(r);
    if (!issued.ok()) {
      ADD_FAILURE() << issued.error().detail;
      return nullptr;
    }
    return ParseDerCert(issued->der);
  }

  const CaMaterial& material() const { return *ca_; }
  std::shared_ptr<const Signer> signer() const { return signer_; }
  X509* root() const { return ca_->root_cert.get(); }
  X509* intermediate() const { return ca_->intermediate_cert.get(); }
  core::FakeClock& clock() { return clock_; }

 private:
  TempDir dir_;
  core::FakeClock clock_;
  core::SecureRandom random_;
  std::unique_ptr<CaMaterial> ca_;
  std::unique_ptr<Issuer> issuer_;
  std::shared_ptr<const Signer> signer_;
};

}  // namespace flint::ca::testing
