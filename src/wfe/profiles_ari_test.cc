// Profiles (draft-aaron-acme-profiles) and ACME Renewal Information (RFC 9773): directory,
// newOrder's "profile" and "replaces", the issued certificates, and GET renewalInfo, through the
// whole pipeline, with the exact problem type of every refusal.
#include "ca/openssl_util.h"
#include "ra/ari.h"
#include "wfe/pipeline_test_util.h"
#include "wfe/render.h"

namespace flint::wfe {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

ra::Profile MakeProfile(std::string name, std::chrono::hours validity, bool cn, bool client,
                        std::vector<core::ChallengeType> challenges = {}) {
  ra::Profile p;
  p.name = name;
  p.description = name + " certificates";
  p.validity = validity;
  p.include_cn = cn;
  p.client_auth = client;
  p.challenges = std::move(challenges);
  return p;
}

class ProfilesAriTest : public testing::PipelineTest {
 protected:
  void Configure(ra::RaOptions& ro, WfeOptions&) override {
    ro.profiles = {MakeProfile("default", 24h * 90, true, false),
                   MakeProfile("shortlived", 24h * 6, false, false),
                   MakeProfile("tlsclient", 24h * 90, true, true),
                   MakeProfile("dnsonly", 24h * 30, true, false, {core::ChallengeType::kDns01}),
                   MakeProfile("ecdh", 24h * 90, true, false)};
    ro.profiles.back().key_usages = {core::KeyUsage::kDigitalSignature,
                                     core::KeyUsage::kKeyAgreement};
    ro.default_profile = "default";
  }
  void SetUp() override {
    PipelineTest::SetUp();
    key_ = std::make_unique<jose::KeyPair>(jose::KeyPair::Generate(jose::Algorithm::kES256));
    kid_ = NewAccount(*key_);
  }

  HttpResponse NewOrder(const std::string& payload) {
    return Post(*key_, "/acme/new-order", payload, kid_);
  }
  static std::string Ids(const std::string& name) {
    return R"({"identifiers":[{"type":"dns","value":")" + name + "\"}]";
  }
  // The stored certificate an order's "certificate" URL names.
  core::Certificate CertOf(const json::value& order) {
    std::string url(order.at("certificate").as_string());
    int64_t id = std::stoll(url.substr(url.rfind('/') + 1));
    return *store_->GetCertificate(core::CertificateId(id));
  }
  static ca::UniqueX509 X509Of(const core::Certificate& c) {
    const auto* p = reinterpret_cast<const unsigned char*>(c.der.data());
    return ca::UniqueX509(d2i_X509(nullptr, &p, static_cast<long>(c.der.size())));
  }
  static std::string CertIdOf(const core::Certificate& c) {
    return ra::FormatCertId(*ra::CertIdOf(c.der));
  }

  std::unique_ptr<jose::KeyPair> key_;
  std::string kid_;
};

TEST_F(ProfilesAriTest, DirectoryListsProfilesAndRenewalInfo) {
  json::value d = JsonOf(Send("GET", "/directory", "", ""));
  EXPECT_EQ(d.at("renewalInfo").as_string(), "https://acme.test/acme/renewal-info");
  const json::object& profiles = d.at("meta").at("profiles").as_object();
  ASSERT_EQ(profiles.size(), 5u);
  EXPECT_EQ(profiles.at("shortlived").as_string(), "shortlived certificates");
}

TEST_F(ProfilesAriTest, OrderRecordsTheChosenOrDefaultProfile) {
  HttpResponse plain = NewOrder(Ids("a.example.com") + "}");
  ASSERT_EQ(plain.status, 201) << plain.body;
  EXPECT_EQ(JsonOf(plain).at("profile").as_string(), "default");
  HttpResponse chosen = NewOrder(Ids("b.example.com") + R"(,"profile":"shortlived"})");
  ASSERT_EQ(chosen.status, 201) << chosen.body;
  EXPECT_EQ(JsonOf(chosen).at("profile").as_string(), "shortlived");
  // Read back through POST-as-GET too.
  EXPECT_EQ(JsonOf(Post(*key_, Header(chosen, "Location"), "", kid_)).at("profile").as_string(),
            "shortlived");
}

struct OrderRefusal {
  const char* name;
  const char* extra;  // appended to the identifiers member
  const char* problem;
};

class ProfileRefusalTest : public ProfilesAriTest,
                           public ::testing::WithParamInterface<OrderRefusal> {};

TEST_P(ProfileRefusalTest, RefusesWithExactType) {
  HttpResponse r = NewOrder(Ids("c.example.com") + GetParam().extra + "}");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ProblemType(r), GetParam().problem) << r.body;
}

INSTANTIATE_TEST_SUITE_P(
    Profiles, ProfileRefusalTest,
    ::testing::Values(OrderRefusal{"unknown", R"(,"profile":"nope")", "invalidProfile"},
                      OrderRefusal{"empty", R"(,"profile":"")", "malformed"},
                      OrderRefusal{"not_a_string", R"(,"profile":7)", "malformed"},
                      OrderRefusal{"replaces_garbage", R"(,"replaces":"garbage")", "malformed"},
                      OrderRefusal{"replaces_unknown", R"(,"replaces":"AAEC.AQ")", "malformed"},
                      OrderRefusal{"replaces_not_string", R"(,"replaces":[])", "malformed"}),
    [](const ::testing::TestParamInfo<OrderRefusal>& info) { return info.param.name; });

TEST_F(ProfilesAriTest, ShortlivedIssuesSixDaysWithoutCommonName) {
  json::value order = IssueFor(*key_, kid_, {"short.example.com"}, R"(,"profile":"shortlived")");
  ASSERT_EQ(order.at("status").as_string(), "valid");
  core::Certificate cert = CertOf(order);
  EXPECT_EQ(cert.not_after - cert.not_before, 24h * 6);
  ca::UniqueX509 x = X509Of(cert);
  EXPECT_EQ(X509_NAME_entry_count(X509_get_subject_name(x.get())), 0);
  EXPECT_EQ(X509_get_extended_key_usage(x.get()) & XKU_SSL_CLIENT, 0u);
}

TEST_F(ProfilesAriTest, DefaultAndTlsClientProfiles) {
  core::Certificate def = CertOf(IssueFor(*key_, kid_, {"def.example.com"}));
  EXPECT_EQ(def.not_after - def.not_before, 24h * 90);
  EXPECT_EQ(X509_NAME_entry_count(X509_get_subject_name(X509Of(def).get())), 1);
  core::Certificate client =
      CertOf(IssueFor(*key_, kid_, {"client.example.com"}, R"(,"profile":"tlsclient")"));
  uint32_t eku = X509_get_extended_key_usage(X509Of(client).get());
  EXPECT_NE(eku & XKU_SSL_CLIENT, 0u);
  EXPECT_NE(eku & XKU_SSL_SERVER, 0u);
}

TEST_F(ProfilesAriTest, ProfileKeyUsagesReachTheCertificate) {
  // The CSR key is P-256: the default's keyEncipherment is RSA-only, keyAgreement fits.
  core::Certificate def = CertOf(IssueFor(*key_, kid_, {"ku.example.com"}));
  EXPECT_EQ(X509_get_key_usage(X509Of(def).get()), static_cast<uint32_t>(KU_DIGITAL_SIGNATURE));
  core::Certificate ecdh =
      CertOf(IssueFor(*key_, kid_, {"ecdh.example.com"}, R"(,"profile":"ecdh")"));
  EXPECT_EQ(X509_get_key_usage(X509Of(ecdh).get()),
            static_cast<uint32_t>(KU_DIGITAL_SIGNATURE | KU_KEY_AGREEMENT));
}

TEST_F(ProfilesAriTest, ProfileChallengesFilterOfferedAndReusedAuthorizations) {
  // Validated with http-01 (the first challenge) under the default profile...
  IssueFor(*key_, kid_, {"reuse.example.com"});
  // ...so a dns-01-only order for the same name gets a fresh authorization with only dns-01.
  HttpResponse r = NewOrder(Ids("reuse.example.com") + R"(,"profile":"dnsonly"})");
  ASSERT_EQ(r.status, 201) << r.body;
  std::string authz_url(JsonOf(r).at("authorizations").as_array()[0].as_string());
  json::value authz = JsonOf(Post(*key_, authz_url, "", kid_));
  EXPECT_EQ(authz.at("status").as_string(), "pending");
  const json::array& chals = authz.at("challenges").as_array();
  ASSERT_EQ(chals.size(), 1u);
  EXPECT_EQ(chals[0].at("type").as_string(), "dns-01");
  // notAfter is bounded by the profile's validity (30 days here).
  std::string late = core::FormatRfc3339(clock_.Now() + 24h * 31);
  HttpResponse too_long =
      NewOrder(Ids("x.example.com") + R"(,"profile":"dnsonly","notAfter":")" + late + "\"}");
  EXPECT_EQ(ProblemType(too_long), "malformed");
}

// --- ARI (RFC 9773) ---

struct CertIdCase {
  const char* name;
  const char* text;
  bool ok;
};

class CertIdParseTest : public ::testing::TestWithParam<CertIdCase> {};

TEST_P(CertIdParseTest, ParsesOrIsMalformed) {
  auto r = ra::ParseCertId(GetParam().text);
  if (GetParam().ok) {
    ASSERT_TRUE(r.ok()) << r.error().detail;
    EXPECT_EQ(ra::FormatCertId(*r), GetParam().text);
  } else {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().type, core::ErrorType::kMalformed);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Ari, CertIdParseTest,
    ::testing::Values(
        // RFC 9773 §4.1 example: keyIdentifier 69:88:5B:6B:87:..., serial 00:87:65:43:21.
        CertIdCase{"rfc_example", "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE", true},
        CertIdCase{"no_dot", "aYhba4dGQEHhs3uEe6CuLN4ByNQ", false},
        CertIdCase{"two_dots", "aYhb.AIdl.QyE", false},
        CertIdCase{"padding", "aYhba4dGQEHhs3uEe6CuLN4ByNQ=.AIdlQyE", false},
        CertIdCase{"empty_serial", "aYhba4dGQEHhs3uEe6CuLN4ByNQ.", false},
        CertIdCase{"empty_aki", ".AIdlQyE", false}, CertIdCase{"negative_serial", "aYhb.gA", false},
        CertIdCase{"non_minimal_serial", "aYhb.AAE", false},
        CertIdCase{"bad_alphabet", "aY+b.AQ", false}),
    [](const ::testing::TestParamInfo<CertIdCase>& info) { return info.param.name; });

TEST(SuggestedWindow, TwoThirdsToThreeQuartersOrInThePastWhenRevoked) {
  core::Certificate c;
  c.not_before = core::FromUnixSeconds(1'000'000);
  c.not_after = c.not_before + 24h * 90;
  core::TimePoint now = c.not_before + 24h;
  ra::RenewalWindow w = ra::SuggestedWindow(c, now);
  EXPECT_EQ(w.start, c.not_before + 24h * 60);
  EXPECT_EQ(w.end, c.not_before + 24h * 67 + 12h);
  c.revoked = true;
  w = ra::SuggestedWindow(c, now);
  EXPECT_LT(w.start, w.end);
  EXPECT_LT(w.end, now);
}

TEST_F(ProfilesAriTest, RenewalInfoForAnIssuedCertificate) {
  core::Certificate cert = CertOf(IssueFor(*key_, kid_, {"ari.example.com"}));
  HttpResponse r = Send("GET", "/acme/renewal-info/" + CertIdOf(cert), "", "");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Header(r, "Retry-After"), "21600");
  json::value w = JsonOf(r).at("suggestedWindow");
  ra::RenewalWindow want = ra::SuggestedWindow(cert, clock_.Now());
  EXPECT_EQ(w.at("start").as_string(), core::FormatRfc3339(want.start));
  EXPECT_EQ(w.at("end").as_string(), core::FormatRfc3339(want.end));

  // Revoked: the window has already passed, so clients renew at once.
  ASSERT_TRUE(store_->RevokeCertificate(cert.id, 1, clock_.Now()).ok());
  json::value revoked = JsonOf(Send("GET", "/acme/renewal-info/" + CertIdOf(cert), "", ""));
  auto end = ParseRfc3339(revoked.at("suggestedWindow").at("end").as_string());
  ASSERT_TRUE(end);
  EXPECT_LT(*end, clock_.Now());
}

TEST_F(ProfilesAriTest, RenewalInfoRefusals) {
  core::Certificate cert = CertOf(IssueFor(*key_, kid_, {"ari2.example.com"}));
  ra::CertId id = *ra::CertIdOf(cert.der);
  ra::CertId unknown_serial = id;
  unknown_serial.serial = "\x01\x02\x03";
  ra::CertId other_issuer = id;
  other_issuer.key_identifier = "not this CA";
  HttpResponse a = Send("GET", "/acme/renewal-info/" + ra::FormatCertId(unknown_serial), "", "");
  EXPECT_EQ(a.status, 404);
  EXPECT_EQ(ProblemType(a), "malformed");
  HttpResponse b = Send("GET", "/acme/renewal-info/" + ra::FormatCertId(other_issuer), "", "");
  EXPECT_EQ(b.status, 404);
  HttpResponse c = Send("GET", "/acme/renewal-info/not-a-cert-id", "", "");
  EXPECT_EQ(c.status, 400);
  EXPECT_EQ(ProblemType(c), "malformed");
  EXPECT_EQ(Send("POST", "/acme/renewal-info/" + CertIdOf(cert), "{}").status, 405);
}

TEST_F(ProfilesAriTest, ReplacesLinksTheOrderOnceThenAlreadyReplaced) {
  core::Certificate cert = CertOf(IssueFor(*key_, kid_, {"r.example.com", "s.example.com"}));
  const std::string replaces = R"(,"replaces":")" + CertIdOf(cert) + "\"}";
  HttpResponse first = NewOrder(Ids("s.example.com") + replaces);
  ASSERT_EQ(first.status, 201) << first.body;
  EXPECT_EQ(JsonOf(first).at("replaces").as_string(), CertIdOf(cert));
  HttpResponse second = NewOrder(Ids("r.example.com") + replaces);
  EXPECT_EQ(second.status, 409);
  EXPECT_EQ(ProblemType(second), "alreadyReplaced") << second.body;
  // Once the first replacement is invalid (expired), another order may replace it.
  clock_.Advance(24h * 8);
  HttpResponse third = NewOrder(Ids("r.example.com") + replaces);
  EXPECT_EQ(third.status, 201) << third.body;
}

TEST_F(ProfilesAriTest, ReplacesRefusals) {
  core::Certificate cert = CertOf(IssueFor(*key_, kid_, {"t.example.com"}));
  const std::string replaces = R"(,"replaces":")" + CertIdOf(cert) + "\"}";
  HttpResponse disjoint = NewOrder(Ids("u.example.com") + replaces);
  EXPECT_EQ(ProblemType(disjoint), "malformed") << disjoint.body;
  auto other = jose::KeyPair::Generate(jose::Algorithm::kES256);
  std::string other_kid = NewAccount(other);
  HttpResponse foreign = Post(other, "/acme/new-order", Ids("t.example.com") + replaces, other_kid);
  EXPECT_EQ(foreign.status, 403);
  EXPECT_EQ(ProblemType(foreign), "unauthorized") << foreign.body;
}

}  // namespace
}  // namespace flint::wfe
