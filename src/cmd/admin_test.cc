// `flint admin` against a real data directory: a CA made by ca::LoadOrCreateCa and a SQLite
// store with accounts, orders and certificates signed by that CA.
#include "cmd/admin.h"
#include "cmd/data_dir.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/json.hpp>
#include <filesystem>
#include <sstream>

#include "ca/ca_files.h"
#include "ca/openssl_util.h"
#include "core/json.h"
#include "jose/base64url.h"
#include "ra/ari.h"
#include "sa/sqlite_store.h"

namespace flint::cmd {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

struct AdminRun {
  int status = 0;
  std::string out;
  std::string err;
};

class AdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/flint-admin-XXXXXX";
    dir_ = mkdtemp(tmpl);
    auto ca = ca::LoadOrCreateCa(dir_, {}, clock_, random_);
    ASSERT_TRUE(ca.ok()) << ca.error().detail;
    ca_ = std::move(ca).value();
    issuer_ = ca::NewIntermediateIssuer(ca_, random_);
    auto st = sa::SqliteStore::Open(StorePath(dir_), clock_);
    ASSERT_TRUE(st.ok()) << st.error().detail;
    store_ = std::move(st).value();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  AdminRun Admin(std::vector<std::string> args) {
    args.insert(args.begin(), {"--data", dir_});
    std::ostringstream out, err;
    AdminRun r;
    r.status = RunAdmin(args, out, err, OpenExistingStore);
    r.out = out.str();
    r.err = err.str();
    return r;
  }

  json::value AdminJson(std::vector<std::string> args) {
    args.push_back("--json");
    AdminRun r = Admin(std::move(args));
    EXPECT_EQ(r.status, 0) << r.err;
    auto v = core::ParseStrictJson(r.out);
    EXPECT_TRUE(v.ok()) << r.out;
    return v.ok() ? *v : json::value();
  }

  core::Account NewAccount(const std::string& thumbprint) {
    core::Account a;
    a.contacts = {"mailto:ops@example.com"};
    a.jwk_json = R"({"kty":"EC"})";
    a.jwk_thumbprint = thumbprint;
    return *store_->CreateAccount(a);
  }

  // A real certificate for `name`, issued through a ready order of `account`.
  core::Certificate Issue(core::AccountId account, const std::string& name) {
    core::Order o;
    o.account_id = account;
    o.expires = clock_.Now() + 24h;
    o.identifiers = {{core::IdentifierType::kDns, name}};
    o.profile = "default";
    core::Authorization authz;
    authz.identifier = o.identifiers[0];
    authz.expires = clock_.Now() + 24h;
    authz.challenges.resize(1);
    authz.challenges[0].token = "tok-" + name;
    core::Order order = *store_->CreateOrder(o, {authz});
    core::Authorization stored = *store_->GetAuthorization(order.authz_ids[0]);
    EXPECT_TRUE(store_->SetChallengeProcessing(stored.challenges[0].id).ok());
    EXPECT_TRUE(
        store_->FinishValidation(stored.challenges[0].id, true, std::nullopt, clock_.Now()).ok());
    EXPECT_TRUE(store_->SetOrderProcessing(order.id).ok());
    auto key = ca::GenerateEcKey("P-256");
    ca::IssueRequest req;
    req.identifiers = o.identifiers;
    req.public_key = key->get();
    req.not_before = clock_.Now();
    req.not_after = clock_.Now() + 24h * 90;
    auto issued = issuer_->Issue(req);
    core::Certificate cert;
    cert.serial_hex = issued->serial_hex;
    cert.der = issued->der;
    cert.chain_pem = issued->chain_pem;
    cert.not_before = issued->not_before;
    cert.not_after = issued->not_after;
    return *store_->FinalizeOrder(order.id, cert);
  }

  core::SystemClock clock_;
  core::SecureRandom random_;
  std::string dir_;
  ca::CaMaterial ca_;
  std::unique_ptr<ca::Issuer> issuer_;
  std::unique_ptr<sa::SqliteStore> store_;
};

TEST_F(AdminTest, EabCreatePrintsIdAndKeyOnceThenListsAndRevokes) {
  json::value created = AdminJson({"eab", "create", "--note", "team blue"});
  std::string key_id(created.at("key_id").as_string());
  auto mac = jose::Base64UrlDecode(created.at("hmac_key").as_string());
  ASSERT_TRUE(mac.ok());
  EXPECT_EQ(mac->size(), 32u);
  EXPECT_EQ(store_->GetEabKey(key_id)->hmac_key, *mac);

  AdminRun list = Admin({"eab", "list"});
  ASSERT_EQ(list.status, 0) << list.err;
  EXPECT_NE(list.out.find("key_id=" + key_id + " status=unused"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("note=\"team blue\""), std::string::npos) << list.out;
  EXPECT_EQ(list.out.find(created.at("hmac_key").as_string().c_str()), std::string::npos);

  AdminRun revoke = Admin({"eab", "revoke", key_id});
  ASSERT_EQ(revoke.status, 0) << revoke.err;
  EXPECT_NE(revoke.out.find("status: revoked"), std::string::npos) << revoke.out;
  EXPECT_EQ(Admin({"eab", "revoke", key_id}).status, 1);
  EXPECT_EQ(Admin({"eab", "revoke", "eab-unknown"}).status, 1);
}

TEST_F(AdminTest, AccountsListAndShow) {
  core::Account a = NewAccount("tp-a");
  core::Account b = NewAccount("tp-b");
  json::value list = AdminJson({"accounts", "list"});
  ASSERT_EQ(list.as_array().size(), 2u);
  EXPECT_EQ(list.as_array()[0].at("id").as_int64(), b.id.value);
  AdminRun show = Admin({"accounts", "show", std::to_string(a.id.value)});
  ASSERT_EQ(show.status, 0) << show.err;
  EXPECT_NE(show.out.find("thumbprint: tp-a\n"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("contacts: mailto:ops@example.com\n"), std::string::npos);
  EXPECT_EQ(Admin({"accounts", "show", "999"}).status, 1);
}

TEST_F(AdminTest, OrdersAndCertificatesFilterByAccount) {
  core::Account a = NewAccount("tp-a");
  core::Account b = NewAccount("tp-b");
  core::Certificate ca1 = Issue(a.id, "a.example");
  Issue(b.id, "b.example");
  json::value orders = AdminJson({"orders", "list", "--account", std::to_string(a.id.value)});
  ASSERT_EQ(orders.as_array().size(), 1u);
  EXPECT_EQ(orders.as_array()[0].at("status").as_string(), "valid");
  EXPECT_EQ(orders.as_array()[0].at("identifiers").as_array()[0].as_string(), "dns:a.example");
  json::value certs = AdminJson({"certs", "list"});
  ASSERT_EQ(certs.as_array().size(), 2u);
  json::value mine = AdminJson({"certs", "list", "--account", std::to_string(a.id.value)});
  ASSERT_EQ(mine.as_array().size(), 1u);
  EXPECT_EQ(mine.as_array()[0].at("serial").as_string(), ca1.serial_hex);

  AdminRun show = Admin({"certs", "show", ca1.serial_hex});
  ASSERT_EQ(show.status, 0) << show.err;
  EXPECT_NE(show.out.find("identifiers: dns:a.example\n"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("-----BEGIN CERTIFICATE-----"), std::string::npos);
  std::string cert_id = ra::FormatCertId(*ra::CertIdOf(ca1.der));
  EXPECT_NE(show.out.find("ari_cert_id: " + cert_id + "\n"), std::string::npos) << show.out;
  AdminRun order = Admin({"orders", "show", std::to_string(ca1.order_id.value)});
  EXPECT_NE(order.out.find("profile: default\n"), std::string::npos) << order.out;
}

TEST_F(AdminTest, CertsRevokeTakesAnyOperatorReasonOnce) {
  core::Account a = NewAccount("tp-a");
  core::Certificate cert = Issue(a.id, "a.example");
  // certificateHold (6) is not a subscriber reason; an operator may use it.
  AdminRun revoke = Admin({"certs", "revoke", cert.serial_hex, "--reason", "6"});
  ASSERT_EQ(revoke.status, 0) << revoke.err;
  core::Certificate stored = *store_->GetCertificateBySerial(cert.serial_hex);
  EXPECT_TRUE(stored.revoked);
  EXPECT_EQ(stored.revocation_reason, 6);
  AdminRun again = Admin({"certs", "revoke", cert.serial_hex, "--reason", "1"});
  EXPECT_EQ(again.status, 1);
  EXPECT_NE(again.err.find("alreadyRevoked"), std::string::npos) << again.err;
  EXPECT_EQ(Admin({"certs", "revoke", "00ff", "--reason", "0"}).status, 1);
  EXPECT_EQ(Admin({"certs", "revoke", cert.serial_hex}).status, 2);  // --reason is required
}

TEST_F(AdminTest, KeysBlockRecordsTheKey) {
  const std::string hex(64, 'a');
  AdminRun r = Admin({"keys", "block", "--spki-sha256", std::string(64, 'A')});
  ASSERT_EQ(r.status, 0) << r.err;
  auto blocked = store_->GetBlockedKey(hex);
  ASSERT_TRUE(blocked.ok());
  EXPECT_TRUE(blocked->has_value());
  EXPECT_EQ(Admin({"keys", "block", "--spki-sha256", "abc"}).status, 1);
}

TEST_F(AdminTest, CaStatusShowsCertificatesAndCounts) {
  core::Account a = NewAccount("tp-a");
  core::Certificate cert = Issue(a.id, "a.example");
  Issue(a.id, "b.example");
  ASSERT_EQ(Admin({"certs", "revoke", cert.serial_hex, "--reason", "4"}).status, 0);
  json::value status = AdminJson({"ca", "status"});
  EXPECT_EQ(status.at("root_sha256").as_string(), ca::CertFingerprintSha256(ca_.root_cert.get()));
  EXPECT_EQ(status.at("intermediate_sha256").as_string(),
            ca::CertFingerprintSha256(ca_.intermediate_cert.get()));
  EXPECT_NE(std::string(status.at("intermediate_subject").as_string()).find("CN="),
            std::string::npos);
  EXPECT_EQ(status.at("certificates_issued").as_int64(), 2);
  EXPECT_EQ(status.at("certificates_revoked").as_int64(), 1);
}

TEST_F(AdminTest, PerspectiveAddWritesAgentDirectoryWithoutTheStore) {
  const std::string out_dir = dir_ + "/agent-east";
  AdminRun r = Admin({"perspective", "add", "east", "--out", out_dir, "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto printed = core::ParseStrictJson(r.out);
  ASSERT_TRUE(printed.ok()) << r.out;
  EXPECT_EQ(printed->at("name").as_string(), "east");
  for (const char* f : {"agent.pem", "agent.key", "ca.pem", "agent.json"}) {
    EXPECT_TRUE(std::filesystem::exists(out_dir + "/" + f)) << f;
  }
  EXPECT_EQ(std::filesystem::status(out_dir + "/agent.key").permissions() &
                std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  EXPECT_EQ(std::filesystem::status(dir_ + "/perspectives/ca.key").permissions() &
                std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  // A bad name is a usage error; a missing --out too.
  EXPECT_EQ(Admin({"perspective", "add", "Not_A_Label", "--out", out_dir}).status, 2);
  EXPECT_EQ(Admin({"perspective", "add", "west"}).status, 2);
}

TEST_F(AdminTest, UsageAndMissingDatabase) {
  EXPECT_EQ(Admin({}).status, 2);
  EXPECT_EQ(Admin({"eab"}).status, 2);
  EXPECT_EQ(Admin({"bogus"}).status, 2);
  std::ostringstream out, err;
  EXPECT_EQ(RunAdmin({"--data", dir_ + "/nowhere", "eab", "list"}, out, err, OpenExistingStore), 1);
  EXPECT_FALSE(std::filesystem::exists(StorePath(dir_ + "/nowhere")));
}

}  // namespace
}  // namespace flint::cmd
