#pragma once
// Test fixture for the whole ACME pipeline in-process (router, JWS authentication, nonces, RA
// with skip_validation, SQLite store on a temp file, a real CA), with options a test may change
// in Configure(). Used by the handler tests (wfe_test, EAB, profiles, ARI).

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

#include <boost/json.hpp>
#include <cstring>
#include <filesystem>
#include <thread>

#include "ca/ca_files.h"
#include "cmd/ca_authority.h"
#include "cmd/test_data_dir.h"
#include "core/json.h"
#include "jose/base64url.h"
#include "jose/signer.h"
#include "policy/identifier_policy.h"
#include "sa/nonce_service.h"
#include "sa/sqlite_store.h"
#include "wfe/wfe.h"

namespace flint::wfe::testing {

namespace json = boost::json;
inline constexpr const char* kBase = "https://acme.test";

// RFC 8555 §7.3.4: {"protected":{"alg","kid","url"},"payload":jwk,"signature":HMAC}.
// `header_json` replaces the protected header when non-empty.
inline std::string EabJws(const std::string& kid, const std::string& mac_key,
                          const std::string& jwk_json, const std::string& url,
                          const std::string& header_json = "") {
  json::object h;
  h["alg"] = "HS256";
  h["kid"] = kid;
  h["url"] = url;
  std::string p64 = jose::Base64UrlEncode(header_json.empty() ? json::serialize(h) : header_json);
  std::string pl64 = jose::Base64UrlEncode(jwk_json);
  std::string input = p64 + "." + pl64;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), mac_key.data(), static_cast<int>(mac_key.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &mac_len);
  json::object jws;
  jws["protected"] = p64;
  jws["payload"] = pl64;
  jws["signature"] = jose::Base64UrlEncode(std::string_view(reinterpret_cast<char*>(mac), mac_len));
  return json::serialize(jws);
}

class PipelineTest : public ::testing::Test {
 protected:
  // Override to change the options before the pipeline is built.
  virtual void Configure(ra::RaOptions&, WfeOptions&) {}
  // Override to change newOrder's identifier policy (default: IdentifierPolicyOptions{}).
  virtual void ConfigurePolicy(policy::IdentifierPolicyOptions&) {}

  void SetUp() override {
    data_ = std::make_unique<flint::testing::TestDataDir>("flint-wfe", clock_, random_);
    ASSERT_FALSE(HasFailure());
    dir_ = data_->dir();
    store_ = data_->store();
    authority_ = data_->authority();
    nonces_ = std::make_unique<sa::SqlNonceService>(store_->nonces(), random_, clock_,
                                                    std::chrono::seconds(3600));
    policy::IdentifierPolicyOptions po;
    ConfigurePolicy(po);
    policy_ = std::make_unique<policy::IdentifierPolicy>(po);
    ra::RaOptions ro;
    ro.validation_workers = 2;
    WfeOptions wo;
    wo.base_url = kBase;
    Configure(ro, wo);
    ra_ = std::make_unique<ra::RegistrationAuthority>(ro, *store_, clock_, random_, *policy_,
                                                      validator_, *authority_);
    wfe_ = std::make_unique<WebFrontEnd>(wo, *ra_, *store_, *nonces_, clock_);
  }
  void TearDown() override {
    wfe_.reset();
    ra_.reset();
    nonces_.reset();
    data_.reset();
  }

  HttpResponse Send(const std::string& method, const std::string& path, std::string body = "",
                    std::string content_type = "application/jose+json") {
    HttpRequest r;
    r.method = method;
    r.target = path;
    auto q = path.find('?');
    r.path = path.substr(0, q);
    if (q != std::string::npos) r.query = path.substr(q + 1);
    r.headers.emplace_back("host", "acme.test");
    if (!content_type.empty()) r.headers.emplace_back("content-type", content_type);
    r.body = std::move(body);
    return wfe_->Handle(r);
  }

  static std::string Header(const HttpResponse& r, std::string_view name) {
    for (auto& [k, v] : r.headers)
      if (k == name) return v;
    return "";
  }

  std::string Nonce() { return Header(Send("HEAD", "/acme/new-nonce", "", ""), "Replay-Nonce"); }

  static std::string JwkOf(const jose::KeyPair& key) { return key.public_key().canonical_json(); }

  // A flattened JWS for `path` signed by `key`, with jwk (kid empty) or kid, and a fresh nonce
  // unless `nonce` is given.
  std::string Sign(const jose::KeyPair& key, const std::string& path, const std::string& payload,
                   const std::string& kid = "", const std::string& nonce = "") {
    json::object h;
    h["alg"] = std::string(jose::AlgorithmName(key.algorithm()));
    h["nonce"] = nonce.empty() ? Nonce() : nonce;
    h["url"] = std::string(kBase) + path;
    if (kid.empty()) {
      h["jwk"] = *core::ParseStrictJson(JwkOf(key));
    } else {
      h["kid"] = kid;
    }
    return key.SignFlattened(json::serialize(h), payload);
  }

  HttpResponse Post(const jose::KeyPair& key, const std::string& url_or_path,
                    const std::string& payload, const std::string& kid = "") {
    std::string path = PathOf(url_or_path);
    return Send("POST", path, Sign(key, path, payload, kid));
  }

  static std::string ProblemType(const HttpResponse& r) {
    auto v = core::ParseStrictJson(r.body);
    if (!v.ok() || !v->is_object() || !v->as_object().contains("type")) return "";
    std::string t(v->at("type").as_string());
    return t.substr(t.rfind(':') + 1);
  }

  static json::value JsonOf(const HttpResponse& r) {
    auto v = core::ParseStrictJson(r.body);
    return v.ok() ? *v : json::value();
  }

  static std::string PathOf(const std::string& url) {
    return url.rfind(kBase, 0) == 0 ? url.substr(std::strlen(kBase)) : url;
  }

  // Creates an account for `key` (no EAB); returns its URL (the kid).
  std::string NewAccount(const jose::KeyPair& key) {
    HttpResponse r = Post(key, "/acme/new-acct", R"({"termsOfServiceAgreed":true})");
    EXPECT_EQ(r.status, 201) << r.body;
    return Header(r, "Location");
  }

  // newOrder -> each authorization's first challenge -> waits until the order left pending.
  // Returns the newOrder response.
  HttpResponse ReadyOrder(const jose::KeyPair& key, const std::string& kid,
                          const std::string& payload) {
    HttpResponse order = Post(key, "/acme/new-order", payload, kid);
    if (order.status != 201) return order;
    const json::value order_json = JsonOf(order);
    for (const json::value& a : order_json.at("authorizations").as_array()) {
      json::value authz = JsonOf(Post(key, std::string(a.as_string()), "", kid));
      json::value ch = authz.at("challenges").as_array().at(0);
      if (ch.at("status").as_string() == "pending")
        Post(key, std::string(ch.at("url").as_string()), "{}", kid);
    }
    std::string url = Header(order, "Location");
    for (int i = 0; i < 1000; ++i) {
      if (JsonOf(Post(key, url, "", kid)).at("status").as_string() != "pending") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return order;
  }

  // A ready order for `names` (with `extra` JSON members), finalized; returns the final order.
  json::value IssueFor(const jose::KeyPair& key, const std::string& kid,
                       const std::vector<std::string>& names, const std::string& extra = "") {
    json::array ids;
    for (const std::string& n : names) ids.push_back({{"type", "dns"}, {"value", n}});
    std::string payload = R"({"identifiers":)" + json::serialize(ids) + extra + "}";
    HttpResponse order = ReadyOrder(key, kid, payload);
    EXPECT_EQ(order.status, 201) << order.body;
    std::string fin(JsonOf(order).at("finalize").as_string());
    std::string csr = jose::Base64UrlEncode(MakeCsr(names));
    HttpResponse done = Post(key, fin, R"({"csr":")" + csr + "\"}", kid);
    EXPECT_EQ(done.status, 200) << done.body;
    return JsonOf(done);
  }

  // A DER CSR for `names` (DNS SANs) with a fresh P-256 key (or `key` when given).
  static std::string MakeCsr(const std::vector<std::string>& names, EVP_PKEY* key = nullptr) {
    EVP_PKEY* pkey = key != nullptr ? key : EVP_EC_gen("P-256");
    X509_REQ* req = X509_REQ_new();
    X509_REQ_set_version(req, 0);
    X509_REQ_set_pubkey(req, pkey);
    GENERAL_NAMES* gens = sk_GENERAL_NAME_new_null();
    for (const std::string& n : names) {
      GENERAL_NAME* gn = GENERAL_NAME_new();
      ASN1_IA5STRING* ia5 = ASN1_IA5STRING_new();
      ASN1_STRING_set(ia5, n.data(), static_cast<int>(n.size()));
      GENERAL_NAME_set0_value(gn, GEN_DNS, ia5);
      sk_GENERAL_NAME_push(gens, gn);
    }
    STACK_OF(X509_EXTENSION)* exts = sk_X509_EXTENSION_new_null();
    sk_X509_EXTENSION_push(exts, X509V3_EXT_i2d(NID_subject_alt_name, 0, gens));
    X509_REQ_add_extensions(req, exts);
    X509_REQ_sign(req, pkey, EVP_sha256());
    unsigned char* der = nullptr;
    int len = i2d_X509_REQ(req, &der);
    std::string out(reinterpret_cast<char*>(der), len);
    OPENSSL_free(der);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    GENERAL_NAMES_free(gens);
    X509_REQ_free(req);
    if (key == nullptr) EVP_PKEY_free(pkey);
    return out;
  }

  core::FakeClock clock_;
  core::SecureRandom random_;
  std::unique_ptr<flint::testing::TestDataDir> data_;
  std::string dir_;
  sa::SqliteStore* store_ = nullptr;  // owned by data_
  std::unique_ptr<sa::SqlNonceService> nonces_;
  cmd::LocalCertificateAuthority* authority_ = nullptr;  // owned by data_
  std::unique_ptr<policy::IdentifierPolicy> policy_;
  ra::SkipValidator validator_;
  std::unique_ptr<ra::RegistrationAuthority> ra_;
  std::unique_ptr<WebFrontEnd> wfe_;
};

}  // namespace flint::wfe::testing
