#include "policy/key_policy.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>

#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace flint::policy {
namespace {

constexpr int kMinRsaBits = 2048;
constexpr int kMaxRsaBits = 4096;
constexpr BN_ULONG kRsaExponent = 65537;
constexpr BN_ULONG kSmallPrimeBound = 1000;
constexpr int kFermatRounds = 100;  // as Boulder's goodkey
constexpr const char* kAllowed = "use RSA 2048-4096 bits or ECDSA P-256/P-384";

struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
struct BnCtxFree {
  void operator()(BN_CTX* c) const { BN_CTX_free(c); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;
using BnCtxPtr = std::unique_ptr<BN_CTX, BnCtxFree>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;

core::Error BadKey(std::string detail) {
  ERR_clear_error();
  return core::Err(core::ErrorType::kBadCsr, std::move(detail));
}

core::Error Internal(std::string detail) {
  ERR_clear_error();
  return core::Err(core::ErrorType::kInternal, std::move(detail));
}

// The primes below kSmallPrimeBound, grouped so that each group's product fits in a word: one
// BN_mod_word per group instead of one per prime.
struct PrimeGroup {
  BN_ULONG product;
  std::vector<BN_ULONG> primes;
};

const std::vector<PrimeGroup>& SmallPrimeGroups() {
  static const std::vector<PrimeGroup> groups = [] {
    std::vector<bool> composite(kSmallPrimeBound, false);
    std::vector<PrimeGroup> out;
    for (BN_ULONG i = 2; i < kSmallPrimeBound; ++i) {
      if (composite[i]) continue;
      for (BN_ULONG j = i * i; j < kSmallPrimeBound; j += i) composite[j] = true;
      if (out.empty() || out.back().product > std::numeric_limits<BN_ULONG>::max() / i) {
        out.push_back({1, {}});
      }
      out.back().product *= i;
      out.back().primes.push_back(i);
    }
    return out;
  }();
  return groups;
}

// The smallest prime below kSmallPrimeBound dividing n, 0 if none; nullopt on failure.
std::optional<BN_ULONG> SmallFactor(const BIGNUM* n) {
  for (const PrimeGroup& group : SmallPrimeGroups()) {
    const BN_ULONG rem = BN_mod_word(n, group.product);
    if (rem == static_cast<BN_ULONG>(-1)) return std::nullopt;
    for (BN_ULONG p : group.primes) {
      if (rem % p == 0) return p;
    }
  }
  return 0;
}

// r = floor(sqrt(n)) by Newton's method from above. n must be positive.
bool Isqrt(const BIGNUM* n, BIGNUM* r, BN_CTX* ctx) {
  BnPtr x(BN_new());
  BnPtr y(BN_new());
  if (!x || !y || !BN_set_bit(x.get(), (BN_num_bits(n) + 1) / 2)) return false;
  for (;;) {
    // y = (x + n / x) / 2
    if (!BN_div(y.get(), nullptr, n, x.get(), ctx) || !BN_add(y.get(), y.get(), x.get()) ||
        !BN_rshift1(y.get(), y.get())) {
      return false;
    }
    if (BN_cmp(y.get(), x.get()) >= 0) return BN_copy(r, x.get()) != nullptr;
    std::swap(x, y);
  }
}

// True unless v is provably not a square: v must be a quadratic residue modulo 64, 63, 65 and
// 11. Rules out about 99% of non-squares with one division instead of a square root.
bool MaybeSquare(const BIGNUM* v) {
  constexpr BN_ULONG kModuli[] = {64, 63, 65, 11};
  const BN_ULONG r = BN_mod_word(v, 64 * 63 * 65 * 11);
  if (r == static_cast<BN_ULONG>(-1)) return true;  // let the exact test decide
  for (BN_ULONG m : kModuli) {
    bool residue = false;
    for (BN_ULONG x = 0; x < m && !residue; ++x) residue = (x * x) % m == r % m;
    if (!residue) return false;
  }
  return true;
}

// Sets *square if v is a perfect square.
bool IsSquare(const BIGNUM* v, bool* square, BN_CTX* ctx) {
  if (BN_is_zero(v)) {
    *square = true;
    return true;
  }
  if (!MaybeSquare(v)) {
    *square = false;
    return true;
  }
  BnPtr root(BN_new());
  BnPtr back(BN_new());
  if (!root || !back || !Isqrt(v, root.get(), ctx) ||
      !BN_sqr(back.get(), root.get(), ctx)) {
    return false;
  }
  *square = BN_cmp(back.get(), v) == 0;
  return true;
}

// Fermat's method: n = a^2 - b^2 = (a-b)(a+b) with a starting at ceil(sqrt(n)). Finds p and q
// quickly when |p - q| is small. Sets *found when it factors n within kFermatRounds.
bool FermatFactors(const BIGNUM* n, bool* found) {
  BnCtxPtr ctx(BN_CTX_new());
  BnPtr a(BN_new());
  BnPtr b2(BN_new());
  BnPtr step(BN_new());
  if (!ctx || !a || !b2 || !step || !Isqrt(n, a.get(), ctx.get()) ||
      !BN_sqr(b2.get(), a.get(), ctx.get())) {
    return false;
  }
  if (BN_cmp(b2.get(), n) < 0) {
    if (!BN_add_word(a.get(), 1) || !BN_sqr(b2.get(), a.get(), ctx.get())) return false;
  }
  if (!BN_sub(b2.get(), b2.get(), n)) return false;  // b2 = a^2 - n >= 0
  for (int round = 0; round < kFermatRounds; ++round) {
    if (!IsSquare(b2.get(), found, ctx.get())) return false;
    if (*found) return true;
    // (a+1)^2 - n = b2 + 2a + 1
    if (!BN_lshift1(step.get(), a.get()) || !BN_add_word(step.get(), 1) ||
        !BN_add(b2.get(), b2.get(), step.get()) || !BN_add_word(a.get(), 1)) {
      return false;
    }
  }
  *found = false;
  return true;
}

core::Result<void> CheckRsa(const EVP_PKEY* key) {
  BIGNUM* n_raw = nullptr;
  BIGNUM* e_raw = nullptr;
  const bool got_n = EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n_raw) == 1;
  const bool got_e = EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e_raw) == 1;
  BnPtr n(n_raw);
  BnPtr e(e_raw);
  if (!got_n || !got_e) return BadKey("RSA key has no modulus or exponent");
  const int bits = BN_num_bits(n.get());
  if (bits < kMinRsaBits || bits > kMaxRsaBits || bits % 8 != 0) {
    return BadKey("RSA key size " + std::to_string(bits) +
                  " is not allowed; use 2048-4096 bits (a multiple of 8)");
  }
  if (!BN_is_word(e.get(), kRsaExponent)) {
    std::string shown = "of " + std::to_string(BN_num_bits(e.get())) + " bits";
    if (BN_num_bits(e.get()) <= 64) {
      if (char* dec = BN_bn2dec(e.get())) {
        shown = dec;
        OPENSSL_free(dec);
      }
    }
    return BadKey("RSA public exponent " + shown + " is not allowed; use 65537");
  }
  const std::optional<BN_ULONG> factor = SmallFactor(n.get());
  if (!factor) return Internal("BN_mod_word failed");
  if (*factor != 0) {
    return BadKey("RSA modulus is divisible by the small prime " + std::to_string(*factor) +
                  "; the key is weak");
  }
  bool close = false;
  if (!FermatFactors(n.get(), &close)) return Internal("Fermat factorization check failed");
  if (close) {
    return BadKey("RSA modulus has prime factors close enough to find by Fermat "
                  "factorization; the key is weak");
  }
  return core::Ok();
}

core::Result<void> CheckEc(EVP_PKEY* key) {
  char group[80] = {};
  size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                     &len) != 1) {
    return BadKey("ECDSA keys with explicit curve parameters are not allowed; use the named "
                  "curve P-256 or P-384");
  }
  const int nid = OBJ_txt2nid(group);
  if (nid != NID_X9_62_prime256v1 && nid != NID_secp384r1) {
    const char* nist = nid == NID_undef ? nullptr : EC_curve_nid2nist(nid);
    return BadKey(std::string("ECDSA curve ") + (nist != nullptr ? nist : group) +
                  " is not allowed; use P-256 or P-384");
  }
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  if (!ctx) return Internal("EVP_PKEY_CTX_new_from_pkey failed");
  if (EVP_PKEY_public_check_quick(ctx.get()) != 1) {
    return BadKey("ECDSA public key is not a valid point on its curve");
  }
  return core::Ok();
}

}  // namespace

core::Result<void> CheckAccountKey(EVP_PKEY* key) {
  if (key == nullptr || !EVP_PKEY_is_a(key, "RSA")) return core::Ok();
  core::Result<void> rsa = CheckRsa(key);
  if (rsa.ok() || rsa.error().type != core::ErrorType::kBadCsr) return rsa;
  return core::Err(core::ErrorType::kBadPublicKey, rsa.error().detail);
}

core::Result<void> CheckCertificateKey(EVP_PKEY* key) {
  if (key == nullptr) return BadKey("the CSR has no public key");
  // RFC 4055 RSA-PSS keys are a distinct type; is_a("RSA") is false for them.
  if (EVP_PKEY_is_a(key, "RSA-PSS")) {
    return BadKey(std::string("RSA-PSS keys are not allowed; ") + kAllowed +
                  " (rsaEncryption)");
  }
  if (EVP_PKEY_is_a(key, "RSA")) return CheckRsa(key);
  if (EVP_PKEY_is_a(key, "EC")) return CheckEc(key);
  const char* type = EVP_PKEY_get0_type_name(key);
  return BadKey(std::string("key type ") + (type != nullptr ? type : "unknown") +
                " is not allowed; " + kAllowed);
}

}  // namespace flint::policy
