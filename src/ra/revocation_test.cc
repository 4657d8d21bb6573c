// RFC 8555 §7.6 revocation through the RA: every path that may revoke, every refusal with its
// exact error type, and keyCompromise blocking the key for CSRs and account keys.
#include "ra/revocation.h"

#include <gtest/gtest.h>

#include "ca/cert_info.h"
#include "ra/fakes_test_util.h"
#include "ra/revocation_test_util.h"

namespace flint::ra {
namespace {

using core::ErrorType;

class RevocationTest : public testing::RaFixture {
 protected:
  void SetUp() override {
    RaFixture::SetUp();
    ra_->SetRevocationListener([this](const core::Certificate& c) { notified_.push_back(c); });
  }

  static RevocationRequest ByAccount(const core::Certificate& cert, const core::Account& acct,
                                     std::optional<int> reason = std::nullopt) {
    RevocationRequest r;
    r.certificate_der = cert.der;
    r.account = acct;
    r.reason = reason;
    return r;
  }
  static RevocationRequest ByKey(const core::Certificate& cert, const jose::PublicKey& key,
                                 std::optional<int> reason = std::nullopt) {
    RevocationRequest r;
    r.certificate_der = cert.der;
    r.jwk = key;
    r.reason = reason;
    return r;
  }

  void ExpectError(const Result<core::Certificate>& r, ErrorType type) {
    ASSERT_FALSE(r.ok()) << "expected " << core::ErrorTypeName(type);
    EXPECT_EQ(core::ErrorTypeName(r.error().type), core::ErrorTypeName(type)) << r.error().detail;
  }

  std::vector<core::Certificate> notified_;
};

TEST_F(RevocationTest, IssuingAccountRevokesWithUnspecifiedByDefault) {
  core::Account acct = NewAccount(NewKey());
  core::Certificate cert = Issue(acct, {"a.example.com"});
  auto r = ra_->RevokeCertificate(ByAccount(cert, acct));
  ASSERT_TRUE(r.ok()) << r.error().detail;
  EXPECT_TRUE(r->revoked);
  EXPECT_EQ(r->revocation_reason, 0);
  ASSERT_TRUE(r->revoked_at);
  core::Certificate stored = store_->GetCertificate(cert.id).value();
  EXPECT_TRUE(stored.revoked);
  ASSERT_EQ(notified_.size(), 1u);
  EXPECT_EQ(notified_[0].serial_hex, cert.serial_hex);
}

// core/metrics.h: each revocation with the reason recorded; a refused one counts nothing.
TEST_F(RevocationTest, CountsRevocationsByReason) {
  core::Account acct = NewAccount(NewKey());
  core::Certificate a = Issue(acct, {"ma.example.com"});
  core::Certificate b = Issue(acct, {"mb.example.com"});
  testing::RecordingMetrics metrics;
  ra_->SetMetrics(metrics);
  ASSERT_TRUE(ra_->RevokeCertificate(ByAccount(a, acct, 4)).ok());
  EXPECT_FALSE(ra_->RevokeCertificate(ByAccount(a, acct, 4)).ok());  // already revoked
  ASSERT_TRUE(ra_->RevokeCertificate(ByAccount(b, acct)).ok());
  EXPECT_EQ(metrics.events(), (std::vector<std::string>{"revoked 4", "revoked 0"}));
}

TEST_F(RevocationTest, AccountHoldingAuthorizationsForAllNamesRevokes) {
  core::Account owner = NewAccount(NewKey());
  core::Account other = NewAccount(NewKey());
  core::Certificate cert = Issue(owner, {"a.example.com", "b.example.com"});
  ReadyOrder(other, {"b.example.com", "a.example.com"});
  auto r = ra_->RevokeCertificate(ByAccount(cert, other, kReasonCessationOfOperation));
  ASSERT_TRUE(r.ok()) << r.error().detail;
  EXPECT_EQ(r->revocation_reason, kReasonCessationOfOperation);
}

// Only the certificate's key or its subscriber may say the key is compromised: an account that
// only holds authorizations for the names revokes as cessationOfOperation, and no key is
// blocked.
TEST_F(RevocationTest, NameHolderKeyCompromiseIsCessationAndBlocksNoKey) {
  core::Account owner = NewAccount(NewKey());
  core::Account other = NewAccount(NewKey());
  jose::KeyPair cert_key = NewKey();
  core::Certificate cert = Issue(owner, {"h.example.com"}, cert_key);
  ReadyOrder(other, {"h.example.com"});
  auto r = ra_->RevokeCertificate(ByAccount(cert, other, kReasonKeyCompromise));
  ASSERT_TRUE(r.ok()) << r.error().detail;
  EXPECT_EQ(r->revocation_reason, kReasonCessationOfOperation);
  EXPECT_FALSE(store_->GetBlockedKey(ca::SpkiSha256Hex(cert_key.pkey()).value()).value());
  EXPECT_TRUE(FinalizeWith(owner, {"h2.example.com"}, cert_key.pkey()).ok());
}

// The subscriber may: its keyCompromise blocks the key.
TEST_F(RevocationTest, SubscriberKeyCompromiseBlocksTheKey) {
  core::Account owner = NewAccount(NewKey());
  jose::KeyPair cert_key = NewKey();
  core::Certificate cert = Issue(owner, {"sk.example.com"}, cert_key);
  auto r = ra_->RevokeCertificate(ByAccount(cert, owner, kReasonKeyCompromise));
  ASSERT_TRUE(r.ok()) << r.error().detail;
  EXPECT_EQ(r->revocation_reason, kReasonKeyCompromise);
  EXPECT_TRUE(store_->GetBlockedKey(ca::SpkiSha256Hex(cert_key.pkey()).value()).value());
}

TEST_F(RevocationTest, WildcardNameIsCoveredByTheBaseDomainsAuthorization) {
  core::Account owner = NewAccount(NewKey());
  core::Account other = NewAccount(NewKey());
  core::Certificate cert = Issue(owner, {"*.w.example.com"});
  ExpectError(ra_->RevokeCertificate(ByAccount(cert, other)), ErrorType::kUnauthorized);
  ReadyOrder(other, {"w.example.com"});
  EXPECT_TRUE(ra_->RevokeCertificate(ByAccount(cert, other)).ok());
}

TEST_F(RevocationTest, AccountWithoutAuthorizationsForEveryNameIsUnauthorized) {
  core::Account owner = NewAccount(NewKey());
  core::Account other = NewAccount(NewKey());
  core::Certificate cert = Issue(owner, {"a.example.com", "b.example.com"});
  ExpectError(ra_->RevokeCertificate(ByAccount(cert, other)), ErrorType::kUnauthorized);
  ReadyOrder(other, {"a.example.com"});  // one of the two names only
  ExpectError(ra_->RevokeCertificate(ByAccount(cert, other)), ErrorType::kUnauthorized);
  EXPECT_FALSE(store_->GetCertificate(cert.id)->revoked);
  EXPECT_TRUE(notified_.empty());
}

TEST_F(RevocationTest, ExpiredAuthorizationsDoNotCount) {
  core::Account owner = NewAccount(NewKey());
  core::Account other = NewAccount(NewKey());
  core::Certificate cert = Issue(owner, {"a.example.com"});
  ReadyOrder(other, {"a.example.com"});
  clock_.Advance(std::chrono::hours(721));  // past the 720 h authorization lifetime
  ExpectError(ra_->RevokeCertificate(ByAccount(cert, other)), ErrorType::kUnauthorized);
  EXPECT_TRUE(ra_->RevokeCertificate(ByAccount(cert, owner)).ok());
}

TEST_F(RevocationTest, CertificateKeyRevokes) {
  core::Account owner = NewAccount(NewKey());
  jose::KeyPair cert_key = NewKey();
  core::Certificate cert = Issue(owner, {"k.example.com"}, cert_key);
  auto r = ra_->RevokeCertificate(ByKey(cert, cert_key.public_key(), kReasonSuperseded));
  ASSERT_TRUE(r.ok()) << r.error().detail;
  EXPECT_EQ(r->revocation_reason, kReasonSuperseded);
}

TEST_F(RevocationTest, AnotherJwkIsUnauthorized) {
  core::Account owner = NewAccount(NewKey());
  core::Certificate cert = Issue(owner, {"k.example.com"});
  ExpectError(ra_->RevokeCertificate(ByKey(cert, NewKey().public_key())),
              ErrorType::kUnauthorized);
}

TEST_F(RevocationTest, AlreadyRevoked) {
  core::Account acct = NewAccount(NewKey());
  core::Certificate cert = Issue(acct, {"a.example.com"});
  ASSERT_TRUE(ra_->RevokeCertificate(ByAccount(cert, acct, kReasonSuperseded)).ok());
  ExpectError(ra_->RevokeCertificate(ByAccount(cert, acct, kReasonKeyCompromise)),
              ErrorType::kAlreadyRevoked);
  EXPECT_EQ(store_->GetCertificate(cert.id)->revocation_reason, kReasonSuperseded);
  EXPECT_EQ(notified_.size(), 1u);
}

TEST_F(RevocationTest, CertificatesFlintDidNotIssue) {
  core::Account acct = NewAccount(NewKey());
  core::Certificate cert = Issue(acct, {"a.example.com"});

  // A certificate from another CA.
  core::SecureRandom random;
  ca::testing::TempDir tmp;
  auto other_ca = ca::LoadOrCreateCa(tmp.path() + "/ca", {}, clock_, random);
  ASSERT_TRUE(other_ca.ok());
  auto other_issuer = ca::NewIntermediateIssuer(*other_ca, random);
  jose::KeyPair key = NewKey();
  ca::IssueRequest ir;
  ir.identifiers = {{core::IdentifierType::kDns, "a.example.com"}};
  ir.public_key = key.pkey();
  ir.not_before = clock_.Now();
  ir.not_after = clock_.Now() + std::chrono::hours(24);
  auto foreign = other_issuer->Issue(ir);
  ASSERT_TRUE(foreign.ok());
  RevocationRequest req = ByAccount(cert, acct);
  req.certificate_der = foreign->der;
  ExpectError(ra_->RevokeCertificate(req), ErrorType::kNotFound);

  // Flint's serial with other bytes (a changed signature).
  req.certificate_der = cert.der;
  req.certificate_der.back() = static_cast<char>(req.certificate_der.back() ^ 0x01);
  ExpectError(ra_->RevokeCertificate(req), ErrorType::kNotFound);

  req.certificate_der = "not a certificate";
  ExpectError(ra_->RevokeCertificate(req), ErrorType::kMalformed);
  EXPECT_FALSE(store_->GetCertificate(cert.id)->revoked);
}

struct ReasonCase {
  int reason;
  bool subscriber_ok;
  bool admin_ok;
};

class RevocationReasonTest : public RevocationTest,
                             public ::testing::WithParamInterface<ReasonCase> {};

TEST_P(RevocationReasonTest, SubscriberAndOperatorReasons) {
  const ReasonCase& c = GetParam();
  core::Account acct = NewAccount(NewKey());
  core::Certificate cert = Issue(acct, {"r.example.com"});
  auto sub = ra_->RevokeCertificate(ByAccount(cert, acct, c.reason));
  if (c.subscriber_ok) {
    ASSERT_TRUE(sub.ok()) << sub.error().detail;
    EXPECT_EQ(sub->revocation_reason, c.reason);
    return;
  }
  ExpectError(sub, ErrorType::kBadRevocationReason);
  RevocationRequest admin;
  admin.serial_hex = cert.serial_hex;
  admin.reason = c.reason;
  admin.admin = true;
  auto op = ra_->RevokeCertificate(admin);
  if (c.admin_ok) {
    ASSERT_TRUE(op.ok()) << op.error().detail;
    EXPECT_EQ(op->revocation_reason, c.reason);
  } else {
    ExpectError(op, ErrorType::kBadRevocationReason);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Reasons, RevocationReasonTest,
    ::testing::Values(ReasonCase{0, true, true}, ReasonCase{1, true, true},
                      ReasonCase{2, false, true}, ReasonCase{3, true, true},
                      ReasonCase{4, true, true}, ReasonCase{5, true, true},
                      ReasonCase{6, false, true}, ReasonCase{7, false, false},
                      ReasonCase{8, false, false}, ReasonCase{9, false, true},
                      ReasonCase{10, false, true}, ReasonCase{11, false, false},
                      ReasonCase{-1, false, false}),
    [](const auto& info) {
      int r = info.param.reason;
      return r < 0 ? std::string("minus_") + std::to_string(-r) : "reason_" + std::to_string(r);
    });

TEST_F(RevocationTest, OperatorRevokesBySerialWithoutAuthorization) {
  core::Account acct = NewAccount(NewKey());
  core::Certificate cert = Issue(acct, {"op.example.com"});
  RevocationRequest req;
  req.serial_hex = cert.serial_hex;
  req.reason = kReasonPrivilegeWithdrawn;
  req.admin = true;
  auto r = ra_->RevokeCertificate(req);
  ASSERT_TRUE(r.ok()) << r.error().detail;
  EXPECT_EQ(r->revocation_reason, kReasonPrivilegeWithdrawn);
  EXPECT_EQ(notified_.size(), 1u);

  req.serial_hex = "0123";
  ExpectError(ra_->RevokeCertificate(req), ErrorType::kNotFound);
  // The subscriber path never revokes by serial alone.
  RevocationRequest by_serial;
  by_serial.serial_hex = cert.serial_hex;
  by_serial.account = acct;
  ExpectError(ra_->RevokeCertificate(by_serial), ErrorType::kMalformed);
}

TEST_F(RevocationTest, KeyCompromiseBlocksTheKeyForCsrsAndAccounts) {
  core::Account owner = NewAccount(NewKey());
  jose::KeyPair cert_key = NewKey();
  core::Certificate cert = Issue(owner, {"kc.example.com"}, cert_key);
  ASSERT_TRUE(
      ra_->RevokeCertificate(ByKey(cert, cert_key.public_key(), kReasonKeyCompromise)).ok());

  std::string spki = ca::SpkiSha256Hex(cert_key.pkey()).value();
  auto blocked = store_->GetBlockedKey(spki).value();
  ASSERT_TRUE(blocked);
  EXPECT_NE(blocked->source.find(cert.serial_hex), std::string::npos);

  // A new CSR with the key: badCSR, and the order stays ready.
  core::Order order = ReadyOrder(owner, {"kc2.example.com"});
  auto fin = ra_->Finalize(owner, order.id, CsrFor({"kc2.example.com"}, cert_key.pkey()));
  ASSERT_FALSE(fin.ok());
  EXPECT_EQ(fin.error().type, ErrorType::kBadCsr) << fin.error().detail;
  EXPECT_EQ(store_->GetOrder(order.id)->status, core::OrderStatus::kReady);

  // The key as a new account key, and as the target of a key change: badPublicKey.
  NewAccountRequest na;
  na.terms_of_service_agreed = true;
  auto acct = ra_->NewAccount(cert_key.public_key(), na);
  ASSERT_FALSE(acct.ok());
  EXPECT_EQ(acct.error().type, ErrorType::kBadPublicKey);
  jose::KeyPair owner_key = NewKey();
  core::Account roller = NewAccount(owner_key);
  auto changed = ra_->ChangeKey({roller.id, cert_key.public_key(), owner_key.public_key()});
  ASSERT_FALSE(changed.ok());
  EXPECT_EQ(changed.error().type, ErrorType::kBadPublicKey);

  // Other keys are unaffected.
  EXPECT_TRUE(FinalizeWith(owner, {"kc3.example.com"}, NewKey().pkey()).ok());
}

TEST_F(RevocationTest, OtherReasonsDoNotBlockTheKey) {
  core::Account owner = NewAccount(NewKey());
  jose::KeyPair cert_key = NewKey();
  core::Certificate cert = Issue(owner, {"s.example.com"}, cert_key);
  ASSERT_TRUE(ra_->RevokeCertificate(ByAccount(cert, owner, kReasonSuperseded)).ok());
  EXPECT_FALSE(store_->GetBlockedKey(ca::SpkiSha256Hex(cert_key.pkey()).value()).value());
  auto again = FinalizeWith(owner, {"s.example.com"}, cert_key.pkey());
  ASSERT_TRUE(again.ok()) << again.error().detail;
  EXPECT_EQ(again->status, core::OrderStatus::kValid);
}

TEST_F(RevocationTest, OperatorKeyCompromiseRecordsTheNote) {
  core::Account owner = NewAccount(NewKey());
  jose::KeyPair cert_key = NewKey();
  core::Certificate cert = Issue(owner, {"n.example.com"}, cert_key);
  RevocationRequest req;
  req.serial_hex = cert.serial_hex;
  req.reason = kReasonKeyCompromise;
  req.admin = true;
  req.admin_note = "operator alice";
  ASSERT_TRUE(ra_->RevokeCertificate(req).ok());
  auto blocked = store_->GetBlockedKey(ca::SpkiSha256Hex(cert_key.pkey()).value()).value();
  ASSERT_TRUE(blocked);
  EXPECT_NE(blocked->source.find("operator alice"), std::string::npos);
}

}  // namespace
}  // namespace flint::ra
