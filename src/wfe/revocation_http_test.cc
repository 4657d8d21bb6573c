// revokeCert over the ACME front end (RFC 8555 §7.6) and the plain-HTTP status front end
// (CRL, OCSP GET/POST, issuer), in-process over a real store, CA and RA.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include <boost/json.hpp>

#include "ca/openssl_util.h"
#include "core/json.h"
#include "jose/base64url.h"
#include "ra/revocation_test_util.h"
#include "sa/nonce_service.h"
#include "wfe/status_front_end.h"
#include "wfe/wfe.h"

namespace flint::wfe {
namespace {

namespace json = boost::json;
constexpr const char* kBase = "https://acme.test";

class RevocationHttpTest : public ra::testing::RaFixture {
 protected:
  void SetUp() override {
    RaFixture::SetUp();
    nonces_ = std::make_unique<sa::SqlNonceService>(store_->nonces(), random_, clock_,
                                                    std::chrono::seconds(3600));
    WfeOptions wo;
    wo.base_url = kBase;
    wfe_ = std::make_unique<WebFrontEnd>(wo, *ra_, *store_, *nonces_, clock_);
    status_ = std::make_unique<ra::StatusAuthority>(ra::StatusOptions{}, *store_, clock_,
                                                    *authority_);
    ra_->SetRevocationListener([this](const core::Certificate&) { status_->CrlChanged(); });
    StatusFrontEndOptions so;
    so.issuer_der = ca::CertToDer(ca_->intermediate_cert.get()).value();
    front_ = std::make_unique<StatusFrontEnd>(so, *status_, clock_);
  }
  void TearDown() override {
    front_.reset();
    wfe_.reset();
    status_.reset();
    nonces_.reset();
    RaFixture::TearDown();
  }

  static HttpRequest Request(const std::string& method, const std::string& target,
                             std::string body = "", std::string content_type = "") {
    HttpRequest r;
    r.method = method;
    r.target = target;
    r.path = target.substr(0, target.find('?'));
    r.headers.emplace_back("host", "acme.test");
    if (!content_type.empty()) r.headers.emplace_back("content-type", content_type);
    r.body = std::move(body);
    return r;
  }
  static std::string Header(const HttpResponse& r, std::string_view name) {
    for (auto& [k, v] : r.headers)
      if (k == name) return v;
    return "";
  }
  static std::string ProblemType(const HttpResponse& r) {
    auto v = core::ParseStrictJson(r.body);
    if (!v.ok() || !v->is_object() || !v->as_object().contains("type")) return "";
    std::string t(v->at("type").as_string());
    return t.substr(t.rfind(':') + 1);
  }

  std::string Nonce() {
    HttpRequest r = Request("HEAD", "/acme/new-nonce");
    return Header(wfe_->Handle(r), "Replay-Nonce");
  }
  // POSTs `payload` to revokeCert signed by `key`, with kid `kid` or (empty) the jwk.
  HttpResponse Revoke(const jose::KeyPair& key, const std::string& payload,
                      const std::string& kid = "") {
    json::object h;
    h["alg"] = std::string(jose::AlgorithmName(key.algorithm()));
    h["nonce"] = Nonce();
    h["url"] = std::string(kBase) + "/acme/revoke-cert";
    if (kid.empty()) {
      h["jwk"] = *core::ParseStrictJson(key.public_key().canonical_json());
    } else {
      h["kid"] = kid;
    }
    HttpRequest r = Request("POST", "/acme/revoke-cert",
                            key.SignFlattened(json::serialize(h), payload),
                            "application/jose+json");
    return wfe_->Handle(r);
  }
  static std::string Payload(const core::Certificate& cert, std::string reason = "") {
    std::string p = R"({"certificate":")" + jose::Base64UrlEncode(cert.der) + "\"";
    if (!reason.empty()) p += R"(,"reason":)" + reason;
    return p + "}";
  }
  static std::string Kid(const core::Account& a) {
    return std::string(kBase) + "/acme/acct/" + std::to_string(a.id.value);
  }

  std::string OcspRequestDer(const core::Certificate& cert) {
    ca::UniqueX509 leaf = ca::testing::ParseDerCert(cert.der);
    OCSP_REQUEST* req = OCSP_REQUEST_new();
    OCSP_request_add0_id(req, OCSP_cert_to_id(EVP_sha1(), leaf.get(), ca_->intermediate_cert.get()));
    unsigned char* der = nullptr;
    int len = i2d_OCSP_REQUEST(req, &der);
    std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
    OPENSSL_free(der);
    OCSP_REQUEST_free(req);
    return out;
  }
  // The single status in an OCSP response body (V_OCSP_CERTSTATUS_*), -1 if not successful.
  static int OcspStatusOf(const std::string& body) {
    const auto* p = reinterpret_cast<const unsigned char*>(body.data());
    OCSP_RESPONSE* resp = d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(body.size()));
    if (resp == nullptr) return -2;
    int status = -1;
    if (OCSP_response_status(resp) == OCSP_RESPONSE_STATUS_SUCCESSFUL) {
      OCSP_BASICRESP* basic = OCSP_response_get1_basic(resp);
      OCSP_SINGLERESP* single = OCSP_resp_get0(basic, 0);
      status = OCSP_single_get0_status(single, nullptr, nullptr, nullptr, nullptr);
      OCSP_BASICRESP_free(basic);
    }
    OCSP_RESPONSE_free(resp);
    return status;
  }
  HttpResponse Status(HttpRequest r) { return front_->Handle(r); }

  std::unique_ptr<sa::SqlNonceService> nonces_;
  std::unique_ptr<WebFrontEnd> wfe_;
  std::unique_ptr<ra::StatusAuthority> status_;
  std::unique_ptr<StatusFrontEnd> front_;
};

TEST_F(RevocationHttpTest, RevokeByKidIsEmpty200ThenAlreadyRevoked) {
  jose::KeyPair key = NewKey();
  core::Account acct = NewAccount(key);
  core::Certificate cert = Issue(acct, {"kid.example.com"});
  HttpResponse r = Revoke(key, Payload(cert, "4"), Kid(acct));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(Header(r, "Content-Type"), "");
  EXPECT_FALSE(Header(r, "Replay-Nonce").empty());
  EXPECT_EQ(store_->GetCertificate(cert.id)->revocation_reason, 4);

  HttpResponse again = Revoke(key, Payload(cert), Kid(acct));
  EXPECT_EQ(again.status, 400);
  EXPECT_EQ(ProblemType(again), "alreadyRevoked");
}

TEST_F(RevocationHttpTest, RevokeWithTheCertificateKeyAsJwk) {
  core::Account acct = NewAccount(NewKey());
  jose::KeyPair cert_key = NewKey();
  core::Certificate cert = Issue(acct, {"jwk.example.com"}, cert_key);
  HttpResponse other = Revoke(NewKey(), Payload(cert));
  EXPECT_EQ(other.status, 403);
  EXPECT_EQ(ProblemType(other), "unauthorized");
  HttpResponse r = Revoke(cert_key, Payload(cert, "1"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(store_->GetCertificate(cert.id)->revocation_reason, 1);
}

TEST_F(RevocationHttpTest, RefusalsHaveTheirProblemTypes) {
  jose::KeyPair key = NewKey();
  core::Account acct = NewAccount(key);
  core::Account stranger_acct;
  jose::KeyPair stranger = NewKey();
  stranger_acct = NewAccount(stranger);
  core::Certificate cert = Issue(acct, {"refuse.example.com"});
  struct Case {
    const char* name;
    std::string payload;
    bool as_stranger;
    int status;
    const char* problem;
  };
  const std::vector<Case> cases = {
      {"reason_not_for_subscribers", Payload(cert, "2"), false, 400, "badRevocationReason"},
      {"reason_unused", Payload(cert, "7"), false, 400, "badRevocationReason"},
      {"reason_huge", Payload(cert, "99999999999"), false, 400, "badRevocationReason"},
      {"reason_text", Payload(cert, "\"1\""), false, 400, "malformed"},
      {"no_certificate", R"({"reason":1})", false, 400, "malformed"},
      {"not_base64url", R"({"certificate":"a+b/"})", false, 400, "malformed"},
      {"not_der", R"({"certificate":")" + jose::Base64UrlEncode("nope") + "\"}", false, 400,
       "malformed"},
      {"not_ours", R"({"certificate":")" + jose::Base64UrlEncode(ca::CertToDer(
                       ca_->intermediate_cert.get()).value()) + "\"}",
       false, 404, "malformed"},
      {"other_account", Payload(cert), true, 403, "unauthorized"},
  };
  for (const Case& c : cases) {
    HttpResponse r = c.as_stranger ? Revoke(stranger, c.payload, Kid(stranger_acct))
                                   : Revoke(key, c.payload, Kid(acct));
    EXPECT_EQ(r.status, c.status) << c.name << ": " << r.body;
    EXPECT_EQ(ProblemType(r), c.problem) << c.name << ": " << r.body;
  }
  EXPECT_FALSE(store_->GetCertificate(cert.id)->revoked);
}

TEST_F(RevocationHttpTest, GetOnRevokeCertIs405) {
  HttpRequest r = Request("GET", "/acme/revoke-cert");
  EXPECT_EQ(wfe_->Handle(r).status, 405);
}

TEST_F(RevocationHttpTest, CrlAndIssuerOverPlainHttp) {
  jose::KeyPair key = NewKey();
  core::Account acct = NewAccount(key);
  core::Certificate cert = Issue(acct, {"crl.example.com"});
  ASSERT_EQ(Revoke(key, Payload(cert, "1"), Kid(acct)).status, 200);

  HttpResponse crl = Status(Request("GET", "/crl"));
  ASSERT_EQ(crl.status, 200);
  EXPECT_EQ(Header(crl, "Content-Type"), "application/pkix-crl");
  EXPECT_EQ(Header(crl, "Cache-Control"), "public, max-age=300, no-transform");
  EXPECT_EQ(Header(crl, "Last-Modified").size(), 29u);
  const auto* p = reinterpret_cast<const unsigned char*>(crl.body.data());
  X509_CRL* parsed = d2i_X509_CRL(nullptr, &p, static_cast<long>(crl.body.size()));
  ASSERT_NE(parsed, nullptr);
  ASSERT_EQ(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(parsed)), 1);
  EXPECT_EQ(ca::SerialToHex(X509_REVOKED_get0_serialNumber(
                sk_X509_REVOKED_value(X509_CRL_get_REVOKED(parsed), 0))).value(),
            cert.serial_hex);
  X509_CRL_free(parsed);

  HttpResponse issuer = Status(Request("GET", "/issuer"));
  ASSERT_EQ(issuer.status, 200);
  EXPECT_EQ(Header(issuer, "Content-Type"), "application/pkix-cert");
  EXPECT_EQ(issuer.body, ca::CertToDer(ca_->intermediate_cert.get()).value());
  EXPECT_EQ(Status(Request("HEAD", "/crl")).status, 200);
  HttpResponse post = Status(Request("POST", "/crl", "x"));
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(Header(post, "Allow"), "GET, HEAD");
  EXPECT_EQ(Status(Request("GET", "/")).status, 404);
  EXPECT_EQ(Status(Request("GET", "/crl/x")).status, 404);
}

TEST_F(RevocationHttpTest, OcspOverPostAndGet) {
  jose::KeyPair key = NewKey();
  core::Account acct = NewAccount(key);
  core::Certificate cert = Issue(acct, {"ocsp.example.com"});
  std::string der = OcspRequestDer(cert);

  HttpResponse post = Status(Request("POST", "/ocsp", der, "application/ocsp-request"));
  ASSERT_EQ(post.status, 200);
  EXPECT_EQ(Header(post, "Content-Type"), "application/ocsp-response");
  EXPECT_EQ(Header(post, "Cache-Control"), "public, max-age=300, no-transform");
  EXPECT_EQ(OcspStatusOf(post.body), V_OCSP_CERTSTATUS_GOOD);

  ASSERT_EQ(Revoke(key, Payload(cert), Kid(acct)).status, 200);
  // RFC 6960 Appendix A.1: base64, then URL-encoded ('/' '+' '=' percent-encoded).
  std::string std_b64(4 * ((der.size() + 2) / 3) + 1, '\0');
  std_b64.resize(static_cast<size_t>(
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(std_b64.data()),
                      reinterpret_cast<const unsigned char*>(der.data()),
                      static_cast<int>(der.size()))));
  std::string encoded;
  for (char c : std_b64) {
    encoded += c == '+' ? "%2B" : c == '/' ? "%2F" : c == '=' ? "%3D" : std::string(1, c);
  }
  HttpResponse get = Status(Request("GET", "/ocsp/" + encoded));
  ASSERT_EQ(get.status, 200);
  EXPECT_EQ(OcspStatusOf(get.body), V_OCSP_CERTSTATUS_REVOKED);
  HttpResponse slash_post = Status(Request("POST", "/ocsp/", der));  // no Content-Type: fine
  EXPECT_EQ(OcspStatusOf(slash_post.body), V_OCSP_CERTSTATUS_REVOKED);

  HttpResponse bad = Status(Request("GET", "/ocsp/%%%"));
  ASSERT_EQ(bad.status, 200);
  EXPECT_EQ(Header(bad, "Cache-Control"), "no-store");
  EXPECT_EQ(OcspStatusOf(bad.body), -1);
  EXPECT_EQ(Status(Request("POST", "/ocsp", der, "text/plain")).status, 415);
  EXPECT_EQ(Status(Request("GET", "/ocsp")).status, 405);
}

TEST_F(RevocationHttpTest, OcspOffIs404) {
  StatusFrontEndOptions so;
  so.ocsp = false;
  StatusFrontEnd off(so, *status_, clock_);
  HttpRequest r = Request("POST", "/ocsp", "x", "application/ocsp-request");
  EXPECT_EQ(off.Handle(r).status, 404);
  HttpRequest crl = Request("GET", "/crl");
  EXPECT_EQ(off.Handle(crl).status, 200);
}

TEST(StatusFrontEndHelpers, OcspPathDecoding) {
  EXPECT_EQ(DecodeOcspGetPath("AAEC%2Fw%3D%3D"), std::string("\x00\x01\x02\xff", 4));
  EXPECT_EQ(DecodeOcspGetPath("AAEC/w=="), std::string("\x00\x01\x02\xff", 4));
  EXPECT_EQ(DecodeOcspGetPath("AAEC_w"), std::string("\x00\x01\x02\xff", 4));
  EXPECT_FALSE(DecodeOcspGetPath(""));
  EXPECT_FALSE(DecodeOcspGetPath("%4"));
  EXPECT_FALSE(DecodeOcspGetPath("%zz"));
  EXPECT_FALSE(DecodeOcspGetPath("A"));
  EXPECT_FALSE(DecodeOcspGetPath("a b"));
}

}  // namespace
}  // namespace flint::wfe
