#include "jose/jws.h"

#include <openssl/crypto.h>

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
using internal::UniqueEcdsaSig;
using internal::UniqueMdCtx;

namespace {

namespace json = boost::json;

// Which JWS a parse is for: an ACME request, the inner JWS of a keyChange (RFC 8555 §7.3.5:
// the nonce may be omitted, the jwk is required), or an external account binding (§7.3.4).
enum class Kind { kRequest, kKeyChangeInner, kEab };

constexpr std::string_view kVerificationError = "JWS verification error";
constexpr std::size_t kHs256Bytes = 32;

// RFC 3629 §4, strictly: no overlong forms, no surrogates, nothing above U+10FFFF.
bool IsValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int extra;
    unsigned char lo = 0x80, hi = 0xbf;  // bounds of the first continuation byte
    if (c >= 0xc2 && c <= 0xdf) {
      extra = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
      extra = 2;
      if (c == 0xe0) lo = 0xa0;
      if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      extra = 3;
      if (c == 0xf0) lo = 0x90;
      if (c == 0xf4) hi = 0x8f;
    } else {
      return false;
    }
    if (end - p <= extra) return false;
    if (p[1] < lo || p[1] > hi) return false;
    for (int i = 2; i <= extra; ++i) {
      if ((p[i] & 0xc0) != 0x80) return false;
    }
    p += extra + 1;
  }
  return true;
}

std::string_view AsView(const json::string& s) { return {s.data(), s.size()}; }

// The three members of a flattened JWS (RFC 7515 §7.2.2), nothing else (RFC 8555 §6.2).
struct FlattenedParts {
  std::string_view protected_b64;
  std::string_view payload_b64;
  std::string_view signature_b64;
};

core::Result<FlattenedParts> SplitFlattened(const json::value& v) {
  const json::object* o = v.if_object();
  if (o == nullptr) {
    return Err(ErrorType::kMalformed,
               "JWS must use the flattened JSON serialization (RFC 8555 §6.2)");
  }
  if (o->contains("signatures")) {
    return Err(ErrorType::kMalformed,
               "general JWS JSON serialization is not accepted; use the flattened form");
  }
  if (o->contains("header")) {
    return Err(ErrorType::kMalformed, "JWS unprotected header is not accepted");
  }
  FlattenedParts parts;
  int seen = 0;
  for (const auto& member : *o) {
    std::string_view key(member.key().data(), member.key().size());
    std::string_view* slot = key == "protected"   ? &parts.protected_b64
                             : key == "payload"   ? &parts.payload_b64
                             : key == "signature" ? &parts.signature_b64
                                                  : nullptr;
    if (slot == nullptr) return Err(ErrorType::kMalformed, "unexpected member in JWS");
    if (!member.value().is_string()) {
      return Err(ErrorType::kMalformed, "JWS member \"" + std::string(key) + "\" is not a string");
    }
    *slot = AsView(member.value().get_string());
    ++seen;
  }
  if (seen != 3) {
    return Err(ErrorType::kMalformed,
               "JWS must have \"protected\", \"payload\" and \"signature\" members");
  }
  return parts;
}

core::Result<Algorithm> ParseHeaderAlg(const json::object& h, Kind kind) {
  const bool eab = kind == Kind::kEab;
  const json::value* alg = h.if_contains("alg");
  if (alg == nullptr || !alg->is_string()) {
    return Err(ErrorType::kMalformed, "JWS protected header has no \"alg\" string");
  }
  std::string_view name = AsView(alg->get_string());
  if (eab) {
    // RFC 8555 §7.3.4: the binding is MACed; flint's EAB keys are HMAC-SHA256 keys.
    if (name != "HS256") {
      return Err(ErrorType::kMalformed, "external account binding must use alg HS256");
    }
    return Algorithm::kHS256;
  }
  std::optional<Algorithm> parsed = ParseAlgorithm(name);
  if (!parsed) {
    core::Error e = Err(ErrorType::kBadSignatureAlgorithm, "unsupported JWS algorithm");
    e.algorithms = SupportedAlgorithmNames();
    return e;
  }
  return *parsed;
}

core::Result<void> ParseHeaderNonce(const json::object& h, Kind kind, ProtectedHeader& out) {
  const bool eab = kind == Kind::kEab;
  const json::value* nonce = h.if_contains("nonce");
  if (kind == Kind::kKeyChangeInner) {
    // RFC 8555 §7.3.5: the inner JWS MUST omit "nonce" (the outer one carries it).
    if (nonce != nullptr) {
      return Err(ErrorType::kMalformed, "keyChange inner JWS must not have a nonce");
    }
    return core::Ok();
  }
  if (eab) {
    if (nonce != nullptr) {
      return Err(ErrorType::kMalformed, "external account binding must not have a nonce");
    }
    return core::Ok();
  }
  // RFC 8555 §6.5: every request carries a fresh nonce, an octet string in base64url.
  if (nonce == nullptr || !nonce->is_string()) {
    return Err(ErrorType::kBadNonce, "JWS has no anti-replay nonce");
  }
  std::string_view text = AsView(nonce->get_string());
  // RFC 8555 §6.5.1: a nonce that is not base64url is malformed; one that is but was never
  // issued (checked at redemption) is badNonce.
  if (text.empty()) return Err(ErrorType::kBadNonce, "JWS nonce is empty");
  if (!Base64UrlDecode(text).ok()) {
    return Err(ErrorType::kMalformed, "JWS nonce is not base64url");
  }
  out.nonce = std::string(text);
  return core::Ok();
}

core::Result<void> ParseHeaderKey(const json::object& h, Kind kind, ProtectedHeader& out) {
  const bool eab = kind == Kind::kEab;
  const json::value* jwk = h.if_contains("jwk");
  const json::value* kid = h.if_contains("kid");
  if (kind == Kind::kKeyChangeInner && jwk == nullptr) {
    return Err(ErrorType::kMalformed, "keyChange inner JWS must have a \"jwk\"");
  }
  if (eab && jwk != nullptr) {
    return Err(ErrorType::kMalformed, "external account binding must not have a jwk");
  }
  // RFC 8555 §6.2: "jwk" and "kid" are mutually exclusive, and one is required.
  if ((jwk == nullptr) == (kid == nullptr)) {
    return Err(ErrorType::kMalformed, "JWS must have exactly one of \"jwk\" and \"kid\"");
  }
  if (kid != nullptr) {
    if (!kid->is_string() || kid->get_string().empty()) {
      return Err(ErrorType::kMalformed, "JWS \"kid\" is not a non-empty string");
    }
    out.kid = std::string(AsView(kid->get_string()));
    return core::Ok();
  }
  FLINT_ASSIGN_OR_RETURN(PublicKey key, ParseJwk(*jwk));
  if (!key.Fits(out.alg)) {
    return Err(ErrorType::kBadPublicKey,
               "JWS \"jwk\" does not match \"alg\" " + std::string(AlgorithmName(out.alg)));
  }
  out.jwk = std::move(key);
  return core::Ok();
}

core::Result<ProtectedHeader> ParseHeader(std::string_view protected_b64, Kind kind,
                                          std::string* seen_nonce) {
  auto decoded = Base64UrlDecode(protected_b64);
  if (!decoded.ok()) {
    return Err(ErrorType::kMalformed, "JWS protected header is not valid base64url");
  }
  auto parsed = core::ParseStrictJson(*decoded);
  if (!parsed.ok()) {
    return Err(ErrorType::kMalformed, "JWS protected header: " + parsed.error().detail);
  }
  const json::object* h = parsed->if_object();
  if (h == nullptr) return Err(ErrorType::kMalformed, "JWS protected header is not an object");

  ProtectedHeader out;
  FLINT_ASSIGN_OR_RETURN(out.alg, ParseHeaderAlg(*h, kind));
  // RFC 7515 §4.1.11: flint implements no extensions, so any "crit" is unsatisfiable; "b64"
  // (RFC 7797) would change the signing input and is only meaningful with "crit".
  if (h->contains("crit")) {
    return Err(ErrorType::kMalformed, "JWS \"crit\" header is not supported");
  }
  if (h->contains("b64")) {
    return Err(ErrorType::kMalformed, "JWS \"b64\" header is not supported");
  }
  FLINT_TRY(ParseHeaderNonce(*h, kind, out));
  if (seen_nonce != nullptr) *seen_nonce = out.nonce;
  const json::value* url = h->if_contains("url");
  if (url == nullptr || !url->is_string()) {
    return Err(ErrorType::kMalformed, "JWS protected header has no \"url\" string");
  }
  out.url = std::string(AsView(url->get_string()));
  FLINT_TRY(ParseHeaderKey(*h, kind, out));
  return out;
}

core::Result<Jws> ParseFlattened(const json::value& v, Kind kind,
                                 std::string* seen_nonce = nullptr) {
  FLINT_ASSIGN_OR_RETURN(FlattenedParts parts, SplitFlattened(v));
  Jws jws;
  FLINT_ASSIGN_OR_RETURN(jws.header, ParseHeader(parts.protected_b64, kind, seen_nonce));
  auto payload = Base64UrlDecode(parts.payload_b64);
  if (!payload.ok()) return Err(ErrorType::kMalformed, "JWS payload is not valid base64url");
  if (!IsValidUtf8(*payload)) return Err(ErrorType::kMalformed, "JWS payload is not UTF-8");
  auto signature = Base64UrlDecode(parts.signature_b64);
  if (!signature.ok()) {
    return Err(ErrorType::kMalformed, "JWS signature is not valid base64url");
  }
  jws.protected_b64 = std::string(parts.protected_b64);
  jws.payload_b64 = std::string(parts.payload_b64);
  jws.payload = std::move(payload).value();
  jws.signature = std::move(signature).value();
  return jws;
}

std::string SigningInput(const Jws& jws) {
  std::string input;
  input.reserve(jws.protected_b64.size() + 1 + jws.payload_b64.size());
  input.append(jws.protected_b64).append(1, '.').append(jws.payload_b64);
  return input;
}

// RFC 7518 §3.4: R || S, each exactly `half` octets, to the DER ECDSA-Sig-Value OpenSSL
// verifies. Empty on allocation failure.
std::string RawEcdsaToDer(std::string_view raw, std::size_t half) {
  UniqueEcdsaSig sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), static_cast<int>(half),
                        nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + half,
                        static_cast<int>(half), nullptr);
  if (!sig || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return {};
  }
  int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) return {};
  std::string der(static_cast<std::size_t>(len), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_ECDSA_SIG(sig.get(), &out) != len) return {};
  return der;
}

// `digest` is nullptr for EdDSA, which hashes internally (RFC 8037 §3.1).
core::Result<void> DigestVerify(EVP_PKEY* pkey, const char* digest, std::string_view input,
                                std::string_view signature) {
  UniqueMdCtx ctx(EVP_MD_CTX_new());
  if (!ctx ||
      EVP_DigestVerifyInit_ex(ctx.get(), nullptr, digest, nullptr, nullptr, pkey, nullptr) != 1) {
    ClearOpenSslErrors();
    return Err(ErrorType::kInternal, "EVP_DigestVerifyInit_ex failed");
  }
  int rc = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                            signature.size(), reinterpret_cast<const unsigned char*>(input.data()),
                            input.size());
  if (rc != 1) {
    ClearOpenSslErrors();
    return Err(ErrorType::kMalformed, std::string(kVerificationError));
  }
  return core::Ok();
}

core::Result<void> VerifyEcdsa(const Jws& jws, const PublicKey& key, const char* digest,
                               std::size_t half) {
  if (jws.signature.size() != 2 * half) {
    return Err(ErrorType::kMalformed, std::string(AlgorithmName(jws.header.alg)) +
                                          " signature must be " + std::to_string(2 * half) +
                                          " octets (R || S)");
  }
  std::string der = RawEcdsaToDer(jws.signature, half);
  if (der.empty()) {
    ClearOpenSslErrors();
    return Err(ErrorType::kInternal, "ECDSA signature conversion failed");
  }
  return DigestVerify(key.pkey(), digest, SigningInput(jws), der);
}

}  // namespace

core::Result<Jws> ParseJws(std::string_view body, std::string* seen_nonce) {
  auto parsed = core::ParseStrictJson(body);
  if (!parsed.ok()) {
    return Err(ErrorType::kMalformed, "request body is not a JWS: " + parsed.error().detail);
  }
  return ParseFlattened(*parsed, Kind::kRequest, seen_nonce);
}

core::Result<Jws> ParseEabJws(const boost::json::value& eab) {
  return ParseFlattened(eab, Kind::kEab);
}

core::Result<Jws> ParseKeyChangeInnerJws(const boost::json::value& inner) {
  return ParseFlattened(inner, Kind::kKeyChangeInner);
}

core::Result<void> VerifyJws(const Jws& jws, const PublicKey& key) {
  if (!key.Fits(jws.header.alg)) {
    return Err(ErrorType::kBadPublicKey,
               "key does not match JWS algorithm " + std::string(AlgorithmName(jws.header.alg)));
  }
  switch (jws.header.alg) {
    case Algorithm::kRS256:
      return DigestVerify(key.pkey(), "SHA256", SigningInput(jws), jws.signature);
    case Algorithm::kES256:
      return VerifyEcdsa(jws, key, "SHA256", 32);
    case Algorithm::kES384:
      return VerifyEcdsa(jws, key, "SHA384", 48);
    case Algorithm::kES512:
      return VerifyEcdsa(jws, key, "SHA512", 66);
    case Algorithm::kEdDSA:
      return DigestVerify(key.pkey(), nullptr, SigningInput(jws), jws.signature);
    case Algorithm::kHS256:
      break;
  }
  return Err(ErrorType::kBadPublicKey, "no public key verifies this algorithm");
}

core::Result<void> VerifyHs256(const Jws& jws, std::string_view hmac_key) {
  if (jws.header.alg != Algorithm::kHS256) {
    return Err(ErrorType::kMalformed, "external account binding must use alg HS256");
  }
  if (jws.signature.size() != kHs256Bytes) {
    return Err(ErrorType::kMalformed, "HS256 MAC must be 32 octets");
  }
  if (hmac_key.empty()) return Err(ErrorType::kInternal, "empty HMAC key");
  std::string input = SigningInput(jws);
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  std::size_t mac_len = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, hmac_key.data(), hmac_key.size(),
                reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac.data(),
                mac.size(), &mac_len) == nullptr ||
      mac_len != kHs256Bytes) {
    ClearOpenSslErrors();
    return Err(ErrorType::kInternal, "HMAC-SHA256 failed");
  }
  if (CRYPTO_memcmp(mac.data(), jws.signature.data(), kHs256Bytes) != 0) {
    return Err(ErrorType::kUnauthorized, "external account binding MAC does not verify");
  }
  return core::Ok();
}

}  // namespace flint::jose
