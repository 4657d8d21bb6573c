#include "jose/jwk.h"

#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <boost/json/parse.hpp>
#include <string>
#include <vector>

#include "jose/base64url.h"
#include "jose/openssl_util.h"
#include "jose/signer.h"
#include "jose/test_util.h"

namespace flint::jose {
namespace {

using core::ErrorType;

// RFC 7638 §3.1 example key (with its "alg" and "kid", which a thumbprint ignores).
constexpr std::string_view kRfc7638N =
    "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECP"
    "ebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY"
    "368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM"
    "4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";

std::string Sha256B64(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  return Base64UrlEncode(std::string_view(reinterpret_cast<char*>(md), len));
}

TEST(JwkTest, Rfc7638ThumbprintExample) {
  auto key = ParseJwkJson("{\"kty\":\"RSA\",\"n\":\"" + std::string(kRfc7638N) +
                          "\",\"e\":\"AQAB\",\"alg\":\"RS256\",\"kid\":\"2011-04-29\"}");
  ASSERT_TRUE(key.ok()) << key.error().detail;
  EXPECT_EQ(key->thumbprint(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
  EXPECT_EQ(key->canonical_json(),
            "{\"e\":\"AQAB\",\"kty\":\"RSA\",\"n\":\"" + std::string(kRfc7638N) + "\"}");
  EXPECT_TRUE(key->Fits(Algorithm::kRS256));
}

TEST(JwkTest, Rfc8037Ed25519ThumbprintExample) {
  auto key = ParseJwkJson(
      R"({"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})");
  ASSERT_TRUE(key.ok()) << key.error().detail;
  EXPECT_EQ(key->thumbprint(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
  EXPECT_TRUE(key->Fits(Algorithm::kEdDSA));
}

// Small-order Ed25519 points (orders 1, 2, 4, 8), canonical and non-canonical, with either
// sign bit: with such a key any signature verifies, so each is badPublicKey.
TEST(JwkTest, Ed25519SmallOrderKeysAreRefused) {
  const std::vector<std::string> small_order = {
      "0000000000000000000000000000000000000000000000000000000000000000",
      "0100000000000000000000000000000000000000000000000000000000000000",
      "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
      "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
      "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
      "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
      "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  };
  for (const std::string& hex : small_order) {
    for (unsigned char sign : {0x00, 0x80}) {
      std::string raw;
      for (std::size_t i = 0; i < hex.size(); i += 2)
        raw.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
      raw.back() = static_cast<char>(static_cast<unsigned char>(raw.back()) | sign);
      auto key = ParseJwkJson(R"({"kty":"OKP","crv":"Ed25519","x":")" + Base64UrlEncode(raw) +
                              "\"}");
      ASSERT_FALSE(key.ok()) << hex << " sign " << int(sign);
      EXPECT_EQ(key.error().type, core::ErrorType::kBadPublicKey) << hex;
    }
  }
}

TEST(JwkTest, RsaIntegersAreCanonicalizedWithoutLeadingZeros) {
  std::string n = Base64UrlDecode(kRfc7638N).value();
  auto key = ParseJwkJson("{\"kty\":\"RSA\",\"n\":\"" + Base64UrlEncode(std::string(1, '\0') + n) +
                          "\",\"e\":\"AAEAAQ\"}");
  ASSERT_TRUE(key.ok()) << key.error().detail;
  EXPECT_EQ(key->thumbprint(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
}

TEST(JwkTest, KeepsLeadingZeroOfEcCoordinate) {
  // RFC 7515 Appendix A.4 P-521 key: y starts with a zero octet ("AD...").
  const std::string x =
      "AekpBQ8ST8a8VcfVOTNl353vSrDCLLJXmPk06wTjxrrjcBpXp5EOnYG_NjFZ6OvLFV1jSfS9tsz4qUxcWceqwQGk";
  const std::string y =
      "ADSmRA43Z1DSNx_RvcLI87cdL07l6jQyyBXMoxVg_l2Th-x3S1WDhjDly79ajL4Kkd0AZMaZmh9ubmf63e3kyMj2";
  auto key = ParseJwkJson(testing::EcJwk("P-521", x, y));
  ASSERT_TRUE(key.ok()) << key.error().detail;
  EXPECT_EQ(key->canonical_json(), testing::EcJwk("P-521", x, y));
  EXPECT_EQ(key->thumbprint(), Sha256B64(key->canonical_json()));
  // Re-deriving the JWK from the OpenSSL key must pad y back to 66 octets.
  auto again = PublicKeyFromPkey(key->pkey());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->canonical_json(), key->canonical_json());
  EXPECT_EQ(again->thumbprint(), key->thumbprint());
}

TEST(JwkTest, PadsEcCoordinatesOfGeneratedKeyWithShortX) {
  // About 1 P-256 key in 256 has an x below 2^248; find one.
  internal::UniquePkey pkey;
  for (int i = 0; i < 8192 && !pkey; ++i) {
    auto candidate = testing::GenerateKey("EC", "P-256");
    BIGNUM* x = nullptr;
    ASSERT_EQ(EVP_PKEY_get_bn_param(candidate.get(), OSSL_PKEY_PARAM_EC_PUB_X, &x), 1);
    if (BN_num_bytes(x) < 32) pkey = std::move(candidate);
    BN_free(x);
  }
  ASSERT_TRUE(pkey);
  auto key = PublicKeyFromPkey(pkey.get());
  ASSERT_TRUE(key.ok()) << key.error().detail;
  auto jwk = boost::json::parse(key->canonical_json()).as_object();
  std::string x = Base64UrlDecode(std::string(jwk["x"].as_string())).value();
  ASSERT_EQ(x.size(), 32u);
  EXPECT_EQ(x[0], '\0');
  EXPECT_EQ(key->thumbprint(), Sha256B64(key->canonical_json()));
  // The same key as a client would send it parses to the same thumbprint ...
  auto parsed = ParseJwkJson(key->canonical_json());
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->thumbprint(), key->thumbprint());
  // ... while the unpadded form that 1 client in 256 would get wrong is refused.
  jwk["x"] = Base64UrlEncode(x.substr(1));
  auto unpadded = ParseJwk(jwk);
  ASSERT_FALSE(unpadded.ok());
  EXPECT_EQ(unpadded.error().type, ErrorType::kMalformed);
}

TEST(JwkTest, CanonicalJsonRoundTripsForEveryAlgorithm) {
  for (Algorithm alg : {Algorithm::kRS256, Algorithm::kES256, Algorithm::kES384, Algorithm::kES512,
                        Algorithm::kEdDSA}) {
    KeyPair pair = KeyPair::Generate(alg);
    const PublicKey& key = pair.public_key();
    EXPECT_TRUE(key.Fits(alg));
    EXPECT_EQ(key.thumbprint(), Sha256B64(key.canonical_json()));
    auto parsed = ParseJwkJson(key.canonical_json());
    ASSERT_TRUE(parsed.ok()) << AlgorithmName(alg) << ": " << parsed.error().detail;
    EXPECT_TRUE(parsed->Equals(key));
    EXPECT_EQ(parsed->canonical_json(), key.canonical_json());
    EXPECT_FALSE(parsed->Equals(KeyPair::Generate(alg).public_key()));
  }
}

TEST(JwkTest, FitsExactlyOneAlgorithm) {
  const Algorithm all[] = {Algorithm::kRS256, Algorithm::kES256, Algorithm::kES384,
                           Algorithm::kES512, Algorithm::kEdDSA, Algorithm::kHS256};
  for (Algorithm key_alg : {Algorithm::kRS256, Algorithm::kES256, Algorithm::kES384,
                            Algorithm::kES512, Algorithm::kEdDSA}) {
    PublicKey key = KeyPair::Generate(key_alg).public_key();
    for (Algorithm alg : all) {
      EXPECT_EQ(key.Fits(alg), alg == key_alg)
          << AlgorithmName(key_alg) << " key vs " << AlgorithmName(alg);
    }
  }
}

TEST(JwkTest, PublicKeyFromPkeyDropsThePrivateKey) {
  KeyPair pair = KeyPair::Generate(Algorithm::kES256);
  auto key = PublicKeyFromPkey(pair.pkey());
  ASSERT_TRUE(key.ok());
  EXPECT_NE(key->pkey(), pair.pkey());
  BIGNUM* priv = nullptr;
  EXPECT_NE(EVP_PKEY_get_bn_param(key->pkey(), OSSL_PKEY_PARAM_PRIV_KEY, &priv), 1);
  BN_free(priv);
  ERR_clear_error();
  EXPECT_TRUE(key->Equals(pair.public_key()));
}

TEST(JwkTest, AlgorithmNames) {
  EXPECT_EQ(SupportedAlgorithmNames(),
            (std::vector<std::string>{"RS256", "ES256", "ES384", "ES512", "EdDSA"}));
  for (const auto& name : SupportedAlgorithmNames()) {
    auto alg = ParseAlgorithm(name);
    ASSERT_TRUE(alg.has_value()) << name;
    EXPECT_EQ(AlgorithmName(*alg), name);
  }
  for (const char* name : {"none", "HS256", "HS384", "HS512", "RS512", "PS256", "es256", ""}) {
    EXPECT_FALSE(ParseAlgorithm(name).has_value()) << name;
  }
  EXPECT_EQ(AlgorithmName(Algorithm::kHS256), "HS256");
}

struct JwkRejectCase {
  std::string name;
  std::string json;
  ErrorType want;
};

std::string RsaJwk(std::string_view n_b64, std::string_view e_b64) {
  return "{\"kty\":\"RSA\",\"n\":\"" + std::string(n_b64) + "\",\"e\":\"" + std::string(e_b64) +
         "\"}";
}

std::vector<JwkRejectCase> JwkRejectCases() {
  const std::string n = std::string(kRfc7638N);
  const std::string n2047 = Base64UrlEncode("\x7f" + std::string(255, '\xff'));
  const std::string n8200 = Base64UrlEncode("\x01" + std::string(1025, '\xff'));
  const std::string n_even = Base64UrlEncode(std::string(255, '\xff') + "\xfe");
  const std::string x31 = Base64UrlEncode(std::string(31, '\x01'));
  const std::string x32 = Base64UrlEncode(std::string(32, '\x01'));
  const std::string ff32 = Base64UrlEncode(std::string(32, '\xff'));
  using testing::EcJwk;
  using testing::kA3X;
  using testing::kA3Y;
  return {
      {"not-object", "[]", ErrorType::kMalformed},
      {"string", "\"RSA\"", ErrorType::kMalformed},
      {"kty-missing", "{\"n\":\"" + n + "\",\"e\":\"AQAB\"}", ErrorType::kMalformed},
      {"kty-number", "{\"kty\":1}", ErrorType::kMalformed},
      {"kty-unknown", "{\"kty\":\"DSA\"}", ErrorType::kBadPublicKey},
      {"kty-oct-with-k", "{\"kty\":\"oct\",\"k\":\"AyM1\"}", ErrorType::kMalformed},
      {"kty-oct", "{\"kty\":\"oct\"}", ErrorType::kBadPublicKey},
      {"rsa-private-d", "{\"kty\":\"RSA\",\"n\":\"" + n + "\",\"e\":\"AQAB\",\"d\":\"AQAB\"}",
       ErrorType::kMalformed},
      {"rsa-private-p", "{\"kty\":\"RSA\",\"n\":\"" + n + "\",\"e\":\"AQAB\",\"p\":\"AQAB\"}",
       ErrorType::kMalformed},
      {"rsa-e-missing", "{\"kty\":\"RSA\",\"n\":\"" + n + "\"}", ErrorType::kMalformed},
      {"rsa-n-number", "{\"kty\":\"RSA\",\"n\":5,\"e\":\"AQAB\"}", ErrorType::kMalformed},
      {"rsa-n-padded-base64", RsaJwk(n + "=", "AQAB"), ErrorType::kMalformed},
      {"rsa-e-standard-base64", RsaJwk(n, "AQ+B"), ErrorType::kMalformed},
      {"rsa-1024", testing::Rsa1024Jwk(), ErrorType::kBadPublicKey},
      {"rsa-2047-bits", RsaJwk(n2047, "AQAB"), ErrorType::kBadPublicKey},
      {"rsa-over-8192-bits", RsaJwk(n8200, "AQAB"), ErrorType::kBadPublicKey},
      {"rsa-even-modulus", RsaJwk(n_even, "AQAB"), ErrorType::kBadPublicKey},
      {"rsa-e-1", RsaJwk(n, "AQ"), ErrorType::kBadPublicKey},
      {"rsa-e-even", RsaJwk(n, "AQAA"), ErrorType::kBadPublicKey},
      {"rsa-e-0", RsaJwk(n, "AA"), ErrorType::kBadPublicKey},
      {"rsa-e-empty", RsaJwk(n, ""), ErrorType::kBadPublicKey},
      {"ec-secp256k1", testing::Secp256k1Jwk(), ErrorType::kBadPublicKey},
      {"ec-p192", EcJwk("P-192", kA3X, kA3Y), ErrorType::kBadPublicKey},
      {"ec-crv-missing", "{\"kty\":\"EC\",\"x\":\"" + x32 + "\",\"y\":\"" + x32 + "\"}",
       ErrorType::kMalformed},
      {"ec-y-missing", "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" + x32 + "\"}",
       ErrorType::kMalformed},
      {"ec-private-d",
       "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" + std::string(kA3X) + "\",\"y\":\"" +
           std::string(kA3Y) + "\",\"d\":\"AQAB\"}",
       ErrorType::kMalformed},
      {"ec-x-short", EcJwk("P-256", x31, kA3Y), ErrorType::kMalformed},
      {"ec-p256-coordinates-on-p384", EcJwk("P-384", kA3X, kA3Y), ErrorType::kMalformed},
      {"ec-not-on-curve", testing::OffCurveP256Jwk(), ErrorType::kBadPublicKey},
      {"ec-x-not-below-p", EcJwk("P-256", ff32, kA3Y), ErrorType::kBadPublicKey},
      {"okp-ed448", "{\"kty\":\"OKP\",\"crv\":\"Ed448\",\"x\":\"" + x32 + "\"}",
       ErrorType::kBadPublicKey},
      {"okp-x25519", "{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"" + x32 + "\"}",
       ErrorType::kBadPublicKey},
      {"okp-x-short", "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" + x31 + "\"}",
       ErrorType::kMalformed},
      {"okp-private-d",
       "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" + x32 + "\",\"d\":\"" + x32 + "\"}",
       ErrorType::kMalformed},
  };
}

TEST(JwkTest, RejectsBadJwks) {
  for (const auto& c : JwkRejectCases()) {
    auto result = ParseJwkJson(c.json);
    ASSERT_FALSE(result.ok()) << c.name;
    EXPECT_EQ(result.error().type, c.want) << c.name << ": " << result.error().detail;
    EXPECT_EQ(ERR_peek_error(), 0u) << c.name << ": OpenSSL error queue not cleared";
  }
}

TEST(JwkTest, AcceptsSmallOddExponentAndLargestModulus) {
  EXPECT_TRUE(ParseJwkJson(RsaJwk(kRfc7638N, "Aw")).ok());  // e = 3
  auto n8192 = Base64UrlEncode(std::string(1024, '\xff'));
  EXPECT_TRUE(ParseJwkJson(RsaJwk(n8192, "AQAB")).ok());
}

TEST(JwkTest, PublicKeyFromPkeyRejectsUnsupportedKeys) {
  struct Case {
    const char* name;
    internal::UniquePkey pkey;
  };
  Case cases[] = {
      {"rsa-1024", testing::GenerateKey("RSA")},
      {"secp256k1", testing::GenerateKey("EC", "secp256k1")},
      {"ed448", testing::GenerateKey("ED448")},
      {"x25519", testing::GenerateKey("X25519")},
      {"null", nullptr},
  };
  for (const auto& c : cases) {
    auto result = PublicKeyFromPkey(c.pkey.get());
    ASSERT_FALSE(result.ok()) << c.name;
    EXPECT_EQ(result.error().type, ErrorType::kBadPublicKey) << c.name;
  }
}

}  // namespace
}  // namespace flint::jose
