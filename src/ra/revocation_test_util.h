#pragma once
// Test-only: a registration authority over a real SQLite store and a real CA in a temporary
// directory (behind cmd::LocalCertificateAuthority, as `flint serve` wires it), with helpers that issue certificates through NewOrder and Finalize (validations
// are recorded straight in the store, so no validation thread is involved).

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "ca/ca_files.h"
#include "ca/ca_test_util.h"
#include "ca/x509_ext.h"
#include "cmd/ca_authority.h"
#include "cmd/test_data_dir.h"
#include "jose/signer.h"
#include "policy/identifier_policy.h"
#include "ra/ra.h"
#include "sa/sqlite_store.h"

namespace flint::ra::testing {

class RaFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = std::make_unique<flint::testing::TestDataDir>("flint-ra", clock_, random_);
    ASSERT_FALSE(HasFailure());
    dir_ = data_->dir();
    store_ = data_->store();
    ca_ = data_->ca();
    authority_ = data_->authority();
    policy_ = std::make_unique<policy::IdentifierPolicy>(policy::IdentifierPolicyOptions{});
    RaOptions ro;
    ro.validation_workers = 1;
    ra_ = std::make_unique<RegistrationAuthority>(ro, *store_, clock_, random_, *policy_,
                                                  validator_, *authority_);
  }
  void TearDown() override {
    ra_.reset();
    data_.reset();
  }

  // Rebuilds the RA with `options` over other implementations of its interfaces (the fakes of
  // fakes_test_util.h); they must outlive the test.
  void UseRa(RaOptions options, const Validator& validator, const CertificateAuthority& ca) {
    ra_.reset();
    ra_ = std::make_unique<RegistrationAuthority>(std::move(options), *store_, clock_, random_,
                                                  *policy_, validator, ca);
  }

  static jose::KeyPair NewKey() { return jose::KeyPair::Generate(jose::Algorithm::kES256); }

  core::Account NewAccount(const jose::KeyPair& key) {
    NewAccountRequest req;
    req.terms_of_service_agreed = true;
    auto r = ra_->NewAccount(key.public_key(), req);
    EXPECT_TRUE(r.ok()) << r.error().detail;
    return r->account;
  }

  // A ready order of `account` for `names`: created by the RA, validated in the store.
  core::Order ReadyOrder(const core::Account& account, const std::vector<std::string>& names) {
    NewOrderRequest req;
    for (const std::string& n : names) req.identifiers.push_back({core::IdentifierType::kDns, n});
    auto order = ra_->NewOrder(account, req);
    EXPECT_TRUE(order.ok()) << order.error().detail;
    for (core::AuthzId id : order->authz_ids) {
      core::Authorization a = store_->GetAuthorization(id).value();
      if (a.status == core::AuthzStatus::kValid) continue;  // reused
      core::ChallengeId ch = a.challenges.at(0).id;
      EXPECT_TRUE(store_->SetChallengeProcessing(ch).ok());
      EXPECT_TRUE(store_->FinishValidation(ch, true, std::nullopt, clock_.Now()).ok());
    }
    return store_->GetOrder(order->id).value();
  }

  static std::string CsrFor(const std::vector<std::string>& names, EVP_PKEY* key) {
    ca::testing::CsrSpec spec;
    for (const std::string& n : names) spec.san.push_back(ca::NewDnsName(n));
    return ca::testing::MakeCsrDer(key, std::move(spec));
  }

  // Finalizes a new order of `account` for `names` with a CSR for `cert_key`.
  core::Result<core::Order> FinalizeWith(const core::Account& account,
                                         const std::vector<std::string>& names,
                                         EVP_PKEY* cert_key) {
    core::Order order = ReadyOrder(account, names);
    return ra_->Finalize(account, order.id, CsrFor(names, cert_key));
  }

  // A certificate issued to `account` for `names`, with `cert_key`'s public key.
  core::Certificate Issue(const core::Account& account, const std::vector<std::string>& names,
                          const jose::KeyPair& cert_key) {
    auto order = FinalizeWith(account, names, cert_key.pkey());
    EXPECT_TRUE(order.ok()) << order.error().detail;
    EXPECT_EQ(order->status, core::OrderStatus::kValid);
    return store_->GetCertificate(order->certificate_id.value()).value();
  }
  core::Certificate Issue(const core::Account& account, const std::vector<std::string>& names) {
    return Issue(account, names, NewKey());
  }

  core::FakeClock clock_{core::SystemClock().Now()};  // OpenSSL verifies at the real time
  core::SecureRandom random_;
  std::unique_ptr<flint::testing::TestDataDir> data_;
  std::string dir_;
  sa::SqliteStore* store_ = nullptr;            // owned by data_
  ca::CaMaterial* ca_ = nullptr;                // owned by data_
  cmd::LocalCertificateAuthority* authority_ = nullptr;  // owned by data_
  std::unique_ptr<policy::IdentifierPolicy> policy_;
  SkipValidator validator_;
  std::unique_ptr<RegistrationAuthority> ra_;
};

}  // namespace flint::ra::testing
