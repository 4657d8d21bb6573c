// The CRL and OCSP answers built from storage: contents parsed back with OpenSSL, CRL numbers
// increasing (also across a restart), freshness after revocations here and elsewhere, and OCSP
// good / revoked / unknown verified against the chain.
#include "ra/status_authority.h"

#include <gtest/gtest.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include "ca/openssl_util.h"
#include "ra/revocation_test_util.h"

namespace flint::ra {
namespace {

using namespace std::chrono_literals;
using UniqueCrl = std::unique_ptr<X509_CRL, ca::OsslDeleter<X509_CRL_free>>;

class StatusAuthorityTest : public testing::RaFixture {
 protected:
  void SetUp() override {
    RaFixture::SetUp();
    status_ca_ = authority_;
    status_ = NewStatus();
    ra_->SetRevocationListener([this](const core::Certificate&) { status_->CrlChanged(); });
  }
  void TearDown() override {
    status_.reset();
    RaFixture::TearDown();
  }
  std::unique_ptr<StatusAuthority> NewStatus(StatusOptions options = {}) {
    return std::make_unique<StatusAuthority>(options, *store_, clock_, *status_ca_);
  }
  // Rebuilds the status authority (and its CA's OCSP responder) with these lifetimes.
  void UseLifetimes(std::chrono::seconds crl, std::chrono::seconds ocsp) {
    status_.reset();
    ca::OcspOptions oo;
    oo.validity = ocsp;
    lifetime_ca_ = std::make_unique<cmd::LocalCertificateAuthority>(*ca_, random_, oo);
    status_ca_ = lifetime_ca_.get();
    StatusOptions so;
    so.crl_validity = crl;
    status_ = NewStatus(so);
  }

  UniqueCrl Crl() {
    auto snap = status_->CurrentCrl();
    EXPECT_TRUE(snap.ok()) << snap.error().detail;
    const auto* p = reinterpret_cast<const unsigned char*>(snap->der.data());
    UniqueCrl crl(d2i_X509_CRL(nullptr, &p, static_cast<long>(snap->der.size())));
    EXPECT_TRUE(crl);
    EXPECT_EQ(X509_CRL_verify(crl.get(), X509_get0_pubkey(ca_->intermediate_cert.get())), 1);
    return crl;
  }
  static int64_t Number(X509_CRL* crl) {
    auto* n = static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(crl, NID_crl_number, nullptr, nullptr));
    int64_t v = 0;
    ASN1_INTEGER_get_int64(&v, n);
    ASN1_INTEGER_free(n);
    return v;
  }
  // The reason of `serial`'s entry: -1 if listed without reasonCode, -2 if not listed.
  static int EntryReason(X509_CRL* crl, const std::string& serial) {
    STACK_OF(X509_REVOKED)* list = X509_CRL_get_REVOKED(crl);
    for (int i = 0; i < sk_X509_REVOKED_num(list); ++i) {
      X509_REVOKED* r = sk_X509_REVOKED_value(list, i);
      if (ca::SerialToHex(X509_REVOKED_get0_serialNumber(r)).value() != serial) continue;
      auto* e = static_cast<ASN1_ENUMERATED*>(
          X509_REVOKED_get_ext_d2i(r, NID_crl_reason, nullptr, nullptr));
      int reason = e ? static_cast<int>(ASN1_ENUMERATED_get(e)) : -1;
      ASN1_ENUMERATED_free(e);
      return reason;
    }
    return -2;
  }
  static int Entries(X509_CRL* crl) {
    STACK_OF(X509_REVOKED)* list = X509_CRL_get_REVOKED(crl);
    return list == nullptr ? 0 : sk_X509_REVOKED_num(list);
  }

  core::Certificate IssueAndRevoke(const core::Account& acct, const std::string& name,
                                   int reason) {
    core::Certificate cert = Issue(acct, {name});
    RevocationRequest req;
    req.certificate_der = cert.der;
    req.account = acct;
    req.reason = reason;
    EXPECT_TRUE(ra_->RevokeCertificate(req).ok());
    return cert;
  }

  // OCSP status of `der_cert` through StatusAuthority::Ocsp, verified against root +
  // intermediate. Returns V_OCSP_CERTSTATUS_*; fills reason and revocation time.
  int OcspStatus(const std::string& der_cert, int* reason = nullptr,
                 core::TimePoint* revoked_at = nullptr, core::TimePoint* this_update = nullptr,
                 core::TimePoint* next_update = nullptr) {
    ca::UniqueX509 leaf = ca::testing::ParseDerCert(der_cert);
    OCSP_CERTID* id = OCSP_cert_to_id(EVP_sha1(), leaf.get(), ca_->intermediate_cert.get());
    OCSP_REQUEST* req = OCSP_REQUEST_new();
    OCSP_request_add0_id(req, OCSP_CERTID_dup(id));
    OCSP_request_add1_nonce(req, nullptr, 16);
    unsigned char* der = nullptr;
    int len = i2d_OCSP_REQUEST(req, &der);
    OcspAnswer answer = status_->Ocsp(std::string(reinterpret_cast<char*>(der), len));
    OPENSSL_free(der);
    EXPECT_TRUE(answer.successful);
    EXPECT_TRUE(answer.has_nonce);

    const auto* p = reinterpret_cast<const unsigned char*>(answer.der.data());
    OCSP_RESPONSE* resp = d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(answer.der.size()));
    OCSP_BASICRESP* basic = resp ? OCSP_response_get1_basic(resp) : nullptr;
    int status = -1;
    if (basic != nullptr) {
      X509_STORE* store = X509_STORE_new();
      X509_STORE_add_cert(store, ca_->root_cert.get());
      STACK_OF(X509)* certs = sk_X509_new_null();
      sk_X509_push(certs, ca_->intermediate_cert.get());
      EXPECT_EQ(OCSP_basic_verify(basic, certs, store, 0), 1);
      EXPECT_EQ(OCSP_check_nonce(req, basic), 1);
      int r = -1;
      ASN1_GENERALIZEDTIME *rev = nullptr, *thisupd = nullptr, *nextupd = nullptr;
      EXPECT_EQ(OCSP_resp_find_status(basic, id, &status, &r, &rev, &thisupd, &nextupd), 1);
      EXPECT_EQ(OCSP_check_validity(thisupd, nextupd, 300, -1), 1);
      if (reason) *reason = r;
      if (revoked_at && rev) *revoked_at = ca::FromAsn1Time(rev).value();
      if (this_update && thisupd) *this_update = ca::FromAsn1Time(thisupd).value();
      if (next_update && nextupd) *next_update = ca::FromAsn1Time(nextupd).value();
      sk_X509_free(certs);
      X509_STORE_free(store);
    }
    OCSP_BASICRESP_free(basic);
    OCSP_RESPONSE_free(resp);
    OCSP_REQUEST_free(req);
    OCSP_CERTID_free(id);
    return status;
  }

  std::unique_ptr<cmd::LocalCertificateAuthority> lifetime_ca_;  // set by UseLifetimes
  const CertificateAuthority* status_ca_ = nullptr;              // the CA status_ signs with
  std::unique_ptr<StatusAuthority> status_;
};

TEST_F(StatusAuthorityTest, RevocationRegeneratesTheCrlAtOnceWithAHigherNumber) {
  core::Account acct = NewAccount(NewKey());
  UniqueCrl empty = Crl();
  EXPECT_EQ(Entries(empty.get()), 0);
  const int64_t first = Number(empty.get());
  EXPECT_GE(first, core::ToUnixSeconds(clock_.Now()) - 1);  // the Unix time floor

  core::Certificate cert = IssueAndRevoke(acct, "crl.example.com", kReasonKeyCompromise);
  UniqueCrl after = Crl();  // no clock advance: the listener regenerated it
  EXPECT_GT(Number(after.get()), first);
  EXPECT_EQ(Entries(after.get()), 1);
  EXPECT_EQ(EntryReason(after.get(), cert.serial_hex), kReasonKeyCompromise);

  core::Certificate plain = IssueAndRevoke(acct, "plain.example.com", kReasonUnspecified);
  UniqueCrl third = Crl();
  EXPECT_GT(Number(third.get()), Number(after.get()));
  EXPECT_EQ(EntryReason(third.get(), plain.serial_hex), -1);  // unspecified: no reasonCode
  EXPECT_EQ(Entries(third.get()), 2);
}

TEST_F(StatusAuthorityTest, CachedCrlPicksUpRevocationsFromElsewhereAtOnce) {
  core::Account acct = NewAccount(NewKey());
  core::Certificate cert = Issue(acct, {"elsewhere.example.com"});
  const int64_t n1 = Number(Crl().get());
  EXPECT_EQ(Number(Crl().get()), n1);  // cached

  // Another process (flint admin, another instance) revokes straight in the store; no listener
  // runs here, and the clock does not move: the next CRL lists it.
  ASSERT_TRUE(store_->RevokeCertificate(cert.id, kReasonSuperseded, clock_.Now()).ok());
  UniqueCrl fresh = Crl();
  EXPECT_GT(Number(fresh.get()), n1);
  EXPECT_EQ(EntryReason(fresh.get(), cert.serial_hex), kReasonSuperseded);

  // Nothing changed since: the same CRL until it is an hour old.
  const int64_t n2 = Number(fresh.get());
  clock_.Advance(59min);
  EXPECT_EQ(Number(Crl().get()), n2);
  clock_.Advance(1min);
  UniqueCrl hourly = Crl();
  EXPECT_GT(Number(hourly.get()), n2);
  EXPECT_EQ(Entries(hourly.get()), 1);
}

TEST_F(StatusAuthorityTest, CrlTimesAndNumbersAcrossARestart) {
  auto snap = status_->CurrentCrl();
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap->next_update - snap->this_update, std::chrono::hours(24));
  UniqueCrl crl = Crl();
  EXPECT_EQ(ca::FromAsn1Time(X509_CRL_get0_lastUpdate(crl.get())).value(), snap->this_update);
  EXPECT_EQ(ca::FromAsn1Time(X509_CRL_get0_nextUpdate(crl.get())).value(), snap->next_update);

  // A restart: nothing cached; the CRL published in the store is still current and served
  // as it is, and the next one takes a higher number from the store.
  status_ = NewStatus();
  auto again = status_->CurrentCrl();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->number, snap->number);
  EXPECT_EQ(again->der, snap->der);
  auto next = status_->RegenerateCrl();
  ASSERT_TRUE(next.ok());
  EXPECT_GT(next->number, snap->number);
}

TEST_F(StatusAuthorityTest, InstancesOnOneStoreServeOneCrlWhoseNumberNeverGoesBack) {
  std::unique_ptr<StatusAuthority> other = NewStatus();
  auto first = status_->CurrentCrl();
  ASSERT_TRUE(first.ok());
  // The other instance serves the CRL this one published rather than making its own.
  auto seen = other->CurrentCrl();
  ASSERT_TRUE(seen.ok());
  EXPECT_EQ(seen->number, first->number);
  EXPECT_EQ(seen->der, first->der);
  // The other instance regenerates; this one adopts the newer CRL at its next answer.
  auto newer = other->RegenerateCrl();
  ASSERT_TRUE(newer.ok());
  ASSERT_GT(newer->number, first->number);
  auto now_served = status_->CurrentCrl();
  ASSERT_TRUE(now_served.ok());
  EXPECT_EQ(now_served->number, newer->number);
  EXPECT_EQ(now_served->der, newer->der);
}

TEST_F(StatusAuthorityTest, CrlWithAConfiguredLifetimeIsReplacedAtHalfOfIt) {
  UseLifetimes(90min, 12h);
  clock_.Advance(500ms);  // thisUpdate is whole seconds
  auto snap = status_->CurrentCrl();
  ASSERT_TRUE(snap.ok()) << snap.error().detail;
  EXPECT_EQ(snap->this_update, std::chrono::floor<std::chrono::seconds>(clock_.Now()));
  EXPECT_EQ(snap->next_update - snap->this_update, 90min);
  UniqueCrl crl = Crl();
  EXPECT_EQ(ca::FromAsn1Time(X509_CRL_get0_lastUpdate(crl.get())).value(), snap->this_update);
  EXPECT_EQ(ca::FromAsn1Time(X509_CRL_get0_nextUpdate(crl.get())).value(),
            snap->this_update + 90min);

  // The hourly refresh would leave only 30 minutes; half the lifetime (45 minutes) wins.
  clock_.Advance(44min);
  EXPECT_EQ(status_->CurrentCrl()->number, snap->number);
  clock_.Advance(1min);
  auto fresh = status_->CurrentCrl();
  ASSERT_TRUE(fresh.ok());
  EXPECT_GT(fresh->number, snap->number);
  EXPECT_EQ(fresh->next_update - fresh->this_update, 90min);
}

TEST_F(StatusAuthorityTest, OcspWithAConfiguredLifetime) {
  UseLifetimes(24h, 3h + 30min);
  core::Account acct = NewAccount(NewKey());
  core::Certificate cert = Issue(acct, {"lifetime.example.com"});
  clock_.Advance(250ms);
  core::TimePoint this_update, next_update;
  EXPECT_EQ(OcspStatus(cert.der, nullptr, nullptr, &this_update, &next_update),
            V_OCSP_CERTSTATUS_GOOD);
  EXPECT_EQ(this_update, std::chrono::floor<std::chrono::seconds>(clock_.Now()));
  EXPECT_EQ(next_update, this_update + 3h + 30min);
}

TEST_F(StatusAuthorityTest, ExpiredRevokedCertificatesLeaveTheCrl) {
  core::Account acct = NewAccount(NewKey());
  core::Certificate cert = IssueAndRevoke(acct, "exp.example.com", kReasonSuperseded);
  EXPECT_EQ(Entries(Crl().get()), 1);
  clock_.Advance(cert.not_after - clock_.Now() + 1h);
  ASSERT_TRUE(status_->RegenerateCrl().ok());
  EXPECT_EQ(Entries(Crl().get()), 0);
}

TEST_F(StatusAuthorityTest, OcspGoodRevokedUnknown) {
  core::Account acct = NewAccount(NewKey());
  core::Certificate good = Issue(acct, {"good.example.com"});
  EXPECT_EQ(OcspStatus(good.der), V_OCSP_CERTSTATUS_GOOD);

  core::TimePoint before = std::chrono::floor<std::chrono::seconds>(clock_.Now());
  core::Certificate revoked = IssueAndRevoke(acct, "revoked.example.com", kReasonKeyCompromise);
  int reason = -1;
  core::TimePoint at;
  EXPECT_EQ(OcspStatus(revoked.der, &reason, &at), V_OCSP_CERTSTATUS_REVOKED);
  EXPECT_EQ(reason, OCSP_REVOKED_STATUS_KEYCOMPROMISE);
  EXPECT_EQ(at, before);

  // Same issuer, serial never issued (the certificate was signed but never stored).
  jose::KeyPair key = NewKey();
  IssueRequest ir;
  ir.identifiers = {{core::IdentifierType::kDns, "never.example.com"}};
  ir.public_key = key.public_key();
  ir.not_before = clock_.Now();
  ir.not_after = clock_.Now() + 24h;
  auto unstored = authority_->Issue(ir);
  ASSERT_TRUE(unstored.ok());
  EXPECT_EQ(OcspStatus(unstored->der), V_OCSP_CERTSTATUS_UNKNOWN);
}

}  // namespace
}  // namespace flint::ra
