#include "policy/key_policy.h"

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace flint::policy {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;

KeyPtr Rsa(unsigned bits, unsigned long exponent = RSA_F4, const char* type = "RSA") {
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr), EVP_PKEY_CTX_free);
  BnPtr e(BN_new());
  EVP_PKEY* key = nullptr;
  if (!ctx || !e || !BN_set_word(e.get(), exponent) || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), static_cast<int>(bits)) != 1 ||
      EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx.get(), e.get()) != 1 ||
      EVP_PKEY_generate(ctx.get(), &key) != 1) {
    return nullptr;
  }
  return KeyPtr(key);
}

KeyPtr Ec(const char* curve) { return KeyPtr(EVP_EC_gen(curve)); }

KeyPtr Named(const char* type) { return KeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, type)); }

// An RSA public key with the given modulus and e = 65537, as a CSR could carry it.
KeyPtr RsaPublic(const BIGNUM* n) {
  BnPtr e(BN_new());
  std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> bld(OSSL_PARAM_BLD_new(),
                                                                      OSSL_PARAM_BLD_free);
  if (!e || !bld || !BN_set_word(e.get(), RSA_F4) ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n) ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get())) {
    return nullptr;
  }
  std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)> params(
      OSSL_PARAM_BLD_to_param(bld.get()), OSSL_PARAM_free);
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr), EVP_PKEY_CTX_free);
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return nullptr;
  }
  return KeyPtr(key);
}

// A random odd modulus of exactly `bits` bits (its factors do not matter for size checks).
KeyPtr RsaPublicOfSize(int bits) {
  BnPtr n(BN_new());
  if (!n || !BN_rand(n.get(), bits, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ODD)) return nullptr;
  return RsaPublic(n.get());
}

// A 2048-bit modulus divisible by 997.
KeyPtr RsaPublicWithSmallFactor() {
  BnPtr n(BN_new());
  if (!n || !BN_rand(n.get(), 2048, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ODD)) return nullptr;
  const BN_ULONG rem = BN_mod_word(n.get(), 997);
  if (!BN_sub_word(n.get(), rem)) return nullptr;
  return RsaPublic(n.get());
}

// The first prime >= start (start odd).
bool NextPrime(BIGNUM* p, BN_CTX* ctx) {
  for (;;) {
    const int r = BN_check_prime(p, ctx, nullptr);
    if (r < 0) return false;
    if (r == 1) return true;
    if (!BN_add_word(p, 2)) return false;
  }
}

// A random prime of exactly `bits` bits with the top two bits set, so that the product of two
// such primes has exactly the sum of their sizes.
bool RandomPrime(BIGNUM* p, int bits, BN_CTX* ctx) {
  return BN_rand(p, bits, BN_RAND_TOP_TWO, BN_RAND_BOTTOM_ODD) && NextPrime(p, ctx);
}

// n = p * q for independent random primes: a real RSA modulus.
KeyPtr RsaPublicFromPrimes(int p_bits, int q_bits) {
  std::unique_ptr<BN_CTX, decltype(&BN_CTX_free)> ctx(BN_CTX_new(), BN_CTX_free);
  BnPtr p(BN_new());
  BnPtr q(BN_new());
  BnPtr n(BN_new());
  if (!ctx || !p || !q || !n || !RandomPrime(p.get(), p_bits, ctx.get()) ||
      !RandomPrime(q.get(), q_bits, ctx.get()) ||
      !BN_mul(n.get(), p.get(), q.get(), ctx.get())) {
    return nullptr;
  }
  return RsaPublic(n.get());
}

// n = p * q with p, q consecutive 1024-bit primes: a real RSA modulus with close factors.
KeyPtr RsaPublicWithCloseFactors() {
  std::unique_ptr<BN_CTX, decltype(&BN_CTX_free)> ctx(BN_CTX_new(), BN_CTX_free);
  BnPtr p(BN_new());
  BnPtr q(BN_new());
  BnPtr n(BN_new());
  if (!ctx || !p || !q || !n || !RandomPrime(p.get(), 1024, ctx.get()) ||
      !BN_copy(q.get(), p.get()) || !BN_add_word(q.get(), 2) || !NextPrime(q.get(), ctx.get()) ||
      !BN_mul(n.get(), p.get(), q.get(), ctx.get())) {
    return nullptr;
  }
  return RsaPublic(n.get());
}

struct KeyCase {
  std::string name;
  std::function<KeyPtr()> make;
  bool ok;
  std::string detail_contains = "";
};

TEST(KeyPolicyTest, CertificateKeys) {
  const std::vector<KeyCase> cases = {
      {"ok/rsa-2048", [] { return Rsa(2048); }, true},
      {"ok/rsa-3072", [] { return Rsa(3072); }, true},
      {"ok/rsa-4096-public", [] { return RsaPublicFromPrimes(2048, 2048); }, true},
      {"ok/ecdsa-p256", [] { return Ec("P-256"); }, true},
      {"ok/ecdsa-p384", [] { return Ec("P-384"); }, true},
      {"fail/rsa-1024", [] { return Rsa(1024); }, false, "RSA key size 1024 is not allowed"},
      {"fail/rsa-2040", [] { return RsaPublicOfSize(2040); }, false, "RSA key size 2040"},
      {"fail/rsa-4104", [] { return RsaPublicOfSize(4104); }, false, "RSA key size 4104"},
      {"fail/rsa-2052-not-byte-multiple", [] { return RsaPublicOfSize(2052); }, false,
       "RSA key size 2052"},
      {"fail/rsa-2048-e3", [] { return Rsa(2048, 3); }, false, "exponent 3 is not allowed"},
      {"fail/rsa-small-factor", RsaPublicWithSmallFactor, false, "small prime"},
      {"fail/rsa-close-factors", RsaPublicWithCloseFactors, false, "Fermat"},
      {"fail/rsa-pss", [] { return Rsa(2048, RSA_F4, "RSA-PSS"); }, false, "RSA-PSS"},
      {"fail/ecdsa-p521", [] { return Ec("P-521"); }, false, "curve P-521 is not allowed"},
      {"fail/ecdsa-secp256k1", [] { return Ec("secp256k1"); }, false, "secp256k1"},
      {"fail/ed25519", [] { return Named("ED25519"); }, false, "ED25519"},
      {"fail/ed448", [] { return Named("ED448"); }, false, "ED448"},
      {"fail/x25519", [] { return Named("X25519"); }, false, "X25519"},
  };
  for (const KeyCase& c : cases) {
    SCOPED_TRACE(c.name);
    KeyPtr key = c.make();
    ASSERT_NE(key, nullptr) << "test key generation failed";
    const core::Result<void> result = CheckCertificateKey(key.get());
    if (c.ok) {
      EXPECT_TRUE(result.ok()) << result.error().detail;
    } else {
      ASSERT_FALSE(result.ok());
      EXPECT_EQ(result.error().type, core::ErrorType::kBadCsr);
      EXPECT_NE(result.error().detail.find(c.detail_contains), std::string::npos)
          << result.error().detail;
    }
    EXPECT_EQ(ERR_peek_error(), 0u);
  }
}

// Account keys: RSA keys meet the certificate-key RSA rules (badPublicKey); EC P-521 and
// Ed25519, valid JWS account keys, pass.
TEST(KeyPolicyTest, AccountKeys) {
  const std::vector<KeyCase> cases = {
      {"ok/rsa-2048", [] { return Rsa(2048); }, true},
      {"ok/ecdsa-p521", [] { return Ec("P-521"); }, true},
      {"ok/ed25519", [] { return Named("ED25519"); }, true},
      {"fail/rsa-2048-e3", [] { return Rsa(2048, 3); }, false, "exponent 3 is not allowed"},
      {"fail/rsa-4104", [] { return RsaPublicOfSize(4104); }, false, "RSA key size 4104"},
      {"fail/rsa-small-factor", RsaPublicWithSmallFactor, false, "small prime"},
      {"fail/rsa-close-factors", RsaPublicWithCloseFactors, false, "Fermat"},
  };
  for (const KeyCase& c : cases) {
    SCOPED_TRACE(c.name);
    KeyPtr key = c.make();
    ASSERT_NE(key, nullptr) << "test key generation failed";
    const core::Result<void> result = CheckAccountKey(key.get());
    if (c.ok) {
      EXPECT_TRUE(result.ok()) << result.error().detail;
    } else {
      ASSERT_FALSE(result.ok());
      EXPECT_EQ(result.error().type, core::ErrorType::kBadPublicKey);
      EXPECT_NE(result.error().detail.find(c.detail_contains), std::string::npos)
          << result.error().detail;
    }
    EXPECT_EQ(ERR_peek_error(), 0u);
  }
}

TEST(KeyPolicyTest, NullKeyIsBadCsr) {
  const core::Result<void> result = CheckCertificateKey(nullptr);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type, core::ErrorType::kBadCsr);
}

}  // namespace
}  // namespace flint::policy
