#include "jose/jws.h"

#include <gtest/gtest.h>
#include <openssl/err.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <thread>
#include <vector>

#include "jose/base64url.h"
#include "jose/signer.h"
#include "jose/test_util.h"

namespace flint::jose {
namespace {

using core::ErrorType;

constexpr std::string_view kNonce = "bm9uY2UtMQ";
constexpr std::string_view kUrl = "https://ca.test/acme/new-order";
constexpr std::string_view kPayload = R"({"identifiers":[{"type":"dns","value":"a.test"}]})";

// RFC 7515 Appendix A.1-A.3 share this payload.
constexpr std::string_view kRfcPayloadB64 =
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlf"
    "Q";

const std::vector<Algorithm>& AllAlgorithms() {
  static const std::vector<Algorithm> algs = {Algorithm::kRS256, Algorithm::kES256,
                                              Algorithm::kES384, Algorithm::kES512,
                                              Algorithm::kEdDSA};
  return algs;
}

const KeyPair& KeyFor(Algorithm alg) {
  static const std::vector<KeyPair> keys = [] {
    std::vector<KeyPair> v;
    for (Algorithm a : AllAlgorithms()) v.push_back(KeyPair::Generate(a));
    return v;
  }();
  for (const auto& k : keys) {
    if (k.algorithm() == alg) return k;
  }
  std::abort();
}

// A Jws built by hand from RFC example values (which lack ACME's nonce and url).
Jws RfcJws(Algorithm alg, std::string_view protected_b64, std::string_view payload_b64,
           std::string_view signature_b64) {
  Jws jws;
  jws.header.alg = alg;
  jws.protected_b64 = protected_b64;
  jws.payload_b64 = payload_b64;
  jws.payload = Base64UrlDecode(payload_b64).value();
  jws.signature = Base64UrlDecode(signature_b64).value();
  return jws;
}

TEST(JwsRfcVectorTest, VerifiesRfc7515A2Rs256) {
  auto key = ParseJwkJson(
      R"({"kty":"RSA","e":"AQAB","n":")"
      "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1"
      "Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpa"
      "SHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4"
      "LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"
      R"("})");
  ASSERT_TRUE(key.ok()) << key.error().detail;
  Jws jws = RfcJws(
      Algorithm::kRS256, "eyJhbGciOiJSUzI1NiJ9", kRfcPayloadB64,
      "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5"
      "jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb"
      "1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QO"
      "YEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw");
  EXPECT_TRUE(VerifyJws(jws, *key).ok());
  jws.payload_b64[0] = 'f';  // {"iss"... -> a different payload
  auto tampered = VerifyJws(jws, *key);
  ASSERT_FALSE(tampered.ok());
  EXPECT_EQ(tampered.error().type, ErrorType::kMalformed);
}

TEST(JwsRfcVectorTest, VerifiesRfc7515A3Es256) {
  auto key = ParseJwkJson(testing::EcJwk("P-256", testing::kA3X, testing::kA3Y));
  ASSERT_TRUE(key.ok()) << key.error().detail;
  Jws jws = RfcJws(Algorithm::kES256, "eyJhbGciOiJFUzI1NiJ9", kRfcPayloadB64,
                   "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-"
                   "Kg6NU1Q");
  EXPECT_TRUE(VerifyJws(jws, *key).ok());
  jws.signature[10] ^= 1;
  auto tampered = VerifyJws(jws, *key);
  ASSERT_FALSE(tampered.ok());
  EXPECT_EQ(tampered.error().type, ErrorType::kMalformed);
  EXPECT_EQ(tampered.error().detail, "JWS verification error");
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(JwsRfcVectorTest, VerifiesRfc7515A4Es512) {
  auto key = ParseJwkJson(testing::EcJwk(
      "P-521",
      "AekpBQ8ST8a8VcfVOTNl353vSrDCLLJXmPk06wTjxrrjcBpXp5EOnYG_NjFZ6OvLFV1jSfS9tsz4qUxcWceqwQGk",
      "ADSmRA43Z1DSNx_RvcLI87cdL07l6jQyyBXMoxVg_l2Th-x3S1WDhjDly79ajL4Kkd0AZMaZmh9ubmf63e3kyMj2"));
  ASSERT_TRUE(key.ok()) << key.error().detail;
  Jws jws =
      RfcJws(Algorithm::kES512, "eyJhbGciOiJFUzUxMiJ9", "UGF5bG9hZA",
             "AdwMgeerwtHoh-l192l60hp9wAHZFVJbLfD_UxMi70cwnZOYaRI1bKPWROc-mZZqwqT2SI-"
             "KGDKB34XO0aw_7XdtAG8GaSwFKdCAPZgoXD2YBJZCPEX3xKpRwcdOO8KpEHwJjyqOgzDO7iKvU8vcnwNrm"
             "xYbSW9ERBXukOXolLzeO_Jn");
  EXPECT_TRUE(VerifyJws(jws, *key).ok());
}

TEST(JwsRfcVectorTest, VerifiesRfc8037A4Ed25519) {
  auto key = ParseJwkJson(
      R"({"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})");
  ASSERT_TRUE(key.ok()) << key.error().detail;
  Jws jws = RfcJws(Algorithm::kEdDSA, "eyJhbGciOiJFZERTQSJ9", "RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc",
                   "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_"
                   "MuM0KAg");
  EXPECT_TRUE(VerifyJws(jws, *key).ok());
  jws.signature[0] ^= 1;
  auto tampered = VerifyJws(jws, *key);
  ASSERT_FALSE(tampered.ok());
  EXPECT_EQ(tampered.error().type, ErrorType::kMalformed);
}

TEST(JwsRfcVectorTest, VerifiesRfc7515A1Hs256) {
  const std::string key =
      Base64UrlDecode(
          "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow")
          .value();
  Jws jws = RfcJws(Algorithm::kHS256, "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9", kRfcPayloadB64,
                   "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
  EXPECT_TRUE(VerifyHs256(jws, key).ok());
  auto wrong = VerifyHs256(jws, "another key");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().type, ErrorType::kUnauthorized);
}

class JwsRoundTripTest : public ::testing::TestWithParam<Algorithm> {};

TEST_P(JwsRoundTripTest, SignsParsesAndVerifiesWithJwk) {
  const KeyPair& key = KeyFor(GetParam());
  std::string body = key.SignFlattened(key.ProtectedHeaderJson(kNonce, kUrl), kPayload);
  auto jws = ParseJws(body);
  ASSERT_TRUE(jws.ok()) << jws.error().detail;
  EXPECT_EQ(jws->header.alg, GetParam());
  EXPECT_EQ(jws->header.nonce, kNonce);
  EXPECT_EQ(jws->header.url, kUrl);
  EXPECT_TRUE(jws->header.kid.empty());
  ASSERT_TRUE(jws->header.jwk.has_value());
  EXPECT_TRUE(jws->header.jwk->Equals(key.public_key()));
  EXPECT_EQ(jws->payload, kPayload);
  EXPECT_FALSE(jws->post_as_get());
  EXPECT_TRUE(VerifyJws(*jws, *jws->header.jwk).ok());
}

TEST_P(JwsRoundTripTest, SignsParsesAndVerifiesPostAsGetWithKid) {
  const KeyPair& key = KeyFor(GetParam());
  std::string body =
      key.SignFlattened(key.ProtectedHeaderJson(kNonce, kUrl, "https://ca.test/acme/acct/7"), "");
  auto jws = ParseJws(body);
  ASSERT_TRUE(jws.ok()) << jws.error().detail;
  EXPECT_EQ(jws->header.kid, "https://ca.test/acme/acct/7");
  EXPECT_FALSE(jws->header.jwk.has_value());
  EXPECT_TRUE(jws->post_as_get());
  EXPECT_TRUE(jws->payload.empty());
  EXPECT_TRUE(VerifyJws(*jws, key.public_key()).ok());
}

TEST_P(JwsRoundTripTest, TamperedPayloadFailsAsMalformed) {
  const KeyPair& key = KeyFor(GetParam());
  auto outer =
      boost::json::parse(key.SignFlattened(key.ProtectedHeaderJson(kNonce, kUrl), kPayload))
          .as_object();
  outer["payload"] = Base64UrlEncode(R"({"identifiers":[{"type":"dns","value":"b.test"}]})");
  auto jws = ParseJws(boost::json::serialize(outer));
  ASSERT_TRUE(jws.ok()) << jws.error().detail;
  auto result = VerifyJws(*jws, key.public_key());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type, ErrorType::kMalformed);
  EXPECT_EQ(result.error().detail, "JWS verification error");
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST_P(JwsRoundTripTest, OtherKeyOfSameTypeFailsAsMalformed) {
  const KeyPair& key = KeyFor(GetParam());
  auto jws = ParseJws(key.SignFlattened(key.ProtectedHeaderJson(kNonce, kUrl), kPayload));
  ASSERT_TRUE(jws.ok());
  auto result = VerifyJws(*jws, KeyPair::Generate(GetParam()).public_key());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type, ErrorType::kMalformed);
}

TEST_P(JwsRoundTripTest, KeyOfOtherTypeIsBadPublicKey) {
  const KeyPair& key = KeyFor(GetParam());
  auto jws = ParseJws(key.SignFlattened(key.ProtectedHeaderJson(kNonce, kUrl), kPayload));
  ASSERT_TRUE(jws.ok());
  for (Algorithm other : AllAlgorithms()) {
    if (other == GetParam()) continue;
    auto result = VerifyJws(*jws, KeyFor(other).public_key());
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().type, ErrorType::kBadPublicKey) << AlgorithmName(other);
  }
}

TEST_P(JwsRoundTripTest, KeyPairSurvivesPem) {
  const KeyPair& key = KeyFor(GetParam());
  auto loaded = KeyPair::FromPem(key.PrivateKeyPem());
  ASSERT_TRUE(loaded.ok()) << loaded.error().detail;
  EXPECT_EQ(loaded->algorithm(), GetParam());
  EXPECT_TRUE(loaded->public_key().Equals(key.public_key()));
  auto jws = ParseJws(loaded->SignFlattened(loaded->ProtectedHeaderJson(kNonce, kUrl), kPayload));
  ASSERT_TRUE(jws.ok());
  EXPECT_TRUE(VerifyJws(*jws, key.public_key()).ok());
}

INSTANTIATE_TEST_SUITE_P(Algorithms, JwsRoundTripTest, ::testing::ValuesIn(AllAlgorithms()),
                         [](const auto& info) { return std::string(AlgorithmName(info.param)); });

TEST(JwsVerifyTest, EcdsaSignaturesWithLeadingZeroOctetsVerify) {
  // R or S below 2^248 happens for ~1 signature in 128; the signer must pad and the verifier
  // must accept the padded form.
  const KeyPair& key = KeyFor(Algorithm::kES256);
  std::string header = key.ProtectedHeaderJson(kNonce, kUrl);
  bool seen_leading_zero = false;
  for (int i = 0; i < 4096 && !seen_leading_zero; ++i) {
    auto jws = ParseJws(key.SignFlattened(header, kPayload));
    ASSERT_TRUE(jws.ok());
    ASSERT_EQ(jws->signature.size(), 64u);
    seen_leading_zero = jws->signature[0] == '\0' || jws->signature[32] == '\0';
    ASSERT_TRUE(VerifyJws(*jws, key.public_key()).ok()) << "iteration " << i;
  }
  EXPECT_TRUE(seen_leading_zero);
}

TEST(JwsVerifyTest, Es256SignatureOfWrongLengthIsMalformed) {
  const KeyPair& key = KeyFor(Algorithm::kES256);
  auto jws = ParseJws(key.SignFlattened(key.ProtectedHeaderJson(kNonce, kUrl), kPayload));
  ASSERT_TRUE(jws.ok());
  const std::string good = jws->signature;
  for (std::string bad : {good.substr(0, 63), good + '\0', std::string(), good + good}) {
    jws->signature = bad;
    auto result = VerifyJws(*jws, key.public_key());
    ASSERT_FALSE(result.ok()) << bad.size();
    EXPECT_EQ(result.error().type, ErrorType::kMalformed) << bad.size();
  }
}

TEST(JwsVerifyTest, VerifiesConcurrentlyWithOneKey) {
  const KeyPair& key = KeyFor(Algorithm::kES256);
  auto jws = ParseJws(key.SignFlattened(key.ProtectedHeaderJson(kNonce, kUrl), kPayload));
  ASSERT_TRUE(jws.ok());
  PublicKey shared = *jws->header.jwk;
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        if (!VerifyJws(*jws, shared).ok()) ++failures[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures, std::vector<int>(4, 0));
}

}  // namespace
}  // namespace flint::jose
