// External account binding on newAccount (RFC 8555 §7.3.4), through the whole pipeline, with
// the exact problem type of every refusal.
#include "ra/eab.h"

#include "wfe/pipeline_test_util.h"

namespace flint::wfe {
namespace {

namespace json = boost::json;
using testing::EabJws;
using testing::kBase;

class EabTest : public testing::PipelineTest {
 protected:
  void Configure(ra::RaOptions& ro, WfeOptions& wo) override {
    ro.external_account_required = required_;
    wo.external_account_required = required_;
  }
  void SetUp() override {
    PipelineTest::SetUp();
    auto key = ra::CreateEabKey(*store_, random_, clock_, "test");
    ASSERT_TRUE(key.ok()) << key.error().detail;
    eab_ = std::move(key).value();
  }

  // newAccount for `key` carrying `binding` (raw JSON; empty: none).
  HttpResponse NewAccountWith(const jose::KeyPair& key, const std::string& binding) {
    std::string payload = R"({"termsOfServiceAgreed":true)";
    if (!binding.empty()) payload += R"(,"externalAccountBinding":)" + binding;
    return Post(key, "/acme/new-acct", payload + "}");
  }
  std::string GoodBinding(const jose::KeyPair& key) {
    return EabJws(eab_.key_id, eab_.hmac_key, JwkOf(key), std::string(kBase) + "/acme/new-acct");
  }

  bool required_ = true;
  sa::EabKey eab_;
};

TEST_F(EabTest, DirectorySaysRequired) {
  json::value d = JsonOf(Send("GET", "/directory", "", ""));
  EXPECT_TRUE(d.at("meta").at("externalAccountRequired").as_bool());
}

TEST_F(EabTest, MissingBindingIsExternalAccountRequired) {
  auto key = jose::KeyPair::Generate(jose::Algorithm::kES256);
  HttpResponse r = NewAccountWith(key, "");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(ProblemType(r), "externalAccountRequired") << r.body;
}

TEST_F(EabTest, ValidBindingCreatesTheAccountAndBindsTheKey) {
  auto key = jose::KeyPair::Generate(jose::Algorithm::kES256);
  HttpResponse r = NewAccountWith(key, GoodBinding(key));
  ASSERT_EQ(r.status, 201) << r.body;
  auto acct = store_->GetAccountByThumbprint(key.public_key().thumbprint());
  ASSERT_TRUE(acct.ok());
  EXPECT_EQ(acct->eab_key_id, eab_.key_id);
  EXPECT_EQ(store_->GetEabKey(eab_.key_id)->account_id, acct->id);
  // The same key again finds its account, binding or not (§7.3.1).
  EXPECT_EQ(NewAccountWith(key, "").status, 200);
}

TEST_F(EabTest, KeyBindsOnlyOneAccount) {
  auto first = jose::KeyPair::Generate(jose::Algorithm::kES256);
  ASSERT_EQ(NewAccountWith(first, GoodBinding(first)).status, 201);
  auto second = jose::KeyPair::Generate(jose::Algorithm::kES256);
  HttpResponse r = NewAccountWith(second, GoodBinding(second));
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(ProblemType(r), "unauthorized") << r.body;
}

TEST_F(EabTest, RevokedKeyIsUnauthorized) {
  ASSERT_TRUE(store_->RevokeEabKey(eab_.key_id, clock_.Now()).ok());
  auto key = jose::KeyPair::Generate(jose::Algorithm::kES256);
  HttpResponse r = NewAccountWith(key, GoodBinding(key));
  EXPECT_EQ(ProblemType(r), "unauthorized") << r.body;
}

struct RefusalCase {
  const char* name;
  // Builds the binding for the account key `jwk` from the fixture's key id and MAC key.
  std::string (*binding)(const sa::EabKey& eab, const std::string& jwk);
  const char* problem;
};

std::string NewAcctUrl() { return std::string(kBase) + "/acme/new-acct"; }

const RefusalCase kRefusals[] = {
    {"unknown_kid",
     [](const sa::EabKey& e, const std::string& jwk) {
       return testing::EabJws("eab-unknown", e.hmac_key, jwk, NewAcctUrl());
     },
     "unauthorized"},
    {"wrong_mac_key",
     [](const sa::EabKey& e, const std::string& jwk) {
       return testing::EabJws(e.key_id, std::string(32, 'x'), jwk, NewAcctUrl());
     },
     "unauthorized"},
    {"url_not_new_account",
     [](const sa::EabKey& e, const std::string& jwk) {
       return testing::EabJws(e.key_id, e.hmac_key, jwk, std::string(kBase) + "/acme/new-order");
     },
     "malformed"},
    {"payload_other_key",
     [](const sa::EabKey& e, const std::string&) {
       auto other = jose::KeyPair::Generate(jose::Algorithm::kES256);
       return testing::EabJws(e.key_id, e.hmac_key, other.public_key().canonical_json(),
                              NewAcctUrl());
     },
     "malformed"},
    {"payload_not_a_jwk",
     [](const sa::EabKey& e, const std::string&) {
       return testing::EabJws(e.key_id, e.hmac_key, R"({"hello":1})", NewAcctUrl());
     },
     "malformed"},
    {"alg_hs512",
     [](const sa::EabKey& e, const std::string& jwk) {
       std::string h =
           R"({"alg":"HS512","kid":")" + e.key_id + R"(","url":")" + NewAcctUrl() + "\"}";
       return testing::EabJws(e.key_id, e.hmac_key, jwk, NewAcctUrl(), h);
     },
     "malformed"},
    {"nonce_in_binding",
     [](const sa::EabKey& e, const std::string& jwk) {
       std::string h = R"({"alg":"HS256","kid":")" + e.key_id + R"(","nonce":"abcd","url":")" +
                       NewAcctUrl() + "\"}";
       return testing::EabJws(e.key_id, e.hmac_key, jwk, NewAcctUrl(), h);
     },
     "malformed"},
    {"not_an_object", [](const sa::EabKey&, const std::string&) { return std::string(R"("eab")"); },
     "malformed"},
    {"short_mac",
     [](const sa::EabKey& e, const std::string& jwk) {
       std::string jws = testing::EabJws(e.key_id, e.hmac_key, jwk, NewAcctUrl());
       json::object o = json::parse(jws).as_object();
       o["signature"] = jose::Base64UrlEncode("short");
       return json::serialize(o);
     },
     "malformed"},
};

class EabRefusalTest : public EabTest, public ::testing::WithParamInterface<RefusalCase> {};

TEST_P(EabRefusalTest, RefusesWithExactTypeAndCreatesNothing) {
  auto key = jose::KeyPair::Generate(jose::Algorithm::kES256);
  HttpResponse r = NewAccountWith(key, GetParam().binding(eab_, JwkOf(key)));
  EXPECT_EQ(ProblemType(r), GetParam().problem) << r.body;
  EXPECT_FALSE(store_->GetAccountByThumbprint(key.public_key().thumbprint()).ok());
  EXPECT_FALSE(store_->GetEabKey(eab_.key_id)->account_id);
}

INSTANTIATE_TEST_SUITE_P(Eab, EabRefusalTest, ::testing::ValuesIn(kRefusals),
                         [](const ::testing::TestParamInfo<RefusalCase>& info) {
                           return info.param.name;
                         });

class EabOptionalTest : public EabTest {
 protected:
  void SetUp() override {
    required_ = false;
    EabTest::SetUp();
  }
};

TEST_F(EabOptionalTest, NotRequiredStillRecordsAValidBinding) {
  auto plain = jose::KeyPair::Generate(jose::Algorithm::kES256);
  EXPECT_EQ(NewAccountWith(plain, "").status, 201);
  auto key = jose::KeyPair::Generate(jose::Algorithm::kES256);
  ASSERT_EQ(NewAccountWith(key, GoodBinding(key)).status, 201);
  EXPECT_EQ(store_->GetAccountByThumbprint(key.public_key().thumbprint())->eab_key_id, eab_.key_id);
  EXPECT_FALSE(
      JsonOf(Send("GET", "/directory", "", "")).at("meta").at("externalAccountRequired").as_bool());
}

TEST_F(EabOptionalTest, NotRequiredStillRefusesABadBinding) {
  auto key = jose::KeyPair::Generate(jose::Algorithm::kES256);
  std::string bad = EabJws(eab_.key_id, std::string(32, 'x'), JwkOf(key), NewAcctUrl());
  EXPECT_EQ(ProblemType(NewAccountWith(key, bad)), "unauthorized");
}

}  // namespace
}  // namespace flint::wfe
