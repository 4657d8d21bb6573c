#include "ca/signer.h"

#include <openssl/core_names.h>

#include <string>

#include "ca/openssl_util.h"

namespace flint::ca {
namespace {

const EVP_MD* DigestFor(EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "ED25519") || EVP_PKEY_is_a(key, "ED448")) return nullptr;
  if (EVP_PKEY_is_a(key, "EC")) {
    char curve[64] = {};
    size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, curve, sizeof(curve),
                                       &len) == 1) {
      std::string name(curve, len);
      if (name == "secp384r1" || name == "P-384") return EVP_sha384();
      if (name == "secp521r1" || name == "P-521") return EVP_sha512();
    }
  }
  return EVP_sha256();
}

}  // namespace

KeySigner::KeySigner(std::shared_ptr<EVP_PKEY> key)
    : key_(std::move(key)), digest_(DigestFor(key_.get())) {}

core::Result<void> KeySigner::SignCertificate(X509* cert) const {
  // X509_sign returns the signature length; 0 is failure.
  if (X509_sign(cert, key_.get(), digest_) <= 0) return OpenSslError("signing certificate");
  return core::Ok();
}

core::Result<void> KeySigner::SignCrl(X509_CRL* crl) const {
  if (X509_CRL_sign(crl, key_.get(), digest_) <= 0) return OpenSslError("signing CRL");
  return core::Ok();
}

core::Result<void> KeySigner::SignOcspResponse(OCSP_BASICRESP* response, X509* responder_cert,
                                               STACK_OF(X509) * certs, unsigned long flags) const {
  if (OCSP_basic_sign(response, responder_cert, key_.get(), digest_, certs, flags) != 1) {
    return OpenSslError("signing OCSP response");
  }
  return core::Ok();
}

}  // namespace flint::ca
