// `flint pebble`'s management API (Pebble 2.4's) against a real CA with an alternate root and a
// real SQLite store; and the exact bytes of cert-status-by-serial.
#include "cmd/pebble.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "ca/ca_files.h"
#include "ca/openssl_util.h"
#include "cmd/pebble_management.h"
#include "cmd/test_data_dir.h"
#include "core/clock.h"
#include "sa/nonce_service.h"

namespace flint::cmd {
namespace {

constexpr const char* kPem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

core::Certificate SampleCertificate() {
  core::Certificate c;
  c.serial_hex = "00a0c2726a8950d7";  // DER content octets: a 00 before a high first bit
  c.chain_pem =
      std::string(kPem) + "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n";
  return c;
}

TEST(CertStatusJson, ValidIsPebblesLayoutByteForByte) {
  EXPECT_EQ(CertStatusJson(SampleCertificate()),
            "{\n"
            "   \"Status\": \"Valid\",\n"
            "   \"Serial\": \"a0c2726a8950d7\",\n"
            "   \"Certificate\": \"-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END "
            "CERTIFICATE-----\\n\"\n"
            "}");
}

TEST(CertStatusJson, RevokedAddsReasonAndGoTime) {
  core::Certificate c = SampleCertificate();
  c.revoked = true;
  c.revocation_reason = 0;
  // 2026-12-02 16:41:51.1424395 UTC: Go prints the fraction without trailing zeros.
  c.revoked_at = core::TimePoint(std::chrono::duration_cast<core::TimePoint::duration>(
      std::chrono::seconds(1796229711) + std::chrono::nanoseconds(142439500)));
  const std::string json = CertStatusJson(c);
  EXPECT_NE(json.find("   \"Status\": \"Revoked\",\n"), std::string::npos) << json;
  EXPECT_NE(json.find("\",\n   \"Reason\": 0,\n   \"RevokedAt\": \"2026-12-02 16:41:51.1424395 "
                      "+0000 UTC\"\n}"),
            std::string::npos)
      << json;
  c.revoked_at = core::TimePoint(std::chrono::seconds(1796229711));
  EXPECT_NE(CertStatusJson(c).find("\"RevokedAt\": \"2026-12-02 16:41:51 +0000 UTC\""),
            std::string::npos);
}

class ManagementTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(HasFailure());
    auto ca =
        ca::LoadOrCreateCa(data_.dir() + "/pebble-ca", {}, clock_, random_, {}, ca::CaShape{1, 1});
    ASSERT_TRUE(ca.ok()) << ca.error().detail;
    ca_ = std::make_unique<ca::CaMaterial>(std::move(ca).value());
  }

  wfe::HttpResponse Get(const std::string& path) {
    wfe::HttpRequest r;
    r.method = "GET";
    r.path = path;
    r.target = path;
    r.headers.emplace_back("host", "localhost:15000");
    return HandleManagement(ServeContext{*ca_, *data_.store(), clock_}, r, "0.0.0.0:15000");
  }

  static std::string Header(const wfe::HttpResponse& r, const std::string& name) {
    std::string out;
    for (const auto& [k, v] : r.headers) {
      if (k == name) out += (out.empty() ? "" : ", ") + v;
    }
    return out;
  }

  core::FakeClock clock_;
  core::SecureRandom random_;
  testing::TestDataDir data_{"flint-pebble-test", clock_, random_};
  std::unique_ptr<ca::CaMaterial> ca_;
};

TEST_F(ManagementTest, RootsAndIntermediatesPerHierarchyWithAlternateLinks) {
  auto root0 = Get("/roots/0");
  ASSERT_EQ(root0.status, 200) << root0.body;
  EXPECT_EQ(root0.body, ca_->chains[0].root_pem);
  EXPECT_EQ(Header(root0, "Content-Type"), "application/pem-certificate-chain; charset=utf-8");
  EXPECT_EQ(Header(root0, "Link"), "<https://localhost:15000/roots/1>;rel=\"alternate\"");
  auto root1 = Get("/roots/1");
  ASSERT_EQ(root1.status, 200);
  EXPECT_EQ(root1.body, ca_->chains[1].root_pem);
  EXPECT_EQ(Header(root1, "Link"), "<https://localhost:15000/roots/0>;rel=\"alternate\"");
  EXPECT_EQ(Get("/roots/01").body, root1.body);  // Go's strconv.Atoi
  EXPECT_EQ(Get("/intermediates/0").body, ca_->intermediate_pem);
  // Under root 1, the cross-certificate: same subject and key, another issuer.
  auto inter1 = Get("/intermediates/1");
  ASSERT_EQ(inter1.status, 200);
  EXPECT_NE(inter1.body, ca_->intermediate_pem);
  EXPECT_EQ(ca_->chains[1].chain_pem.substr(0, inter1.body.size()), inter1.body);
  for (const char* bad : {"/roots/2", "/roots/x", "/roots/-1", "/roots/", "/intermediates/9",
                          "/nothing/0", "/", "/roots"}) {
    auto r = Get(bad);
    EXPECT_EQ(r.status, 404) << bad;
    EXPECT_EQ(Header(r, "Content-Type"), "application/problem+json") << bad;
  }
}

TEST_F(ManagementTest, KeysAreTheCaFilesAndMatchTheirCertificates) {
  auto key0 = Get("/root-keys/0");
  ASSERT_EQ(key0.status, 200);
  EXPECT_EQ(Header(key0, "Content-Type"), "application/x-pem-file; charset=utf-8");
  for (int k : {0, 1}) {
    auto key = ca::ParsePemPrivateKey(Get("/root-keys/" + std::to_string(k)).body);
    ASSERT_TRUE(key.ok()) << k;
    EXPECT_EQ(X509_check_private_key(ca_->chains[k].root.get(), key->get()), 1) << k;
    auto ikey = ca::ParsePemPrivateKey(Get("/intermediate-keys/" + std::to_string(k)).body);
    ASSERT_TRUE(ikey.ok()) << k;
    EXPECT_EQ(X509_check_private_key(ca_->intermediate_cert.get(), ikey->get()), 1) << k;
  }
}

TEST_F(ManagementTest, CertStatusBySerialAnswersPebblesStatusCodes) {
  EXPECT_EQ(Get("/cert-status-by-serial/zz").status, 400);
  EXPECT_EQ(Get("/cert-status-by-serial/").status, 400);
  EXPECT_EQ(Get("/cert-status-by-serial/0xab").status, 400);
  auto unknown = Get("/cert-status-by-serial/ABC123");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(Header(unknown, "Content-Type"), "application/problem+json");
}

// A nonce service that accepts every nonce, to count the decorator's refusals alone.
class AcceptAll final : public sa::NonceService {
 public:
  std::string Issue() override { return "n"; }
  core::Result<void> Redeem(std::string_view) override { return core::Ok(); }
};

TEST(RejectingNonceService, RefusesNoneAllOrSomeWithBadNonce) {
  core::SecureRandom random;
  for (int percent : {0, 100}) {
    RejectingNonceService s(std::make_unique<AcceptAll>(), percent, random);
    for (int i = 0; i < 200; ++i) {
      auto r = s.Redeem("n");
      EXPECT_EQ(r.ok(), percent == 0);
      if (!r.ok()) {
        EXPECT_EQ(r.error().type, core::ErrorType::kBadNonce);
      }
    }
  }
  // Binomial(2000, 0.3): mean 600, sd 20.5; [500, 700] is +-4.9 sd.
  RejectingNonceService s(std::make_unique<AcceptAll>(), 30, random);
  int refused = 0;
  for (int i = 0; i < 2000; ++i) refused += s.Redeem("n").ok() ? 0 : 1;
  EXPECT_GE(refused, 500);
  EXPECT_LE(refused, 700);
}

}  // namespace
}  // namespace flint::cmd
