#include "ca/raw_asn1.h"

#include <openssl/asn1t.h>
#include <openssl/err.h>
#include <openssl/objects.h>

#include <algorithm>

#include "ca/openssl_util.h"

namespace flint::ca {

// The ASN.1 templates. OpenSSL's macros leave some aggregate members to their defaults.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

// RFC 5280 §4.1.2.7: SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }
ASN1_SEQUENCE(RawSpki) = {
    ASN1_SIMPLE(RawSpki, algorithm, X509_ALGOR),
    ASN1_SIMPLE(RawSpki, public_key, ASN1_BIT_STRING),
} ASN1_SEQUENCE_END(RawSpki)

// RFC 2986 §4.1 CertificationRequestInfo
ASN1_SEQUENCE_enc(RawCsrInfo, enc, 0) = {
    ASN1_SIMPLE(RawCsrInfo, version, ASN1_INTEGER),
    ASN1_SIMPLE(RawCsrInfo, subject, X509_NAME),
    ASN1_SIMPLE(RawCsrInfo, spki, RawSpki),
    ASN1_IMP_SET_OF_OPT(RawCsrInfo, attributes, X509_ATTRIBUTE, 0),
} ASN1_SEQUENCE_END_enc(RawCsrInfo, RawCsrInfo)

// RFC 2986 §4.2 CertificationRequest
ASN1_SEQUENCE(RawCsr) = {
    ASN1_SIMPLE(RawCsr, info, RawCsrInfo),
    ASN1_SIMPLE(RawCsr, signature_algorithm, X509_ALGOR),
    ASN1_SIMPLE(RawCsr, signature, ASN1_BIT_STRING),
} ASN1_SEQUENCE_END(RawCsr)

#pragma GCC diagnostic pop

void RawCsrDeleter::operator()(RawCsr* p) const {
  ASN1_item_free(reinterpret_cast<ASN1_VALUE*>(p), ASN1_ITEM_rptr(RawCsr));
}

void RawSpkiDeleter::operator()(RawSpki* p) const {
  ASN1_item_free(reinterpret_cast<ASN1_VALUE*>(p), ASN1_ITEM_rptr(RawSpki));
}

namespace {

template <typename T>
T* DecodeExactly(std::string_view der, const ASN1_ITEM* item) {
  if (der.empty()) return nullptr;
  const auto* begin = reinterpret_cast<const unsigned char*>(der.data());
  const unsigned char* p = begin;
  ASN1_VALUE* value = ASN1_item_d2i(nullptr, &p, static_cast<long>(der.size()), item);
  if (value == nullptr) return nullptr;
  if (p != begin + der.size()) {
    ASN1_item_free(value, item);
    return nullptr;
  }
  return reinterpret_cast<T*>(value);
}

core::Error Malformed(const char* detail) {
  ERR_clear_error();
  return core::Err(core::ErrorType::kMalformed, detail);
}

// OpenSSL's group names for the named curves flint's key policy can accept.
const char* CurveName(int nid) {
  switch (nid) {
    case NID_X9_62_prime256v1:
      return "prime256v1";
    case NID_secp384r1:
      return "secp384r1";
    case NID_secp521r1:
      return "secp521r1";
    default:
      return nullptr;
  }
}

}  // namespace

UniqueRawCsr DecodeRawCsr(std::string_view der) {
  return UniqueRawCsr(DecodeExactly<RawCsr>(der, ASN1_ITEM_rptr(RawCsr)));
}

UniqueRawSpki DecodeRawSpki(std::string_view der) {
  return UniqueRawSpki(DecodeExactly<RawSpki>(der, ASN1_ITEM_rptr(RawSpki)));
}

core::Result<std::string> EncodeRawSpki(const RawSpki& spki) {
  unsigned char* der = nullptr;
  int len = ASN1_item_i2d(reinterpret_cast<const ASN1_VALUE*>(&spki), &der,
                          ASN1_ITEM_rptr(RawSpki));
  if (len <= 0) return OpenSslError("encoding SubjectPublicKeyInfo");
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

core::Result<EVP_PKEY*> PublicKeyFromSpki(const RawSpki& spki, std::string_view spki_der) {
  const ASN1_OBJECT* algorithm = nullptr;
  int param_type = V_ASN1_UNDEF;
  const void* param = nullptr;
  X509_ALGOR_get0(&algorithm, &param_type, &param, spki.algorithm);
  const ASN1_BIT_STRING* bits = spki.public_key;
  if ((bits->flags & ASN1_STRING_FLAG_BITS_LEFT) != 0 && (bits->flags & 0x07) != 0) {
    return Malformed("the public key has a partial final byte");
  }
  const char* curve = nullptr;
  if (OBJ_obj2nid(algorithm) == NID_X9_62_id_ecPublicKey && param_type == V_ASN1_OBJECT) {
    curve = CurveName(OBJ_obj2nid(static_cast<const ASN1_OBJECT*>(param)));
  }
  if (curve == nullptr) {
    // Not an EC key on a known named curve: OpenSSL's decoder decides.
    const auto* p = reinterpret_cast<const unsigned char*>(spki_der.data());
    EVP_PKEY* key = d2i_PUBKEY(nullptr, &p, static_cast<long>(spki_der.size()));
    if (key == nullptr) return Malformed("the public key is malformed or of an unsupported type");
    return key;
  }
  auto key = core::EcPublicKeyFromPoint(
      curve, std::string_view(reinterpret_cast<const char*>(bits->data),
                              static_cast<size_t>(std::max(bits->length, 0))));
  if (!key.ok()) return core::Err(core::ErrorType::kMalformed, key.error().detail);
  return key->release();
}

}  // namespace flint::ca
