#include "ca/cert_info.h"

#include <openssl/err.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include <algorithm>

#include "ca/openssl_util.h"
#include "ca/san.h"

namespace flint::ca {
namespace {

core::Error Malformed(std::string detail) {
  ERR_clear_error();
  return core::Err(core::ErrorType::kMalformed, std::move(detail));
}

}  // namespace

core::Result<CertificateFacts> ParseCertificateDer(std::string_view der) {
  if (der.empty()) return Malformed("the certificate is empty");
  if (der.size() > kMaxCertificateBytes) return Malformed("the certificate is too large");
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  const auto* end = p + der.size();
  UniqueX509 cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert) return Malformed("the certificate is not a DER X.509 certificate");
  if (p != end) return Malformed("the certificate has trailing data");

  CertificateFacts facts;
  FLINT_ASSIGN_OR_RETURN(facts.serial_hex, SerialToHex(X509_get0_serialNumber(cert.get())));
  facts.identifiers = SanIdentifiers(cert.get());
  EVP_PKEY* key = X509_get0_pubkey(cert.get());
  if (key == nullptr) return Malformed("the certificate's public key cannot be read");
  EVP_PKEY_up_ref(key);
  facts.public_key = std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free);
  FLINT_ASSIGN_OR_RETURN(std::string spki, SpkiDer(X509_get_X509_PUBKEY(cert.get())));
  facts.spki_sha256 = SpkiSha256HexOfDer(spki);
  return facts;
}

core::Result<std::string> SpkiSha256Hex(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  int len = key == nullptr ? -1 : i2d_PUBKEY(key, &der);
  if (len <= 0) return OpenSslError("encoding SubjectPublicKeyInfo");
  std::string hex = SpkiSha256HexOfDer(std::string_view(reinterpret_cast<char*>(der), static_cast<size_t>(len)));
  OPENSSL_free(der);
  return hex;
}

std::string SpkiSha256HexOfDer(std::string_view spki_der) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(spki_der.data()), spki_der.size(), md);
  return HexEncode(std::string_view(reinterpret_cast<char*>(md), sizeof(md)));
}

core::Result<std::string> SpkiDer(const X509_PUBKEY* spki) {
  // With the algorithm and key bits present (always, once decoded), this is a plain ASN.1
  // encoding of those two fields.
  unsigned char* der = nullptr;
  int len = spki == nullptr ? -1 : i2d_X509_PUBKEY(spki, &der);
  if (len <= 0) return OpenSslError("encoding SubjectPublicKeyInfo");
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

}  // namespace flint::ca
