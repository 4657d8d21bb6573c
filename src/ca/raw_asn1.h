#pragma once
// RFC 2986 (PKCS#10) requests and RFC 5280 §4.1.2.7 SubjectPublicKeyInfo, decoded by OpenSSL's
// ASN.1 template decoder with the public key left as bits.
//
// Why: OpenSSL 3.0's own X509_REQ and X509_PUBKEY decode the key at d2i time through the
// provider decoder machinery (OSSL_DECODER), which costs more than an ECDSA verification and
// takes global locks that serialise concurrent requests; X509_set_pubkey likewise re-encodes the
// key through the encoders. flint needs the key bits (to copy into the certificate and to hash)
// far more often than an EVP_PKEY, and builds one directly when it does (PublicKeyFromSpki).

#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

namespace flint::ca {

struct RawSpki {
  X509_ALGOR* algorithm;
  ASN1_BIT_STRING* public_key;
};

struct RawCsrInfo {
  ASN1_ENCODING enc;  // the bytes as received, so the signature is checked over exactly them
  ASN1_INTEGER* version;
  X509_NAME* subject;
  RawSpki* spki;
  STACK_OF(X509_ATTRIBUTE) * attributes;  // [0] IMPLICIT; tolerated when absent, as OpenSSL does
};

struct RawCsr {
  RawCsrInfo* info;
  X509_ALGOR* signature_algorithm;
  ASN1_BIT_STRING* signature;
};

DECLARE_ASN1_ITEM(RawSpki)
DECLARE_ASN1_ITEM(RawCsrInfo)
DECLARE_ASN1_ITEM(RawCsr)

struct RawCsrDeleter {
  void operator()(RawCsr* p) const;
};
struct RawSpkiDeleter {
  void operator()(RawSpki* p) const;
};
using UniqueRawCsr = std::unique_ptr<RawCsr, RawCsrDeleter>;
using UniqueRawSpki = std::unique_ptr<RawSpki, RawSpkiDeleter>;

// Exactly one DER value of the type, no trailing bytes; nullptr otherwise.
UniqueRawCsr DecodeRawCsr(std::string_view der);
UniqueRawSpki DecodeRawSpki(std::string_view der);

// DER of `spki` (the algorithm and bits as decoded). kInternal on an encoding failure.
[[nodiscard]] core::Result<std::string> EncodeRawSpki(const RawSpki& spki);

// The public key of `spki`. EC keys on a named curve are built from their point directly
// (EVP_PKEY_fromdata, which checks the point is on the curve); any other type goes through
// OpenSSL's SPKI decoder. kMalformed if the key is unusable (bad point, unused bits, unknown
// algorithm).
[[nodiscard]] core::Result<EVP_PKEY*> PublicKeyFromSpki(const RawSpki& spki,
                                                        std::string_view spki_der);

}  // namespace flint::ca
