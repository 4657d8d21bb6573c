// Account recovery (account_recovery.h) and the audit records of issuance, revocation and every
// account change (audit_records.h), with the RA over a real SQLite store and the real local CA
// (revocation_test_util.h).
#include "ra/account_recovery.h"

#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <vector>

#include "ra/audit_records.h"
#include "ra/revocation_test_util.h"

namespace flint::ra {
namespace {

using core::ErrorType;

class RecordingAuditLog final : public core::AuditLog {
 public:
  void Record(std::string_view event, boost::json::object fields) override {
    std::lock_guard<std::mutex> lock(mu_);
    records_.emplace_back(std::string(event), std::move(fields));
  }
  // The records of `event` (and `action`, when given), in order.
  std::vector<boost::json::object> Of(const std::string& event, const std::string& action = "") {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<boost::json::object> out;
    for (const auto& [e, f] : records_) {
      if (e != event) continue;
      if (!action.empty() && (!f.contains("action") || f.at("action") != action.c_str())) continue;
      out.push_back(f);
    }
    return out;
  }

 private:
  std::mutex mu_;
  std::vector<std::pair<std::string, boost::json::object>> records_;
};

class AccountRecoveryTest : public testing::RaFixture {
 protected:
  void SetUp() override {
    RaFixture::SetUp();
    ra_->SetAuditLog(audit_);
  }
  RecordingAuditLog audit_;
};

TEST_F(AccountRecoveryTest, RekeyMovesTheAccountAndTheOldKeyNoLongerFindsIt) {
  jose::KeyPair old_key = NewKey();
  core::Account acct = NewAccount(old_key);
  jose::KeyPair new_key = NewKey();
  auto moved = RekeyAccount(*store_, audit_, acct.id, new_key.public_key(), "ticket 7");
  ASSERT_TRUE(moved.ok()) << moved.error().detail;
  EXPECT_EQ(moved->jwk_thumbprint, new_key.public_key().thumbprint());
  EXPECT_EQ(store_->GetAccountByThumbprint(old_key.public_key().thumbprint()).error().type,
            ErrorType::kNotFound);
  EXPECT_EQ(store_->GetAccountByThumbprint(new_key.public_key().thumbprint())->id, acct.id);
  // newAccount with the old key: no such account (onlyReturnExisting), a new one otherwise.
  NewAccountRequest only;
  only.only_return_existing = true;
  EXPECT_EQ(ra_->NewAccount(old_key.public_key(), only).error().type,
            ErrorType::kAccountDoesNotExist);

  std::vector<boost::json::object> records = audit_.Of("account", "rekey");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["account_id"], acct.id.value);
  EXPECT_EQ(records[0]["old_key_thumbprint"], old_key.public_key().thumbprint().c_str());
  EXPECT_EQ(records[0]["new_key_thumbprint"], new_key.public_key().thumbprint().c_str());
  EXPECT_EQ(records[0]["operator"], "ticket 7");
  EXPECT_EQ(records[0]["result"], "success");
}

TEST_F(AccountRecoveryTest, RekeyRefusals) {
  jose::KeyPair key = NewKey();
  core::Account acct = NewAccount(key);
  jose::KeyPair other_key = NewKey();
  core::Account other = NewAccount(other_key);

  // "fail/current-key"
  EXPECT_EQ(RekeyAccount(*store_, audit_, acct.id, key.public_key(), "").error().type,
            ErrorType::kMalformed);
  // "fail/another-accounts-key": kConflict naming it.
  auto taken = RekeyAccount(*store_, audit_, acct.id, other_key.public_key(), "");
  ASSERT_FALSE(taken.ok());
  EXPECT_EQ(taken.error().type, ErrorType::kConflict);
  EXPECT_EQ(taken.error().conflicting_account_id, other.id.value);
  // "fail/unknown-account"
  EXPECT_EQ(RekeyAccount(*store_, audit_, core::AccountId(999999), NewKey().public_key(), "")
                .error()
                .type,
            ErrorType::kNotFound);
  // "fail/blocked-key": a key revoked for keyCompromise.
  jose::KeyPair compromised = NewKey();
  core::Certificate cert = Issue(acct, {"rekey-blocked.example.com"}, compromised);
  RevocationRequest revoke;
  revoke.certificate_der = cert.der;
  revoke.reason = kReasonKeyCompromise;
  revoke.account = acct;
  ASSERT_TRUE(ra_->RevokeCertificate(revoke).ok());
  EXPECT_EQ(RekeyAccount(*store_, audit_, acct.id, compromised.public_key(), "").error().type,
            ErrorType::kBadPublicKey);
  // "fail/deactivated-account"
  ASSERT_TRUE(ra_->DeactivateAccount(other.id).ok());
  EXPECT_EQ(RekeyAccount(*store_, audit_, other.id, NewKey().public_key(), "").error().type,
            ErrorType::kUnauthorized);
  EXPECT_TRUE(audit_.Of("account", "rekey").empty());  // only changes that happened
  EXPECT_EQ(store_->GetAccount(acct.id)->jwk_thumbprint, key.public_key().thumbprint());
}

TEST_F(AccountRecoveryTest, EveryAccountChangeIsAudited) {
  jose::KeyPair key = NewKey();
  core::Account acct = NewAccount(key);
  ASSERT_TRUE(ra_->UpdateContacts(acct.id, {"mailto:a@example.com"}).ok());
  jose::KeyPair next = NewKey();
  ASSERT_TRUE(ra_->ChangeKey({acct.id, next.public_key(), key.public_key()}).ok());
  ASSERT_TRUE(ra_->DeactivateAccount(acct.id).ok());
  const std::string url = std::to_string(acct.id.value);  // account_url_prefix + id
  for (const char* action : {"new_account", "contact_update", "key_change", "deactivation"}) {
    std::vector<boost::json::object> r = audit_.Of("account", action);
    ASSERT_EQ(r.size(), 1u) << action;
    EXPECT_EQ(r[0]["account_id"], acct.id.value) << action;
    EXPECT_TRUE(std::string(r[0]["account"].as_string()).ends_with(url)) << action;
    EXPECT_EQ(r[0]["result"], "success") << action;
  }
  EXPECT_EQ(audit_.Of("account", "contact_update")[0]["contacts"].as_array().at(0),
            "mailto:a@example.com");
  EXPECT_EQ(audit_.Of("account", "key_change")[0]["new_key_thumbprint"],
            next.public_key().thumbprint().c_str());
  EXPECT_EQ(audit_.Of("account", "deactivation")[0]["status"], "deactivated");
}

TEST_F(AccountRecoveryTest, IssuanceAndRevocationAreAudited) {
  core::Account acct = NewAccount(NewKey());
  core::Certificate cert = Issue(acct, {"audit.example.com", "www.audit.example.com"});
  std::vector<boost::json::object> issued = audit_.Of("issuance");
  ASSERT_EQ(issued.size(), 1u);
  EXPECT_EQ(issued[0]["serial"], cert.serial_hex.c_str());
  EXPECT_EQ(issued[0]["result"], "valid");
  EXPECT_EQ(issued[0]["order"], cert.order_id.value);
  EXPECT_EQ(issued[0]["identifiers"].as_array().size(), 2u);
  EXPECT_EQ(issued[0]["identifiers"].as_array()[0].as_object().at("value"), "audit.example.com");

  RevocationRequest revoke;
  revoke.certificate_der = cert.der;
  revoke.reason = kReasonSuperseded;
  revoke.account = acct;
  ASSERT_TRUE(ra_->RevokeCertificate(revoke).ok());
  std::vector<boost::json::object> revoked = audit_.Of("revocation");
  ASSERT_EQ(revoked.size(), 1u);
  EXPECT_EQ(revoked[0]["serial"], cert.serial_hex.c_str());
  EXPECT_EQ(revoked[0]["reason"], kReasonSuperseded);
  EXPECT_EQ(revoked[0]["requester"], "account");
  EXPECT_EQ(revoked[0]["account_id"], acct.id.value);
  // A refused revocation (already revoked) changes nothing and records nothing.
  EXPECT_EQ(ra_->RevokeCertificate(revoke).error().type, ErrorType::kAlreadyRevoked);
  EXPECT_EQ(audit_.Of("revocation").size(), 1u);
}

}  // namespace
}  // namespace flint::ra
