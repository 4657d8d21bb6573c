#pragma once
// The CA's signing key behind an interface, so the key can live in a file today and in an HSM
// (PKCS#11) later without the issuer, CRL or OCSP code changing.

#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include <memory>

#include "core/result.h"

namespace flint::ca {

// Signs fully built structures with the CA key. Implementations are thread-safe: concurrent
// calls on one Signer are allowed. Each call sets the signature algorithm and signature fields
// of the object passed in and nothing else; errors are kInternal.
class Signer {
 public:
  virtual ~Signer() = default;

  // X.509 certificate (RFC 5280 §4.1.1.2-3). Issuer name, validity etc. must already be set.
  [[nodiscard]] virtual core::Result<void> SignCertificate(X509* cert) const = 0;

  // CRL (RFC 5280 §5.1.1.2-3).
  [[nodiscard]] virtual core::Result<void> SignCrl(X509_CRL* crl) const = 0;

  // OCSP BasicOCSPResponse (RFC 6960 §4.2.1). `responder_cert` names the responder (byKey or
  // byName per `flags`, as OCSP_basic_sign); `certs` (may be null) are included in the response.
  [[nodiscard]] virtual core::Result<void> SignOcspResponse(OCSP_BASICRESP* response,
                                                            X509* responder_cert,
                                                            STACK_OF(X509) * certs,
                                                            unsigned long flags) const = 0;

  // The public half of the signing key (for checking it matches the issuer certificate).
  virtual EVP_PKEY* public_key() const = 0;
};

// A Signer holding the private key in memory (loaded from a key file). Digest: SHA-384 for P-384
// keys, SHA-512 for P-521, none for Ed25519/Ed448, SHA-256 otherwise (so the P-256 intermediate
// signs with ecdsa-with-SHA256, RFC 5758 §3.2).
class KeySigner final : public Signer {
 public:
  explicit KeySigner(std::shared_ptr<EVP_PKEY> key);

  core::Result<void> SignCertificate(X509* cert) const override;
  core::Result<void> SignCrl(X509_CRL* crl) const override;
  core::Result<void> SignOcspResponse(OCSP_BASICRESP* response, X509* responder_cert,
                                      STACK_OF(X509) * certs, unsigned long flags) const override;
  EVP_PKEY* public_key() const override { return key_.get(); }

 private:
  std::shared_ptr<EVP_PKEY> key_;
  const EVP_MD* digest_;  // static OpenSSL object; nullptr for EdDSA
};

}  // namespace flint::ca
