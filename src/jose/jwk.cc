#include "jose/jwk.h"

#include <openssl/core_names.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>

#include <array>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "core/json.h"
#include "jose/base64url.h"
#include "jose/openssl_util.h"

namespace flint::jose {

using core::Err;
using core::ErrorType;
using internal::ClearOpenSslErrors;
using internal::UniqueBn;
using internal::UniqueParamBld;
using internal::UniqueParams;
using internal::UniquePkey;
using internal::UniquePkeyCtx;

namespace {

enum class KeyKind { kRsa, kP256, kP384, kP521, kEd25519 };

struct CurveInfo {
  KeyKind kind;
  std::string_view jwk_name;  // RFC 7518 §6.2.1.1
  const char* openssl_name;   // OSSL_PKEY_PARAM_GROUP_NAME
  int nid;
  int field_bytes;  // RFC 7518 §6.2.1.2: coordinates are exactly this long
};

constexpr std::array<CurveInfo, 3> kCurves = {{
    {KeyKind::kP256, "P-256", "prime256v1", NID_X9_62_prime256v1, 32},
    {KeyKind::kP384, "P-384", "secp384r1", NID_secp384r1, 48},
    {KeyKind::kP521, "P-521", "secp521r1", NID_secp521r1, 66},
}};

constexpr std::size_t kEd25519KeyBytes = 32;
constexpr int kMinRsaBits = 2048;
constexpr int kMaxRsaBits = 8192;
// OpenSSL refuses exponents over 64 bits for moduli over 3072 bits; nobody uses them.
constexpr int kMaxRsaExponentBits = 64;

const CurveInfo* CurveByJwkName(std::string_view name) {
  for (const auto& c : kCurves) {
    if (c.jwk_name == name) return &c;
  }
  return nullptr;
}

const CurveInfo* CurveByNid(int nid) {
  for (const auto& c : kCurves) {
    if (c.nid == nid) return &c;
  }
  return nullptr;
}

core::Result<std::string_view> GetString(const boost::json::object& o, std::string_view name) {
  const boost::json::value* v = o.if_contains(name);
  if (v == nullptr || !v->is_string()) {
    return Err(ErrorType::kMalformed,
               "JWK member \"" + std::string(name) + "\" is missing or not a string");
  }
  const auto& s = v->get_string();
  return std::string_view(s.data(), s.size());
}

core::Result<std::string> GetBase64Url(const boost::json::object& o, std::string_view name) {
  FLINT_ASSIGN_OR_RETURN(std::string_view text, GetString(o, name));
  auto decoded = Base64UrlDecode(text);
  if (!decoded.ok()) {
    return Err(ErrorType::kMalformed,
               "JWK member \"" + std::string(name) + "\" is not valid base64url");
  }
  return std::move(decoded).value();
}

std::string Sha256(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(md), len);
}

// Imports `params` as a public key of type `type_name`; nullptr if OpenSSL refuses them
// (for EC, a point that is not on the curve).
UniquePkey FromData(const char* type_name, const OSSL_PARAM_BLD* bld) {
  UniqueParams params(OSSL_PARAM_BLD_to_param(const_cast<OSSL_PARAM_BLD*>(bld)));
  UniquePkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, type_name, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) <= 0) {
    ClearOpenSslErrors();
    return nullptr;
  }
  return UniquePkey(raw);
}

}  // namespace

struct PublicKey::Rep {
  UniquePkey pkey;
  KeyKind kind;
  std::string canonical_json;
  std::string thumbprint;
};

// Builds PublicKeys from already-decoded key material; every constructor path ends here.
class PublicKeyFactory {
 public:
  static core::Result<PublicKey> Rsa(std::string_view n_bytes, std::string_view e_bytes);
  static core::Result<PublicKey> Ec(const CurveInfo& curve, std::string_view x, std::string_view y);
  static core::Result<PublicKey> Ed25519(std::string_view x);

 private:
  static PublicKey Finish(UniquePkey pkey, KeyKind kind, std::string canonical_json) {
    auto rep = std::make_shared<PublicKey::Rep>();
    rep->thumbprint = Base64UrlEncode(Sha256(canonical_json));
    rep->pkey = std::move(pkey);
    rep->kind = kind;
    rep->canonical_json = std::move(canonical_json);
    return PublicKey(std::move(rep));
  }
};

core::Result<PublicKey> PublicKeyFactory::Rsa(std::string_view n_bytes, std::string_view e_bytes) {
  // Bound the sizes before any big-number work (leading zero octets are tolerated).
  if (n_bytes.size() > kMaxRsaBits / 8 + 16 || e_bytes.size() > 64) {
    return Err(ErrorType::kBadPublicKey, "RSA key is too large");
  }
  UniqueBn n = internal::BnFromBytes(n_bytes);
  UniqueBn e = internal::BnFromBytes(e_bytes);
  if (!n || !e) return Err(ErrorType::kInternal, "BN_bin2bn failed");
  const int bits = BN_num_bits(n.get());
  if (bits < kMinRsaBits) {
    return Err(ErrorType::kBadPublicKey,
               "RSA modulus of " + std::to_string(bits) + " bits is below the 2048-bit minimum");
  }
  if (bits > kMaxRsaBits) {
    return Err(ErrorType::kBadPublicKey, "RSA modulus over 8192 bits is not accepted");
  }
  if (!BN_is_odd(n.get())) return Err(ErrorType::kBadPublicKey, "RSA modulus is even");
  if (!BN_is_odd(e.get()) || BN_is_one(e.get()) || BN_num_bits(e.get()) > kMaxRsaExponentBits) {
    return Err(ErrorType::kBadPublicKey,
               "RSA public exponent must be odd, at least 3, "
               "and at most 64 bits");
  }
  UniqueParamBld bld(OSSL_PARAM_BLD_new());
  if (!bld || !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get())) {
    ClearOpenSslErrors();
    return Err(ErrorType::kInternal, "OSSL_PARAM_BLD failed");
  }
  UniquePkey pkey = FromData("RSA", bld.get());
  if (!pkey) return Err(ErrorType::kBadPublicKey, "OpenSSL rejected the RSA key");
  // RFC 7638 §3.2: members in lexicographic order; integers in minimal form (RFC 7518 §2).
  std::string json = "{\"e\":\"" + Base64UrlEncode(internal::BnToMinimal(e.get())) +
                     "\",\"kty\":\"RSA\",\"n\":\"" +
                     Base64UrlEncode(internal::BnToMinimal(n.get())) + "\"}";
  return Finish(std::move(pkey), KeyKind::kRsa, std::move(json));
}

core::Result<PublicKey> PublicKeyFactory::Ec(const CurveInfo& curve, std::string_view x,
                                             std::string_view y) {
  // Uncompressed SEC 1 point: 0x04 || x || y, each coordinate at full field size.
  std::string point;
  point.reserve(1 + x.size() + y.size());
  point.push_back('\x04');
  point.append(x);
  point.append(y);
  FLINT_ASSIGN_OR_RETURN(UniquePkey pkey, core::EcPublicKeyFromPoint(curve.openssl_name, point));
  std::string json = "{\"crv\":\"" + std::string(curve.jwk_name) + "\",\"kty\":\"EC\",\"x\":\"" +
                     Base64UrlEncode(x) + "\",\"y\":\"" + Base64UrlEncode(y) + "\"}";
  return Finish(std::move(pkey), curve.kind, std::move(json));
}

namespace {

// RFC 8032 §5.1.3: an Ed25519 public key encodes y (255 bits, little-endian) and the sign of x
// in the top bit. A point of small order (1, 2, 4 or 8) lets one signature verify for many
// messages, so such keys are refused. With the sign bit cleared, these are the encodings whose
// y (mod p = 2^255 - 19) is that of a small-order point: 0, 1, p-1, the order-8 y and p minus
// it, and the non-canonical p and p+1 (which reduce to 0 and 1). Derived with the curve
// equation (each order was checked with a small model of the curve in Python).
bool IsSmallOrderEd25519(std::string_view x) {
  static constexpr std::array<std::string_view, 7> kSmallOrderY = {
      "0000000000000000000000000000000000000000000000000000000000000000",
      "0100000000000000000000000000000000000000000000000000000000000000",
      "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
      "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
      "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
      "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
      "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  };
  if (x.size() != kEd25519KeyBytes) return false;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    auto b = static_cast<unsigned char>(x[i]);
    if (i + 1 == x.size()) b &= 0x7f;  // the sign of x
    hex.push_back(kHex[b >> 4]);
    hex.push_back(kHex[b & 0x0f]);
  }
  for (std::string_view y : kSmallOrderY) {
    if (hex == y) return true;
  }
  return false;
}

}  // namespace

core::Result<PublicKey> PublicKeyFactory::Ed25519(std::string_view x) {
  if (IsSmallOrderEd25519(x)) {
    return Err(ErrorType::kBadPublicKey,
               "Ed25519 public key is a point of small order; any signature would verify");
  }
  UniquePkey pkey(EVP_PKEY_new_raw_public_key_ex(
      nullptr, "ED25519", nullptr, reinterpret_cast<const unsigned char*>(x.data()), x.size()));
  if (!pkey) {
    ClearOpenSslErrors();
    return Err(ErrorType::kBadPublicKey, "OpenSSL rejected the Ed25519 key");
  }
  std::string json = "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"" + Base64UrlEncode(x) + "\"}";
  return Finish(std::move(pkey), KeyKind::kEd25519, std::move(json));
}

namespace {

core::Result<PublicKey> ParseEcJwk(const boost::json::object& o) {
  FLINT_ASSIGN_OR_RETURN(std::string_view crv, GetString(o, "crv"));
  const CurveInfo* curve = CurveByJwkName(crv);
  if (curve == nullptr) {
    return Err(ErrorType::kBadPublicKey, "unsupported EC curve (P-256, P-384 and P-521 are)");
  }
  FLINT_ASSIGN_OR_RETURN(std::string x, GetBase64Url(o, "x"));
  FLINT_ASSIGN_OR_RETURN(std::string y, GetBase64Url(o, "y"));
  const auto size = static_cast<std::size_t>(curve->field_bytes);
  if (x.size() != size || y.size() != size) {
    // RFC 7518 §6.2.1.2/§6.2.1.3: coordinates MUST be the full field size.
    return Err(ErrorType::kMalformed, "EC coordinates must be exactly " + std::to_string(size) +
                                          " octets for " + std::string(curve->jwk_name));
  }
  return PublicKeyFactory::Ec(*curve, x, y);
}

core::Result<PublicKey> ParseOkpJwk(const boost::json::object& o) {
  FLINT_ASSIGN_OR_RETURN(std::string_view crv, GetString(o, "crv"));
  if (crv != "Ed25519") {
    return Err(ErrorType::kBadPublicKey, "unsupported OKP curve (only Ed25519 is)");
  }
  FLINT_ASSIGN_OR_RETURN(std::string x, GetBase64Url(o, "x"));
  if (x.size() != kEd25519KeyBytes) {
    return Err(ErrorType::kMalformed, "Ed25519 public key must be exactly 32 octets");
  }
  return PublicKeyFactory::Ed25519(x);
}

}  // namespace

core::Result<PublicKey> ParseJwk(const boost::json::value& jwk) {
  const boost::json::object* o = jwk.if_object();
  if (o == nullptr) return Err(ErrorType::kMalformed, "JWK is not a JSON object");
  // RFC 7518 §6.2.2, §6.3.2, §6.4 and RFC 8037 §2: private and symmetric key members.
  for (std::string_view name : {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}) {
    if (o->contains(name)) {
      return Err(ErrorType::kMalformed, "JWK contains private key material");
    }
  }
  FLINT_ASSIGN_OR_RETURN(std::string_view kty, GetString(*o, "kty"));
  if (kty == "RSA") {
    FLINT_ASSIGN_OR_RETURN(std::string n, GetBase64Url(*o, "n"));
    FLINT_ASSIGN_OR_RETURN(std::string e, GetBase64Url(*o, "e"));
    return PublicKeyFactory::Rsa(n, e);
  }
  if (kty == "EC") return ParseEcJwk(*o);
  if (kty == "OKP") return ParseOkpJwk(*o);
  return Err(ErrorType::kBadPublicKey, "unsupported JWK key type (RSA, EC and OKP are)");
}

core::Result<PublicKey> ParseJwkJson(std::string_view json) {
  FLINT_ASSIGN_OR_RETURN(boost::json::value v, core::ParseStrictJson(json));
  return ParseJwk(v);
}

namespace {

core::Result<PublicKey> RsaFromPkey(EVP_PKEY* pkey) {
  BIGNUM* n = nullptr;
  BIGNUM* e = nullptr;
  bool ok = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n) == 1 &&
            EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e) == 1;
  UniqueBn n_owner(n), e_owner(e);
  if (!ok) {
    ClearOpenSslErrors();
    return Err(ErrorType::kBadPublicKey, "cannot read the RSA public key");
  }
  return PublicKeyFactory::Rsa(internal::BnToMinimal(n), internal::BnToMinimal(e));
}

core::Result<PublicKey> EcFromPkey(EVP_PKEY* pkey) {
  char group[64] = {};
  std::size_t group_len = 0;
  if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                     &group_len) != 1) {
    ClearOpenSslErrors();
    return Err(ErrorType::kBadPublicKey, "EC key without a named curve");
  }
  int nid = OBJ_txt2nid(group);
  if (nid == NID_undef) nid = EC_curve_nist2nid(group);
  const CurveInfo* curve = CurveByNid(nid);
  if (curve == nullptr) {
    ClearOpenSslErrors();
    return Err(ErrorType::kBadPublicKey, "unsupported EC curve (P-256, P-384 and P-521 are)");
  }
  BIGNUM* x = nullptr;
  BIGNUM* y = nullptr;
  bool ok = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x) == 1 &&
            EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y) == 1;
  UniqueBn x_owner(x), y_owner(y);
  if (!ok) {
    ClearOpenSslErrors();
    return Err(ErrorType::kBadPublicKey, "cannot read the EC public point");
  }
  // Pad to the field size (RFC 7518 §6.2.1.2); otherwise 1 key in 256 per coordinate would
  // get a wrong RFC 7638 thumbprint.
  std::string xb = internal::BnToPadded(x, curve->field_bytes);
  std::string yb = internal::BnToPadded(y, curve->field_bytes);
  if (xb.empty() || yb.empty()) return Err(ErrorType::kBadPublicKey, "EC coordinate too large");
  return PublicKeyFactory::Ec(*curve, xb, yb);
}

core::Result<PublicKey> Ed25519FromPkey(EVP_PKEY* pkey) {
  unsigned char raw[kEd25519KeyBytes];
  std::size_t len = sizeof(raw);
  if (EVP_PKEY_get_raw_public_key(pkey, raw, &len) != 1 || len != kEd25519KeyBytes) {
    ClearOpenSslErrors();
    return Err(ErrorType::kBadPublicKey, "cannot read the Ed25519 public key");
  }
  return PublicKeyFactory::Ed25519(std::string_view(reinterpret_cast<char*>(raw), len));
}

}  // namespace

core::Result<PublicKey> PublicKeyFromPkey(EVP_PKEY* pkey) {
  if (pkey == nullptr) return Err(ErrorType::kBadPublicKey, "no public key");
  if (EVP_PKEY_is_a(pkey, "RSA")) return RsaFromPkey(pkey);
  if (EVP_PKEY_is_a(pkey, "EC")) return EcFromPkey(pkey);
  if (EVP_PKEY_is_a(pkey, "ED25519")) return Ed25519FromPkey(pkey);
  return Err(ErrorType::kBadPublicKey,
             "unsupported key type (RSA, EC P-256/P-384/P-521 and Ed25519 are)");
}

EVP_PKEY* PublicKey::pkey() const { return rep_->pkey.get(); }
const std::string& PublicKey::canonical_json() const { return rep_->canonical_json; }
const std::string& PublicKey::thumbprint() const { return rep_->thumbprint; }

bool PublicKey::Fits(Algorithm alg) const {
  switch (alg) {
    case Algorithm::kRS256:
      return rep_->kind == KeyKind::kRsa;
    case Algorithm::kES256:
      return rep_->kind == KeyKind::kP256;
    case Algorithm::kES384:
      return rep_->kind == KeyKind::kP384;
    case Algorithm::kES512:
      return rep_->kind == KeyKind::kP521;
    case Algorithm::kEdDSA:
      return rep_->kind == KeyKind::kEd25519;
    case Algorithm::kHS256:
      return false;
  }
  return false;
}

bool PublicKey::Equals(const PublicKey& other) const {
  return rep_ == other.rep_ || rep_->canonical_json == other.rep_->canonical_json;
}

namespace {

struct AlgorithmEntry {
  Algorithm alg;
  std::string_view name;
};

constexpr std::array<AlgorithmEntry, 5> kSignatureAlgorithms = {{
    {Algorithm::kRS256, "RS256"},
    {Algorithm::kES256, "ES256"},
    {Algorithm::kES384, "ES384"},
    {Algorithm::kES512, "ES512"},
    {Algorithm::kEdDSA, "EdDSA"},
}};

}  // namespace

std::optional<Algorithm> ParseAlgorithm(std::string_view name) {
  for (const auto& entry : kSignatureAlgorithms) {
    if (entry.name == name) return entry.alg;
  }
  return std::nullopt;
}

std::string_view AlgorithmName(Algorithm alg) {
  if (alg == Algorithm::kHS256) return "HS256";
  for (const auto& entry : kSignatureAlgorithms) {
    if (entry.alg == alg) return entry.name;
  }
  return "unknown";
}

const std::vector<std::string>& SupportedAlgorithmNames() {
  static const auto* names = [] {
    auto* v = new std::vector<std::string>();
    for (const auto& entry : kSignatureAlgorithms) v->emplace_back(entry.name);
    return v;
  }();
  return *names;
}

}  // namespace flint::jose
