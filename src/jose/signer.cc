#include "jose/signer.h"

#include <openssl/bio.h>
#include <openssl/pem.h>

#include <array>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdio>
#include <cstdlib>

#include "jose/base64url.h"
#include "jose/openssl_util.h"

namespace flint::jose {

using internal::ClearOpenSslErrors;
using internal::UniqueEcdsaSig;
using internal::UniqueMdCtx;

namespace {

using UniqueBio = std::unique_ptr<BIO, internal::Deleter<BIO_free>>;

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "flint::jose::KeyPair: %s\n", what);
  std::abort();
}

EVP_PKEY* GenerateRaw(Algorithm alg) {
  switch (alg) {
    case Algorithm::kRS256:
      return EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048});
    case Algorithm::kES256:
      return EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    case Algorithm::kES384:
      return EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
    case Algorithm::kES512:
      return EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-521");
    case Algorithm::kEdDSA:
      return EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
    case Algorithm::kHS256:
      break;
  }
  return nullptr;
}

// Octets of each of R and S for an ECDSA algorithm (RFC 7518 §3.4).
int EcdsaHalf(Algorithm alg) {
  switch (alg) {
    case Algorithm::kES256:
      return 32;
    case Algorithm::kES384:
      return 48;
    case Algorithm::kES512:
      return 66;
    default:
      return 0;
  }
}

const char* DigestName(Algorithm alg) {
  switch (alg) {
    case Algorithm::kRS256:
    case Algorithm::kES256:
      return "SHA256";
    case Algorithm::kES384:
      return "SHA384";
    case Algorithm::kES512:
      return "SHA512";
    default:
      return nullptr;  // EdDSA hashes internally
  }
}

std::string Flattened(std::string_view protected_json, std::string_view payload,
                      std::string_view signature) {
  return "{\"protected\":\"" + Base64UrlEncode(protected_json) + "\",\"payload\":\"" +
         Base64UrlEncode(payload) + "\",\"signature\":\"" + Base64UrlEncode(signature) + "\"}";
}

std::string SigningInput(std::string_view protected_json, std::string_view payload) {
  return Base64UrlEncode(protected_json) + "." + Base64UrlEncode(payload);
}

}  // namespace

KeyPair KeyPair::Generate(Algorithm alg) {
  EVP_PKEY* raw = GenerateRaw(alg);
  if (raw == nullptr) Die("key generation failed");
  std::shared_ptr<EVP_PKEY> pkey(raw, EVP_PKEY_free);
  auto public_key = PublicKeyFromPkey(raw);
  if (!public_key.ok()) Die("generated key was refused");
  return KeyPair(std::move(pkey), alg, std::move(public_key).value());
}

core::Result<KeyPair> KeyPair::FromPem(std::string_view pem) {
  UniqueBio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EVP_PKEY* raw = bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr;
  if (raw == nullptr) {
    ClearOpenSslErrors();
    return core::Err(core::ErrorType::kMalformed, "cannot parse PEM private key");
  }
  std::shared_ptr<EVP_PKEY> pkey(raw, EVP_PKEY_free);
  FLINT_ASSIGN_OR_RETURN(PublicKey public_key, PublicKeyFromPkey(raw));
  for (Algorithm alg : {Algorithm::kRS256, Algorithm::kES256, Algorithm::kES384, Algorithm::kES512,
                        Algorithm::kEdDSA}) {
    if (public_key.Fits(alg)) return KeyPair(std::move(pkey), alg, std::move(public_key));
  }
  return core::Err(core::ErrorType::kBadPublicKey, "unsupported key type");
}

std::string KeyPair::PrivateKeyPem() const {
  UniqueBio bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), pkey_.get(), nullptr, nullptr, 0, nullptr,
                                       nullptr) != 1) {
    Die("PEM_write_bio_PrivateKey failed");
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

std::string KeyPair::Sign(std::string_view signing_input) const {
  UniqueMdCtx ctx(EVP_MD_CTX_new());
  const auto* tbs = reinterpret_cast<const unsigned char*>(signing_input.data());
  std::size_t len = 0;
  if (!ctx ||
      EVP_DigestSignInit_ex(ctx.get(), nullptr, DigestName(alg_), nullptr, nullptr, pkey_.get(),
                            nullptr) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, tbs, signing_input.size()) != 1) {
    Die("EVP_DigestSign setup failed");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, tbs,
                     signing_input.size()) != 1) {
    Die("EVP_DigestSign failed");
  }
  sig.resize(len);
  const int half = EcdsaHalf(alg_);
  if (half == 0) return sig;
  // OpenSSL produces a DER ECDSA-Sig-Value; JWS wants fixed-size R || S.
  const auto* p = reinterpret_cast<const unsigned char*>(sig.data());
  UniqueEcdsaSig ecdsa(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size())));
  if (!ecdsa) Die("d2i_ECDSA_SIG failed");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(ecdsa.get(), &r, &s);
  return internal::BnToPadded(r, half) + internal::BnToPadded(s, half);
}

std::string KeyPair::SignFlattened(std::string_view protected_json,
                                   std::string_view payload) const {
  return Flattened(protected_json, payload, Sign(SigningInput(protected_json, payload)));
}

std::string KeyPair::ProtectedHeaderJson(std::string_view nonce, std::string_view url,
                                         std::string_view kid) const {
  boost::json::object header;
  header["alg"] = AlgorithmName(alg_);
  if (kid.empty()) {
    header["jwk"] = boost::json::parse(public_key_.canonical_json());
  } else {
    header["kid"] = kid;
  }
  header["nonce"] = nonce;
  header["url"] = url;
  return boost::json::serialize(header);
}

std::string SignHs256Flattened(std::string_view protected_json, std::string_view payload,
                               std::string_view key) {
  std::string input = SigningInput(protected_json, payload);
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  std::size_t mac_len = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
                reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac.data(),
                mac.size(), &mac_len) == nullptr) {
    Die("HMAC-SHA256 failed");
  }
  return Flattened(protected_json, payload,
                   std::string_view(reinterpret_cast<const char*>(mac.data()), mac_len));
}

}  // namespace flint::jose
