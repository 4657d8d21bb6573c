// Handler tests: the whole ACME pipeline in-process (router, JWS authentication, nonces, RA,
// SQLite store on a temp file), asserting the exact problem type of every refusal.
#include "wfe/wfe.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/json.hpp>
#include <cstring>
#include <filesystem>
#include <functional>
#include <thread>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca/ca_files.h"
#include "ca/cert_info.h"
#include "core/json.h"
#include "policy/identifier_policy.h"
#include "jose/base64url.h"
#include "jose/signer.h"
#include "sa/nonce_service.h"
#include "sa/sqlite_store.h"
#include "wfe/handlers/handlers.h"
#include "wfe/pipeline_test_util.h"
#include "wfe/render.h"

namespace flint::wfe {
namespace {

namespace json = boost::json;
using testing::kBase;

class WfeTest : public testing::PipelineTest {
 protected:
  void Configure(ra::RaOptions&, WfeOptions& wo) override { wo.caa_identities = {"flint.test"}; }
};

// Metrics label the ACME listener's requests by route; a path's ids never become a label.
TEST(EndpointNameTest, NamesEachRouteAndNothingElse) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/directory", "directory"},
      {"/acme/new-nonce", "newNonce"},
      {"/acme/new-acct", "newAccount"},
      {"/acme/acct/12", "account"},
      {"/acme/acct/12/orders", "orders"},
      {"/acme/new-order", "newOrder"},
      {"/acme/new-authz", "newAuthz"},
      {"/acme/order/7", "order"},
      {"/acme/order/7/finalize", "finalize"},
      {"/acme/authz/3", "authz"},
      {"/acme/chall/4", "challenge"},
      {"/acme/cert/5", "certificate"},
      {"/acme/revoke-cert", "revokeCert"},
      {"/acme/key-change", "keyChange"},
      {"/acme/renewal-info/aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE", "renewalInfo"},
      {"/acme/issuer", "issuer"},
      {"/", "other"},
      {"/metrics", "other"},
      {"/acme/order/x", "other"},
      {"/acme/order/7/extra", "other"},
      {"/acme/nothing", "other"},
      {"/acme/acct/12/orders/2", "other"},
  };
  for (const auto& [path, name] : cases) EXPECT_EQ(EndpointName(path), name) << path;
}

// Every new key a client presents adds an entry, so the cache of parsed keys must stay bounded
// (about 2.7 KB per entry).
TEST(KeyCacheTest, StaysWithinItsBound) {
  KeyCache cache;
  for (size_t i = 0; i <= KeyCache::kMaxEntries; ++i) {
    std::string x(32, '\0');
    std::memcpy(x.data(), &i, sizeof i);  // distinct Ed25519 public keys
    x[16] = 1;  // none of them a small-order point (y = 0 and y = 1 are)
    const std::string jwk =
        R"({"crv":"Ed25519","kty":"OKP","x":")" + jose::Base64UrlEncode(x) + R"("})";
    ASSERT_TRUE(cache.Get(jwk).ok()) << i;
    ASSERT_LE(cache.size(), KeyCache::kMaxEntries);
  }
  EXPECT_GE(cache.size(), 1u);  // the newest key is kept
}

TEST_F(WfeTest, DirectoryListsResourcesAndMeta) {
  HttpResponse r = Send("GET", "/directory", "", "");
  ASSERT_EQ(r.status, 200);
  auto d = core::ParseStrictJson(r.body);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->at("newAccount").as_string(), "https://acme.test/acme/new-acct");
  EXPECT_EQ(d->at("meta").at("caaIdentities").as_array().size(), 1u);
  EXPECT_FALSE(d->at("meta").at("externalAccountRequired").as_bool());
}

TEST_F(WfeTest, NewNonceHeadAndGet) {
  HttpResponse head = Send("HEAD", "/acme/new-nonce", "", "");
  EXPECT_EQ(head.status, 200);
  EXPECT_FALSE(Header(head, "Replay-Nonce").empty());
  EXPECT_EQ(Header(head, "Cache-Control"), "no-store");
  HttpResponse get = Send("GET", "/acme/new-nonce", "", "");
  EXPECT_EQ(get.status, 204);
  EXPECT_NE(Header(get, "Replay-Nonce"), Header(head, "Replay-Nonce"));
}

TEST_F(WfeTest, NewAccountCreatesThenReturnsExisting) {
  auto key = jose::KeyPair::Generate(jose::Algorithm::kES256);
  HttpResponse r = Post(key, "/acme/new-acct", R"({"contact":["mailto:a@example.com"]})");
  ASSERT_EQ(r.status, 201) << r.body;
  std::string loc = Header(r, "Location");
  EXPECT_EQ(loc.rfind("https://acme.test/acme/acct/", 0), 0u);
  EXPECT_FALSE(Header(r, "Replay-Nonce").empty());
  HttpResponse again = Post(key, "/acme/new-acct", R"({})");
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(Header(again, "Location"), loc);
}

TEST_F(WfeTest, OnlyReturnExistingUnknownKey) {
  auto key = jose::KeyPair::Generate(jose::Algorithm::kES256);
  HttpResponse r = Post(key, "/acme/new-acct", R"({"onlyReturnExisting":true})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ProblemType(r), "accountDoesNotExist");
}

struct ContactCase {
  const char* name;
  const char* payload;
  const char* problem;
};

class WfeContactTest : public WfeTest, public ::testing::WithParamInterface<ContactCase> {};

TEST_P(WfeContactTest, RefusesWithExactType) {
  auto key = jose::KeyPair::Generate(jose::Algorithm::kES256);
  HttpResponse r = Post(key, "/acme/new-acct", GetParam().payload);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ProblemType(r), GetParam().problem) << r.body;
}

INSTANTIATE_TEST_SUITE_P(
    Contacts, WfeContactTest,
    ::testing::Values(
        ContactCase{"tel", R"({"contact":["tel:+1555"]})", "unsupportedContact"},
        ContactCase{"hfields", R"({"contact":["mailto:a@example.com?subject=x"]})",
                    "invalidContact"},
        ContactCase{"two_addresses", R"({"contact":["mailto:a@example.com,b@example.com"]})",
                    "invalidContact"},
        ContactCase{"no_at", R"({"contact":["mailto:example.com"]})", "invalidContact"},
        ContactCase{"too_many",
                    R"({"contact":["mailto:a@x.com","mailto:b@x.com","mailto:c@x.com",
                    "mailto:d@x.com","mailto:e@x.com","mailto:f@x.com","mailto:g@x.com",
                    "mailto:h@x.com","mailto:i@x.com","mailto:j@x.com","mailto:k@x.com"]})",
                    "invalidContact"},
        ContactCase{"not_array", R"({"contact":"mailto:a@example.com"})", "malformed"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(WfeTest, AccountPostAsGetUpdateAndDeactivate) {
  auto key = jose::KeyPair::Generate(jose::Algorithm::kES256);
  std::string acct = NewAccount(key);
  HttpResponse get = Post(key, PathOf(acct), "", acct);
  ASSERT_EQ(get.status, 200) << get.body;
  HttpResponse upd = Post(key, PathOf(acct), R"({"contact":["mailto:new@example.com"]})", acct);
  ASSERT_EQ(upd.status, 200) << upd.body;
  EXPECT_NE(upd.body.find("mailto:new@example.com"), std::string::npos);
  HttpResponse deact = Post(key, PathOf(acct), R"({"status":"deactivated"})", acct);
  ASSERT_EQ(deact.status, 200) << deact.body;
  EXPECT_NE(deact.body.find("\"deactivated\""), std::string::npos);
  HttpResponse after = Post(key, PathOf(acct), "", acct);
  EXPECT_EQ(after.status, 403);
  EXPECT_EQ(ProblemType(after), "unauthorized");
}

TEST_F(WfeTest, OtherAccountsResourceIs404) {
  auto a = jose::KeyPair::Generate(jose::Algorithm::kES256);
  auto b = jose::KeyPair::Generate(jose::Algorithm::kES256);
  std::string acct_a = NewAccount(a);
  std::string acct_b = NewAccount(b);
  HttpResponse r = Post(b, PathOf(acct_a), "", acct_b);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(ProblemType(r), "malformed");
}

TEST_F(WfeTest, OrdersListEmpty) {
  auto key = jose::KeyPair::Generate(jose::Algorithm::kES256);
  std::string acct = NewAccount(key);
  HttpResponse r = Post(key, PathOf(acct) + "/orders", "", acct);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"({"orders":[]})");
}

TEST_F(WfeTest, NonceIsSingleUse) {
  auto key = jose::KeyPair::Generate(jose::Algorithm::kES256);
  std::string nonce = Nonce();
  HttpResponse first = Send("POST", "/acme/new-acct", Sign(key, "/acme/new-acct", "{}", "", nonce));
  EXPECT_EQ(first.status, 201);
  HttpResponse second =
      Send("POST", "/acme/new-acct", Sign(key, "/acme/new-acct", "{}", "", nonce));
  EXPECT_EQ(second.status, 400);
  EXPECT_EQ(ProblemType(second), "badNonce");
  EXPECT_FALSE(Header(second, "Replay-Nonce").empty());
}

// RFC 8555 §6.5: a nonce is invalid once it has appeared in a request, even one that was then
// refused (here for a url mismatch, a bad signature, a header rule, or a missing account).
TEST_F(WfeTest, NonceOfARefusedRequestIsSpent) {
  auto key = jose::KeyPair::Generate(jose::Algorithm::kES256);
  std::string body = Sign(key, "/acme/new-acct", "{}");
  auto v = core::ParseStrictJson(body);
  v->as_object()["payload"] = jose::Base64UrlEncode(R"({"contact":[]})");
  const std::string bad_signature = json::serialize(*v);
  struct Case {
    std::string name;
    std::function<std::string(const std::string& nonce)> refused;  // a refused request body
    std::string path;
    std::string want_type;
  };
  const std::vector<Case> cases = {
      {"url-mismatch",
       [&](const std::string& n) { return Sign(key, "/acme/new-order", "{}", "", n); },
       "/acme/new-acct", "unauthorized"},
      {"unknown-kid",
       [&](const std::string& n) {
         return Sign(key, "/acme/new-order", "{}", std::string(kBase) + "/acme/acct/999", n);
       },
       "/acme/new-order", "accountDoesNotExist"},
      {"kid-on-new-account",
       [&](const std::string& n) {
         return Sign(key, "/acme/new-acct", "{}", std::string(kBase) + "/acme/acct/1", n);
       },
       "/acme/new-acct", "malformed"},
  };
  for (const Case& c : cases) {
    std::string nonce = Nonce();
    HttpResponse refused = Send("POST", c.path, c.refused(nonce));
    EXPECT_EQ(ProblemType(refused), c.want_type) << c.name << ": " << refused.body;
    HttpResponse again =
        Send("POST", "/acme/new-acct", Sign(key, "/acme/new-acct", "{}", "", nonce));
    EXPECT_EQ(again.status, 400) << c.name;
    EXPECT_EQ(ProblemType(again), "badNonce") << c.name;
  }
  // A request that fails signature verification spends the nonce it carried.
  auto header = core::ParseStrictJson(
      *jose::Base64UrlDecode(std::string(v->as_object()["protected"].as_string())));
  std::string spent(header->as_object()["nonce"].as_string());
  EXPECT_EQ(ProblemType(Send("POST", "/acme/new-acct", bad_signature)), "malformed");
  EXPECT_EQ(ProblemType(Send("POST", "/acme/new-acct",
                             Sign(key, "/acme/new-acct", "{}", "", spent))),
            "badNonce");
}

// A header that parses as far as its nonce and then breaks a rule (both jwk and kid) spends it.
TEST_F(WfeTest, NonceOfAnUnparsableHeaderIsSpent) {
  auto key = jose::KeyPair::Generate(jose::Algorithm::kES256);
  std::string nonce = Nonce();
  json::object h;
  h["alg"] = "ES256";
  h["jwk"] = *core::ParseStrictJson(key.public_key().canonical_json());
  h["kid"] = std::string(kBase) + "/acme/acct/1";
  h["nonce"] = nonce;
  h["url"] = std::string(kBase) + "/acme/new-acct";
  HttpResponse refused =
      Send("POST", "/acme/new-acct", key.SignFlattened(json::serialize(h), "{}"));
  EXPECT_EQ(ProblemType(refused), "malformed");
  EXPECT_EQ(ProblemType(Send("POST", "/acme/new-acct",
                             Sign(key, "/acme/new-acct", "{}", "", nonce))),
            "badNonce");
}

// The client authenticated, so a refusal is 403 (as Boulder and Pebble answer), not 401, which
// would promise a WWW-Authenticate challenge (RFC 9110 §15.5.2).
TEST_F(WfeTest, UrlMismatchIsUnauthorized) {
  auto key = jose::KeyPair::Generate(jose::Algorithm::kES256);
  HttpResponse r = Send("POST", "/acme/new-acct", Sign(key, "/acme/new-order", "{}"));
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(ProblemType(r), "unauthorized");
}

// RFC 8555 §6.3, §7.4.2: the issuer link (rel="up") answers POST-as-GET as well as GET.
TEST_F(WfeTest, IssuerAnswersGetAndPostAsGet) {
  auto key = jose::KeyPair::Generate(jose::Algorithm::kES256);
  std::string acct = NewAccount(key);
  HttpResponse get = Send("GET", "/acme/issuer", "", "");
  ASSERT_EQ(get.status, 200) << get.body;
  HttpResponse post = Post(key, "/acme/issuer", "", acct);
  ASSERT_EQ(post.status, 200) << post.body;
  EXPECT_EQ(Header(post, "Content-Type"), "application/pem-certificate-chain");
  EXPECT_EQ(post.body, get.body);
  EXPECT_FALSE(Header(post, "Replay-Nonce").empty());
  // A payload other than the empty POST-as-GET one is malformed; no account is unauthorized.
  EXPECT_EQ(ProblemType(Post(key, "/acme/issuer", "{}", acct)), "malformed");
  auto stranger = jose::KeyPair::Generate(jose::Algorithm::kES256);
  EXPECT_EQ(ProblemType(Post(stranger, "/acme/issuer", "")), "malformed");
  EXPECT_EQ(Send("PUT", "/acme/issuer", "", "").status, 405);
}

TEST_F(WfeTest, WrongContentTypeIs415) {
  auto key = jose::KeyPair::Generate(jose::Algorithm::kES256);
  HttpResponse r = Send("POST", "/acme/new-acct", Sign(key, "/acme/new-acct", "{}"),
                        "application/json");
  EXPECT_EQ(r.status, 415);
  EXPECT_EQ(ProblemType(r), "malformed");
}

TEST_F(WfeTest, GetOnPostAsGetResourceIs405) {
  HttpResponse r = Send("GET", "/acme/acct/1", "", "");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(Header(r, "Allow"), "POST");
}

TEST_F(WfeTest, KidOnNewAccountIsMalformed) {
  auto key = jose::KeyPair::Generate(jose::Algorithm::kES256);
  std::string acct = NewAccount(key);
  HttpResponse r = Post(key, "/acme/new-acct", "{}", acct);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ProblemType(r), "malformed");
}

TEST_F(WfeTest, UnknownKidIsAccountDoesNotExist) {
  auto key = jose::KeyPair::Generate(jose::Algorithm::kES256);
  HttpResponse r = Post(key, "/acme/acct/999", "", std::string(kBase) + "/acme/acct/999");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ProblemType(r), "accountDoesNotExist");
}

TEST_F(WfeTest, BadSignatureIsMalformed) {
  auto key = jose::KeyPair::Generate(jose::Algorithm::kES256);
  std::string body = Sign(key, "/acme/new-acct", "{}");
  auto v = core::ParseStrictJson(body);
  std::string payload = jose::Base64UrlEncode(R"({"contact":[]})");
  v->as_object()["payload"] = payload;
  HttpResponse r = Send("POST", "/acme/new-acct", json::serialize(*v));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ProblemType(r), "malformed");
}

// keyChange (RFC 8555 §7.3.5): the inner JWS signed by the new key.
std::string InnerKeyChange(const jose::KeyPair& new_key, const jose::KeyPair& old_key,
                           const std::string& acct, const std::string& url,
                           const std::string& inner_nonce = "") {
  json::object h;
  h["alg"] = std::string(jose::AlgorithmName(new_key.algorithm()));
  h["jwk"] = *core::ParseStrictJson(new_key.public_key().canonical_json());
  if (!inner_nonce.empty()) h["nonce"] = inner_nonce;
  h["url"] = url;
  json::object p;
  p["account"] = acct;
  p["oldKey"] = *core::ParseStrictJson(old_key.public_key().canonical_json());
  return new_key.SignFlattened(json::serialize(h), json::serialize(p));
}

TEST_F(WfeTest, KeyChangeRollsTheKey) {
  auto old_key = jose::KeyPair::Generate(jose::Algorithm::kES256);
  auto new_key = jose::KeyPair::Generate(jose::Algorithm::kEdDSA);
  std::string acct = NewAccount(old_key);
  std::string inner = InnerKeyChange(new_key, old_key, acct, std::string(kBase) + "/acme/key-change");
  HttpResponse r = Post(old_key, "/acme/key-change", inner, acct);
  ASSERT_EQ(r.status, 200) << r.body;
  // The new key now signs for the account; the old one no longer finds it.
  EXPECT_EQ(Post(new_key, PathOf(acct), "", acct).status, 200);
  EXPECT_EQ(ProblemType(Post(old_key, "/acme/new-acct", R"({"onlyReturnExisting":true})")),
            "accountDoesNotExist");
}

// Another account's resource and a missing one look alike (404), but a storage failure is not
// hidden behind a 404: it passes through and becomes a 500.
TEST(OwnedByTest, NotFoundForOthersAndMissingInternalPassesThrough) {
  core::Account me;
  me.id = core::AccountId(1);
  core::Order mine;
  mine.account_id = core::AccountId(1);
  core::Order theirs;
  theirs.account_id = core::AccountId(2);
  EXPECT_TRUE(handlers::OwnedBy(core::Result<core::Order>(mine), me, "order").ok());
  auto other = handlers::OwnedBy(core::Result<core::Order>(theirs), me, "order");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().type, core::ErrorType::kNotFound);
  EXPECT_EQ(other.error().detail, "no such order");
  auto missing = handlers::OwnedBy(
      core::Result<core::Order>(core::Err(core::ErrorType::kNotFound, "sqlite: no row")), me, "order");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().detail, "no such order");
  auto broken = handlers::OwnedBy(
      core::Result<core::Order>(core::Err(core::ErrorType::kInternal, "sqlite: disk I/O error")), me,
      "order");
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.error().type, core::ErrorType::kInternal);
}

TEST_F(WfeTest, KeyChangeToKeyInUseIs409WithLocation) {
  auto a = jose::KeyPair::Generate(jose::Algorithm::kES256);
  auto b = jose::KeyPair::Generate(jose::Algorithm::kES256);
  std::string acct_a = NewAccount(a);
  std::string acct_b = NewAccount(b);
  std::string inner = InnerKeyChange(b, a, acct_a, std::string(kBase) + "/acme/key-change");
  HttpResponse r = Post(a, "/acme/key-change", inner, acct_a);
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(Header(r, "Location"), acct_b);
}

TEST_F(WfeTest, KeyChangeInnerUrlMismatchAndWrongOldKey) {
  auto old_key = jose::KeyPair::Generate(jose::Algorithm::kES256);
  auto new_key = jose::KeyPair::Generate(jose::Algorithm::kES256);
  auto other = jose::KeyPair::Generate(jose::Algorithm::kES256);
  std::string acct = NewAccount(old_key);
  std::string bad_url = InnerKeyChange(new_key, old_key, acct, std::string(kBase) + "/acme/x");
  EXPECT_EQ(ProblemType(Post(old_key, "/acme/key-change", bad_url, acct)), "malformed");
  std::string bad_old = InnerKeyChange(new_key, other, acct, std::string(kBase) + "/acme/key-change");
  EXPECT_EQ(ProblemType(Post(old_key, "/acme/key-change", bad_old, acct)), "malformed");
}

// RFC 8555 §7.3.5: the inner JWS MUST omit "nonce"; one that carries it is refused and the key
// stays as it was.
TEST_F(WfeTest, KeyChangeInnerWithNonceIsMalformed) {
  auto old_key = jose::KeyPair::Generate(jose::Algorithm::kES256);
  auto new_key = jose::KeyPair::Generate(jose::Algorithm::kES256);
  std::string acct = NewAccount(old_key);
  std::string inner = InnerKeyChange(new_key, old_key, acct,
                                     std::string(kBase) + "/acme/key-change", Nonce());
  HttpResponse r = Post(old_key, "/acme/key-change", inner, acct);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ProblemType(r), "malformed");
  EXPECT_EQ(Post(old_key, PathOf(acct), "", acct).status, 200);
}

// A key blocked after the account was made (keyCompromise) no longer signs kid requests, except
// keyChange, which moves the account to a usable key.
TEST_F(WfeTest, BlockedAccountKeyOnlyRollsTheKey) {
  auto key = jose::KeyPair::Generate(jose::Algorithm::kES256);
  std::string acct = NewAccount(key);
  ASSERT_EQ(Post(key, PathOf(acct), "", acct).status, 200);
  std::string spki = ca::SpkiSha256Hex(key.pkey()).value();
  ASSERT_TRUE(store_->BlockKey({spki, clock_.Now(), "test"}).ok());
  HttpResponse refused = Post(key, PathOf(acct), "", acct);
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(ProblemType(refused), "unauthorized");
  EXPECT_EQ(ProblemType(Post(key, "/acme/new-order",
                             R"({"identifiers":[{"type":"dns","value":"b.example.com"}]})", acct)),
            "unauthorized");
  auto new_key = jose::KeyPair::Generate(jose::Algorithm::kES256);
  std::string inner =
      InnerKeyChange(new_key, key, acct, std::string(kBase) + "/acme/key-change");
  HttpResponse rolled = Post(key, "/acme/key-change", inner, acct);
  ASSERT_EQ(rolled.status, 200) << rolled.body;
  EXPECT_EQ(Post(new_key, PathOf(acct), "", acct).status, 200);
}

TEST_F(WfeTest, InternalErrorsRevealNothing) {
  HttpResponse r = Send("GET", "/nope", "", "");
  EXPECT_EQ(r.status, 404);
}


class WfeOrderTest : public WfeTest {
 protected:
  void SetUp() override {
    WfeTest::SetUp();
    key_ = std::make_unique<jose::KeyPair>(jose::KeyPair::Generate(jose::Algorithm::kES256));
    acct_ = NewAccount(*key_);
  }
  HttpResponse PostAcct(const std::string& url_or_path, const std::string& payload) {
    std::string path = url_or_path.rfind(kBase, 0) == 0 ? PathOf(url_or_path) : url_or_path;
    return Post(*key_, path, payload, acct_);
  }
  json::value JsonOf(const HttpResponse& r) { return *core::ParseStrictJson(r.body); }

  // Runs newOrder -> authorizations -> challenges; returns the order URL once it is ready.
  std::string ReadyOrder(const std::string& identifiers) {
    HttpResponse order = PostAcct("/acme/new-order", R"({"identifiers":)" + identifiers + "}");
    EXPECT_EQ(order.status, 201) << order.body;
    json::value order_json = JsonOf(order);
    for (const json::value& a : order_json.at("authorizations").as_array()) {
      HttpResponse authz = PostAcct(std::string(a.as_string()), "");
      EXPECT_EQ(authz.status, 200) << authz.body;
      json::value authz_json = JsonOf(authz);
      json::value ch = authz_json.at("challenges").as_array().at(0);
      HttpResponse resp = PostAcct(std::string(ch.at("url").as_string()), "{}");
      EXPECT_EQ(resp.status, 200) << resp.body;
    }
    std::string url = Header(order, "Location");
    for (int i = 0; i < 500; ++i) {
      json::value o = JsonOf(PostAcct(url, ""));
      if (o.at("status").as_string() != "pending") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return url;
  }

  std::unique_ptr<jose::KeyPair> key_;
  std::string acct_;
};

TEST_F(WfeOrderTest, IssuesACertificateEndToEnd) {
  std::string url = ReadyOrder(R"([{"type":"dns","value":"a.example.com"},
                                   {"type":"dns","value":"b.example.com"}])");
  json::value o = JsonOf(PostAcct(url, ""));
  ASSERT_EQ(o.at("status").as_string(), "ready");
  std::string csr = jose::Base64UrlEncode(MakeCsr({"b.example.com", "a.example.com"}));
  HttpResponse fin = PostAcct(std::string(o.at("finalize").as_string()),
                              R"({"csr":")" + csr + "\"}");
  ASSERT_EQ(fin.status, 200) << fin.body;
  json::value done = JsonOf(fin);
  ASSERT_EQ(done.at("status").as_string(), "valid") << fin.body;
  HttpResponse cert = PostAcct(std::string(done.at("certificate").as_string()), "");
  ASSERT_EQ(cert.status, 200);
  EXPECT_EQ(Header(cert, "Content-Type"), "application/pem-certificate-chain");
  // The body is the whole chain, so there is no rel="up" link: clients that follow it (Caddy)
  // would append the intermediate a second time.
  for (auto& [k, v] : cert.headers) EXPECT_EQ(v.find("rel=\"up\""), std::string::npos) << k;
  size_t certs = 0;
  for (size_t p = 0; (p = cert.body.find("BEGIN CERTIFICATE", p)) != std::string::npos; ++p) ++certs;
  EXPECT_EQ(certs, 2u);
  // The order list now holds it.
  HttpResponse list = PostAcct(acct_ + "/orders", "");
  EXPECT_NE(list.body.find(url), std::string::npos);
}

TEST_F(WfeOrderTest, FinalizeRefusals) {
  std::string url = ReadyOrder(R"([{"type":"dns","value":"c.example.com"}])");
  std::string fin = std::string(JsonOf(PostAcct(url, "")).at("finalize").as_string());
  auto problem = [&](const std::string& payload) { return ProblemType(PostAcct(fin, payload)); };
  EXPECT_EQ(problem(R"({"csr":"!!"})"), "badCSR");
  EXPECT_EQ(problem(R"({"csr":")" + jose::Base64UrlEncode("garbage") + "\"}"), "badCSR");
  EXPECT_EQ(problem(R"({"csr":")" + jose::Base64UrlEncode(MakeCsr({"other.example.com"})) + "\"}"),
            "badCSR");
  EXPECT_EQ(problem(R"({"csr":")" +
                    jose::Base64UrlEncode(MakeCsr({"c.example.com"}, key_->pkey())) + "\"}"),
            "badCSR");
  // RFC 8555 §11.1: another account's key is refused too.
  auto other_key = jose::KeyPair::Generate(jose::Algorithm::kES256);
  NewAccount(other_key);
  HttpResponse other = PostAcct(
      fin, R"({"csr":")" + jose::Base64UrlEncode(MakeCsr({"c.example.com"}, other_key.pkey())) +
               "\"}");
  EXPECT_EQ(other.status, 400);
  EXPECT_EQ(ProblemType(other), "badCSR");
  // Still ready after refusals; one good finalize, then orderNotReady.
  std::string good = R"({"csr":")" + jose::Base64UrlEncode(MakeCsr({"c.example.com"})) + "\"}";
  EXPECT_EQ(JsonOf(PostAcct(fin, good)).at("status").as_string(), "valid");
  HttpResponse again = PostAcct(fin, good);
  EXPECT_EQ(again.status, 403);
  EXPECT_EQ(ProblemType(again), "orderNotReady");
}

// RFC 8555 §7.4.1 pre-authorization: newAuthz gives a pending authorization; once valid, a later
// order of the same account for the name reuses it and is ready at once.
TEST_F(WfeOrderTest, NewAuthzPreAuthorizesAndALaterOrderReusesIt) {
  EXPECT_NE(Send("GET", "/directory", "", "").body.find(std::string(kBase) + "/acme/new-authz"),
            std::string::npos);
  HttpResponse created = PostAcct(
      "/acme/new-authz", R"({"identifier":{"type":"dns","value":"pre.example.com"}})");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string authz_url = Header(created, "Location");
  json::value authz = JsonOf(created);
  EXPECT_EQ(authz.at("status").as_string(), "pending");
  EXPECT_EQ(authz.at("identifier").at("value").as_string(), "pre.example.com");
  std::vector<std::string> types;
  for (const json::value& ch : authz.at("challenges").as_array())
    types.emplace_back(ch.at("type").as_string());
  EXPECT_EQ(types, (std::vector<std::string>{"http-01", "dns-01", "tls-alpn-01", "dns-account-01"}));
  // Answer one challenge (validation is skipped in this fixture) and wait for it.
  std::string ch_url(authz.at("challenges").as_array().at(0).at("url").as_string());
  ASSERT_EQ(PostAcct(ch_url, "{}").status, 200);
  for (int i = 0; i < 500 && JsonOf(PostAcct(authz_url, "")).at("status").as_string() == "pending";
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(JsonOf(PostAcct(authz_url, "")).at("status").as_string(), "valid");
  HttpResponse order = PostAcct(
      "/acme/new-order", R"({"identifiers":[{"type":"dns","value":"pre.example.com"}]})");
  ASSERT_EQ(order.status, 201) << order.body;
  json::value o = JsonOf(order);
  EXPECT_EQ(o.at("status").as_string(), "ready");
  EXPECT_EQ(o.at("authorizations").as_array().at(0).as_string(), authz_url);
}

TEST_F(WfeOrderTest, NewAuthzRefusals) {
  auto problem = [&](const std::string& payload) {
    return ProblemType(PostAcct("/acme/new-authz", payload));
  };
  EXPECT_EQ(problem(R"({"identifier":{"type":"dns","value":"*.pre.example.com"}})"),
            "rejectedIdentifier");
  EXPECT_EQ(problem(R"({"identifier":{"type":"email","value":"a@example.com"}})"),
            "unsupportedIdentifier");
  EXPECT_EQ(problem(R"({"identifier":{"type":"dns","value":"-bad-.example.com"}})"),
            "rejectedIdentifier");
  EXPECT_EQ(problem(R"({"identifiers":[{"type":"dns","value":"a.example.com"}]})"), "malformed");
  EXPECT_EQ(problem(R"({"identifier":"a.example.com"})"), "malformed");
  EXPECT_EQ(ProblemType(PostAcct("/acme/new-authz", "")), "malformed");  // POST-as-GET
}

// flint validates one challenge of an authorization at a time: answering a second one while
// the first is processing says so, instead of answering 200 pending and never starting it.
TEST_F(WfeOrderTest, SecondChallengeWhileOneIsProcessingIsRefused) {
  HttpResponse order = PostAcct(
      "/acme/new-order", R"({"identifiers":[{"type":"dns","value":"two.example.com"}]})");
  ASSERT_EQ(order.status, 201) << order.body;
  std::string authz_url(JsonOf(order).at("authorizations").as_array().at(0).as_string());
  json::value authz = JsonOf(PostAcct(authz_url, ""));
  const json::array& chs = authz.at("challenges").as_array();
  ASSERT_GE(chs.size(), 2u);
  // The first challenge is left processing (as while its validation is in flight).
  auto first = ParseId(PathOf(std::string(chs[0].at("url").as_string())).substr(12));
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(store_->SetChallengeProcessing(core::ChallengeId(*first)).ok());
  std::string second_url(chs[1].at("url").as_string());
  HttpResponse r = PostAcct(second_url, "{}");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(ProblemType(r), "malformed");
  EXPECT_EQ(Header(r, "Retry-After"), "1");
  EXPECT_EQ(JsonOf(PostAcct(second_url, "")).at("status").as_string(), "pending");
}

TEST(ParseRfc3339Test, RefusesDatesATimePointCannotHold) {
  EXPECT_EQ(ParseRfc3339("2026-01-02T03:04:05Z"), core::FromUnixSeconds(1767323045));
  EXPECT_EQ(ParseRfc3339("2028-02-29T00:00:00+01:00"), core::FromUnixSeconds(1835391600));
  for (const char* bad : {"2262-04-12T00:00:00Z", "2300-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
                          "1600-01-01T00:00:00Z", "2026-02-30T00:00:00Z", "2027-02-29T00:00:00Z",
                          "2026-04-31T00:00:00Z"}) {
    EXPECT_EQ(ParseRfc3339(bad), std::nullopt) << bad;
  }
}

// Dates past 2262 used to wrap around into today's date; they are malformed.
TEST_F(WfeOrderTest, NewOrderRefusesDatesOutOfRange) {
  for (const char* key : {"notBefore", "notAfter"}) {
    HttpResponse r = PostAcct("/acme/new-order",
                              std::string(R"({"identifiers":[{"type":"dns","value":"e.example.com"}],")") +
                                  key + R"(":"2300-01-01T00:00:00Z"})");
    EXPECT_EQ(r.status, 400) << key;
    EXPECT_EQ(ProblemType(r), "malformed") << key << ": " << r.body;
  }
}

TEST_F(WfeOrderTest, FinalizeBeforeReadyIsOrderNotReady) {
  HttpResponse order = PostAcct("/acme/new-order", R"({"identifiers":[{"type":"dns","value":"d.example.com"}]})");
  std::string fin = std::string(JsonOf(order).at("finalize").as_string());
  std::string good = R"({"csr":")" + jose::Base64UrlEncode(MakeCsr({"d.example.com"})) + "\"}";
  HttpResponse r = PostAcct(fin, good);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(ProblemType(r), "orderNotReady");
}

TEST_F(WfeOrderTest, NewOrderRefusesBadIdentifiers) {
  HttpResponse r = PostAcct("/acme/new-order", R"({"identifiers":[{"type":"dns","value":"UPPER.example.com"},{"type":"dns","value":"ok.example.com"}]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ProblemType(r), "rejectedIdentifier");
  EXPECT_EQ(JsonOf(r).at("subproblems").as_array().size(), 1u);
  HttpResponse t = PostAcct("/acme/new-order", R"({"identifiers":[{"type":"email","value":"a@b.c"}]})");
  EXPECT_EQ(ProblemType(t), "unsupportedIdentifier");
  HttpResponse e = PostAcct("/acme/new-order", R"({"identifiers":[]})");
  EXPECT_EQ(ProblemType(e), "malformed");
}

// RFC 8555 §7.1.3 and draft-ietf-acme-dns-account-label-01 §3: DNS challenges only.
TEST_F(WfeOrderTest, WildcardAuthzOffersOnlyDns01AndDnsAccount01) {
  HttpResponse order = PostAcct("/acme/new-order", R"({"identifiers":[{"type":"dns","value":"*.w.example.com"}]})");
  ASSERT_EQ(order.status, 201) << order.body;
  std::string authz = std::string(JsonOf(order).at("authorizations").as_array().at(0).as_string());
  json::value a = JsonOf(PostAcct(authz, ""));
  EXPECT_TRUE(a.at("wildcard").as_bool());
  EXPECT_EQ(a.at("identifier").at("value").as_string(), "w.example.com");
  ASSERT_EQ(a.at("challenges").as_array().size(), 2u);
  EXPECT_EQ(a.at("challenges").as_array().at(0).at("type").as_string(), "dns-01");
  EXPECT_EQ(a.at("challenges").as_array().at(1).at("type").as_string(), "dns-account-01");
}

TEST_F(WfeOrderTest, OtherAccountSeesNothing) {
  HttpResponse order = PostAcct("/acme/new-order", R"({"identifiers":[{"type":"dns","value":"e.example.com"}]})");
  auto other = jose::KeyPair::Generate(jose::Algorithm::kES256);
  std::string other_acct = NewAccount(other);
  HttpResponse r = Post(other, PathOf(Header(order, "Location")), "", other_acct);
  EXPECT_EQ(r.status, 404);
}

TEST_F(WfeOrderTest, AuthorizationDeactivation) {
  HttpResponse order = PostAcct("/acme/new-order", R"({"identifiers":[{"type":"dns","value":"f.example.com"}]})");
  std::string authz = std::string(JsonOf(order).at("authorizations").as_array().at(0).as_string());
  HttpResponse d = PostAcct(authz, R"({"status":"deactivated"})");
  ASSERT_EQ(d.status, 200) << d.body;
  EXPECT_EQ(JsonOf(d).at("status").as_string(), "deactivated");
  EXPECT_EQ(JsonOf(PostAcct(Header(order, "Location"), "")).at("status").as_string(), "invalid");
}

// newOrder under the policy flint serve runs by default (Debian's Public Suffix List, no
// private addresses), plus a blocklist: every refusal is 400 rejectedIdentifier with one
// subproblem naming the identifier (RFC 8555 §6.7.1).
class WfeIdentifierPolicyTest : public WfeOrderTest {
 protected:
  void ConfigurePolicy(policy::IdentifierPolicyOptions& po) override {
    auto psl = std::filesystem::exists(policy::kDistributionListPath)
                   ? policy::PublicSuffixList::LoadFile(policy::kDistributionListPath)
                   : policy::PublicSuffixList::Default();
    ASSERT_TRUE(psl.ok()) << psl.error().detail;
    po.psl = *psl;
    po.blocked_names = {"example.net", "8.8.4.4"};
  }
  HttpResponse NewOrder(const std::string& type, const std::string& value) {
    json::object id{{"type", type}, {"value", value}};
    return PostAcct("/acme/new-order",
                    R"({"identifiers":[)" + json::serialize(id) + "]}");
  }
};

TEST_F(WfeIdentifierPolicyTest, RefusesPublicSuffixesPrivateAddressesAndBlockedNames) {
  const std::vector<std::pair<std::string, std::string>> refused = {
      {"dns", "co.uk"},          {"dns", "*.co.uk"},       {"dns", "com"},
      {"dns", "*.com"},          {"dns", "example.net"},   {"dns", "*.www.example.net"},
      {"ip", "10.0.0.1"},        {"ip", "::ffff:1.2.3.4"}, {"ip", "127.0.0.1"},
      {"ip", "192.168.0.1"},     {"ip", "100.64.0.1"},     {"ip", "fd00::1"},
      {"ip", "::1"},             {"ip", "8.8.4.4"},
  };
  for (const auto& [type, value] : refused) {
    SCOPED_TRACE(type + ":" + value);
    HttpResponse r = NewOrder(type, value);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(Header(r, "Content-Type"), "application/problem+json");
    const json::value problem = JsonOf(r);
    EXPECT_EQ(problem.at("type").as_string(), "urn:ietf:params:acme:error:rejectedIdentifier");
    const json::array& subs = problem.at("subproblems").as_array();
    ASSERT_EQ(subs.size(), 1u) << r.body;
    EXPECT_EQ(subs[0].at("type").as_string(), "urn:ietf:params:acme:error:rejectedIdentifier");
    EXPECT_EQ(subs[0].at("identifier").at("value").as_string(), value);
  }
}

TEST_F(WfeIdentifierPolicyTest, AcceptsNamesUnderSuffixesUnknownTldsAndPublicAddresses) {
  for (const auto& [type, value] : std::vector<std::pair<std::string, std::string>>{
           {"dns", "example.co.uk"}, {"dns", "*.example.co.uk"}, {"dns", "foo.internal"},
           {"dns", "host.test"}, {"dns", "*.wild.test"}, {"dns", "example.com"},
           {"ip", "8.8.8.8"}, {"ip", "2606:4700::1111"}}) {
    SCOPED_TRACE(type + ":" + value);
    EXPECT_EQ(NewOrder(type, value).status, 201);
  }
}

// RFC 8555 §7.4.2: with alternate hierarchies (flint pebble's PEBBLE_ALTERNATE_ROOTS, flint
// serve --alternate-roots), the certificate resource links each other chain, and each chain is
// the same leaf followed by its hierarchy's certificates. And the directory alias (/dir), and
// the configured Retry-After (Pebble's "retryAfter").
class WfePebbleOptionsTest : public WfeOrderTest {
 protected:
  static constexpr const char* kAlternate =
      "-----BEGIN CERTIFICATE-----\nALTERNATE\n-----END CERTIFICATE-----\n";
  void Configure(ra::RaOptions& ro, WfeOptions& wo) override {
    WfeOrderTest::Configure(ro, wo);
    wo.alternate_chains_pem = {kAlternate};
    wo.directory_alias = "/dir";
    wo.authz_retry_after_seconds = 7;
    wo.orders_page_size = 2;
  }
  static std::vector<std::string> Links(const HttpResponse& r) {
    std::vector<std::string> out;
    for (auto& [k, v] : r.headers)
      if (k == "Link" && v.find("rel=\"alternate\"") != std::string::npos) out.push_back(v);
    return out;
  }
};

TEST_F(WfePebbleOptionsTest, CertificateLinksAndServesEachChain) {
  std::string url = ReadyOrder(R"([{"type":"dns","value":"alt.example.com"}])");
  std::string fin = std::string(JsonOf(PostAcct(url, "")).at("finalize").as_string());
  std::string csr = jose::Base64UrlEncode(MakeCsr({"alt.example.com"}));
  json::value done = JsonOf(PostAcct(fin, R"({"csr":")" + csr + "\"}"));
  ASSERT_EQ(done.at("status").as_string(), "valid");
  const std::string cert_url(done.at("certificate").as_string());
  HttpResponse main_chain = PostAcct(cert_url, "");
  ASSERT_EQ(main_chain.status, 200) << main_chain.body;
  EXPECT_EQ(Links(main_chain), std::vector<std::string>{"<" + cert_url + "/1>;rel=\"alternate\""});
  HttpResponse alternate = PostAcct(cert_url + "/1", "");
  ASSERT_EQ(alternate.status, 200) << alternate.body;
  EXPECT_EQ(Header(alternate, "Content-Type"), "application/pem-certificate-chain");
  EXPECT_EQ(Links(alternate), std::vector<std::string>{"<" + cert_url + ">;rel=\"alternate\""});
  const std::string leaf = main_chain.body.substr(0, main_chain.body.find("-----END") + 26);
  EXPECT_EQ(alternate.body, leaf + kAlternate);
  for (const char* k : {"/2", "/0", "/x", "/1/1"}) {
    EXPECT_EQ(PostAcct(cert_url + k, "").status, 404) << k;
  }
}

TEST_F(WfePebbleOptionsTest, DirectoryAliasServesTheDirectory) {
  HttpResponse dir = Send("GET", "/dir", "", "");
  ASSERT_EQ(dir.status, 200);
  EXPECT_EQ(dir.body, Send("GET", "/directory", "", "").body);
}

TEST_F(WfePebbleOptionsTest, ConfiguredRetryAfterOnAnAuthorizationBeingValidated) {
  HttpResponse order = PostAcct("/acme/new-order",
                                R"({"identifiers":[{"type":"dns","value":"retry.example.com"}]})");
  ASSERT_EQ(order.status, 201) << order.body;
  std::string authz_url(JsonOf(order).at("authorizations").as_array().at(0).as_string());
  json::value authz = JsonOf(PostAcct(authz_url, ""));
  const std::string ch_url(authz.at("challenges").as_array().at(0).at("url").as_string());
  auto ch = ParseId(PathOf(ch_url).substr(12));
  ASSERT_TRUE(ch.has_value());
  ASSERT_TRUE(store_->SetChallengeProcessing(core::ChallengeId(*ch)).ok());
  EXPECT_EQ(Header(PostAcct(authz_url, ""), "Retry-After"), "7");
  EXPECT_EQ(Header(PostAcct(ch_url, ""), "Retry-After"), "7");
}

TEST_F(WfePebbleOptionsTest, OrdersListPagesAtTheConfiguredSize) {
  for (const char* name : {"p1.example.com", "p2.example.com", "p3.example.com"}) {
    HttpResponse order = PostAcct("/acme/new-order", std::string(R"({"identifiers":[{"type":"dns","value":")") +
                                                         name + "\"}]}");
    ASSERT_EQ(order.status, 201) << order.body;
  }
  HttpResponse first = PostAcct(acct_ + "/orders", "");
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(JsonOf(first).at("orders").as_array().size(), 2u);
  std::string next;
  for (auto& [k, v] : first.headers)
    if (k == "Link" && v.find("rel=\"next\"") != std::string::npos) next = v.substr(1, v.find('>') - 1);
  ASSERT_FALSE(next.empty());
  HttpResponse second = PostAcct(next, "");
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(JsonOf(second).at("orders").as_array().size(), 1u);
  for (auto& [k, v] : second.headers) EXPECT_EQ(v.find("rel=\"next\""), std::string::npos);
}

}  // namespace
}  // namespace flint::wfe
