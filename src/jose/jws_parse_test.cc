// Table-driven rejections of ParseJws and ParseEabJws (RFC 8555 §6.2, §7.3.4).

// g++ 12 at -O2 reports a bogus -Wrestrict overlap for `"literal" + std::string&&`
// (GCC bug 105329); this file builds many bodies that way.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include <gtest/gtest.h>
#include <openssl/err.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <string>
#include <vector>

#include "jose/base64url.h"
#include "jose/jws.h"
#include "jose/signer.h"
#include "jose/test_util.h"

namespace flint::jose {
namespace {

using core::ErrorType;

constexpr std::string_view kPayload = R"({"termsOfServiceAgreed":true})";

const KeyPair& Es256Key() {
  static const KeyPair key = KeyPair::Generate(Algorithm::kES256);
  return key;
}

const KeyPair& P384Key() {
  static const KeyPair key = KeyPair::Generate(Algorithm::kES384);
  return key;
}

// Replaces "$JWK", "$P384", "$RSA1024", "$K1" and "$OFFCURVE" in a header template.
std::string Expand(std::string header) {
  static const std::string rsa1024 = testing::Rsa1024Jwk();
  const std::pair<std::string, std::string> vars[] = {
      {"$JWK", Es256Key().public_key().canonical_json()},
      {"$P384", P384Key().public_key().canonical_json()},
      {"$RSA1024", rsa1024},
      {"$K1", testing::Secp256k1Jwk()},
      {"$OFFCURVE", testing::OffCurveP256Jwk()},
  };
  for (const auto& [name, value] : vars) {
    for (auto pos = header.find(name); pos != std::string::npos; pos = header.find(name)) {
      header.replace(pos, name.size(), value);
    }
  }
  return header;
}

struct HeaderCase {
  std::string name;
  std::string header;             // protected header template, signed with the ES256 key
  std::optional<ErrorType> want;  // nullopt: accepted
};

std::vector<HeaderCase> HeaderCases() {
  const std::string rest = R"(,"jwk":$JWK,"nonce":"bm9uY2U","url":"https://ca.test/new-acct"})";
  const std::string es256 = R"({"alg":"ES256")";
  return {
      {"ok/jwk", es256 + rest, std::nullopt},
      {"ok/kid", R"({"alg":"ES256","kid":"https://ca.test/acct/1","nonce":"bm9uY2U","url":"u"})",
       std::nullopt},
      {"ok/typ-and-cty-ignored", R"({"alg":"ES256","typ":"JOSE","cty":"json")" + rest,
       std::nullopt},
      {"fail/alg-none", R"({"alg":"none")" + rest, ErrorType::kBadSignatureAlgorithm},
      {"fail/alg-hs256", R"({"alg":"HS256")" + rest, ErrorType::kBadSignatureAlgorithm},
      {"fail/alg-hs384", R"({"alg":"HS384")" + rest, ErrorType::kBadSignatureAlgorithm},
      {"fail/alg-hs512", R"({"alg":"HS512")" + rest, ErrorType::kBadSignatureAlgorithm},
      {"fail/alg-rs512", R"({"alg":"RS512")" + rest, ErrorType::kBadSignatureAlgorithm},
      {"fail/alg-ps256", R"({"alg":"PS256")" + rest, ErrorType::kBadSignatureAlgorithm},
      {"fail/alg-es256k", R"({"alg":"ES256K")" + rest, ErrorType::kBadSignatureAlgorithm},
      {"fail/alg-lowercase", R"({"alg":"es256")" + rest, ErrorType::kBadSignatureAlgorithm},
      {"fail/alg-missing", "{" + rest.substr(1), ErrorType::kMalformed},
      {"fail/alg-not-string", R"({"alg":256)" + rest, ErrorType::kMalformed},
      {"fail/crit", es256 + R"(,"crit":["exp"],"exp":1)" + rest, ErrorType::kMalformed},
      {"fail/crit-empty", es256 + R"(,"crit":[])" + rest, ErrorType::kMalformed},
      {"fail/b64-false", es256 + R"(,"b64":false,"crit":["b64"])" + rest, ErrorType::kMalformed},
      {"fail/b64-without-crit", es256 + R"(,"b64":false)" + rest, ErrorType::kMalformed},
      {"fail/nonce-missing", es256 + R"(,"jwk":$JWK,"url":"u"})", ErrorType::kBadNonce},
      {"fail/nonce-empty", es256 + R"(,"jwk":$JWK,"nonce":"","url":"u"})", ErrorType::kBadNonce},
      {"fail/nonce-number", es256 + R"(,"jwk":$JWK,"nonce":7,"url":"u"})", ErrorType::kBadNonce},
      {"fail/nonce-not-base64url", es256 + R"(,"jwk":$JWK,"nonce":"bm9u+2U=","url":"u"})",
       ErrorType::kMalformed},
      {"fail/url-missing", es256 + R"(,"jwk":$JWK,"nonce":"bm9uY2U"})", ErrorType::kMalformed},
      {"fail/url-not-string", es256 + R"(,"jwk":$JWK,"nonce":"bm9uY2U","url":["u"]})",
       ErrorType::kMalformed},
      {"fail/jwk-and-kid", es256 + R"(,"jwk":$JWK,"kid":"k","nonce":"bm9uY2U","url":"u"})",
       ErrorType::kMalformed},
      {"fail/neither-jwk-nor-kid", es256 + R"(,"nonce":"bm9uY2U","url":"u"})",
       ErrorType::kMalformed},
      {"fail/kid-empty", es256 + R"(,"kid":"","nonce":"bm9uY2U","url":"u"})",
       ErrorType::kMalformed},
      {"fail/kid-not-string", es256 + R"(,"kid":{},"nonce":"bm9uY2U","url":"u"})",
       ErrorType::kMalformed},
      {"fail/jwk-not-object", es256 + R"(,"jwk":"key","nonce":"bm9uY2U","url":"u"})",
       ErrorType::kMalformed},
      {"fail/jwk-with-private-d",
       es256 + R"(,"jwk":{"kty":"OKP","crv":"Ed25519",)"
               R"("x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",)"
               R"("d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"},)"
               R"("nonce":"bm9uY2U","url":"u"})",
       ErrorType::kMalformed},
      {"fail/jwk-p384-for-es256", es256 + R"(,"jwk":$P384,"nonce":"bm9uY2U","url":"u"})",
       ErrorType::kBadPublicKey},
      {"fail/jwk-rsa-1024", R"({"alg":"RS256","jwk":$RSA1024,"nonce":"bm9uY2U","url":"u"})",
       ErrorType::kBadPublicKey},
      {"fail/jwk-secp256k1", es256 + R"(,"jwk":$K1,"nonce":"bm9uY2U","url":"u"})",
       ErrorType::kBadPublicKey},
      {"fail/jwk-not-on-curve", es256 + R"(,"jwk":$OFFCURVE,"nonce":"bm9uY2U","url":"u"})",
       ErrorType::kBadPublicKey},
      {"fail/duplicate-key-in-protected", R"({"alg":"ES256","alg":"none")" + rest,
       ErrorType::kMalformed},
      {"fail/duplicate-key-in-jwk",
       es256 + R"(,"jwk":{"kty":"EC","kty":"EC"},"nonce":"bm9uY2U","url":"u"})",
       ErrorType::kMalformed},
      {"fail/protected-array", "[]", ErrorType::kMalformed},
      {"fail/protected-not-json", "alg=ES256", ErrorType::kMalformed},
      {"fail/protected-empty", "", ErrorType::kMalformed},
  };
}

TEST(ParseJwsTest, AppliesProtectedHeaderRules) {
  for (const auto& c : HeaderCases()) {
    auto result = ParseJws(Es256Key().SignFlattened(Expand(c.header), kPayload));
    if (!c.want) {
      EXPECT_TRUE(result.ok()) << c.name << ": " << result.error().detail;
      continue;
    }
    ASSERT_FALSE(result.ok()) << c.name;
    EXPECT_EQ(result.error().type, *c.want) << c.name << ": " << result.error().detail;
    if (*c.want == ErrorType::kBadSignatureAlgorithm) {
      EXPECT_EQ(result.error().algorithms, SupportedAlgorithmNames()) << c.name;
    }
    EXPECT_EQ(ERR_peek_error(), 0u) << c.name;
  }
}

// The parts of a valid flattened JWS, for assembling bodies by hand.
struct Parts {
  std::string protected_b64, payload_b64, signature_b64;
};

Parts ValidParts() {
  const KeyPair& key = Es256Key();
  auto outer =
      boost::json::parse(
          key.SignFlattened(key.ProtectedHeaderJson("bm9uY2U", "https://ca.test/x"), kPayload))
          .as_object();
  return {std::string(outer["protected"].as_string()), std::string(outer["payload"].as_string()),
          std::string(outer["signature"].as_string())};
}

std::string Q(std::string_view s) { return "\"" + std::string(s) + "\""; }

struct BodyCase {
  std::string name;
  std::string body;
};

std::vector<BodyCase> MalformedBodies() {
  const Parts p = ValidParts();
  const std::string prot = "\"protected\":" + Q(p.protected_b64);
  const std::string pay = "\"payload\":" + Q(p.payload_b64);
  const std::string sig = "\"signature\":" + Q(p.signature_b64);
  const std::string compact = p.protected_b64 + "." + p.payload_b64 + "." + p.signature_b64;
  return {
      {"compact-serialization", compact},
      {"compact-as-json-string", Q(compact)},
      {"general-serialization", "{" + pay + ",\"signatures\":[{" + prot + "," + sig + "}]}"},
      {"general-and-flattened", "{" + prot + "," + pay + "," + sig + ",\"signatures\":[]}"},
      {"unprotected-header", "{" + prot + ",\"header\":{\"kid\":\"k\"}," + pay + "," + sig + "}"},
      {"unprotected-header-empty", "{" + prot + ",\"header\":{}," + pay + "," + sig + "}"},
      {"extra-member", "{" + prot + "," + pay + "," + sig + ",\"x\":1}"},
      {"missing-signature", "{" + prot + "," + pay + "}"},
      {"missing-protected", "{" + pay + "," + sig + "}"},
      {"payload-not-string", "{" + prot + ",\"payload\":{}," + sig + "}"},
      {"signature-null", "{" + prot + "," + pay + ",\"signature\":null}"},
      {"duplicate-outer-key", "{" + prot + "," + prot + "," + pay + "," + sig + "}"},
      {"protected-padded-base64",
       "{\"protected\":" + Q(p.protected_b64 + "=") + "," + pay + "," + sig + "}"},
      {"payload-standard-base64",
       "{" + prot + ",\"payload\":" + Q(p.payload_b64 + "+") + "," + sig + "}"},
      {"signature-bad-base64", "{" + prot + "," + pay + ",\"signature\":" + Q("a b") + "}"},
      {"payload-invalid-utf8",
       "{" + prot + ",\"payload\":" + Q(Base64UrlEncode("{\"a\":\"\xff\xfe\"}")) + "," + sig + "}"},
      {"payload-overlong-utf8",
       "{" + prot + ",\"payload\":" + Q(Base64UrlEncode("\xc0\xaf")) + "," + sig + "}"},
      {"payload-surrogate-utf8",
       "{" + prot + ",\"payload\":" + Q(Base64UrlEncode("\xed\xa0\x80")) + "," + sig + "}"},
      {"payload-truncated-utf8",
       "{" + prot + ",\"payload\":" + Q(Base64UrlEncode("ok\xe2\x82")) + "," + sig + "}"},
      {"top-level-array", "[{" + prot + "," + pay + "," + sig + "}]"},
      {"empty-body", ""},
      {"trailing-data", "{" + prot + "," + pay + "," + sig + "} x"},
  };
}

TEST(ParseJwsTest, RejectsMalformedBodies) {
  for (const auto& c : MalformedBodies()) {
    auto result = ParseJws(c.body);
    ASSERT_FALSE(result.ok()) << c.name;
    EXPECT_EQ(result.error().type, ErrorType::kMalformed)
        << c.name << ": " << result.error().detail;
  }
}

TEST(ParseJwsTest, AcceptsMembersInAnyOrderAndMultibyteUtf8) {
  const Parts p = ValidParts();
  std::string payload = Base64UrlEncode("{\"name\":\"caf\xc3\xa9 \xf0\x9f\x94\x92\"}");
  auto result = ParseJws("{\"signature\":" + Q(p.signature_b64) + ",\"payload\":" + Q(payload) +
                         ",\"protected\":" + Q(p.protected_b64) + "}");
  ASSERT_TRUE(result.ok()) << result.error().detail;
  EXPECT_EQ(result->payload_b64, payload);
}

// --- External account binding (RFC 8555 §7.3.4) ---

constexpr std::string_view kEabKey = "\x01\x02\x03 a shared MAC key \xfe\xff";

std::string EabHeader(std::string_view extra = "", std::string_view alg = "HS256") {
  return "{\"alg\":\"" + std::string(alg) + "\",\"kid\":\"eab-kid-1\"," + std::string(extra) +
         "\"url\":\"https://ca.test/acme/new-account\"}";
}

TEST(EabJwsTest, RoundTrips) {
  const std::string& jwk = Es256Key().public_key().canonical_json();
  auto value = boost::json::parse(SignHs256Flattened(EabHeader(), jwk, kEabKey));
  auto jws = ParseEabJws(value);
  ASSERT_TRUE(jws.ok()) << jws.error().detail;
  EXPECT_EQ(jws->header.alg, Algorithm::kHS256);
  EXPECT_EQ(jws->header.kid, "eab-kid-1");
  EXPECT_EQ(jws->header.url, "https://ca.test/acme/new-account");
  EXPECT_TRUE(jws->header.nonce.empty());
  EXPECT_EQ(jws->payload, jwk);
  EXPECT_TRUE(VerifyHs256(*jws, kEabKey).ok());

  auto wrong = VerifyHs256(*jws, "some other key");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().type, ErrorType::kUnauthorized);
  // An EAB JWS never verifies as an account-key JWS.
  auto as_account = VerifyJws(*jws, Es256Key().public_key());
  ASSERT_FALSE(as_account.ok());
  EXPECT_EQ(as_account.error().type, ErrorType::kBadPublicKey);
}

TEST(EabJwsTest, RejectsViolations) {
  const std::string& jwk = Es256Key().public_key().canonical_json();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"alg-rs256", SignHs256Flattened(EabHeader("", "RS256"), jwk, kEabKey)},
      {"alg-none", SignHs256Flattened(EabHeader("", "none"), jwk, kEabKey)},
      {"alg-hs512", SignHs256Flattened(EabHeader("", "HS512"), jwk, kEabKey)},
      {"nonce-present", SignHs256Flattened(EabHeader("\"nonce\":\"bm9uY2U\","), jwk, kEabKey)},
      {"jwk-present", SignHs256Flattened(EabHeader("\"jwk\":" + jwk + ","), jwk, kEabKey)},
      {"kid-missing", SignHs256Flattened(R"({"alg":"HS256","url":"u"})", jwk, kEabKey)},
      {"url-missing", SignHs256Flattened(R"({"alg":"HS256","kid":"k"})", jwk, kEabKey)},
      {"crit", SignHs256Flattened(EabHeader("\"crit\":[\"x\"],"), jwk, kEabKey)},
      {"not-object", "\"a.b.c\""},
      {"general", R"({"payload":"","signatures":[]})"},
  };
  for (const auto& [name, text] : cases) {
    auto result = ParseEabJws(boost::json::parse(text));
    ASSERT_FALSE(result.ok()) << name;
    EXPECT_EQ(result.error().type, ErrorType::kMalformed) << name << ": " << result.error().detail;
  }
}

TEST(EabJwsTest, VerifyHs256RefusesAccountJws) {
  const KeyPair& key = Es256Key();
  auto jws = ParseJws(key.SignFlattened(key.ProtectedHeaderJson("bm9uY2U", "u"), kPayload));
  ASSERT_TRUE(jws.ok());
  auto result = VerifyHs256(*jws, kEabKey);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type, ErrorType::kMalformed);
}

}  // namespace
}  // namespace flint::jose
